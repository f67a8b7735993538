// --status (beyond redis-cli): one table for a master and every replica it lists in INFO
// replication (slaveN: lines), each replica queried directly for its own view of the link:
// role, link state, replication offset, lag in bytes (master offset - replica offset) and
// seconds, and master_link_down_reason (a Cinnabar INFO field; "-" where a server lacks it).
// Started on a replica it follows master_host/master_port to the master. With -i it refreshes,
// and replicas seen once stay in the table when the master stops listing them (a downed link
// is exactly when that happens), so their own INFO can say why. It needs nothing but Redis's
// INFO fields, so it works against redis-server as well as Cinnabar.
using System.Globalization;
using System.Text;

using Cinnabar.Protocol;

namespace Cinnabar.Cli;

/// <summary>The replication status table.</summary>
internal static class StatusView
{
    private static readonly string[] Header = ["NODE", "ROLE", "STATE", "LINK", "OFFSET", "LAG_BYTES", "LAG_SEC", "LINK_DOWN_REASON"];

    /// <summary>Prints the table once, or every -i seconds; returns the exit code.</summary>
    public static int Run(CliSession session)
    {
        var o = session.Options;
        var known = new List<(string Host, int Port)>();
        bool repeat = o.IntervalMicros > 0;
        while (true)
        {
            var rows = Collect(o, known, out bool masterReachable);
            var text = Render(rows);
            if (repeat && Terminal.StdoutIsTty)
            {
                Terminal.Out("\x1b[H\x1b[2J");
            }

            Terminal.Out(text);
            if (repeat)
            {
                Terminal.Out("\n");
            }

            Terminal.Flush();
            if (!repeat)
            {
                return masterReachable ? 0 : 1;
            }

            CliSession.SleepMicros(o.IntervalMicros);
        }
    }

    private static List<string[]> Collect(CliOptions o, List<(string Host, int Port)> known, out bool masterReachable)
    {
        var rows = new List<string[]>();
        string masterHost = o.Host;
        int masterPort = o.Port;
        var masterInfo = QueryInfo(o, masterHost, masterPort, out string? error);

        // Started on a replica: go to its master.
        if (masterInfo is not null && Role(masterInfo) == "slave" &&
            masterInfo.TryGetValue("master_host", out var upHost) && InfoFields.Long(masterInfo, "master_port") is { } upPort)
        {
            if (!known.Contains((masterHost, masterPort)))
            {
                known.Add((masterHost, masterPort));
            }

            masterHost = upHost;
            masterPort = (int)upPort;
            masterInfo = QueryInfo(o, masterHost, masterPort, out error);
        }

        masterReachable = masterInfo is not null;
        string masterAddress = CliSession.FormatAddress(masterHost, masterPort);
        long? masterOffset = masterInfo is null ? null : InfoFields.Long(masterInfo, "master_repl_offset");
        var listed = new Dictionary<(string, int), Dictionary<string, string>>();
        if (masterInfo is null)
        {
            rows.Add([masterAddress, "unreachable", "-", "-", "-", "-", "-", error ?? "-"]);
        }
        else
        {
            rows.Add([masterAddress, Display(Role(masterInfo)), "-", "-", Text(masterOffset), "-", "-", "-"]);
            for (int i = 0; masterInfo.TryGetValue($"slave{i}", out var line); i++)
            {
                var replica = InfoFields.ParseList(line);
                if (replica.TryGetValue("ip", out var ip) && replica.TryGetValue("port", out var portText) &&
                    int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port))
                {
                    listed[(ip, port)] = replica;
                    if (!known.Contains((ip, port)))
                    {
                        known.Add((ip, port));
                    }
                }
            }
        }

        foreach (var (host, port) in known)
        {
            listed.TryGetValue((host, port), out var fromMaster);
            var info = QueryInfo(o, host, port, out var replicaError);
            string address = CliSession.FormatAddress(host, port);
            string state = fromMaster?.GetValueOrDefault("state") ?? "unlisted";
            if (info is null)
            {
                long? lastOffset = fromMaster is not null && long.TryParse(fromMaster.GetValueOrDefault("offset"), CultureInfo.InvariantCulture, out long lo) ? lo : null;
                rows.Add([address, "unreachable", state, "-", Text(lastOffset), Lag(masterOffset, lastOffset), "-", replicaError ?? "-"]);
                continue;
            }

            long? offset = InfoFields.Long(info, "slave_repl_offset");
            string link = info.GetValueOrDefault("master_link_status") ?? "-";
            if (info.GetValueOrDefault("master_sync_in_progress") == "1")
            {
                link += "(sync)";
            }

            // Seconds behind: since the master last heard an ACK while the link is up, since it went down otherwise.
            string lagSeconds = link.StartsWith("up", StringComparison.Ordinal)
                ? fromMaster?.GetValueOrDefault("lag") ?? info.GetValueOrDefault("master_last_io_seconds_ago") ?? "-"
                : info.GetValueOrDefault("master_link_down_since_seconds") ?? "-";
            string reason = info.GetValueOrDefault("master_link_down_reason") is { Length: > 0 } r ? r : "-";
            string role = Display(Role(info));
            if (Role(info) == "slave" && (info.GetValueOrDefault("master_host") != masterHost ||
                InfoFields.Long(info, "master_port") != masterPort))
            {
                role = $"replica of {CliSession.FormatAddress(info.GetValueOrDefault("master_host") ?? "?", (int)(InfoFields.Long(info, "master_port") ?? 0))}";
            }

            rows.Add([address, role, state, link, Text(offset), Lag(masterOffset, offset), lagSeconds, reason]);
        }

        return rows;
    }

    private static string Role(Dictionary<string, string> info) => info.GetValueOrDefault("role") ?? "?";

    // Our words are primary/replica for people; the wire says master/slave.
    private static string Display(string role) => role switch
    {
        "slave" => "replica",
        _ => role,
    };

    private static string Text(long? n) => n?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Lag(long? master, long? replica) =>
        master is { } m && replica is { } r ? Math.Max(0, m - r).ToString(CultureInfo.InvariantCulture) : "-";

    private static string Render(List<string[]> rows)
    {
        var all = rows.Prepend(Header).ToList();
        var widths = Enumerable.Range(0, Header.Length).Select(c => all.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var row in all)
        {
            for (int c = 0; c < row.Length; c++)
            {
                sb.Append(c == row.Length - 1 ? row[c] : row[c].PadRight(widths[c] + 2));
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    // INFO replication of one node with the session's credentials; null with a reason when unreachable.
    private static Dictionary<string, string>? QueryInfo(CliOptions o, string host, int port, out string? error)
    {
        error = null;
        try
        {
            using var connection = o.Socket is not null && host == o.Host && port == o.Port
                ? RespConnection.ConnectUnix(o.Socket)
                : RespConnection.Connect(host, port);
            connection.Socket.ReceiveTimeout = 5000;
            connection.Socket.SendTimeout = 5000;
            if (o.Password is not null)
            {
                var auth = o.User is null ? connection.Command("AUTH", o.Password) : connection.Command("AUTH", o.User, o.Password);
                if (auth.Type == RespType.Error)
                {
                    error = auth.Text;
                    return null;
                }
            }

            var reply = connection.Command("INFO", "replication");
            if (reply.Type == RespType.Error)
            {
                error = reply.Text;
                return null;
            }

            return InfoFields.Parse(reply.Text);
        }
        catch (CliIOException e)
        {
            error = e.Message;
            return null;
        }
    }
}
