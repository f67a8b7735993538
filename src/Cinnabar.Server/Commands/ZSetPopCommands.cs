// Sorted-set pops and random picks (t_zset.c genericZpopCommand, zrandmemberCommand).
// Registered: ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER. PopGeneric is also what the blocking pops
// (ZSetBlockingCommands) run when a key is ready.
// Propagation as Redis 7.0: ZPOPMIN/ZPOPMAX verbatim; ZMPOP rewritten to ZPOPMIN/ZPOPMAX key
// count (count clipped to what was there) so a replica pops the same key; ZRANDMEMBER is a read.
// Pops publish zpopmin/zpopmax (and del when they empty the key).
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Execution;
using Cinnabar.Server.Storage;
using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Commands;

/// <summary>ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER.</summary>
internal static class ZSetPopCommands
{
    private const string Group = "sorted-set";

    public static void Register(CommandTable t)
    {
        t.Add("zpopmin", -2, CommandFlags.Write | CommandFlags.Fast, 1, 1, 1, ZPopMin, Group, "5.0.0", "write sortedset fast", "Remove and return members with the lowest scores in a sorted set");
        t.Add("zpopmax", -2, CommandFlags.Write | CommandFlags.Fast, 1, 1, 1, ZPopMax, Group, "5.0.0", "write sortedset fast", "Remove and return members with the highest scores in a sorted set");
        t.Add(new CommandSpec("zmpop", -4, CommandFlags.Write, 0, 0, 0, ZMPop)
        {
            Group = Group,
            Since = "7.0.0",
            AclCategories = ["write", "sortedset", "slow"],
            Summary = "Remove and return members with scores in a sorted set",
            KeySpecs = [new KeySpec("RW access delete", 1, 0) { KeyNumIndex = 0, FirstKey = 1 }],
            KeyFinder = args => ListCommands.NumKeysPositions(args, 1),
        });
        t.Add("zrandmember", -2, CommandFlags.ReadOnly, 1, 1, 1, ZRandMember, Group, "6.2.0", "read sortedset slow", "Get one or multiple random elements from a sorted set");
    }

    // ZPOPMIN key [count]
    private static void ZPopMin(CommandContext ctx) => PopMinMax(ctx, max: false);

    // ZPOPMAX key [count]
    private static void ZPopMax(CommandContext ctx) => PopMinMax(ctx, max: true);

    private static void PopMinMax(CommandContext ctx, bool max)
    {
        if (ctx.Args.Count > 3)
        {
            ctx.Error(Errors.Syntax);
            return;
        }

        long count = -1;
        if (ctx.Args.Count == 3 && !ListCommands.TryRangeOrReply(ctx, ctx.Args[2], 0, long.MaxValue, "ERR value is out of range, must be positive", out count))
        {
            return;
        }

        // RESP3 nests [member, score] pairs when a count was given.
        bool nested = ctx.Reply.Protocol > 2 && count != -1;
        PopGeneric(ctx, ctx.Client.Output, ctx.Db, [ctx.Args.ToArray(1)], max, emitKey: false, count, nested, nullWhenEmpty: false);
    }

    // ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
    private static void ZMPop(CommandContext ctx)
    {
        if (!TryParseMPopOrReply(ctx, 1, out var keys, out bool max, out long count))
        {
            return;
        }

        var popped = PopGeneric(ctx, ctx.Client.Output, ctx.Db, keys, max, emitKey: true, count, nested: true, nullWhenEmpty: true);
        if (popped is { } p)
        {
            // Always replicated as ZPOP[MIN|MAX] key count instead of ZMPOP.
            ctx.RewriteForPropagation(CommandArgs.From(max ? "ZPOPMAX"u8.ToArray() : "ZPOPMIN"u8.ToArray(), p.Key, Number.ToBytes(p.Count)));
        }
    }

    // ZRANDMEMBER key [count [WITHSCORES]]
    private static void ZRandMember(CommandContext ctx)
    {
        if (ctx.Args.Count >= 3)
        {
            if (!Number.TryParseInt64(ctx.Args[2], out long l))
            {
                ctx.Error(Errors.NotInteger);
                return;
            }

            if (l == long.MinValue)
            {
                ctx.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
                return;
            }

            bool withScores = false;
            if (ctx.Args.Count > 4 || (ctx.Args.Count == 4 && !ctx.Args.Is(3, "withscores"u8)))
            {
                ctx.Error(Errors.Syntax);
                return;
            }

            if (ctx.Args.Count == 4)
            {
                withScores = true;
                if (l < -long.MaxValue / 2 || l > long.MaxValue / 2)
                {
                    ctx.Error("ERR value is out of range");
                    return;
                }
            }

            ZRandMemberWithCount(ctx, l, withScores);
            return;
        }

        if (SortedSetCommands.TryGetZSetOrReply(ctx, ctx.Args[1], write: false, out var z, r => r.NullBulk()))
        {
            ctx.Reply.Bulk(z.At(ctx.Server.Random.NextInt64(z.Count)).Member);
        }
    }

    /// <summary>zmpopGenericCommand's parsing: numkeys, keys, MIN|MAX, [COUNT count].</summary>
    internal static bool TryParseMPopOrReply(CommandContext ctx, int numKeysIndex, out byte[][] keys, out bool max, out long count)
    {
        keys = [];
        max = false;
        count = -1;
        var args = ctx.Args;
        if (!ListCommands.TryRangeOrReply(ctx, args[numKeysIndex], 1, long.MaxValue, "ERR numkeys should be greater than 0", out long numKeys))
        {
            return false;
        }

        long whereIndex = numKeysIndex + numKeys + 1;
        if (whereIndex >= args.Count)
        {
            ctx.Error(Errors.Syntax);
            return false;
        }

        if (args.Is((int)whereIndex, "min"u8))
        {
            max = false;
        }
        else if (args.Is((int)whereIndex, "max"u8))
        {
            max = true;
        }
        else
        {
            ctx.Error(Errors.Syntax);
            return false;
        }

        for (int j = (int)whereIndex + 1; j < args.Count; j++)
        {
            if (count == -1 && args.Is(j, "count"u8) && j < args.Count - 1)
            {
                j++;
                if (!ListCommands.TryRangeOrReply(ctx, args[j], 1, long.MaxValue, "ERR count should be greater than 0", out count))
                {
                    return false;
                }
            }
            else
            {
                ctx.Error(Errors.Syntax);
                return false;
            }
        }

        if (count == -1)
        {
            count = 1;
        }

        keys = new byte[numKeys][];
        for (int i = 0; i < numKeys; i++)
        {
            keys[i] = args.ToArray(numKeysIndex + 1 + i);
        }

        return true;
    }

    /// <summary>
    /// genericZpopCommand: pops up to <paramref name="count"/> (-1 = one, unnested) from the first
    /// existing key of <paramref name="keys"/> and replies in the requested shape. Returns the
    /// key and how many were popped, or null when nothing was (an error, no key, count 0).
    /// <paramref name="ctx"/> is null when serving a blocked client.
    /// </summary>
    internal static (byte[] Key, long Count)? PopGeneric(CommandContext? ctx, ReplyWriter reply, Database db, byte[][] keys, bool max, bool emitKey, long count, bool nested, bool nullWhenEmpty, CinnabarServer? server = null)
    {
        server ??= ctx!.Server;
        ZSetValue? z = null;
        byte[]? key = null;
        foreach (var k in keys)
        {
            object? data;
            if (ctx is not null)
            {
                ref Slot s = ref ctx.LookupWrite(db, k);
                data = Unsafe.IsNullRef(ref s) ? null : s.Data;
            }
            else
            {
                ref Slot s = ref db.FindRaw(k);
                data = Unsafe.IsNullRef(ref s) ? null : s.Data;
            }

            if (data is null)
            {
                continue;
            }

            if (data is not ZSetValue v)
            {
                reply.Error(Errors.WrongType);
                return null;
            }

            z = v;
            key = k;
            break;
        }

        if (z is null || key is null)
        {
            if (nullWhenEmpty)
            {
                reply.NullArray();
            }
            else
            {
                reply.ArrayHeader(0);
            }

            return null;
        }

        if (count == 0)
        {
            reply.ArrayHeader(0);
            return null;
        }

        if (count == -1)
        {
            count = 1;
        }

        long n = Math.Min(count, z.Count);
        if (!nested && !emitKey)
        {
            reply.ArrayHeader(n * 2);
        }
        else if (nested && !emitKey)
        {
            reply.ArrayHeader(n);
        }
        else if (!nested && emitKey)
        {
            reply.ArrayHeader((n * 2) + 1);
            reply.Bulk(key);
        }
        else
        {
            reply.ArrayHeader(2);
            reply.Bulk(key);
            reply.ArrayHeader(n);
        }

        for (long i = 0; i < n; i++)
        {
            var (member, score) = z.At(max ? z.Count - 1 : 0);
            z.Remove(member);
            if (nested)
            {
                reply.ArrayHeader(2);
            }

            reply.Bulk(member);
            SortedSetCommands.ReplyScore(reply, score);
        }

        if (ctx is not null)
        {
            ctx.Dirty(n);
        }
        else
        {
            server.Dirty += n;
        }

        KeyspaceEvents.Notify(server, KeyspaceEvents.ZSet, max ? "zpopmax" : "zpopmin", key, db.Index);
        TransactionCommands.TouchWatchedKey(server, db, key);
        if (z.Count == 0)
        {
            db.Delete(key);
            KeyspaceEvents.Notify(server, KeyspaceEvents.Generic, "del", key, db.Index);
        }

        return (key, n);
    }

    private static void ZRandMemberWithCount(CommandContext ctx, long l, bool withScores)
    {
        if (!SortedSetCommands.TryGetZSetOrReply(ctx, ctx.Args[1], write: false, out var z, r => r.ArrayHeader(0)))
        {
            return;
        }

        var r = ctx.Reply;
        var rnd = ctx.Server.Random;
        bool unique = l >= 0;
        long count = unique ? l : -l;
        long size = z.Count;
        if (count == 0)
        {
            r.ArrayHeader(0);
            return;
        }

        bool resp3 = r.Protocol > 2;
        void Emit(byte[] member, double score)
        {
            if (withScores && resp3)
            {
                r.ArrayHeader(2);
            }

            r.Bulk(member);
            if (withScores)
            {
                SortedSetCommands.ReplyScore(r, score);
            }
        }

        // CASE 1: repetitions allowed (or a single pick): independent draws, each O(log n) on a
        // skiplist, from one copy of a small listpack.
        if (!unique || count == 1)
        {
            r.ArrayHeader(withScores && !resp3 ? count * 2 : count);
            var small = z.IsListpack ? z.ToArray() : null;
            for (long i = 0; i < count; i++)
            {
                var (m, s) = small is not null ? small[rnd.Next(small.Length)] : z.At(rnd.NextInt64(size));
                Emit(m, s);
                if (Execution.OutputBufferLimits.StopMidReply(ctx, i))
                {
                    return;
                }
            }

            return;
        }

        long replySize = Math.Min(count, size);
        r.ArrayHeader(withScores && !resp3 ? replySize * 2 : replySize);

        // CASE 2: the whole set, from the highest down (zuiNext walks sorted sets backwards).
        if (count >= size)
        {
            var back = z.Walk(size - 1, reverse: true);
            while (back.Next(out var m, out double s))
            {
                Emit(m.ToArray(), s);
            }

            return;
        }

        // CASE 4: few picks from a big set: distinct random ranks.
        if (count * 3 <= size && !z.IsListpack)
        {
            var picked = new HashSet<long>();
            while (picked.Count < count)
            {
                long rank = rnd.NextInt64(size);
                if (picked.Add(rank))
                {
                    var (m, s) = z.At(rank);
                    Emit(m, s);
                }
            }

            return;
        }

        // CASE 3: distinct members in random order (a partial Fisher-Yates shuffle).
        var all = z.ToArray();
        for (int i = 0; i < count; i++)
        {
            int j = i + rnd.Next(all.Length - i);
            (all[i], all[j]) = (all[j], all[i]);
            Emit(all[i].Member, all[i].Score);
        }
    }
}
