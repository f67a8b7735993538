// --bigkeys and --memkeys (redis-cli's findBigKeys): SCAN the keyspace, pipeline TYPE then a
// size command per key (STRLEN/LLEN/SCARD/HLEN/ZCARD/XLEN, or MEMORY USAGE), report each new
// biggest key per type as it is found and a summary at the end, in redis-cli's words. Types
// are listed in the order redis-cli's unseeded hash table gives them (list, hash, string,
// stream, set, zset), then types first seen during the scan.
using System.Globalization;
using System.Text;

using Cinnabar.Protocol;

namespace Cinnabar.Cli;

/// <summary>Biggest keys per type.</summary>
internal static class BigKeys
{
    public static void Run(CliSession session, bool memkeys, int samples)
    {
        var types = new List<TypeInfo>
        {
            new("list", "LLEN", "items"),
            new("hash", "HLEN", "fields"),
            new("string", "STRLEN", "bytes"),
            new("stream", "XLEN", "entries"),
            new("set", "SCARD", "members"),
            new("zset", "ZCARD", "members"),
        };
        var connection = session.Connection!;
        var dbsize = session.Call("DBSIZE");
        if (dbsize is null)
        {
            Terminal.Err("\nI/O error\n");
            throw Terminal.Exit(1);
        }

        if (dbsize.Type == RespType.Error)
        {
            Terminal.Err($"Couldn't determine DBSIZE: {dbsize.Text}\n");
            throw Terminal.Exit(1);
        }

        long totalKeys = dbsize.Integer;
        Terminal.Out("\n# Scanning the entire keyspace to find biggest keys as well as\n");
        Terminal.Out("# average sizes per key type.  You can use -i 0.1 to sleep 0.1 sec\n");
        Terminal.Out("# per 100 SCAN commands (not usually needed).\n\n");
        ulong cursor = 0;
        long sampled = 0, totalLength = 0, loops = 0;
        do
        {
            double pct = 100 * (double)sampled / totalKeys;
            var keys = StatTools.SendScan(session, ref cursor).Elements;
            loops++;
            var keyTypes = new TypeInfo?[keys.Count];
            try
            {
                foreach (var key in keys)
                {
                    connection.Send(["TYPE"u8.ToArray(), key.Bytes]);
                }

                for (int i = 0; i < keys.Count; i++)
                {
                    var reply = connection.ReadReply();
                    if (reply.Type != RespType.SimpleString)
                    {
                        Terminal.Err(reply.Type == RespType.Error
                            ? $"TYPE returned an error: {reply.Text}\n"
                            : $"Invalid reply type for TYPE on key '{Encoding.UTF8.GetString(keys[i].Bytes)}'!\n");
                        throw Terminal.Exit(1);
                    }

                    string name = reply.Text;
                    var type = types.Find(t => t.Name == name);
                    if (type is null && name != "none")
                    {
                        type = new TypeInfo(name, null, "?");
                        types.Add(type);
                    }

                    keyTypes[i] = type;
                }

                var sizes = new long[keys.Count];
                bool Measured(int i) => keyTypes[i] is { } t && (t.SizeCommand is not null || memkeys);
                for (int i = 0; i < keys.Count; i++)
                {
                    if (!Measured(i))
                    {
                        continue;
                    }

                    if (!memkeys)
                    {
                        connection.Send([Encoding.ASCII.GetBytes(keyTypes[i]!.SizeCommand!), keys[i].Bytes]);
                    }
                    else if (samples == 0)
                    {
                        connection.Send(["MEMORY"u8.ToArray(), "USAGE"u8.ToArray(), keys[i].Bytes]);
                    }
                    else
                    {
                        connection.Send(["MEMORY"u8.ToArray(), "USAGE"u8.ToArray(), keys[i].Bytes, "SAMPLES"u8.ToArray(), Encoding.ASCII.GetBytes(samples.ToString(CultureInfo.InvariantCulture))]);
                    }
                }

                for (int i = 0; i < keys.Count; i++)
                {
                    if (!Measured(i))
                    {
                        continue;
                    }

                    var reply = connection.ReadReply();
                    if (reply.Type != RespType.Integer)
                    {
                        Terminal.Err($"Warning:  {(memkeys ? "MEMORY USAGE" : keyTypes[i]!.SizeCommand)} on '{Encoding.UTF8.GetString(keys[i].Bytes)}' failed (may have changed type)\n");
                    }
                    else
                    {
                        sizes[i] = reply.Integer;
                    }
                }

                for (int i = 0; i < keys.Count; i++)
                {
                    var type = keyTypes[i];
                    if (type is null)
                    {
                        continue;
                    }

                    type.TotalSize += sizes[i];
                    type.Count++;
                    totalLength += keys[i].Bytes.Length;
                    sampled++;
                    if (type.Biggest < sizes[i])
                    {
                        var repr = new ByteBuilder();
                        repr.AppendRepr(keys[i].Bytes);
                        type.BiggestKey = Encoding.UTF8.GetString(repr.ToArray());
                        Terminal.Out(Inv($"[{Pct(pct)}%] Biggest {type.Name,-6} found so far '{type.BiggestKey}' with {sizes[i]} {(memkeys ? "bytes" : type.Unit)}\n"));
                        type.Biggest = sizes[i];
                    }

                    if (sampled % 1000000 == 0)
                    {
                        Terminal.Out(Inv($"[{Pct(pct)}%] Sampled {sampled} keys so far\n"));
                    }
                }
            }
            catch (CliIOException e)
            {
                Terminal.Err($"Error getting type or size ({e.Message})\n");
                throw Terminal.Exit(1);
            }

            Terminal.Flush();
            if (session.Options.IntervalMicros > 0 && loops % 100 == 0)
            {
                CliSession.SleepMicros(session.Options.IntervalMicros);
            }
        }
        while (cursor != 0);

        Terminal.Out("\n-------- summary -------\n\n");
        Terminal.Out(Inv($"Sampled {sampled} keys in the keyspace!\n"));
        Terminal.Out(Inv($"Total key length in bytes is {totalLength} (avg len {(totalLength != 0 ? (double)totalLength / sampled : 0):F2})\n\n"));
        foreach (var type in types.Where(t => t.BiggestKey is not null))
        {
            Terminal.Out(Inv($"Biggest {type.Name,6} found '{type.BiggestKey}' has {type.Biggest} {(memkeys ? "bytes" : type.Unit)}\n"));
        }

        Terminal.Out("\n");
        foreach (var type in types)
        {
            double share = sampled != 0 ? 100 * (double)type.Count / sampled : 0;
            double average = type.Count != 0 ? (double)type.TotalSize / type.Count : 0;
            Terminal.Out(Inv($"{type.Count} {type.Name}s with {type.TotalSize} {(memkeys ? "bytes" : type.Unit)} ({Pct(share)}% of keys, avg size {average:F2})\n"));
        }

        throw Terminal.Exit(0);
    }

    // printf("%05.2f"): two decimals, zero-padded to five characters.
    private static string Pct(double value) => value.ToString("F2", CultureInfo.InvariantCulture).PadLeft(5, '0');

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private sealed class TypeInfo(string name, string? sizeCommand, string unit)
    {
        public string Name { get; } = name;

        public string? SizeCommand { get; } = sizeCommand;

        public string Unit { get; } = unit;

        public long Biggest { get; set; }

        public long Count { get; set; }

        public long TotalSize { get; set; }

        public string? BiggestKey { get; set; }
    }
}
