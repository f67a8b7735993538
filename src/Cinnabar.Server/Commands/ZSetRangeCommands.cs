// Sorted-set range reads (t_zset.c zrangeGenericCommand). Registered: ZRANGE ZRANGESTORE
// ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX.
// All seven share one parser (Redis's: the legacy forms fix the range type and direction and
// the rest is the same loop) and one emitter that either replies or fills the ZRANGESTORE
// destination. Score ranges become rank intervals: ZSetValue counts the members below and up to
// a range in O(log n) on a skiplist, and a walker emits from there in either direction. Lex
// ranges follow Redis's walk (first member in range, then while within the other end), which
// only differs from the rank interval when members of different scores are mixed.
// ZRANGESTORE creates its destination as Redis does: a skiplist up front when a rank range is
// longer than zset-max-listpack-entries, else a listpack that converts as members arrive.
using Cinnabar.Protocol;
using Cinnabar.Server.Execution;
using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Commands;

/// <summary>ZRANGE and its variants.</summary>
internal static class ZSetRangeCommands
{
    private const string Group = "sorted-set";

    private enum RangeType
    {
        Auto,
        Rank,
        Score,
        Lex,
    }

    private enum Direction
    {
        Auto,
        Forward,
        Reverse,
    }

    public static void Register(CommandTable t)
    {
        t.Add("zrange", -4, CommandFlags.ReadOnly, 1, 1, 1, ZRange, Group, "1.2.0", "read sortedset slow", "Return a range of members in a sorted set");
        t.Add("zrangestore", -5, CommandFlags.Write | CommandFlags.DenyOom, 1, 2, 1, ZRangeStore, Group, "6.2.0", "write sortedset slow", "Store a range of members from sorted set into another key");
        t.Add("zrevrange", -4, CommandFlags.ReadOnly, 1, 1, 1, ZRevRange, Group, "1.2.0", "read sortedset slow", "Return a range of members in a sorted set, by index, with scores ordered from high to low");
        t.Add("zrangebyscore", -4, CommandFlags.ReadOnly, 1, 1, 1, ZRangeByScore, Group, "1.0.5", "read sortedset slow", "Return a range of members in a sorted set, by score");
        t.Add("zrevrangebyscore", -4, CommandFlags.ReadOnly, 1, 1, 1, ZRevRangeByScore, Group, "2.2.0", "read sortedset slow", "Return a range of members in a sorted set, by score, with scores ordered from high to low");
        t.Add("zrangebylex", -4, CommandFlags.ReadOnly, 1, 1, 1, ZRangeByLex, Group, "2.8.9", "read sortedset slow", "Return a range of members in a sorted set, by lexicographical range");
        t.Add("zrevrangebylex", -4, CommandFlags.ReadOnly, 1, 1, 1, ZRevRangeByLex, Group, "2.8.9", "read sortedset slow", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.");
    }

    // ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
    private static void ZRange(CommandContext ctx) => RangeGeneric(ctx, 1, null, RangeType.Auto, Direction.Auto);

    // ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
    private static void ZRangeStore(CommandContext ctx) => RangeGeneric(ctx, 2, ctx.Args.ToArray(1), RangeType.Auto, Direction.Auto);

    // ZREVRANGE key start stop [WITHSCORES]
    private static void ZRevRange(CommandContext ctx) => RangeGeneric(ctx, 1, null, RangeType.Rank, Direction.Reverse);

    // ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
    private static void ZRangeByScore(CommandContext ctx) => RangeGeneric(ctx, 1, null, RangeType.Score, Direction.Forward);

    // ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
    private static void ZRevRangeByScore(CommandContext ctx) => RangeGeneric(ctx, 1, null, RangeType.Score, Direction.Reverse);

    // ZRANGEBYLEX key min max [LIMIT offset count]
    private static void ZRangeByLex(CommandContext ctx) => RangeGeneric(ctx, 1, null, RangeType.Lex, Direction.Forward);

    // ZREVRANGEBYLEX key max min [LIMIT offset count]
    private static void ZRevRangeByLex(CommandContext ctx) => RangeGeneric(ctx, 1, null, RangeType.Lex, Direction.Reverse);

    private static void RangeGeneric(CommandContext ctx, int keyIndex, byte[]? dstKey, RangeType type, Direction direction)
    {
        var args = ctx.Args;
        bool store = dstKey is not null;
        int minIdx = keyIndex + 1;
        int maxIdx = keyIndex + 2;
        bool withScores = false;
        long offset = 0;
        long limit = -1;
        for (int j = keyIndex + 3; j < args.Count; j++)
        {
            int left = args.Count - j - 1;
            if (!store && args.Is(j, "withscores"u8))
            {
                withScores = true;
            }
            else if (args.Is(j, "limit"u8) && left >= 2)
            {
                if (!ListCommands.TryLongOrReply(ctx, args[j + 1], out offset) || !ListCommands.TryLongOrReply(ctx, args[j + 2], out limit))
                {
                    return;
                }

                j += 2;
            }
            else if (direction == Direction.Auto && args.Is(j, "rev"u8))
            {
                direction = Direction.Reverse;
            }
            else if (type == RangeType.Auto && args.Is(j, "bylex"u8))
            {
                type = RangeType.Lex;
            }
            else if (type == RangeType.Auto && args.Is(j, "byscore"u8))
            {
                type = RangeType.Score;
            }
            else
            {
                ctx.Error(Errors.Syntax);
                return;
            }
        }

        if (direction == Direction.Auto)
        {
            direction = Direction.Forward;
        }

        if (type == RangeType.Auto)
        {
            type = RangeType.Rank;
        }

        if (limit != -1 && type == RangeType.Rank)
        {
            ctx.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
            return;
        }

        if (withScores && type == RangeType.Lex)
        {
            ctx.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
            return;
        }

        bool reverse = direction == Direction.Reverse;
        if (reverse && type != RangeType.Rank)
        {
            // The range is given as max, min.
            (minIdx, maxIdx) = (maxIdx, minIdx);
        }

        long start = 0, end = 0;
        ScoreRange scoreRange = default;
        LexRange? lexRange = null;
        switch (type)
        {
            case RangeType.Rank:
                if (!ListCommands.TryLongOrReply(ctx, args[minIdx], out start) || !ListCommands.TryLongOrReply(ctx, args[maxIdx], out end))
                {
                    return;
                }

                break;
            case RangeType.Score:
                if (!ScoreRange.TryParse(args[minIdx], args[maxIdx], out scoreRange))
                {
                    ctx.Error(Errors.ZMinMaxNotFloat);
                    return;
                }

                break;
            default:
                lexRange = LexRange.TryParse(args[minIdx], args[maxIdx]);
                if (lexRange is null)
                {
                    ctx.Error(Errors.ZMinMaxNotLex);
                    return;
                }

                break;
        }

        var emitter = new Emitter(ctx, dstKey, withScores || store);
        ref var slot = ref ctx.LookupRead(args[keyIndex]);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref slot))
        {
            if (store)
            {
                emitter.Begin(-1);
                emitter.Finish(0);
            }
            else
            {
                ctx.Reply.ArrayHeader(0);
            }

            return;
        }

        if (slot.Data is not ZSetValue z)
        {
            ctx.Error(Errors.WrongType);
            return;
        }

        if (type == RangeType.Rank)
        {
            ByRank(emitter, z, start, end, reverse);
            return;
        }

        if (type == RangeType.Lex)
        {
            ByLex(emitter, z, lexRange!, offset, limit, reverse);
            return;
        }

        // Score ranges: the members of ranks [first, last] are inside.
        long first = z.CountBelow(scoreRange);
        long last = z.CountAtMost(scoreRange) - 1;
        emitter.Begin(-1);
        long emitted = 0;

        // genericZrangebyscoreCommand: an offset past the end (or negative) yields nothing; a
        // negative limit means no limit.
        if (first <= last && offset >= 0 && !(offset > 0 && offset >= z.Count))
        {
            long available = last - first + 1 - offset;
            long n = limit < 0 ? available : Math.Min(limit, available);
            if (n > 0)
            {
                var w = z.Walk(reverse ? last - offset : first + offset, reverse);
                for (long i = 0; i < n && w.Next(out var m, out double s); i++)
                {
                    emitter.Emit(m, s);
                    emitted++;
                }
            }
        }

        emitter.Finish(emitted);
    }

    // genericZrangebylexCommand: from the first (or last) member in range, skip the offset, then
    // emit while members stay within the other end.
    private static void ByLex(Emitter emitter, ZSetValue z, LexRange range, long offset, long limit, bool reverse)
    {
        emitter.Begin(-1);
        long emitted = 0;
        long start = reverse ? z.LastInLexRange(range) : z.FirstInLexRange(range);
        if (start >= 0 && offset >= 0)
        {
            var w = z.Walk(start, reverse);
            bool more = true;
            for (long i = 0; i < offset && more; i++)
            {
                more = w.Next(out _, out _);
            }

            while (more && limit-- != 0 && w.Next(out var m, out double s))
            {
                if (reverse ? !range.GteMin(m) : !range.LteMax(m))
                {
                    break;
                }

                emitter.Emit(m, s);
                emitted++;
            }
        }

        emitter.Finish(emitted);
    }

    // genericZrangebyrankCommand.
    private static void ByRank(Emitter emitter, ZSetValue z, long start, long end, bool reverse)
    {
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
            emitter.Begin(0);
            emitter.Finish(0);
            return;
        }

        end = Math.Min(end, len - 1);
        long n = end - start + 1;
        emitter.Begin(n);
        var w = z.Walk(reverse ? len - 1 - start : start, reverse);
        for (long i = 0; i < n && w.Next(out var m, out double s); i++)
        {
            emitter.Emit(m, s);
        }

        emitter.Finish(n);
    }

    // zrange_result_handler: to the client, or into ZRANGESTORE's destination.
    private sealed class Emitter(CommandContext ctx, byte[]? dstKey, bool withScores)
    {
        private int _deferred = -1;
        private ZSetValue? _dst;

        public void Begin(long length)
        {
            if (dstKey is not null)
            {
                var cfg = ctx.Server.Config;
                _dst = new ZSetValue(dstKey, length > cfg.ZSetMaxListpackEntries);
                return;
            }

            if (length > 0)
            {
                ctx.Reply.ArrayHeader(withScores && ctx.Reply.Protocol == 2 ? length * 2 : length);
            }
            else
            {
                _deferred = ctx.Reply.BeginDeferredLength();
            }
        }

        public void Emit(ReadOnlySpan<byte> member, double score)
        {
            if (_dst is not null)
            {
                var cfg = ctx.Server.Config;
                _dst.Add(member, score, ZAddFlags.None, cfg.ZSetMaxListpackEntries, cfg.ZSetMaxListpackValue, out _);
                return;
            }

            var r = ctx.Reply;
            if (withScores && r.Protocol > 2)
            {
                r.ArrayHeader(2);
            }

            r.Bulk(member);
            if (withScores)
            {
                SortedSetCommands.ReplyScore(r, score);
            }
        }

        public void Finish(long count)
        {
            if (dstKey is null)
            {
                if (_deferred >= 0)
                {
                    ctx.Reply.EndDeferredLength(_deferred, withScores && ctx.Reply.Protocol == 2 ? count * 2 : count);
                }

                return;
            }

            ZSetStoreCommands.StoreResult(ctx, dstKey, _dst!, "zrangestore");
        }
    }
}
