// MONITOR output: "+<unix>.<micros> [<db> <addr>] "arg" "arg"..." with Redis's quoting
// (sdscatrepr), sent to every monitoring client (replicationFeedMonitors in replication.c).
using System.Text;
using Cinnabar.Protocol;
using Cinnabar.Server.Networking;

namespace Cinnabar.Server.Diagnostics;

/// <summary>Feeds executed commands to MONITOR clients.</summary>
internal static class MonitorFeed
{
    /// <summary>Sends one command line to all monitors.</summary>
    public static void Feed(CinnabarServer server, ClientSession client, CommandArgs args, long nowMs)
    {
        var sb = new StringBuilder();
        long micros = server.Time.GetUtcNow().ToUnixTimeMilliseconds() * 1000 % 1000000;
        sb.Append(nowMs / 1000).Append('.').Append(micros.ToString("D6", System.Globalization.CultureInfo.InvariantCulture));
        if (client.IsPrimaryLink)
        {
            sb.Append(" [").Append(client.DbIndex).Append(" master]");
        }
        else
        {
            sb.Append(" [").Append(client.DbIndex).Append(' ').Append(client.Address).Append(']');
        }

        for (int i = 0; i < args.Count; i++)
        {
            sb.Append(' ');
            AppendRepr(sb, args[i]);
        }

        var line = Encoding.Latin1.GetBytes(sb.ToString());
        foreach (var m in server.Monitors)
        {
            m.Output.Simple(line);
            m.Transport?.RequestFlush();
        }
    }

    /// <summary>Redis's sdscatrepr: quoted, with \n \r \t \a \b \" \\ escapes and \xHH for the rest.</summary>
    public static void AppendRepr(StringBuilder sb, ReadOnlySpan<byte> s)
    {
        sb.Append('"');
        foreach (byte b in s)
        {
            switch (b)
            {
                case (byte)'\\': sb.Append("\\\\"); break;
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case 7: sb.Append("\\a"); break;
                case 8: sb.Append("\\b"); break;
                default:
                    if (b >= 32 && b < 127)
                    {
                        sb.Append((char)b);
                    }
                    else
                    {
                        sb.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
