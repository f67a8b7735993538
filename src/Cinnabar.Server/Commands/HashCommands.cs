// Hash commands (t_hash.c). Registered: HSET HMSET HSETNX HGET HMGET HDEL HLEN HSTRLEN HEXISTS
// HKEYS HVALS HGETALL HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN.
//
// Storage: Storage/Types/HashValue (listpack while within hash-max-listpack-entries/value,
// hashtable after). A hash never exists empty: HDEL of the last field deletes the key.
// HINCRBYFLOAT computes in x87 extended precision (LongDouble) and is propagated as HSET with the
// formatted result, as Redis does, so replicas never redo float math.
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Storage;
using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Commands;

/// <summary>Hash commands.</summary>
internal static class HashCommands
{
    private const CommandFlags WriteOomFast = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast;
    private const CommandFlags ReadFast = CommandFlags.ReadOnly | CommandFlags.Fast;

    public static void Register(CommandTable t)
    {
        t.Add("hset", -4, WriteOomFast, 1, 1, 1, HSet, "hash", "2.0.0", "write hash fast", "Set the string value of a hash field");
        t.Add("hmset", -4, WriteOomFast, 1, 1, 1, HSet, "hash", "2.0.0", "write hash fast", "Set multiple hash fields to multiple values");
        t.Add("hsetnx", 4, WriteOomFast, 1, 1, 1, HSetNx, "hash", "2.0.0", "write hash fast", "Set the value of a hash field, only if the field does not exist");
        t.Add("hget", 3, ReadFast, 1, 1, 1, HGet, "hash", "2.0.0", "read hash fast", "Get the value of a hash field");
        t.Add("hmget", -3, ReadFast, 1, 1, 1, HMGet, "hash", "2.0.0", "read hash fast", "Get the values of all the given hash fields");
        t.Add("hdel", -3, CommandFlags.Write | CommandFlags.Fast, 1, 1, 1, HDel, "hash", "2.0.0", "write hash fast", "Delete one or more hash fields");
        t.Add("hlen", 2, ReadFast, 1, 1, 1, HLen, "hash", "2.0.0", "read hash fast", "Get the number of fields in a hash");
        t.Add("hstrlen", 3, ReadFast, 1, 1, 1, HStrLen, "hash", "3.2.0", "read hash fast", "Get the length of the value of a hash field");
        t.Add("hexists", 3, ReadFast, 1, 1, 1, HExists, "hash", "2.0.0", "read hash fast", "Determine if a hash field exists");
        t.Add("hkeys", 2, CommandFlags.ReadOnly, 1, 1, 1, HKeys, "hash", "2.0.0", "read hash slow", "Get all the fields in a hash");
        t.Add("hvals", 2, CommandFlags.ReadOnly, 1, 1, 1, HVals, "hash", "2.0.0", "read hash slow", "Get all the values in a hash");
        t.Add("hgetall", 2, CommandFlags.ReadOnly, 1, 1, 1, HGetAll, "hash", "2.0.0", "read hash slow", "Get all the fields and values in a hash");
        t.Add("hincrby", 4, WriteOomFast, 1, 1, 1, HIncrBy, "hash", "2.0.0", "write hash fast", "Increment the integer value of a hash field by the given number");
        t.Add("hincrbyfloat", 4, WriteOomFast, 1, 1, 1, HIncrByFloat, "hash", "2.6.0", "write hash fast", "Increment the float value of a hash field by the given amount");
        t.Add("hrandfield", -2, CommandFlags.ReadOnly, 1, 1, 1, HRandField, "hash", "6.2.0", "read hash slow", "Get one or multiple random fields from a hash");
        t.Add("hscan", -3, CommandFlags.ReadOnly, 1, 1, 1, HScan, "hash", "2.8.0", "read hash slow", "Incrementally iterate hash fields and associated values");
    }

    // HSET key field value [field value ...]   (and HMSET, which replies +OK)
    private static void HSet(CommandContext ctx)
    {
        if (ctx.Args.Count % 2 == 1)
        {
            ctx.Error(Errors.Arity(ctx.Spec.FullName));
            return;
        }

        if (!TryGetOrCreateOrReply(ctx, out var hash))
        {
            return;
        }

        var cfg = ctx.Server.Config;
        TryConvert(ctx, hash, 2, ctx.Args.Count - 1);
        if (hash.Count == 0)
        {
            // A new hash: size its listpack buffer exactly (memory per small hash matters).
            int bytes = 0;
            for (int i = 2; i < ctx.Args.Count; i += 2)
            {
                bytes += HashValue.PackedSize(ctx.Args[i], ctx.Args[i + 1]);
            }

            hash.Reserve(bytes);
        }

        long created = 0;
        for (int i = 2; i < ctx.Args.Count; i += 2)
        {
            if (hash.Set(ctx.Args[i], ctx.Args[i + 1], cfg.HashMaxListpackEntries, cfg.HashMaxListpackValue))
            {
                created++;
            }
        }

        if (ctx.Spec.Name == "hset")
        {
            ctx.Reply.Integer(created);
        }
        else
        {
            ctx.Reply.Ok();
        }

        ctx.SignalModifiedKey(ctx.Args[1]);
        ctx.Notify(Execution.KeyspaceEvents.Hash, "hset", ctx.Args[1]);
        ctx.Dirty((ctx.Args.Count - 2) / 2);
    }

    // HSETNX key field value
    private static void HSetNx(CommandContext ctx)
    {
        if (!TryGetOrCreateOrReply(ctx, out var hash))
        {
            return;
        }

        if (hash.TryGet(ctx.Args[2], out _))
        {
            ctx.Reply.Integer(0);
            return;
        }

        var cfg = ctx.Server.Config;
        TryConvert(ctx, hash, 2, 3);
        hash.Set(ctx.Args[2], ctx.Args[3], cfg.HashMaxListpackEntries, cfg.HashMaxListpackValue);
        ctx.Reply.Integer(1);
        ctx.SignalModifiedKey(ctx.Args[1]);
        ctx.Notify(Execution.KeyspaceEvents.Hash, "hset", ctx.Args[1]);
        ctx.Dirty();
    }

    // HGET key field
    private static void HGet(CommandContext ctx)
    {
        if (!TryGetHashOrReply(ctx, write: false, out var hash, r => r.NullBulk()))
        {
            return;
        }

        if (hash.TryGet(ctx.Args[2], out var v))
        {
            ctx.Reply.Bulk(v);
        }
        else
        {
            ctx.Reply.NullBulk();
        }
    }

    // HMGET key field [field ...]
    private static void HMGet(CommandContext ctx)
    {
        ref Slot s = ref ctx.LookupRead(ctx.Args[1]);
        HashValue? hash = null;
        if (!Unsafe.IsNullRef(ref s))
        {
            hash = s.Data as HashValue;
            if (hash is null)
            {
                ctx.Error(Errors.WrongType);
                return;
            }
        }

        ctx.Reply.ArrayHeader(ctx.Args.Count - 2);
        for (int i = 2; i < ctx.Args.Count; i++)
        {
            if (hash is not null && hash.TryGet(ctx.Args[i], out var v))
            {
                ctx.Reply.Bulk(v);
            }
            else
            {
                ctx.Reply.NullBulk();
            }
        }
    }

    // HDEL key field [field ...]
    private static void HDel(CommandContext ctx)
    {
        var key = ctx.Args[1];
        if (!TryGetHashOrReply(ctx, write: true, out var hash, r => r.Integer(0)))
        {
            return;
        }

        long deleted = 0;
        bool keyRemoved = false;
        for (int j = 2; j < ctx.Args.Count; j++)
        {
            if (hash.Remove(ctx.Args[j]))
            {
                deleted++;
                if (hash.Count == 0)
                {
                    ctx.Db.Delete(key);
                    keyRemoved = true;
                    break;
                }
            }
        }

        if (deleted > 0)
        {
            ctx.SignalModifiedKey(key);
            ctx.Notify(Execution.KeyspaceEvents.Hash, "hdel", key);
            if (keyRemoved)
            {
                ctx.Notify(Execution.KeyspaceEvents.Generic, "del", key);
            }

            ctx.Dirty(deleted);
        }

        ctx.Reply.Integer(deleted);
    }

    // HLEN key
    private static void HLen(CommandContext ctx)
    {
        if (TryGetHashOrReply(ctx, write: false, out var hash, r => r.Integer(0)))
        {
            ctx.Reply.Integer(hash.Count);
        }
    }

    // HSTRLEN key field
    private static void HStrLen(CommandContext ctx)
    {
        if (TryGetHashOrReply(ctx, write: false, out var hash, r => r.Integer(0)))
        {
            ctx.Reply.Integer(hash.TryGet(ctx.Args[2], out var v) ? v.Length : 0);
        }
    }

    // HEXISTS key field
    private static void HExists(CommandContext ctx)
    {
        if (TryGetHashOrReply(ctx, write: false, out var hash, r => r.Integer(0)))
        {
            ctx.Reply.Integer(hash.TryGet(ctx.Args[2], out _) ? 1 : 0);
        }
    }

    // HKEYS key
    private static void HKeys(CommandContext ctx) => GetAll(ctx, keys: true, values: false);

    // HVALS key
    private static void HVals(CommandContext ctx) => GetAll(ctx, keys: false, values: true);

    // HGETALL key
    private static void HGetAll(CommandContext ctx) => GetAll(ctx, keys: true, values: true);

    // HINCRBY key field increment
    private static void HIncrBy(CommandContext ctx)
    {
        if (!Number.TryParseInt64(ctx.Args[3], out long incr))
        {
            ctx.Error(Errors.NotInteger);
            return;
        }

        if (!TryGetOrCreateOrReply(ctx, out var hash))
        {
            return;
        }

        long value = 0;
        if (hash.TryGet(ctx.Args[2], out var current) && !Number.TryParseInt64(current, out value))
        {
            ctx.Error("ERR hash value is not an integer");
            return;
        }

        if ((incr < 0 && value < 0 && incr < long.MinValue - value) || (incr > 0 && value > 0 && incr > long.MaxValue - value))
        {
            ctx.Error(Errors.Overflow);
            return;
        }

        value += incr;
        var cfg = ctx.Server.Config;
        hash.Set(ctx.Args[2], Number.ToBytes(value), cfg.HashMaxListpackEntries, cfg.HashMaxListpackValue);
        ctx.Reply.Integer(value);
        ctx.SignalModifiedKey(ctx.Args[1]);
        ctx.Notify(Execution.KeyspaceEvents.Hash, "hincrby", ctx.Args[1]);
        ctx.Dirty();
    }

    // HINCRBYFLOAT key field increment
    private static void HIncrByFloat(CommandContext ctx)
    {
        if (!LongDouble.TryParse(ctx.Args[3], out var incr))
        {
            ctx.Error(Errors.NotFloat);
            return;
        }

        if (incr.IsInfinity)
        {
            ctx.Error("ERR value is NaN or Infinity");
            return;
        }

        if (!TryGetOrCreateOrReply(ctx, out var hash))
        {
            return;
        }

        var value = LongDouble.FromInt64(0);
        if (hash.TryGet(ctx.Args[2], out var current) && !LongDouble.TryParse(current, out value))
        {
            ctx.Error("ERR hash value is not a float");
            return;
        }

        if (!LongDouble.TryAdd(value, incr, out var sum) || sum.IsInfinity)
        {
            ctx.Error(Errors.NaNOrInfinity);
            return;
        }

        var formatted = sum.ToHumanBytes();
        var cfg = ctx.Server.Config;
        hash.Set(ctx.Args[2], formatted, cfg.HashMaxListpackEntries, cfg.HashMaxListpackValue);
        ctx.Reply.Bulk(formatted);
        ctx.SignalModifiedKey(ctx.Args[1]);
        ctx.Notify(Execution.KeyspaceEvents.Hash, "hincrbyfloat", ctx.Args[1]);
        ctx.Dirty();
        ctx.RewriteForPropagation(CommandArgs.From("HSET"u8.ToArray(), ctx.Args.ToArray(1), ctx.Args.ToArray(2), formatted));
    }

    // HRANDFIELD key [count [WITHVALUES]]
    private static void HRandField(CommandContext ctx)
    {
        var args = ctx.Args;
        if (args.Count >= 3)
        {
            if (!Number.TryParseInt64(args[2], out long l) || l == long.MinValue)
            {
                ctx.Error(l == long.MinValue && Number.TryParseInt64(args[2], out _) ? "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807" : Errors.NotInteger);
                return;
            }

            if (args.Count > 4 || (args.Count == 4 && !args.Is(3, "withvalues"u8)))
            {
                ctx.Error(Errors.Syntax);
                return;
            }

            bool withValues = args.Count == 4;
            if (withValues && (l < -long.MaxValue / 2 || l > long.MaxValue / 2))
            {
                ctx.Error("ERR value is out of range");
                return;
            }

            RandFieldWithCount(ctx, l, withValues);
            return;
        }

        if (!TryGetHashOrReply(ctx, write: false, out var hash, r => r.NullBulk()))
        {
            return;
        }

        var all = hash.ToArray();
        ctx.Reply.Bulk(all[ctx.Server.Random.Next(all.Length)].Field);
    }

    // HSCAN key cursor [MATCH pattern] [COUNT count]
    private static void HScan(CommandContext ctx)
    {
        if (!ScanCommands.TryParseCursorOrReply(ctx, ctx.Args[2], out ulong cursor))
        {
            return;
        }

        if (!TryGetHashOrReply(ctx, write: false, out var hash, r =>
        {
            r.ArrayHeader(2);
            r.Bulk("0"u8);
            r.ArrayHeader(0);
        }))
        {
            return;
        }

        if (!CollectionScan.TryParseOptionsOrReply(ctx, 3, out long count, out var pattern))
        {
            return;
        }

        // A listpack is returned whole with cursor 0 (Redis scans small encodings in one call).
        var all = hash.ToArray();
        long start = hash.IsListpack ? 0 : (long)Math.Min(cursor, (ulong)all.Length);
        long end = hash.IsListpack ? all.Length : Math.Min(all.Length, start + count);
        ulong next = end >= all.Length ? 0 : (ulong)end;
        var items = new List<byte[]>();
        for (long i = start; i < end; i++)
        {
            if (pattern is not null && !GlobPattern.IsMatch(pattern, all[i].Field))
            {
                continue;
            }

            items.Add(all[i].Field);
            items.Add(all[i].Value);
        }

        CollectionScan.Reply(ctx, next, items);
    }

    private static void RandFieldWithCount(CommandContext ctx, long l, bool withValues)
    {
        if (!TryGetHashOrReply(ctx, write: false, out var hash, r => r.ArrayHeader(0)))
        {
            return;
        }

        var r = ctx.Reply;
        bool resp3 = r.Protocol == 3;
        var rnd = ctx.Server.Random;
        var all = hash.ToArray();
        long size = all.Length;
        bool unique = l >= 0;
        long count = unique ? l : -l;
        if (count == 0)
        {
            r.ArrayHeader(0);
            return;
        }

        void Pair((byte[] Field, byte[] Value) p)
        {
            if (withValues && resp3)
            {
                r.ArrayHeader(2);
            }

            r.Bulk(p.Field);
            if (withValues)
            {
                r.Bulk(p.Value);
            }
        }

        // CASE 1: repetitions allowed (or a single element): independent draws.
        if (!unique || count == 1)
        {
            r.ArrayHeader(withValues && !resp3 ? count * 2 : count);
            while (count-- > 0)
            {
                Pair(all[rnd.Next(all.Length)]);
                if (Execution.OutputBufferLimits.StopMidReply(ctx, count))
                {
                    return;
                }
            }

            return;
        }

        long replySize = Math.Min(count, size);
        r.ArrayHeader(withValues && !resp3 ? replySize * 2 : replySize);

        // CASE 2: the whole hash.
        if (count >= size)
        {
            foreach (var p in all)
            {
                Pair(p);
            }

            return;
        }

        // CASES 3/4: a random subset without repetitions (partial Fisher-Yates).
        for (int i = 0; i < count; i++)
        {
            int j = i + rnd.Next(all.Length - i);
            (all[i], all[j]) = (all[j], all[i]);
            Pair(all[i]);
        }
    }

    private static void GetAll(CommandContext ctx, bool keys, bool values)
    {
        bool both = keys && values;
        if (!TryGetHashOrReply(ctx, write: false, out var hash, r =>
        {
            if (both)
            {
                r.MapHeader(0);
            }
            else
            {
                r.ArrayHeader(0);
            }
        }))
        {
            return;
        }

        if (both)
        {
            ctx.Reply.MapHeader(hash.Count);
        }
        else
        {
            ctx.Reply.ArrayHeader(hash.Count);
        }

        var it = hash.Iterate();
        while (it.Next(out var f, out var v))
        {
            if (keys)
            {
                ctx.Reply.Bulk(f);
            }

            if (values)
            {
                ctx.Reply.Bulk(v);
            }
        }
    }

    // hashTypeTryConversion: any argument longer than hash-max-listpack-value converts first.
    private static void TryConvert(CommandContext ctx, HashValue hash, int start, int end)
    {
        if (!hash.IsListpack)
        {
            return;
        }

        for (int i = start; i <= end; i++)
        {
            if (ctx.Args[i].Length > ctx.Server.Config.HashMaxListpackValue)
            {
                hash.ConvertToHashtable();
                return;
            }
        }
    }

    private static bool TryGetOrCreateOrReply(CommandContext ctx, out HashValue hash)
    {
        var key = ctx.Args[1];
        ref Slot s = ref ctx.LookupWrite(key);
        if (Unsafe.IsNullRef(ref s))
        {
            hash = new HashValue(key);
            ctx.Db.Add(key, hash, 0);
            return true;
        }

        if (s.Data is HashValue h)
        {
            hash = h;
            return true;
        }

        hash = null!;
        ctx.Error(Errors.WrongType);
        return false;
    }

    private static bool TryGetHashOrReply(CommandContext ctx, bool write, out HashValue hash, Action<ReplyWriter> missing) =>
        ctx.TryGetValueOrReply(ctx.Args[1], write, out hash, missing);
}
