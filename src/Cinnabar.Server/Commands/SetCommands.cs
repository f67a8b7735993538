// Set commands (t_set.c). Registered: SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS SPOP
// SRANDMEMBER SMOVE SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN.
//
// Storage: Storage/Types/SetValue (intset / hashtable). A set never exists empty.
// Propagation follows Redis 7.0: SPOP is propagated as SREM of what it popped (one SREM per
// member), or as DEL when it took the whole set, so replicas never re-draw random members.
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Execution;
using Cinnabar.Server.Storage;
using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Commands;

/// <summary>Set commands.</summary>
internal static class SetCommands
{
    private const CommandFlags WriteOomFast = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast;
    private const CommandFlags ReadFast = CommandFlags.ReadOnly | CommandFlags.Fast;

    private enum SetOp
    {
        Union,
        Diff,
    }

    public static void Register(CommandTable t)
    {
        t.Add("sadd", -3, WriteOomFast, 1, 1, 1, SAdd, "set", "1.0.0", "write set fast", "Add one or more members to a set");
        t.Add("srem", -3, CommandFlags.Write | CommandFlags.Fast, 1, 1, 1, SRem, "set", "1.0.0", "write set fast", "Remove one or more members from a set");
        t.Add("scard", 2, ReadFast, 1, 1, 1, SCard, "set", "1.0.0", "read set fast", "Get the number of members in a set");
        t.Add("sismember", 3, ReadFast, 1, 1, 1, SIsMember, "set", "1.0.0", "read set fast", "Determine if a given value is a member of a set");
        t.Add("smismember", -3, ReadFast, 1, 1, 1, SMIsMember, "set", "6.2.0", "read set fast", "Returns the membership associated with the given elements for a set");
        t.Add("smembers", 2, CommandFlags.ReadOnly, 1, 1, 1, SMembers, "set", "1.0.0", "read set slow", "Get all the members in a set");
        t.Add("spop", -2, CommandFlags.Write | CommandFlags.Fast, 1, 1, 1, SPop, "set", "1.0.0", "write set fast", "Remove and return one or multiple random members from a set");
        t.Add("srandmember", -2, CommandFlags.ReadOnly, 1, 1, 1, SRandMember, "set", "1.0.0", "read set slow", "Get one or multiple random members from a set");
        t.Add("smove", 4, CommandFlags.Write | CommandFlags.Fast, 1, 2, 1, SMove, "set", "1.0.0", "write set fast", "Move a member from one set to another");
        t.Add("sinter", -2, CommandFlags.ReadOnly, 1, -1, 1, SInter, "set", "1.0.0", "read set slow", "Intersect multiple sets");
        t.Add(new CommandSpec("sintercard", -3, CommandFlags.ReadOnly, 0, 0, 0, SInterCard)
        {
            Group = "set",
            Since = "7.0.0",
            AclCategories = ["read", "set", "slow"],
            Summary = "Intersect multiple sets and return the cardinality of the result",
            KeySpecs = [new KeySpec("RO access", 1, 0) { KeyNumIndex = 0, FirstKey = 1 }],
            Tips = [],
            KeyFinder = args => ListCommands.NumKeysPositions(args, 1),
        });
        t.Add("sinterstore", -3, CommandFlags.Write | CommandFlags.DenyOom, 1, -1, 1, SInterStore, "set", "1.0.0", "write set slow", "Intersect multiple sets and store the resulting set in a key");
        t.Add("sunion", -2, CommandFlags.ReadOnly, 1, -1, 1, SUnion, "set", "1.0.0", "read set slow", "Add multiple sets");
        t.Add("sunionstore", -3, CommandFlags.Write | CommandFlags.DenyOom, 1, -1, 1, SUnionStore, "set", "1.0.0", "write set slow", "Add multiple sets and store the resulting set in a key");
        t.Add("sdiff", -2, CommandFlags.ReadOnly, 1, -1, 1, SDiff, "set", "1.0.0", "read set slow", "Subtract multiple sets");
        t.Add("sdiffstore", -3, CommandFlags.Write | CommandFlags.DenyOom, 1, -1, 1, SDiffStore, "set", "1.0.0", "write set slow", "Subtract multiple sets and store the resulting set in a key");
        t.Add("sscan", -3, CommandFlags.ReadOnly, 1, 1, 1, SScan, "set", "2.0.0", "read set slow", "Incrementally iterate Set elements");
    }

    // SADD key member [member ...]
    private static void SAdd(CommandContext ctx)
    {
        var key = ctx.Args[1];
        ref Slot s = ref ctx.LookupWrite(key);
        SetValue set;
        if (Unsafe.IsNullRef(ref s))
        {
            set = SetValue.For(key.ToArray(), ctx.Args[2], ctx.Args.Count - 2);
            ctx.Db.Add(key, set, 0);
        }
        else if (s.Data is SetValue existing)
        {
            set = existing;
        }
        else
        {
            ctx.Error(Errors.WrongType);
            return;
        }

        long added = 0;
        for (int j = 2; j < ctx.Args.Count; j++)
        {
            if (set.Add(ctx.Args[j], ctx.Server.Config.SetMaxIntsetEntries))
            {
                added++;
            }
        }

        if (added > 0)
        {
            ctx.SignalModifiedKey(key);
            ctx.Notify(KeyspaceEvents.Set, "sadd", key);
            ctx.Dirty(added);
        }

        ctx.Reply.Integer(added);
    }

    // SREM key member [member ...]
    private static void SRem(CommandContext ctx)
    {
        var key = ctx.Args[1];
        if (!TryGetSetOrReply(ctx, key, write: true, out var set, r => r.Integer(0)))
        {
            return;
        }

        long deleted = 0;
        bool keyRemoved = false;
        for (int j = 2; j < ctx.Args.Count; j++)
        {
            if (set.Remove(ctx.Args[j]))
            {
                deleted++;
                if (set.Count == 0)
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
            ctx.Notify(KeyspaceEvents.Set, "srem", key);
            if (keyRemoved)
            {
                ctx.Notify(KeyspaceEvents.Generic, "del", key);
            }

            ctx.Dirty(deleted);
        }

        ctx.Reply.Integer(deleted);
    }

    // SCARD key
    private static void SCard(CommandContext ctx)
    {
        if (TryGetSetOrReply(ctx, ctx.Args[1], write: false, out var set, r => r.Integer(0)))
        {
            ctx.Reply.Integer(set.Count);
        }
    }

    // SISMEMBER key member
    private static void SIsMember(CommandContext ctx)
    {
        if (TryGetSetOrReply(ctx, ctx.Args[1], write: false, out var set, r => r.Integer(0)))
        {
            ctx.Reply.Integer(set.Contains(ctx.Args[2]) ? 1 : 0);
        }
    }

    // SMISMEMBER key member [member ...]
    private static void SMIsMember(CommandContext ctx)
    {
        ref Slot s = ref ctx.LookupRead(ctx.Args[1]);
        SetValue? set = null;
        if (!Unsafe.IsNullRef(ref s))
        {
            set = s.Data as SetValue;
            if (set is null)
            {
                ctx.Error(Errors.WrongType);
                return;
            }
        }

        ctx.Reply.ArrayHeader(ctx.Args.Count - 2);
        for (int j = 2; j < ctx.Args.Count; j++)
        {
            ctx.Reply.Integer(set is not null && set.Contains(ctx.Args[j]) ? 1 : 0);
        }
    }

    // SMEMBERS key  (Redis 7.0 answers it as SINTER of one key)
    private static void SMembers(CommandContext ctx) => Inter(ctx, 1, 1, null, cardinalityOnly: false, 0);

    // SPOP key [count]
    private static void SPop(CommandContext ctx)
    {
        var key = ctx.Args[1];
        if (ctx.Args.Count > 3)
        {
            ctx.Error(Errors.Syntax);
            return;
        }

        if (ctx.Args.Count == 3)
        {
            SPopWithCount(ctx);
            return;
        }

        if (!TryGetSetOrReply(ctx, key, write: true, out var set, r => r.NullBulk()))
        {
            return;
        }

        var all = set.ToArray();
        var member = all[ctx.Server.Random.Next(all.Length)];
        set.Remove(member);
        ctx.Notify(KeyspaceEvents.Set, "spop", key);
        ctx.RewriteForPropagation(CommandArgs.From("SREM"u8.ToArray(), key.ToArray(), member));
        ctx.Reply.Bulk(member);
        if (set.Count == 0)
        {
            ctx.Db.Delete(key);
            ctx.Notify(KeyspaceEvents.Generic, "del", key);
        }

        ctx.SignalModifiedKey(key);
        ctx.Dirty();
    }

    // SRANDMEMBER key [count]
    private static void SRandMember(CommandContext ctx)
    {
        if (ctx.Args.Count > 3)
        {
            ctx.Error(Errors.Syntax);
            return;
        }

        if (ctx.Args.Count == 3)
        {
            SRandMemberWithCount(ctx);
            return;
        }

        if (!TryGetSetOrReply(ctx, ctx.Args[1], write: false, out var set, r => r.NullBulk()))
        {
            return;
        }

        var all = set.ToArray();
        ctx.Reply.Bulk(all[ctx.Server.Random.Next(all.Length)]);
    }

    // SMOVE source destination member
    private static void SMove(CommandContext ctx)
    {
        var src = ctx.Args[1];
        var dst = ctx.Args[2];
        var member = ctx.Args[3];
        ref Slot s = ref ctx.LookupWrite(src);
        if (Unsafe.IsNullRef(ref s))
        {
            // Redis looks the destination up too (expiring it if due) before answering.
            ctx.LookupWrite(dst);
            ctx.Reply.Integer(0);
            return;
        }

        var srcSet = s.Data as SetValue;
        ref Slot d = ref ctx.LookupWrite(dst);
        var dstSet = Unsafe.IsNullRef(ref d) ? null : d.Data as SetValue;
        if (srcSet is null || (!Unsafe.IsNullRef(ref d) && dstSet is null))
        {
            ctx.Error(Errors.WrongType);
            return;
        }

        if (ReferenceEquals(srcSet, dstSet))
        {
            ctx.Reply.Integer(srcSet.Contains(member) ? 1 : 0);
            return;
        }

        if (!srcSet.Remove(member))
        {
            ctx.Reply.Integer(0);
            return;
        }

        ctx.Notify(KeyspaceEvents.Set, "srem", src);
        if (srcSet.Count == 0)
        {
            ctx.Db.Delete(src);
            ctx.Notify(KeyspaceEvents.Generic, "del", src);
        }

        ctx.SignalModifiedKey(src);
        ctx.Dirty();
        if (dstSet is null)
        {
            dstSet = SetValue.For(dst.ToArray(), member);
            ctx.Db.Add(dst, dstSet, 0);
        }

        // Only a real addition touches the destination (a WATCH on it survives otherwise).
        if (dstSet.Add(member, ctx.Server.Config.SetMaxIntsetEntries))
        {
            ctx.SignalModifiedKey(dst);
            ctx.Notify(KeyspaceEvents.Set, "sadd", dst);
            ctx.Dirty();
        }

        ctx.Reply.Integer(1);
    }

    // SINTER key [key ...]
    private static void SInter(CommandContext ctx) => Inter(ctx, 1, ctx.Args.Count - 1, null, cardinalityOnly: false, 0);

    // SINTERCARD numkeys key [key ...] [LIMIT limit]
    private static void SInterCard(CommandContext ctx)
    {
        if (!ListCommands.TryRangeOrReply(ctx, ctx.Args[1], 1, long.MaxValue, "ERR numkeys should be greater than 0", out long numKeys))
        {
            return;
        }

        if (numKeys > ctx.Args.Count - 2)
        {
            ctx.Error("ERR Number of keys can't be greater than number of args");
            return;
        }

        long limit = 0;
        for (int j = 2 + (int)numKeys; j < ctx.Args.Count; j++)
        {
            if (ctx.Args.Is(j, "limit"u8) && j < ctx.Args.Count - 1)
            {
                j++;
                if (!ListCommands.TryRangeOrReply(ctx, ctx.Args[j], 0, long.MaxValue, "ERR LIMIT can't be negative", out limit))
                {
                    return;
                }
            }
            else
            {
                ctx.Error(Errors.Syntax);
                return;
            }
        }

        Inter(ctx, 2, (int)numKeys, null, cardinalityOnly: true, limit);
    }

    // SINTERSTORE destination key [key ...]
    private static void SInterStore(CommandContext ctx) => Inter(ctx, 2, ctx.Args.Count - 2, ctx.Args.ToArray(1), cardinalityOnly: false, 0);

    // SUNION key [key ...]
    private static void SUnion(CommandContext ctx) => UnionDiff(ctx, 1, null, SetOp.Union);

    // SUNIONSTORE destination key [key ...]
    private static void SUnionStore(CommandContext ctx) => UnionDiff(ctx, 2, ctx.Args.ToArray(1), SetOp.Union);

    // SDIFF key [key ...]
    private static void SDiff(CommandContext ctx) => UnionDiff(ctx, 1, null, SetOp.Diff);

    // SDIFFSTORE destination key [key ...]
    private static void SDiffStore(CommandContext ctx) => UnionDiff(ctx, 2, ctx.Args.ToArray(1), SetOp.Diff);

    // SSCAN key cursor [MATCH pattern] [COUNT count]
    private static void SScan(CommandContext ctx)
    {
        if (!ScanCommands.TryParseCursorOrReply(ctx, ctx.Args[2], out ulong cursor))
        {
            return;
        }

        if (!TryGetSetOrReply(ctx, ctx.Args[1], write: false, out var set, r =>
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

        // An intset is returned whole with cursor 0, as Redis scans small encodings in one call.
        var all = set.ToArray();
        long start = set.IsIntset ? 0 : (long)Math.Min(cursor, (ulong)all.Length);
        long end = set.IsIntset ? all.Length : Math.Min(all.Length, start + count);
        var items = new List<byte[]>();
        for (long i = start; i < end; i++)
        {
            if (pattern is null || GlobPattern.IsMatch(pattern, all[i]))
            {
                items.Add(all[i]);
            }
        }

        CollectionScan.Reply(ctx, end >= all.Length ? 0 : (ulong)end, items);
    }

    private static void SPopWithCount(CommandContext ctx)
    {
        var key = ctx.Args[1];
        if (!ListCommands.TryRangeOrReply(ctx, ctx.Args[2], 0, long.MaxValue, "ERR value is out of range, must be positive", out long count))
        {
            return;
        }

        if (!TryGetSetOrReply(ctx, key, write: true, out var set, r => r.SetHeader(0)))
        {
            return;
        }

        if (count == 0)
        {
            ctx.Reply.SetHeader(0);
            return;
        }

        // Redis says "spop" once, before popping, whatever the count.
        ctx.Notify(KeyspaceEvents.Set, "spop", key);
        var all = set.ToArray();
        if (count >= all.Length)
        {
            ctx.Reply.SetHeader(all.Length);
            foreach (var m in all)
            {
                ctx.Reply.Bulk(m);
            }

            ctx.Db.Delete(key);
            ctx.Notify(KeyspaceEvents.Generic, "del", key);
            ctx.Dirty(all.Length);
            ctx.RewriteForPropagation(CommandArgs.From("DEL"u8.ToArray(), key.ToArray()));
            ctx.SignalModifiedKey(key);
            return;
        }

        var rnd = ctx.Server.Random;
        ctx.Reply.SetHeader(count);
        var k = key.ToArray();
        for (int i = 0; i < count; i++)
        {
            int j = i + rnd.Next(all.Length - i);
            (all[i], all[j]) = (all[j], all[i]);
            set.Remove(all[i]);
            ctx.Reply.Bulk(all[i]);
            ctx.AlsoPropagate(ctx.Db.Index, CommandArgs.From("SREM"u8.ToArray(), k, all[i]));
        }

        ctx.Dirty(count);
        ctx.SignalModifiedKey(key);
    }

    private static void SRandMemberWithCount(CommandContext ctx)
    {
        if (!Number.TryParseInt64(ctx.Args[2], out long l) || l == long.MinValue)
        {
            ctx.Error(Number.TryParseInt64(ctx.Args[2], out _) ? "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807" : Errors.NotInteger);
            return;
        }

        if (!TryGetSetOrReply(ctx, ctx.Args[1], write: false, out var set, r => r.ArrayHeader(0)))
        {
            return;
        }

        bool unique = l >= 0;
        long count = unique ? l : -l;
        var r = ctx.Reply;
        if (count == 0)
        {
            r.ArrayHeader(0);
            return;
        }

        var all = set.ToArray();
        var rnd = ctx.Server.Random;
        if (!unique || count == 1)
        {
            r.ArrayHeader(count);
            while (count-- > 0)
            {
                r.Bulk(all[rnd.Next(all.Length)]);
                if (Execution.OutputBufferLimits.StopMidReply(ctx, count))
                {
                    return;
                }
            }

            return;
        }

        if (count >= all.Length)
        {
            r.ArrayHeader(all.Length);
            foreach (var m in all)
            {
                r.Bulk(m);
            }

            return;
        }

        r.ArrayHeader(count);
        for (int i = 0; i < count; i++)
        {
            int j = i + rnd.Next(all.Length - i);
            (all[i], all[j]) = (all[j], all[i]);
            r.Bulk(all[i]);
        }
    }

    // Redis's sinterGenericCommand.
    private static void Inter(CommandContext ctx, int first, int n, byte[]? dstKey, bool cardinalityOnly, long limit)
    {
        var sets = new SetValue?[n];
        bool empty = false;
        for (int j = 0; j < n; j++)
        {
            ref Slot s = ref ctx.LookupRead(ctx.Args[first + j]);
            if (Unsafe.IsNullRef(ref s))
            {
                empty = true;
                continue;
            }

            if (s.Data is not SetValue set)
            {
                ctx.Error(Errors.WrongType);
                return;
            }

            sets[j] = set;
        }

        if (empty)
        {
            if (dstKey is not null)
            {
                if (ctx.Db.Delete(dstKey))
                {
                    ctx.SignalModifiedKey(dstKey);
                    ctx.Notify(KeyspaceEvents.Generic, "del", dstKey);
                    ctx.Dirty();
                }

                ctx.Reply.Integer(0);
            }
            else if (cardinalityOnly)
            {
                ctx.Reply.Integer(0);
            }
            else
            {
                ctx.Reply.SetHeader(0);
            }

            return;
        }

        var ordered = sets.Select(s => s!).OrderBy(s => s.Count).ToArray();
        var result = new List<byte[]>();
        foreach (var m in ordered[0].Members())
        {
            bool inAll = true;
            for (int j = 1; j < ordered.Length && inAll; j++)
            {
                inAll = ReferenceEquals(ordered[j], ordered[0]) || ordered[j].Contains(m);
            }

            if (inAll)
            {
                result.Add(m);
                if (cardinalityOnly && limit != 0 && result.Count >= limit)
                {
                    break;
                }
            }
        }

        if (cardinalityOnly)
        {
            ctx.Reply.Integer(result.Count);
        }
        else if (dstKey is not null)
        {
            Store(ctx, dstKey, result, "sinterstore");
        }
        else
        {
            ReplyMembers(ctx, result);
        }
    }

    // Redis's sunionDiffGenericCommand (the result order of a hashtable set is ours, not Redis's).
    private static void UnionDiff(CommandContext ctx, int first, byte[]? dstKey, SetOp op)
    {
        int n = ctx.Args.Count - first;
        var sets = new SetValue?[n];
        for (int j = 0; j < n; j++)
        {
            ref Slot s = ref ctx.LookupRead(ctx.Args[first + j]);
            if (Unsafe.IsNullRef(ref s))
            {
                continue;
            }

            if (s.Data is not SetValue set)
            {
                ctx.Error(Errors.WrongType);
                return;
            }

            sets[j] = set;
        }

        var result = new SetValue(dstKey ?? []);
        long maxInts = ctx.Server.Config.SetMaxIntsetEntries;
        if (op == SetOp.Union)
        {
            foreach (var set in sets)
            {
                foreach (var m in set?.Members() ?? [])
                {
                    result.Add(m, maxInts);
                }
            }
        }
        else if (sets[0] is { } firstSet)
        {
            foreach (var m in firstSet.Members())
            {
                bool keep = true;
                for (int j = 1; j < n && keep; j++)
                {
                    keep = sets[j] is null || (!ReferenceEquals(sets[j], firstSet) && !sets[j]!.Contains(m));
                }

                if (keep)
                {
                    result.Add(m, maxInts);
                }
            }
        }

        if (dstKey is null)
        {
            ReplyMembers(ctx, [.. result.Members()]);
            return;
        }

        StoreSet(ctx, dstKey, result, op == SetOp.Union ? "sunionstore" : "sdiffstore");
    }

    private static void Store(CommandContext ctx, byte[] dstKey, List<byte[]> members, string eventName)
    {
        var set = new SetValue(dstKey);
        foreach (var m in members)
        {
            set.Add(m, ctx.Server.Config.SetMaxIntsetEntries);
        }

        StoreSet(ctx, dstKey, set, eventName);
    }

    // setKey / dbDelete of the destination, as the *STORE variants do.
    private static void StoreSet(CommandContext ctx, byte[] dstKey, SetValue set, string eventName)
    {
        if (set.Count > 0)
        {
            ctx.Db.SetObject(set, 0, keepTtl: false);
            ctx.Reply.Integer(set.Count);
            ctx.SignalModifiedKey(dstKey);
            ctx.Notify(KeyspaceEvents.Set, eventName, dstKey);
            ctx.Dirty();
            return;
        }

        ctx.Reply.Integer(0);
        if (ctx.Db.Delete(dstKey))
        {
            ctx.SignalModifiedKey(dstKey);
            ctx.Notify(KeyspaceEvents.Generic, "del", dstKey);
            ctx.Dirty();
        }
    }

    private static void ReplyMembers(CommandContext ctx, List<byte[]> members)
    {
        ctx.Reply.SetHeader(members.Count);
        foreach (var m in members)
        {
            ctx.Reply.Bulk(m);
        }
    }

    private static bool TryGetSetOrReply(CommandContext ctx, ReadOnlySpan<byte> key, bool write, out SetValue set, Action<ReplyWriter> missing) =>
        ctx.TryGetValueOrReply(key, write, out set, missing);
}
