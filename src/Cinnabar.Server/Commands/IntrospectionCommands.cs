// INFO SLOWLOG LATENCY MONITOR (server.c, slowlog.c, latency.c); the COMMAND family lives in
// CommandDocs.cs and is registered from here. SLOWLOG and LATENCY are containers whose
// subcommands are table rows, so arity errors name "slowlog|get" like Redis 7.
using System.Globalization;
using System.Text;

using Cinnabar.Protocol;
using Cinnabar.Server.Diagnostics;

namespace Cinnabar.Server.Commands;

/// <summary>INFO SLOWLOG LATENCY MONITOR.</summary>
internal static class IntrospectionCommands
{
    private const CommandFlags AdminLoadingStale = CommandFlags.Admin | CommandFlags.Loading | CommandFlags.Stale;
    private const CommandFlags LatencyFlags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale;
    private static readonly string[] AdminAcl = ["admin", "slow", "dangerous"];
    private static readonly string[] LatencyTips = ["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"];

    private static readonly string[] SlowlogHelp =
    [
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
    ];

    private static readonly string[] LatencyHelp =
    [
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
        "    If no commands are specified then all histograms are replied.",
    ];

    public static void Register(CommandTable t)
    {
        t.Add(new CommandSpec("info", -1, CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Sentinel, 0, 0, 0, Info)
        {
            Group = "server",
            Since = "1.0.0",
            AclCategories = ["slow", "dangerous"],
            Summary = "Get information and statistics about the server",
            Tips = ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
        });
        t.Add(new CommandSpec("monitor", 1, CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, 0, 0, 0, Monitor)
        {
            Group = "server",
            Since = "1.0.0",
            AclCategories = AdminAcl,
            Summary = "Listen for all requests received by the server in real time",
        });

        var slowlog = t.Add(new CommandSpec("slowlog", -2, CommandFlags.None, 0, 0, 0, null)
        {
            Group = "server",
            Since = "2.2.12",
            AclCategories = ["slow"],
            Summary = "A container for slow log commands",
        });
        slowlog.AddSubcommand(new CommandSpec("get", -2, AdminLoadingStale, 0, 0, 0, SlowlogGet)
        {
            Group = "server",
            Since = "2.2.12",
            AclCategories = AdminAcl,
            Summary = "Get the slow log's entries",
            Tips = ["request_policy:all_nodes", "nondeterministic_output"],
        });
        slowlog.AddSubcommand(new CommandSpec("help", 2, CommandFlags.Loading | CommandFlags.Stale, 0, 0, 0, ctx => Replies.Help(ctx, SlowlogHelp))
        {
            Group = "server",
            Since = "6.2.0",
            AclCategories = ["slow"],
            Summary = "Show helpful text about the different subcommands",
        });
        slowlog.AddSubcommand(new CommandSpec("len", 2, AdminLoadingStale, 0, 0, 0, ctx => ctx.Reply.Integer(ctx.Server.SlowlogData.Entries.Count))
        {
            Group = "server",
            Since = "2.2.12",
            AclCategories = AdminAcl,
            Summary = "Get the slow log's length",
            Tips = ["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"],
        });
        slowlog.AddSubcommand(new CommandSpec("reset", 2, AdminLoadingStale, 0, 0, 0, SlowlogReset)
        {
            Group = "server",
            Since = "2.2.12",
            AclCategories = AdminAcl,
            Summary = "Clear all entries from the slow log",
            Tips = ["request_policy:all_nodes", "response_policy:all_succeeded"],
        });

        var latency = t.Add(new CommandSpec("latency", -2, CommandFlags.None, 0, 0, 0, null)
        {
            Group = "server",
            Since = "2.8.13",
            AclCategories = ["slow"],
            Summary = "A container for latency diagnostics commands",
        });
        latency.AddSubcommand(new CommandSpec("doctor", 2, LatencyFlags, 0, 0, 0, LatencyDoctor)
        {
            Group = "server",
            Since = "2.8.13",
            AclCategories = AdminAcl,
            Summary = "Return a human readable latency analysis report.",
            Tips = LatencyTips,
        });
        latency.AddSubcommand(new CommandSpec("graph", 3, LatencyFlags, 0, 0, 0, LatencyGraph)
        {
            Group = "server",
            Since = "2.8.13",
            AclCategories = AdminAcl,
            Summary = "Return a latency graph for the event.",
            Tips = LatencyTips,
        });
        latency.AddSubcommand(new CommandSpec("help", 2, CommandFlags.Loading | CommandFlags.Stale, 0, 0, 0, ctx => Replies.Help(ctx, LatencyHelp))
        {
            Group = "server",
            Since = "2.8.13",
            AclCategories = ["slow"],
            Summary = "Show helpful text about the different subcommands.",
        });
        latency.AddSubcommand(new CommandSpec("histogram", -2, LatencyFlags, 0, 0, 0, LatencyHistogramCommand)
        {
            Group = "server",
            Since = "7.0.0",
            AclCategories = AdminAcl,
            Summary = "Return the cumulative distribution of latencies of a subset of commands or all.",
            Tips = LatencyTips,
        });
        latency.AddSubcommand(new CommandSpec("history", 3, LatencyFlags, 0, 0, 0, LatencyHistory)
        {
            Group = "server",
            Since = "2.8.13",
            AclCategories = AdminAcl,
            Summary = "Return timestamp-latency samples for the event.",
            Tips = LatencyTips,
        });
        latency.AddSubcommand(new CommandSpec("latest", 2, LatencyFlags, 0, 0, 0, LatencyLatest)
        {
            Group = "server",
            Since = "2.8.13",
            AclCategories = AdminAcl,
            Summary = "Return the latest latency samples for all events.",
            Tips = LatencyTips,
        });
        latency.AddSubcommand(new CommandSpec("reset", -2, LatencyFlags, 0, 0, 0, LatencyReset)
        {
            Group = "server",
            Since = "2.8.13",
            AclCategories = AdminAcl,
            Summary = "Reset latency data for one or more events.",
            Tips = ["request_policy:all_nodes", "response_policy:all_succeeded"],
        });

        CommandDocs.Register(t);
    }

    // INFO [section [section ...]]
    private static void Info(CommandContext ctx) => InfoBuilder.Reply(ctx.Server, ctx.Args, 1, ctx.Reply);

    // MONITOR
    private static void Monitor(CommandContext ctx)
    {
        var c = ctx.Client;
        if (c.InMulti)
        {
            ctx.Error("ERR MONITOR isn't allowed for DENY BLOCKING client");
            return;
        }

        // Redis ignores MONITOR (no reply at all) from a replica or a client already monitoring.
        if (c.IsReplica || c.IsMonitor)
        {
            return;
        }

        c.IsMonitor = true;
        ctx.Server.Monitors.Add(c);
        ctx.Reply.Ok();
    }

    // SLOWLOG GET [count]
    private static void SlowlogGet(CommandContext ctx)
    {
        var log = ctx.Server.SlowlogData;
        long count = 10;
        if (ctx.Args.Count > 3)
        {
            Replies.SubcommandSyntaxError(ctx);
            return;
        }

        if (ctx.Args.Count == 3)
        {
            if (!Number.TryParseInt64(ctx.Args[2], out count) || count < -1)
            {
                ctx.Error("ERR count should be greater than or equal to -1");
                return;
            }

            if (count == -1)
            {
                count = log.Entries.Count;
            }
        }

        var r = ctx.Reply;
        int n = (int)Math.Min(count, log.Entries.Count);
        r.ArrayHeader(n);
        foreach (var e in log.Entries)
        {
            if (n-- == 0)
            {
                break;
            }

            r.ArrayHeader(6);
            r.Integer(e.Id);
            r.Integer(e.UnixSeconds);
            r.Integer(e.Micros);
            r.ArrayHeader(e.Args.Length);
            foreach (var a in e.Args)
            {
                r.Bulk(a);
            }

            r.Bulk(e.ClientAddress);
            r.Bulk(e.ClientName);
        }
    }

    // SLOWLOG RESET
    private static void SlowlogReset(CommandContext ctx)
    {
        ctx.Server.SlowlogData.Reset();
        ctx.Reply.Ok();
    }

    // LATENCY LATEST
    private static void LatencyLatest(CommandContext ctx)
    {
        var events = ctx.Server.Latency.Events.ToList();
        ctx.Reply.ArrayHeader(events.Count);
        foreach (var (name, ts) in events)
        {
            var (time, latency) = ts.Latest;
            ctx.Reply.ArrayHeader(4);
            ctx.Reply.Bulk(name);
            ctx.Reply.Integer(time);
            ctx.Reply.Integer(latency);
            ctx.Reply.Integer(ts.Max);
        }
    }

    // LATENCY HISTORY event
    private static void LatencyHistory(CommandContext ctx)
    {
        var ts = ctx.Server.Latency.Find(ctx.Args.GetString(2));
        var samples = ts?.Samples().ToList() ?? [];
        ctx.Reply.ArrayHeader(samples.Count);
        foreach (var (time, latency) in samples)
        {
            ctx.Reply.ArrayHeader(2);
            ctx.Reply.Integer(time);
            ctx.Reply.Integer(latency);
        }
    }

    // LATENCY RESET [event ...]
    private static void LatencyReset(CommandContext ctx)
    {
        var mon = ctx.Server.Latency;
        if (ctx.Args.Count == 2)
        {
            ctx.Reply.Integer(mon.Reset(null));
            return;
        }

        int resets = 0;
        for (int j = 2; j < ctx.Args.Count; j++)
        {
            resets += mon.Reset(ctx.Args.GetString(j));
        }

        ctx.Reply.Integer(resets);
    }

    // LATENCY GRAPH event: the header and scale of Redis's sparkline, one column per sample.
    private static void LatencyGraph(CommandContext ctx)
    {
        string name = ctx.Args.GetString(2);
        var ts = ctx.Server.Latency.Find(name);
        if (ts is null)
        {
            ctx.Error($"ERR No samples available for event '{name}'");
            return;
        }

        var samples = ts.Samples().ToList();
        long max = samples.Max(s => s.Latency);
        long min = samples.Min(s => s.Latency);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{name} - high {max} ms, low {min} ms (all time high {ts.Max} ms)\n");
        sb.Append('-', 80).Append('\n');
        foreach (var (_, latency) in samples.TakeLast(80))
        {
            sb.Append(max == min || latency * 2 > max + min ? '#' : '_');
        }

        sb.Append('\n');
        ctx.Reply.Verbatim(Encoding.ASCII.GetBytes(sb.ToString()), "txt");
    }

    // LATENCY DOCTOR: Redis's report opening lines and one line per event.
    private static void LatencyDoctor(CommandContext ctx)
    {
        var mon = ctx.Server.Latency;
        var events = mon.Events.ToList();
        var sb = new StringBuilder();
        if (events.Count == 0 && ctx.Server.Config.LatencyMonitorThreshold == 0)
        {
            sb.Append("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n");
        }
        else if (events.Count == 0)
        {
            sb.Append("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep tonight.\n");
        }
        else
        {
            sb.Append("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
            int i = 1;
            foreach (var (name, ts) in events)
            {
                var samples = ts.Samples().ToList();
                double avg = samples.Average(s => s.Latency);
                sb.Append(CultureInfo.InvariantCulture, $"{i++}. {name}: {samples.Count} latency spikes (average {(long)avg}ms). Worst all time event {ts.Max}ms.\n");
            }

            sb.Append("\nI have a few advices for you:\n\n- Check your system for slow commands with SLOWLOG GET, and consider lowering the work done by single commands.\n");
        }

        ctx.Reply.Verbatim(Encoding.ASCII.GetBytes(sb.ToString()), "txt");
    }

    // LATENCY HISTOGRAM [command ...]: calls and cumulative counts at power-of-two microseconds.
    private static void LatencyHistogramCommand(CommandContext ctx)
    {
        var metrics = ctx.Server.Metrics;
        var chosen = new List<CommandSpec>();
        void AddWithSubcommands(CommandSpec spec, bool recurse)
        {
            if (metrics.Histograms.ContainsKey(spec))
            {
                chosen.Add(spec);
            }

            if (recurse && spec.Subcommands is not null)
            {
                foreach (var sub in spec.Subcommands.Values)
                {
                    AddWithSubcommands(sub, false);
                }
            }
        }

        if (ctx.Args.Count == 2)
        {
            foreach (var spec in ctx.Server.Commands.All)
            {
                AddWithSubcommands(spec, true);
            }
        }
        else
        {
            for (int j = 2; j < ctx.Args.Count; j++)
            {
                var spec = CommandDocs.LookupByFullName(ctx.Server.Commands, ctx.Args.GetString(j));
                if (spec is not null)
                {
                    AddWithSubcommands(spec, true);
                }
            }
        }

        var r = ctx.Reply;
        r.MapHeader(chosen.Count);
        foreach (var spec in chosen)
        {
            var h = metrics.Histograms[spec];
            r.Bulk(spec.FullName);
            r.MapHeader(2);
            r.Bulk("calls"u8);
            r.Integer(h.Count);
            r.Bulk("histogram_usec"u8);
            var buckets = h.PowerOfTwoBuckets().ToList();
            r.MapHeader(buckets.Count);
            foreach (var (upper, cumulative) in buckets)
            {
                r.Integer(upper / 1000);
                r.Integer(cumulative);
            }
        }
    }
}
