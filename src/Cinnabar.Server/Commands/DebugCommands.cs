// DEBUG (debug.c): one command whose first argument picks the action, as in Redis 7.0 (it is
// not a container, so unknown actions get addReplySubcommandSyntaxError's text). It is
// "protected": the dispatcher refuses it unless enable-debug-command allows it. SLEEP blocks the
// executor on purpose, like Redis's nanosleep in the main thread. DIGEST and DIGEST-VALUE use
// Redis's algorithm (Diagnostics/Digest.cs) so digests can be compared with a real server.
// Actions that only tune Redis internals we do not have (allocator, quicklist, AOF sleep) are
// accepted and do nothing, so test suites that set them keep running.
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

using Cinnabar.Protocol;
using Cinnabar.Server.Diagnostics;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>DEBUG and its actions (debug.c).</summary>
internal static class DebugCommands
{
    private static readonly string[] Help =
    [
        "AOF-FLUSH-SLEEP <microsec>",
        "    Server will sleep before flushing the AOF, this is used for testing.",
        "ASSERT",
        "    Crash by assertion failed.",
        "CHANGE-REPL-ID",
        "    Change the replication IDs of the instance.",
        "    Dangerous: should be used only for testing the replication subsystem.",
        "CONFIG-REWRITE-FORCE-ALL",
        "    Like CONFIG REWRITE but writes all configuration options, including",
        "    keywords not listed in original configuration file or default values.",
        "CRASH-AND-RECOVER [<milliseconds>]",
        "    Hard crash and restart after a <milliseconds> delay (default 0).",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "LEAK <string>",
        "    Create a memory leak of the input string.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "HTSTATS <dbid>",
        "    Return hash table statistics of the specified Redis database.",
        "HTSTATS-KEY <key>",
        "    Like HTSTATS but for the hash table stored at <key>'s value.",
        "LOADAOF",
        "    Flush the AOF buffers on disk and reload the AOF in memory.",
        "REPLICATE <string>",
        "    Replicates the provided string to replicas, allowing data divergence.",
        "MALLCTL <key> [<val>]",
        "    Get or set a malloc tuning integer.",
        "MALLCTL-STR <key> [<val>]",
        "    Get or set a malloc tuning string.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "DROP-CLUSTER-PACKET-FILTER <packet-type>",
        "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
        "OOM",
        "    Crash the server simulating an out-of-memory error.",
        "PANIC",
        "    Crash the server simulating a panic.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "RELOAD [option ...]",
        "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
        "    * MERGE: conflicting keys will be loaded from RDB.",
        "    * NOFLUSH: the existing database will not be removed before load, but",
        "      conflicting keys will generate an exception and kill the server.",
        "    * NOSAVE: the database will be loaded from an existing RDB file.",
        "    Examples:",
        "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
        "      the database.",
        "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
        "      existing RDB file.",
        "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
        "      file to the database.",
        "RESTART [<milliseconds>]",
        "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
        "SDSLEN <key>",
        "    Show low level SDS string info representing `key` and value.",
        "SEGFAULT",
        "    Crash the server with sigsegv.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "QUICKLIST-PACKED-THRESHOLD <size>",
        "    Sets the threshold for elements to be inserted as plain vs packed nodes",
        "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
        "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
        "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "STRINGMATCH-TEST",
        "    Run a fuzz tester against the stringmatchlen() function.",
        "STRUCTSIZE",
        "    Return the size of different Redis core C structures.",
        "LISTPACK <key>",
        "    Show low level info about the listpack encoding of <key>.",
        "QUICKLIST <key> [<0|1>]",
        "    Show low level info about the quicklist encoding of <key>.",
        "    The optional argument (0 by default) sets the level of detail",
        "CLIENT-EVICTION",
        "    Show low level client eviction pools info (maxmemory-clients).",
        "PAUSE-CRON <0|1>",
        "    Stop periodic cron job processing.",
        "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
        "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
        "    In case NEVER is provided the last observed peak will never be reset",
        "    In case RESET is provided the peak reset time will be restored to the default value",
        "REPLYBUFFER RESIZING <0|1>",
        "    Enable or disable the reply buffer resize cron job",
        "CLUSTERLINK KILL <to|from|all> <node-id>",
        "    Kills the link based on the direction to/from (both) with the provided node.",
    ];

    public static void Register(CommandTable t)
    {
        t.Add(new CommandSpec("debug", -2, CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Protected, 0, 0, 0, Debug)
        {
            Group = "server",
            Since = "1.0.0",
            AclCategories = ["admin", "slow", "dangerous"],
            Summary = "A container for debugging commands",
        });
    }

    // DEBUG <subcommand> [arg ...]
    private static void Debug(CommandContext ctx)
    {
        var a = ctx.Args;
        int argc = a.Count;
        string sub = a.GetString(1).ToLowerInvariant();
        switch (sub)
        {
            case "help" when argc == 2:
                Replies.Help(ctx, Help);
                return;
            case "sleep" when argc == 3:
                Sleep(ctx);
                return;
            case "set-active-expire" when argc == 3:
                ctx.Server.ActiveExpireEnabled = Atoi(a[2]) != 0;
                ctx.Reply.Ok();
                return;
            case "object" when argc == 3:
                ObjectInfo(ctx);
                return;
            case "digest" when argc == 2:
                if (Digest.FirstUnsupportedType(ctx.Server.Databases) is { } type)
                {
                    ctx.Error($"ERR DEBUG DIGEST does not support {type} values yet");
                    return;
                }

                ctx.Reply.Simple(Digest.Dataset(ctx.Server.Databases));
                return;
            case "digest-value":
                DigestValue(ctx);
                return;
            case "populate" when argc is >= 3 and <= 5:
                Populate(ctx);
                return;
            case "log" when argc == 3:
                ctx.Server.Log.Warning("DEBUG LOG: " + a.GetString(2));
                ctx.Reply.Ok();
                return;
            case "error" when argc == 3:
                ctx.Reply.Raw([(byte)'-', .. a[2].ToArray().Select(b => b is (byte)'\r' or (byte)'\n' ? (byte)' ' : b), (byte)'\r', (byte)'\n']);
                return;
            case "protocol" when argc == 3:
                Protocol(ctx);
                return;
            case "replicate" when argc >= 3:
                // Feeds the command to the replicas only, in the stream's current database (Redis
                // passes slaveseldb, not the caller's): a test knob to make a replica diverge; a
                // replica ignores it, as its stream is its primary's.
                var op = CommandArgs.From(Enumerable.Range(2, argc - 2).Select(i => a.ToArray(i)).ToArray());
                ctx.Server.PrimaryReplication.FeedKeyless(op);
                ctx.Reply.Ok();
                return;
            case "change-repl-id" when argc == 2:
                ctx.Server.Log.Warning("Changing replication IDs after receiving DEBUG change-repl-id");
                ctx.Server.Replication.ChangeReplId();
                ctx.Server.Replication.ClearReplId2();
                ctx.Reply.Ok();
                return;
            case "reload":
                Reload(ctx);
                return;
            case "loadaof":
                // There is no AOF: with appendonly off Redis's loadAppendOnlyFiles finds nothing to
                // load (AOF_NOT_EXIST) after emptying the dataset; refusing is kinder than emptying.
                ctx.Error("ERR DEBUG LOADAOF needs the append-only file, which Cinnabar does not have");
                return;
            case "config-rewrite-force-all" when argc == 2:
                ConfigRewriteForceAll(ctx);
                return;
            case "set-skip-checksum-validation" when argc == 3:
                ctx.Server.SkipChecksumValidation = Atoi(a[2]) != 0;
                ctx.Reply.Ok();
                return;
            case "stringmatch-test" when argc == 2:
                ctx.Reply.Simple("Apparently Redis did not crash: test passed");
                return;
            case "leak" when argc == 3:
            case "quicklist-packed-threshold" when argc == 3:
            case "aof-flush-sleep" when argc == 3:
            case "pause-cron" when argc == 3:
            case "replybuffer" when argc == 4:
            case "set-disable-deny-scripts" when argc == 3:
            case "drop-cluster-packet-filter" when argc == 3:
                ctx.Reply.Ok();
                return;
            default:
                Replies.SubcommandSyntaxError(ctx);
                return;
        }
    }

    // DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]
    private static void Reload(CommandContext ctx)
    {
        bool merge = false, flush = true, save = true;
        for (int j = 2; j < ctx.Args.Count; j++)
        {
            if (ctx.Args.Is(j, "merge"u8))
            {
                merge = true;
            }
            else if (ctx.Args.Is(j, "noflush"u8))
            {
                flush = false;
            }
            else if (ctx.Args.Is(j, "nosave"u8))
            {
                save = false;
            }
            else
            {
                ctx.Error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
                return;
            }
        }

        if (Persistence.DatasetReloader.Reload(ctx.Server, merge, flush, save) is { } error)
        {
            ctx.Error(error);
            return;
        }

        ctx.Reply.Ok();
    }

    // DEBUG CONFIG-REWRITE-FORCE-ALL: CONFIG REWRITE that writes every parameter, defaults included.
    private static void ConfigRewriteForceAll(CommandContext ctx)
    {
        var config = ctx.Server.Config;

        // Without a config file Redis hands rewriteConfig a NULL path, and open() fails with EFAULT.
        string? err = config.ConfigFile.Length == 0
            ? "Bad address"
            : Config.ConfigRewriter.RewriteFile(config.ConfigFile, config.Store, forceAll: true);
        if (err is not null)
        {
            ctx.Error($"ERR CONFIG-REWRITE-FORCE-ALL failed: {err}");
            return;
        }

        ctx.Reply.Ok();
    }

    // DEBUG SLEEP seconds (decimals allowed; blocks the whole server, like Redis)
    private static void Sleep(CommandContext ctx)
    {
        double seconds = Strtod(ctx.Args.GetString(2));
        long micros = (long)(seconds * 1_000_000);
        if (micros > 0)
        {
            Thread.Sleep(TimeSpan.FromTicks(micros * 10));
        }

        ctx.Reply.Ok();
    }

    // rdbSavedObjectLen: the RDB payload without its type byte.
    private static long SerializedPayloadLength(object data)
    {
        using var ms = new MemoryStream();
        new Persistence.Rdb.RdbWriter(ms, compress: true, checksum: false).WriteValue(data);
        return ms.Length - 1;
    }

    // debugCommand's quicklist extras: nodes, average node length, fill, compression, and the
    // bytes of the node listpacks.
    private static string QuicklistFields(CommandContext ctx, Storage.Types.ListValue list)
    {
        long size = 0;
        for (int n = 0; n < list.NodeCount; n++)
        {
            var lp = new Persistence.Rdb.ListpackBuilder();
            var it = list.IterateNode(n, out _);
            while (it.Next(out var e))
            {
                lp.Append(e);
            }

            size += lp.Size;
        }

        double avg = list.NodeCount == 0 ? 0 : (double)list.Count / list.NodeCount;
        int compressed = ctx.Server.Config.ListCompressDepth != 0 ? 1 : 0;
        return string.Create(CultureInfo.InvariantCulture, $" ql_nodes:{list.NodeCount} ql_avg_node:{avg:F2} ql_listpack_max:{list.Fill} ql_compressed:{compressed} ql_uncompressed_size:{size}");
    }

    // DEBUG OBJECT key: "Value at:<ptr> refcount:<n> encoding:<enc> serializedlength:<n> lru:<clock> lru_seconds_idle:<s>"
    private static void ObjectInfo(CommandContext ctx)
    {
        ref Slot s = ref ctx.Db.FindRaw(ctx.Args[2]);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Error(Errors.NoSuchKey);
            return;
        }

        var data = s.Data!;
        string encoding = Entry.EncodingOf(data);

        // Small integers are Redis's shared objects, whose refcount is OBJ_SHARED_REFCOUNT.
        long refcount = Entry.IsSharedInteger(data) ? int.MaxValue : 1;

        long address = 0x7f0000000000L | ((long)(uint)RuntimeHelpers.GetHashCode(data) << 4);
        int lru = s.Lru & 0xFFFFFF;
        long clock = (ctx.NowMs / 1000) & 0xFFFFFF;
        long idle = clock >= lru ? clock - lru : clock + (0xFFFFFF - lru);
        string serialized = (Entry.IsString(data) ? SerializedStringLength(Entry.StringValue(data)) : SerializedPayloadLength(data)).ToString(CultureInfo.InvariantCulture);
        string extra = data is Storage.Types.ListValue list ? QuicklistFields(ctx, list) : string.Empty;
        ctx.Reply.Simple(string.Create(CultureInfo.InvariantCulture, $"Value at:0x{address:x} refcount:{refcount} encoding:{encoding} serializedlength:{serialized} lru:{lru} lru_seconds_idle:{idle}{extra}"));
    }

    // DEBUG DIGEST-VALUE key [key ...]: works on logically expired keys too, as in Redis.
    private static void DigestValue(CommandContext ctx)
    {
        ctx.Reply.ArrayHeader(ctx.Args.Count - 2);
        for (int j = 2; j < ctx.Args.Count; j++)
        {
            ref Slot s = ref ctx.Db.FindRaw(ctx.Args[j]);
            if (!Unsafe.IsNullRef(ref s) && !Digest.CanDigest(s.Data!))
            {
                ctx.Reply.Error($"ERR DEBUG DIGEST-VALUE does not support {Entry.TypeOf(s.Data!)} values yet");
                continue;
            }

            ctx.Reply.Simple(Unsafe.IsNullRef(ref s) ? Digest.Value(null, 0) : Digest.Value(s.Data, s.Expire));
        }
    }

    // DEBUG POPULATE count [prefix] [size]: creates prefix:N = value:N (padded with zero bytes
    // or truncated to size); existing keys are skipped. Like Redis, neither dirty nor propagated.
    private static void Populate(CommandContext ctx)
    {
        var a = ctx.Args;
        if (!PositiveLongOrReply(ctx, a[2], out long count))
        {
            return;
        }

        long size = 0;
        if (a.Count == 5 && !PositiveLongOrReply(ctx, a[4], out size))
        {
            return;
        }

        string prefix = a.Count >= 4 ? Encoding.Latin1.GetString(a[3]) : "key";
        var db = ctx.Db;
        for (long j = 0; j < count; j++)
        {
            var key = Encoding.Latin1.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{prefix}:{j}"));
            if (!Unsafe.IsNullRef(ref ctx.LookupWrite(key)))
            {
                continue;
            }

            var val = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"value:{j}"));
            if (size != 0)
            {
                var sized = new byte[size];
                val.AsSpan(0, (int)Math.Min(size, val.Length)).CopyTo(sized);
                val = sized;
            }

            db.SetString(key, val, 0, keepTtl: false);
            ctx.SignalModifiedKey(key);
        }

        ctx.Reply.Ok();
    }

    // DEBUG PROTOCOL type: a sample of each reply type (for client library tests).
    private static void Protocol(CommandContext ctx)
    {
        var r = ctx.Reply;
        bool resp3 = ctx.Client.Protocol >= 3;
        switch (ctx.Args.GetString(2).ToLowerInvariant())
        {
            case "string": r.Bulk("Hello World"u8); break;
            case "integer": r.Integer(12345); break;
            case "double": r.Double("3.141"u8); break;
            case "bignum":
                if (resp3)
                {
                    r.Raw("(1234567999999999999999999999999999999\r\n"u8);
                }
                else
                {
                    r.Bulk("1234567999999999999999999999999999999"u8);
                }

                break;
            case "null": r.NullBulk(); break;
            case "array":
                r.ArrayHeader(3);
                for (int j = 0; j < 3; j++)
                {
                    r.Integer(j);
                }

                break;
            case "set":
                r.SetHeader(3);
                for (int j = 0; j < 3; j++)
                {
                    r.Integer(j);
                }

                break;
            case "map":
                r.MapHeader(3);
                for (int j = 0; j < 3; j++)
                {
                    r.Integer(j);
                    r.Boolean(j == 1);
                }

                break;
            case "attrib":
                if (resp3)
                {
                    r.Raw("|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"u8);
                }

                r.Bulk("Some real reply following the attribute"u8);
                break;
            case "push":
                if (!resp3)
                {
                    ctx.Error("ERR RESP2 is not supported by this command");
                    return;
                }

                r.PushHeader(2);
                r.Bulk("server-cpu-usage"u8);
                r.Integer(42);
                r.Bulk("Some real reply following the push reply"u8);
                break;
            case "true": r.Boolean(true); break;
            case "false": r.Boolean(false); break;
            case "verbatim": r.Verbatim("This is a verbatim\nstring"u8, "txt"); break;
            default:
                ctx.Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
                break;
        }
    }

    // getPositiveLongFromObjectOrReply: one message for both non-numbers and negatives.
    private static bool PositiveLongOrReply(CommandContext ctx, ReadOnlySpan<byte> arg, out long value)
    {
        if (!Number.TryParseInt64(arg, out value) || value < 0)
        {
            ctx.Error("ERR value is out of range, must be positive");
            return false;
        }

        return true;
    }

    // The bytes rdbSaveStringObject would write without compression: integer encodings for
    // short integers, else a length prefix (1, 2, 5 or 9 bytes) plus the bytes.
    private static long SerializedStringLength(ReadOnlySpan<byte> value)
    {
        if (value.Length <= 11 && Number.TryParseInt64(value, out long n) && Number.ToBytes(n).AsSpan().SequenceEqual(value))
        {
            if (n is >= sbyte.MinValue and <= sbyte.MaxValue)
            {
                return 2;
            }

            if (n is >= short.MinValue and <= short.MaxValue)
            {
                return 3;
            }

            if (n is >= int.MinValue and <= int.MaxValue)
            {
                return 5;
            }
        }

        long len = value.Length;
        int prefix = len < 64 ? 1 : len < 16384 ? 2 : len <= uint.MaxValue ? 5 : 9;
        return prefix + len;
    }

    // C's atoi: optional sign and leading digits, 0 when none.
    private static long Atoi(ReadOnlySpan<byte> s)
    {
        int i = 0;
        while (i < s.Length && s[i] is (byte)' ' or (byte)'\t')
        {
            i++;
        }

        bool neg = i < s.Length && s[i] == '-';
        if (i < s.Length && s[i] is (byte)'-' or (byte)'+')
        {
            i++;
        }

        long v = 0;
        for (; i < s.Length && s[i] is >= (byte)'0' and <= (byte)'9'; i++)
        {
            v = unchecked((v * 10) + (s[i] - '0'));
        }

        return neg ? -v : v;
    }

    // C's strtod on the longest valid prefix, 0 when none.
    private static double Strtod(string s)
    {
        s = s.Trim();
        for (int len = s.Length; len > 0; len--)
        {
            if (double.TryParse(s.AsSpan(0, len), NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            {
                return d;
            }
        }

        return 0;
    }
}
