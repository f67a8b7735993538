// Sorted-set commands (t_zset.c), adding, removing and reading members. Registered: ZADD
// ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT ZLEXCOUNT ZREMRANGEBYRANK
// ZREMRANGEBYSCORE ZREMRANGEBYLEX ZSCAN. The pops and random picks are in ZSetPopCommands, the
// range reads in ZSetRangeCommands, the multi-key algebra in ZSetStoreCommands, the blocking
// pops in ZSetBlockingCommands.
//
// Storage: Storage/Types/ZSetValue (listpack / skiplist). A sorted set never exists empty.
// Propagation as Redis 7.0: verbatim. Every write publishes Redis's keyspace events (zadd,
// zincr, zrem, zremrangeby*, del).
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Execution;
using Cinnabar.Server.Storage;
using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Commands;

/// <summary>Sorted-set commands on one key.</summary>
internal static class SortedSetCommands
{
    private const CommandFlags WriteOomFast = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast;
    private const CommandFlags ReadFast = CommandFlags.ReadOnly | CommandFlags.Fast;
    private const string Group = "sorted-set";

    public static void Register(CommandTable t)
    {
        t.Add("zadd", -4, WriteOomFast, 1, 1, 1, ZAdd, Group, "1.2.0", "write sortedset fast", "Add one or more members to a sorted set, or update its score if it already exists");
        t.Add("zincrby", 4, WriteOomFast, 1, 1, 1, ZIncrBy, Group, "1.2.0", "write sortedset fast", "Increment the score of a member in a sorted set");
        t.Add("zrem", -3, CommandFlags.Write | CommandFlags.Fast, 1, 1, 1, ZRem, Group, "1.2.0", "write sortedset fast", "Remove one or more members from a sorted set");
        t.Add("zcard", 2, ReadFast, 1, 1, 1, ZCard, Group, "1.2.0", "read sortedset fast", "Get the number of members in a sorted set");
        t.Add("zscore", 3, ReadFast, 1, 1, 1, ZScore, Group, "1.2.0", "read sortedset fast", "Get the score associated with the given member in a sorted set");
        t.Add("zmscore", -3, ReadFast, 1, 1, 1, ZMScore, Group, "6.2.0", "read sortedset fast", "Get the score associated with the given members in a sorted set");
        t.Add("zrank", 3, ReadFast, 1, 1, 1, ZRank, Group, "2.0.0", "read sortedset fast", "Determine the index of a member in a sorted set");
        t.Add("zrevrank", 3, ReadFast, 1, 1, 1, ZRevRank, Group, "2.0.0", "read sortedset fast", "Determine the index of a member in a sorted set, with scores ordered from high to low");
        t.Add("zcount", 4, ReadFast, 1, 1, 1, ZCount, Group, "2.0.0", "read sortedset fast", "Count the members in a sorted set with scores within the given values");
        t.Add("zlexcount", 4, ReadFast, 1, 1, 1, ZLexCount, Group, "2.8.9", "read sortedset fast", "Count the number of members in a sorted set between a given lexicographical range");
        t.Add("zremrangebyrank", 4, CommandFlags.Write, 1, 1, 1, ZRemRangeByRank, Group, "2.0.0", "write sortedset slow", "Remove all members in a sorted set within the given indexes");
        t.Add("zremrangebyscore", 4, CommandFlags.Write, 1, 1, 1, ZRemRangeByScore, Group, "1.2.0", "write sortedset slow", "Remove all members in a sorted set within the given scores");
        t.Add("zremrangebylex", 4, CommandFlags.Write, 1, 1, 1, ZRemRangeByLex, Group, "2.8.9", "write sortedset slow", "Remove all members in a sorted set between the given lexicographical range");
        t.Add("zscan", -3, CommandFlags.ReadOnly, 1, 1, 1, ZScan, Group, "2.8.0", "read sortedset slow", "Incrementally iterate sorted sets elements and associated scores");
    }

    // ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
    private static void ZAdd(CommandContext ctx) => ZAddGeneric(ctx, ZAddFlags.None);

    // ZINCRBY key increment member
    private static void ZIncrBy(CommandContext ctx) => ZAddGeneric(ctx, ZAddFlags.Incr);

    // zaddGenericCommand: options, then every score parsed before anything changes.
    private static void ZAddGeneric(CommandContext ctx, ZAddFlags flags)
    {
        var args = ctx.Args;
        var key = args[1];
        bool ch = false;
        int scoreIdx = 2;
        for (; scoreIdx < args.Count; scoreIdx++)
        {
            if (args.Is(scoreIdx, "nx"u8))
            {
                flags |= ZAddFlags.Nx;
            }
            else if (args.Is(scoreIdx, "xx"u8))
            {
                flags |= ZAddFlags.Xx;
            }
            else if (args.Is(scoreIdx, "ch"u8))
            {
                ch = true;
            }
            else if (args.Is(scoreIdx, "incr"u8))
            {
                flags |= ZAddFlags.Incr;
            }
            else if (args.Is(scoreIdx, "gt"u8))
            {
                flags |= ZAddFlags.Gt;
            }
            else if (args.Is(scoreIdx, "lt"u8))
            {
                flags |= ZAddFlags.Lt;
            }
            else
            {
                break;
            }
        }

        bool incr = (flags & ZAddFlags.Incr) != 0;
        bool nx = (flags & ZAddFlags.Nx) != 0;
        bool xx = (flags & ZAddFlags.Xx) != 0;
        bool gt = (flags & ZAddFlags.Gt) != 0;
        bool lt = (flags & ZAddFlags.Lt) != 0;
        int elements = args.Count - scoreIdx;
        if (elements % 2 != 0 || elements == 0)
        {
            ctx.Error(Errors.Syntax);
            return;
        }

        elements /= 2;
        if (nx && xx)
        {
            ctx.Error("ERR XX and NX options at the same time are not compatible");
            return;
        }

        if ((gt && nx) || (lt && nx) || (gt && lt))
        {
            ctx.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
            return;
        }

        if (incr && elements > 1)
        {
            ctx.Error("ERR INCR option supports a single increment-element pair");
            return;
        }

        var scores = new double[elements];
        for (int j = 0; j < elements; j++)
        {
            if (!ZDouble.TryParseStrict(args[scoreIdx + (j * 2)], out scores[j]))
            {
                ctx.Error(Errors.NotFloat);
                return;
            }
        }

        var cfg = ctx.Server.Config;
        ref Slot s = ref ctx.LookupWrite(key);
        ZSetValue z;
        if (Unsafe.IsNullRef(ref s))
        {
            if (xx)
            {
                ReplyZAdd(ctx, incr, ch, 0, 0, 0, 0);
                return;
            }

            // zaddGenericCommand picks the encoding from the first member alone. A compact set
            // is sized for all the members at once, so its array fits exactly.
            bool skiplist = cfg.ZSetMaxListpackEntries == 0 || cfg.ZSetMaxListpackValue < args[scoreIdx + 1].Length;
            int bytes = 0;
            if (!skiplist && elements <= cfg.ZSetMaxListpackEntries)
            {
                for (int j = 0; j < elements; j++)
                {
                    bytes += ZSetValue.PackedSize(args[scoreIdx + 1 + (j * 2)], scores[j]);
                }
            }

            z = new ZSetValue(key, skiplist, bytes);

            ctx.Db.Add(key, z, 0);
        }
        else if (s.Data is ZSetValue existing)
        {
            z = existing;
        }
        else
        {
            ctx.Error(Errors.WrongType);
            return;
        }

        long added = 0, updated = 0, processed = 0;
        double score = 0;
        for (int j = 0; j < elements; j++)
        {
            var outcome = z.Add(args[scoreIdx + 1 + (j * 2)], scores[j], flags, cfg.ZSetMaxListpackEntries, cfg.ZSetMaxListpackValue, out double newScore);
            if (outcome == ZAddOutcome.NaN)
            {
                ctx.Error("ERR resulting score is not a number (NaN)");
                Finish(ctx, key, incr, added, updated);
                return;
            }

            added += outcome == ZAddOutcome.Added ? 1 : 0;
            updated += outcome == ZAddOutcome.Updated ? 1 : 0;
            processed += outcome != ZAddOutcome.Nop ? 1 : 0;
            score = newScore;
        }

        ReplyZAdd(ctx, incr, ch, added, updated, processed, score);
        Finish(ctx, key, incr, added, updated);
    }

    private static void ReplyZAdd(CommandContext ctx, bool incr, bool ch, long added, long updated, long processed, double score)
    {
        if (incr)
        {
            if (processed > 0)
            {
                ReplyScore(ctx.Reply, score);
            }
            else
            {
                ctx.Reply.NullBulk();
            }
        }
        else
        {
            ctx.Reply.Integer(ch ? added + updated : added);
        }
    }

    private static void Finish(CommandContext ctx, ReadOnlySpan<byte> key, bool incr, long added, long updated)
    {
        if (added + updated > 0)
        {
            ctx.Dirty(added + updated);
            ctx.SignalModifiedKey(key);
            ctx.Notify(KeyspaceEvents.ZSet, incr ? "zincr" : "zadd", key);
        }
    }

    // ZREM key member [member ...]
    private static void ZRem(CommandContext ctx)
    {
        var key = ctx.Args[1];
        if (!TryGetZSetOrReply(ctx, key, write: true, out var z, r => r.Integer(0)))
        {
            return;
        }

        long deleted = 0;
        bool removed = false;
        for (int j = 2; j < ctx.Args.Count; j++)
        {
            if (z.Remove(ctx.Args[j]))
            {
                deleted++;
            }

            if (z.Count == 0)
            {
                ctx.Db.Delete(key);
                removed = true;
                break;
            }
        }

        if (deleted > 0)
        {
            ctx.Notify(KeyspaceEvents.ZSet, "zrem", key);
            if (removed)
            {
                ctx.Notify(KeyspaceEvents.Generic, "del", key);
            }

            ctx.SignalModifiedKey(key);
            ctx.Dirty(deleted);
        }

        ctx.Reply.Integer(deleted);
    }

    // ZCARD key
    private static void ZCard(CommandContext ctx)
    {
        if (TryGetZSetOrReply(ctx, ctx.Args[1], write: false, out var z, r => r.Integer(0)))
        {
            ctx.Reply.Integer(z.Count);
        }
    }

    // ZSCORE key member
    private static void ZScore(CommandContext ctx)
    {
        if (!TryGetZSetOrReply(ctx, ctx.Args[1], write: false, out var z, r => r.NullBulk()))
        {
            return;
        }

        if (z.TryGetScore(ctx.Args[2], out double score))
        {
            ReplyScore(ctx.Reply, score);
        }
        else
        {
            ctx.Reply.NullBulk();
        }
    }

    // ZMSCORE key member [member ...]
    private static void ZMScore(CommandContext ctx)
    {
        ref Slot s = ref ctx.LookupRead(ctx.Args[1]);
        ZSetValue? z = null;
        if (!Unsafe.IsNullRef(ref s))
        {
            z = s.Data as ZSetValue;
            if (z is null)
            {
                ctx.Error(Errors.WrongType);
                return;
            }
        }

        ctx.Reply.ArrayHeader(ctx.Args.Count - 2);
        for (int j = 2; j < ctx.Args.Count; j++)
        {
            if (z is not null && z.TryGetScore(ctx.Args[j], out double score))
            {
                ReplyScore(ctx.Reply, score);
            }
            else
            {
                ctx.Reply.NullBulk();
            }
        }
    }

    // ZRANK key member
    private static void ZRank(CommandContext ctx) => RankGeneric(ctx, reverse: false);

    // ZREVRANK key member
    private static void ZRevRank(CommandContext ctx) => RankGeneric(ctx, reverse: true);

    private static void RankGeneric(CommandContext ctx, bool reverse)
    {
        if (!TryGetZSetOrReply(ctx, ctx.Args[1], write: false, out var z, r => r.NullBulk()))
        {
            return;
        }

        long rank = z.Rank(ctx.Args[2], reverse);
        if (rank >= 0)
        {
            ctx.Reply.Integer(rank);
        }
        else
        {
            ctx.Reply.NullBulk();
        }
    }

    // ZCOUNT key min max
    private static void ZCount(CommandContext ctx)
    {
        if (!ScoreRange.TryParse(ctx.Args[2], ctx.Args[3], out var range))
        {
            ctx.Error(Errors.ZMinMaxNotFloat);
            return;
        }

        if (TryGetZSetOrReply(ctx, ctx.Args[1], write: false, out var z, r => r.Integer(0)))
        {
            ctx.Reply.Integer(range.IsEmpty ? 0 : Math.Max(0, z.CountAtMost(range) - z.CountBelow(range)));
        }
    }

    // ZLEXCOUNT key min max
    private static void ZLexCount(CommandContext ctx)
    {
        var range = LexRange.TryParse(ctx.Args[2], ctx.Args[3]);
        if (range is null)
        {
            ctx.Error(Errors.ZMinMaxNotLex);
            return;
        }

        if (!TryGetZSetOrReply(ctx, ctx.Args[1], write: false, out var z, r => r.Integer(0)))
        {
            return;
        }

        // zlexcountCommand: a listpack counts from the first member in range while within the
        // maximum; a skiplist subtracts ranks of the first and last members in range.
        long first = z.FirstInLexRange(range);
        long count = 0;
        if (first >= 0 && z.IsListpack)
        {
            count = z.CountWithinMaxFrom(first, range);
        }
        else if (first >= 0)
        {
            count = z.Count - first;
            long last = z.LastInLexRange(range);
            if (last >= 0)
            {
                count -= z.Count - (last + 1);
            }
        }

        ctx.Reply.Integer(count);
    }

    // ZREMRANGEBYRANK key start stop
    private static void ZRemRangeByRank(CommandContext ctx)
    {
        if (!ListCommands.TryLongOrReply(ctx, ctx.Args[2], out long start) || !ListCommands.TryLongOrReply(ctx, ctx.Args[3], out long end))
        {
            return;
        }

        if (!TryGetZSetOrReply(ctx, ctx.Args[1], write: true, out var z, r => r.Integer(0)))
        {
            return;
        }

        long len = z.Count;
        if (start < 0)
        {
            start += len;
        }

        if (end < 0)
        {
            end += len;
        }

        start = Math.Max(start, 0);
        if (start > end || start >= len)
        {
            ctx.Reply.Integer(0);
            return;
        }

        RemoveRanksAndReply(ctx, z, start, end, "zremrangebyrank");
    }

    // ZREMRANGEBYSCORE key min max
    private static void ZRemRangeByScore(CommandContext ctx)
    {
        if (!ScoreRange.TryParse(ctx.Args[2], ctx.Args[3], out var range))
        {
            ctx.Error(Errors.ZMinMaxNotFloat);
            return;
        }

        if (TryGetZSetOrReply(ctx, ctx.Args[1], write: true, out var z, r => r.Integer(0)))
        {
            RemoveRanksAndReply(ctx, z, z.CountBelow(range), z.CountAtMost(range) - 1, "zremrangebyscore");
        }
    }

    // ZREMRANGEBYLEX key min max
    private static void ZRemRangeByLex(CommandContext ctx)
    {
        var range = LexRange.TryParse(ctx.Args[2], ctx.Args[3]);
        if (range is null)
        {
            ctx.Error(Errors.ZMinMaxNotLex);
            return;
        }

        if (TryGetZSetOrReply(ctx, ctx.Args[1], write: true, out var z, r => r.Integer(0)))
        {
            // zzlDeleteRangeByLex starts at the first member in range; zslDeleteRangeByLex at the
            // first at or past the minimum. Both delete while within the maximum.
            long first = z.IsListpack ? z.FirstInLexRange(range) : z.CountBelow(range);
            long n = first < 0 ? 0 : z.CountWithinMaxFrom(first, range);
            RemoveRanksAndReply(ctx, z, first, first + n - 1, "zremrangebylex");
        }
    }

    private static void RemoveRanksAndReply(CommandContext ctx, ZSetValue z, long start, long end, string eventName)
    {
        var key = ctx.Args[1];
        long deleted = z.RemoveRanks(start, end);
        bool removed = z.Count == 0;
        if (removed)
        {
            ctx.Db.Delete(key);
        }

        if (deleted > 0)
        {
            ctx.SignalModifiedKey(key);
            ctx.Notify(KeyspaceEvents.ZSet, eventName, key);
            if (removed)
            {
                ctx.Notify(KeyspaceEvents.Generic, "del", key);
            }
        }

        ctx.Dirty(deleted);
        ctx.Reply.Integer(deleted);
    }

    // ZSCAN key cursor [MATCH pattern] [COUNT count]
    private static void ZScan(CommandContext ctx)
    {
        if (!ScanCommands.TryParseCursorOrReply(ctx, ctx.Args[2], out ulong cursor))
        {
            return;
        }

        if (!TryGetZSetOrReply(ctx, ctx.Args[1], write: false, out var z, r =>
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

        // A listpack is returned whole with cursor 0 (Redis scans small encodings in one call),
        // scores as the listpack holds them (d2string); a skiplist is walked in order with the
        // position as the cursor, scores as "%.17Lg" (createStringObjectFromLongDouble).
        long size = z.Count;
        long start = z.IsListpack ? 0 : (long)Math.Min(cursor, (ulong)size);
        long end = z.IsListpack ? size : Math.Min(size, start + count);
        var items = new List<byte[]>();
        var w = z.Walk(start, reverse: false);
        for (long i = start; i < end && w.Next(out var member, out double score); i++)
        {
            if (pattern is not null && !GlobPattern.IsMatch(pattern, member))
            {
                continue;
            }

            items.Add(member.ToArray());
            items.Add(z.IsListpack ? ZDouble.D2String(score) : ZDouble.Format(score));
        }

        CollectionScan.Reply(ctx, end >= size ? 0 : (ulong)end, items);
    }

    /// <summary>addReplyDouble: "%.17g" (inf/-inf), a RESP3 double or a RESP2 bulk string.</summary>
    internal static void ReplyScore(ReplyWriter reply, double score) => reply.Double(ZDouble.Format(score));

    /// <summary>lookupKey{Read,Write}OrReply + checkType for sorted sets.</summary>
    internal static bool TryGetZSetOrReply(CommandContext ctx, ReadOnlySpan<byte> key, bool write, out ZSetValue z, Action<ReplyWriter> missing) =>
        ctx.TryGetValueOrReply(key, write, out z, missing);
}
