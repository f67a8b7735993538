// --stat, --latency (--latency-history) and --scan, as redis-cli prints them: --stat a line of
// INFO figures per interval with a header every 20 lines; --latency min/max/avg of PING round
// trips (a live line on a terminal, one line after -i seconds otherwise); --scan every key
// matching --pattern, one per line.
using System.Diagnostics;
using System.Globalization;
using System.Text;

using Cinnabar.Protocol;

namespace Cinnabar.Cli;

/// <summary>Monitoring modes.</summary>
internal static class StatTools
{
    /// <summary>statMode.</summary>
    public static void Stat(CliSession session)
    {
        long requests = 0;
        for (int i = 0; ; i++)
        {
            var reply = session.ReconnectingCall("INFO");
            if (reply.Type == RespType.Error)
            {
                Terminal.Err($"ERROR: {reply.Text}\n");
                throw Terminal.Exit(1);
            }

            string info = reply.Text;
            if (i % 20 == 0)
            {
                Terminal.Out("------- data ------ --------------------- load -------------------- - child -\n" +
                             "keys       mem      clients blocked requests            connections          \n");
            }

            long keys = 0;
            for (int db = 0; db < 20; db++)
            {
                long k = InfoFields.GetLong(info, $"db{db}:keys");
                if (k != long.MinValue)
                {
                    keys += k;
                }
            }

            var line = new StringBuilder();
            line.Append(Inv($"{keys}").PadRight(11));
            line.Append(BytesToHuman(InfoFields.GetLong(info, "used_memory")).PadRight(8));
            line.Append(' ').Append(Inv($"{InfoFields.GetLong(info, "connected_clients")}").PadRight(8));
            line.Append(Inv($"{InfoFields.GetLong(info, "blocked_clients")}").PadRight(8));
            long total = InfoFields.GetLong(info, "total_commands_processed");
            line.Append(Inv($"{total} (+{(requests == 0 ? 0 : total - requests)})").PadRight(19));
            requests = total;
            line.Append(' ').Append(Inv($"{InfoFields.GetLong(info, "total_connections_received")}").PadRight(12));
            long children = InfoFields.GetLong(info, "bgsave_in_progress") |
                (InfoFields.GetLong(info, "aof_rewrite_in_progress") << 1) |
                (InfoFields.GetLong(info, "loading") << 2);
            line.Append(children switch
            {
                1 => "SAVE",
                2 => "AOF",
                3 => "SAVE+AOF",
                4 => "LOAD",
                _ => string.Empty,
            });
            line.Append('\n');
            Terminal.Out(line.ToString());
            Terminal.Flush();
            CliSession.SleepMicros(session.Options.IntervalMicros);
        }
    }

    /// <summary>latencyMode.</summary>
    public static void Latency(CliSession session)
    {
        var o = session.Options;
        long historyInterval = o.IntervalMicros != 0 ? o.IntervalMicros / 1000 : 15000;
        long interval = o.IntervalMicros == 0 ? 1000 : o.IntervalMicros / 1000;
        long min = 0, max = 0, tot = 0, count = 0;
        double avg = 0;
        var clock = Stopwatch.StartNew();
        long historyStart = clock.ElapsedMilliseconds;
        while (true)
        {
            long start = clock.ElapsedMilliseconds;
            session.ReconnectingCall("PING");
            long latency = clock.ElapsedMilliseconds - start;
            count++;
            if (count == 1)
            {
                min = max = tot = latency;
                avg = latency;
            }
            else
            {
                min = Math.Min(min, latency);
                max = Math.Max(max, latency);
                tot += latency;
                avg = (double)tot / count;
            }

            if (session.Output == OutputMode.Standard)
            {
                Terminal.Out("\x1b[0G\x1b[2K");
                LatencyPrint(session.Output, min, max, avg, count);
            }
            else if (o.LatencyHistory)
            {
                LatencyPrint(session.Output, min, max, avg, count);
            }
            else if (clock.ElapsedMilliseconds - historyStart > interval)
            {
                LatencyPrint(session.Output, min, max, avg, count);
                throw Terminal.Exit(0);
            }

            if (o.LatencyHistory && clock.ElapsedMilliseconds - historyStart > historyInterval)
            {
                Terminal.Out(Inv($" -- {(clock.ElapsedMilliseconds - historyStart) / 1000.0:F2} seconds range\n"));
                historyStart = clock.ElapsedMilliseconds;
                min = max = tot = count = 0;
            }

            Terminal.Flush();
            Thread.Sleep(10);
        }
    }

    /// <summary>scanMode.</summary>
    public static void Scan(CliSession session)
    {
        ulong cursor = 0;
        do
        {
            var keys = SendScan(session, ref cursor);
            foreach (var key in keys.Elements)
            {
                if (session.Output == OutputMode.Standard)
                {
                    var sb = new ByteBuilder();
                    sb.AppendRepr(key.Bytes);
                    Terminal.Out(sb.ToArray());
                }
                else
                {
                    Terminal.Out(CString(key.Bytes));
                }

                Terminal.Out("\n");
            }

            Terminal.Flush();
            if (session.Options.IntervalMicros > 0)
            {
                CliSession.SleepMicros(session.Options.IntervalMicros);
            }
        }
        while (cursor != 0);
        throw Terminal.Exit(0);
    }

    /// <summary>sendScan: one SCAN step (with MATCH when --pattern is set); returns the keys array.</summary>
    public static RespReply SendScan(CliSession session, ref ulong cursor)
    {
        var args = new List<byte[]> { "SCAN"u8.ToArray(), Encoding.ASCII.GetBytes(cursor.ToString(CultureInfo.InvariantCulture)) };
        if (session.Options.Pattern is { } pattern)
        {
            args.Add("MATCH"u8.ToArray());
            args.Add(pattern);
        }

        RespReply reply;
        try
        {
            session.Connection!.Send(args);
            reply = session.Connection.ReadReply();
        }
        catch (CliIOException)
        {
            Terminal.Err("\nI/O error\n");
            throw Terminal.Exit(1);
        }

        if (reply.Type == RespType.Error)
        {
            Terminal.Err($"SCAN error: {reply.Text}\n");
            throw Terminal.Exit(1);
        }

        if (reply.Type != RespType.Array)
        {
            Terminal.Err("Non ARRAY response from SCAN!\n");
            throw Terminal.Exit(1);
        }

        if (reply.Elements.Count != 2)
        {
            Terminal.Err("Invalid element count from SCAN!\n");
            throw Terminal.Exit(1);
        }

        cursor = ulong.TryParse(reply.Elements[0].Bytes, NumberStyles.None, CultureInfo.InvariantCulture, out ulong next) ? next : 0;
        return reply.Elements[1];
    }

    /// <summary>bytesToHuman: 100B, 2.00K, 3.50M, 1.00G.</summary>
    public static string BytesToHuman(long n)
    {
        string sign = n < 0 ? "-" : string.Empty;
        n = Math.Abs(n);
        return n switch
        {
            < 1024 => Inv($"{sign}{n}B"),
            < 1024 * 1024 => Inv($"{sign}{n / 1024.0:F2}K"),
            < 1024L * 1024 * 1024 => Inv($"{sign}{n / (1024.0 * 1024):F2}M"),
            _ => Inv($"{sign}{n / (1024.0 * 1024 * 1024):F2}G"),
        };
    }

    private static void LatencyPrint(OutputMode mode, long min, long max, double avg, long count)
    {
        Terminal.Out(mode switch
        {
            OutputMode.Standard => Inv($"min: {min}, max: {max}, avg: {avg:F2} ({count} samples)"),
            OutputMode.Csv => Inv($"{min},{max},{avg:F2},{count}\n"),
            _ => Inv($"{min} {max} {avg:F2} {count}\n"),
        });
        Terminal.Flush();
    }

    private static byte[] CString(byte[] bytes)
    {
        int nul = Array.IndexOf(bytes, (byte)0);
        return nul < 0 ? bytes : bytes[..nul];
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
