// SLOWLOG: commands slower than slowlog-log-slower-than microseconds are kept, newest first,
// up to slowlog-max-len, with at most 32 arguments of at most 128 bytes each (slowlog.c);
// secrets are stored as "(redacted)" like MONITOR shows them.
using Cinnabar.Protocol;
using Cinnabar.Server.Commands;
using Cinnabar.Server.Networking;

namespace Cinnabar.Server.Diagnostics;

/// <summary>The slow log.</summary>
internal sealed class Slowlog
{
    public const int MaxArgs = 32;
    public const int MaxArgLength = 128;

    public LinkedList<SlowlogEntry> Entries { get; } = new();

    public long NextId { get; set; }

    /// <summary>SLOWLOG RESET.</summary>
    public void Reset() => Entries.Clear();

    /// <summary>Records a call if it was slow enough.</summary>
    public static void Record(CinnabarServer server, ClientSession client, CommandSpec spec, CommandArgs args, long micros, long nowMs)
    {
        long threshold = server.Config.SlowlogLogSlowerThan;
        if (threshold < 0 || micros < threshold || (spec.Flags & CommandFlags.SkipSlowlog) != 0)
        {
            return;
        }

        var log = server.SlowlogData;
        int argc = Math.Min(args.Count, MaxArgs);
        var redacted = MonitorFeed.RedactedArguments(spec, args);
        var stored = new byte[argc][];
        for (int i = 0; i < argc; i++)
        {
            if (argc != args.Count && i == argc - 1)
            {
                stored[i] = System.Text.Encoding.ASCII.GetBytes($"... ({args.Count - argc + 1} more arguments)");
            }
            else if (redacted is not null && redacted.Contains(i))
            {
                stored[i] = "(redacted)"u8.ToArray();
            }
            else if (args.LengthOf(i) > MaxArgLength)
            {
                var a = args[i];
                stored[i] = [.. a[..MaxArgLength], .. System.Text.Encoding.ASCII.GetBytes($"... ({a.Length - MaxArgLength} more bytes)")];
            }
            else
            {
                stored[i] = args.ToArray(i);
            }
        }

        log.Entries.AddFirst(new SlowlogEntry(log.NextId++, nowMs / 1000, micros, stored, client.Address, client.Name ?? string.Empty));
        while (log.Entries.Count > Math.Max(0, server.Config.SlowlogMaxLen))
        {
            log.Entries.RemoveLast();
        }
    }
}

/// <summary>One slow log entry.</summary>
internal sealed record SlowlogEntry(long Id, long UnixSeconds, long Micros, byte[][] Args, string ClientAddress, string ClientName);
