// MONITOR output (replication.c replicationFeedMonitors): after a command runs, every monitor
// receives "+<unix>.<micros> [<db> <peer>] "arg" "arg"...\r\n" with Redis's quoting
// (sdscatrepr). The peer is "ip:port", "unix:<socket path>" or "lua" for scripts. Arguments
// that carry secrets are shown as "(redacted)", as Redis's redactClientCommandArgument does
// for AUTH, HELLO ... AUTH, MIGRATE ... AUTH/AUTH2, ACL SETUSER and CONFIG SET of sensitive
// parameters.
using System.Globalization;
using System.Text;

using Cinnabar.Protocol;
using Cinnabar.Server.Commands;
using Cinnabar.Server.Networking;

namespace Cinnabar.Server.Diagnostics;

/// <summary>Feeds executed commands to MONITOR clients.</summary>
internal static class MonitorFeed
{
    private const string Redacted = "(redacted)";

    /// <summary>Sends one command line to all monitors.</summary>
    public static void Feed(CinnabarServer server, ClientSession client, CommandSpec spec, CommandArgs args)
    {
        if (server.Monitors.Count == 0 || server.Loading)
        {
            return;
        }

        var line = Format(server, client, spec, args);
        foreach (var m in server.Monitors)
        {
            m.Output.Raw(line);
            m.Transport?.RequestFlush();
            Execution.OutputBufferLimits.Enforce(server, m);
        }
    }

    /// <summary>The monitor line for a command, including the leading '+' and the CRLF.</summary>
    public static byte[] Format(CinnabarServer server, ClientSession client, CommandSpec spec, CommandArgs args)
    {
        var sb = new StringBuilder(64);
        long micros = (server.Time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / 10;
        sb.Append('+').Append((micros / 1_000_000).ToString(CultureInfo.InvariantCulture)).Append('.')
          .Append((micros % 1_000_000).ToString("D6", CultureInfo.InvariantCulture)).Append(" [")
          .Append(client.DbIndex.ToString(CultureInfo.InvariantCulture)).Append(' ');
        if (client.Address.StartsWith('/'))
        {
            sb.Append("unix:").Append(server.Config.UnixSocket);
        }
        else
        {
            sb.Append(client.Address);
        }

        sb.Append("] ");
        var redacted = RedactedArguments(spec, args);
        for (int i = 0; i < args.Count; i++)
        {
            if (redacted is not null && redacted.Contains(i))
            {
                sb.Append('"').Append(Redacted).Append('"');
            }
            else
            {
                AppendRepr(sb, args[i]);
            }

            if (i != args.Count - 1)
            {
                sb.Append(' ');
            }
        }

        sb.Append("\r\n");
        return Encoding.Latin1.GetBytes(sb.ToString());
    }

    /// <summary>Indexes of arguments that must not be shown (secrets).</summary>
    public static HashSet<int>? RedactedArguments(CommandSpec spec, CommandArgs args)
    {
        string name = spec.Parent?.Name ?? spec.Name;
        HashSet<int>? set = null;
        switch (name)
        {
            case "auth":
                set = [];
                for (int i = 1; i < args.Count; i++)
                {
                    set.Add(i);
                }

                break;
            case "hello":
                for (int i = 2; i < args.Count; i++)
                {
                    if (args.Is(i, "auth"u8) && i + 2 < args.Count)
                    {
                        set ??= [];
                        set.Add(i + 1);
                        set.Add(i + 2);
                        i += 2;
                    }
                    else if (args.Is(i, "setname"u8))
                    {
                        i++;
                    }
                }

                break;
            case "migrate":
                for (int i = 6; i < args.Count; i++)
                {
                    if (args.Is(i, "auth"u8) && i + 1 < args.Count)
                    {
                        set ??= [];
                        set.Add(++i);
                    }
                    else if (args.Is(i, "auth2"u8) && i + 2 < args.Count)
                    {
                        set ??= [];
                        set.Add(++i);
                        set.Add(++i);
                    }
                    else if (args.Is(i, "keys"u8))
                    {
                        break;
                    }
                }

                break;
            case "acl" when spec.Name == "setuser":
                // ACL SETUSER hides the user name and every rule (acl.c).
                set = [];
                for (int i = 2; i < args.Count; i++)
                {
                    set.Add(i);
                }

                break;
            case "config" when spec.Name == "set":
                for (int i = 2; i + 1 < args.Count; i += 2)
                {
                    if (args.Is(i, "masterauth"u8) || args.Is(i, "masteruser"u8) || args.Is(i, "requirepass"u8))
                    {
                        set ??= [];
                        set.Add(i + 1);
                    }
                }

                break;
            default:
                break;
        }

        return set;
    }

    /// <summary>Redis's sdscatrepr (kept for callers; the one implementation is Protocol.Repr).</summary>
    public static void AppendRepr(StringBuilder sb, ReadOnlySpan<byte> s) => Repr.Append(sb, s);
}
