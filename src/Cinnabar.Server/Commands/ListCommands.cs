// List commands (t_list.c). Registered: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX
// LSET LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP; the blocking variants BLPOP BRPOP BLMOVE
// BRPOPLPUSH BLMPOP live in ListBlockingCommands and share the pop/move helpers here.
//
// Storage: Storage/Types/ListValue (quicklist-like packed nodes). A list never exists empty:
// the command that removes its last element deletes the key, as Redis does. Mutations always
// start from a fresh lookup of the key's slot (never a reference kept across commands), which
// is what lets a running snapshot serialize the bucket before it changes.
//
// Propagation: LMPOP is propagated as LPOP/RPOP key count (what it actually popped), so
// replicas never re-evaluate which key had elements.
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Execution;
using Cinnabar.Server.Storage;
using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Commands;

/// <summary>List commands.</summary>
internal static class ListCommands
{
    private const CommandFlags WriteOomFast = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast;
    private const CommandFlags WriteOom = CommandFlags.Write | CommandFlags.DenyOom;
    private const CommandFlags WriteFast = CommandFlags.Write | CommandFlags.Fast;

    public static void Register(CommandTable t)
    {
        t.Add("lpush", -3, WriteOomFast, 1, 1, 1, LPush, "list", "1.0.0", "write list fast", "Prepend one or multiple elements to a list");
        t.Add("rpush", -3, WriteOomFast, 1, 1, 1, RPush, "list", "1.0.0", "write list fast", "Append one or multiple elements to a list");
        t.Add("lpushx", -3, WriteOomFast, 1, 1, 1, LPushX, "list", "2.2.0", "write list fast", "Prepend an element to a list, only if the list exists");
        t.Add("rpushx", -3, WriteOomFast, 1, 1, 1, RPushX, "list", "2.2.0", "write list fast", "Append an element to a list, only if the list exists");
        t.Add("lpop", -2, WriteFast, 1, 1, 1, LPop, "list", "1.0.0", "write list fast", "Remove and get the first elements in a list");
        t.Add("rpop", -2, WriteFast, 1, 1, 1, RPop, "list", "1.0.0", "write list fast", "Remove and get the last elements in a list");
        t.Add("llen", 2, CommandFlags.ReadOnly | CommandFlags.Fast, 1, 1, 1, LLen, "list", "1.0.0", "read list fast", "Get the length of a list");
        t.Add("lrange", 4, CommandFlags.ReadOnly, 1, 1, 1, LRange, "list", "1.0.0", "read list slow", "Get a range of elements from a list");
        t.Add("lindex", 3, CommandFlags.ReadOnly, 1, 1, 1, LIndex, "list", "1.0.0", "read list slow", "Get an element from a list by its index");
        t.Add("lset", 4, WriteOom, 1, 1, 1, LSet, "list", "1.0.0", "write list slow", "Set the value of an element in a list by its index");
        t.Add("linsert", 5, WriteOom, 1, 1, 1, LInsert, "list", "2.2.0", "write list slow", "Insert an element before or after another element in a list");
        t.Add("lrem", 4, CommandFlags.Write, 1, 1, 1, LRem, "list", "1.0.0", "write list slow", "Remove elements from a list");
        t.Add("ltrim", 4, CommandFlags.Write, 1, 1, 1, LTrim, "list", "1.0.0", "write list slow", "Trim a list to the specified range");
        t.Add("lpos", -3, CommandFlags.ReadOnly, 1, 1, 1, LPos, "list", "6.0.6", "read list slow", "Return the index of matching elements on a list");
        t.Add("lmove", 5, WriteOom, 1, 2, 1, LMove, "list", "6.2.0", "write list slow", "Pop an element from a list, push it to another list and return it");
        t.Add("rpoplpush", 3, WriteOom, 1, 2, 1, RPopLPush, "list", "1.2.0", "write list slow", "Remove the last element in a list, prepend it to another list and return it");
        t.Add(new CommandSpec("lmpop", -4, CommandFlags.Write, 0, 0, 0, LMPop)
        {
            Group = "list",
            Since = "7.0.0",
            AclCategories = ["write", "list", "slow"],
            Summary = "Pop elements from a list",
            KeySpecs = [new KeySpec("RW access delete", 1, 0) { KeyNumIndex = 0, FirstKey = 1 }],
            KeyFinder = args => NumKeysPositions(args, 1),
        });
        ListBlockingCommands.Register(t);
    }

    // LPUSH key element [element ...]
    private static void LPush(CommandContext ctx) => PushGeneric(ctx, head: true, onlyIfExists: false);

    // RPUSH key element [element ...]
    private static void RPush(CommandContext ctx) => PushGeneric(ctx, head: false, onlyIfExists: false);

    // LPUSHX key element [element ...]
    private static void LPushX(CommandContext ctx) => PushGeneric(ctx, head: true, onlyIfExists: true);

    // RPUSHX key element [element ...]
    private static void RPushX(CommandContext ctx) => PushGeneric(ctx, head: false, onlyIfExists: true);

    // LPOP key [count]
    private static void LPop(CommandContext ctx) => PopGeneric(ctx, head: true);

    // RPOP key [count]
    private static void RPop(CommandContext ctx) => PopGeneric(ctx, head: false);

    // LLEN key
    private static void LLen(CommandContext ctx)
    {
        if (!TryGetListOrReply(ctx, ctx.Args[1], write: false, out var list, r => r.Integer(0)))
        {
            return;
        }

        ctx.Reply.Integer(list.Count);
    }

    // LRANGE key start stop
    private static void LRange(CommandContext ctx)
    {
        if (!TryLongOrReply(ctx, ctx.Args[2], out long start) || !TryLongOrReply(ctx, ctx.Args[3], out long end))
        {
            return;
        }

        if (!TryGetListOrReply(ctx, ctx.Args[1], write: false, out var list, r => r.ArrayHeader(0)))
        {
            return;
        }

        RangeReply(ctx, list, start, end, reverse: false);
    }

    // LINDEX key index
    private static void LIndex(CommandContext ctx)
    {
        if (!TryGetListOrReply(ctx, ctx.Args[1], write: false, out var list, r => r.NullBulk()))
        {
            return;
        }

        if (!TryLongOrReply(ctx, ctx.Args[2], out long index))
        {
            return;
        }

        if (index < 0)
        {
            index += list.Count;
        }

        if (index < 0 || index >= list.Count)
        {
            ctx.Reply.NullBulk();
            return;
        }

        ctx.Reply.Bulk(list.Get(index));
    }

    // LSET key index element
    private static void LSet(CommandContext ctx)
    {
        if (!TryGetListOrReply(ctx, ctx.Args[1], write: true, out var list, r => r.Error(Errors.NoSuchKey)))
        {
            return;
        }

        if (!TryLongOrReply(ctx, ctx.Args[2], out long index))
        {
            return;
        }

        if (index < 0)
        {
            index += list.Count;
        }

        if (index < 0 || index >= list.Count)
        {
            ctx.Error(Errors.OutOfRange);
            return;
        }

        list.Set(index, ctx.Args[3]);
        ctx.Reply.Ok();
        ctx.SignalModifiedKey(ctx.Args[1]);
        ctx.Notify(KeyspaceEvents.List, "lset", ctx.Args[1]);
        ctx.Dirty();
    }

    // LINSERT key BEFORE|AFTER pivot element
    private static void LInsert(CommandContext ctx)
    {
        bool after;
        if (ctx.Args.Is(2, "after"u8))
        {
            after = true;
        }
        else if (ctx.Args.Is(2, "before"u8))
        {
            after = false;
        }
        else
        {
            ctx.Error(Errors.Syntax);
            return;
        }

        if (!TryGetListOrReply(ctx, ctx.Args[1], write: true, out var list, r => r.Integer(0)))
        {
            return;
        }

        var it = list.Iterate(0);
        var pivot = ctx.Args[3];
        while (it.Next(out var e))
        {
            if (e.SequenceEqual(pivot))
            {
                list.InsertAt(it.Index - 1, ctx.Args[4], after);
                ctx.SignalModifiedKey(ctx.Args[1]);
                ctx.Notify(KeyspaceEvents.List, "linsert", ctx.Args[1]);
                ctx.Dirty();
                ctx.Reply.Integer(list.Count);
                return;
            }
        }

        ctx.Reply.Integer(-1);
    }

    // LREM key count element
    private static void LRem(CommandContext ctx)
    {
        if (!TryLongOrReply(ctx, ctx.Args[2], out long toRemove))
        {
            return;
        }

        var key = ctx.Args[1];
        if (!TryGetListOrReply(ctx, key, write: true, out var list, r => r.Integer(0)))
        {
            return;
        }

        long removed = list.RemoveMatching(ctx.Args[3], toRemove == long.MinValue ? 0 : Math.Abs(toRemove), fromTail: toRemove < 0);
        if (removed > 0)
        {
            ctx.SignalModifiedKey(key);
            ctx.Notify(KeyspaceEvents.List, "lrem", key);
            ctx.Dirty(removed);
        }

        DeleteIfEmpty(ctx, key, list);
        ctx.Reply.Integer(removed);
    }

    // LTRIM key start stop
    private static void LTrim(CommandContext ctx)
    {
        if (!TryLongOrReply(ctx, ctx.Args[2], out long start) || !TryLongOrReply(ctx, ctx.Args[3], out long end))
        {
            return;
        }

        var key = ctx.Args[1];
        if (!TryGetListOrReply(ctx, key, write: true, out var list, r => r.Ok()))
        {
            return;
        }

        long llen = list.Count;
        if (start < 0)
        {
            start += llen;
        }

        if (end < 0)
        {
            end += llen;
        }

        if (start < 0)
        {
            start = 0;
        }

        long ltrim, rtrim;
        if (start > end || start >= llen)
        {
            ltrim = llen;
            rtrim = 0;
        }
        else
        {
            if (end >= llen)
            {
                end = llen - 1;
            }

            ltrim = start;
            rtrim = llen - end - 1;
        }

        list.RemoveRange(0, ltrim);
        list.RemoveRange(list.Count - rtrim, rtrim);
        ctx.Notify(KeyspaceEvents.List, "ltrim", key);
        DeleteIfEmpty(ctx, key, list);

        // Redis signals and counts even when nothing was trimmed.
        ctx.SignalModifiedKey(key);
        ctx.Dirty(ltrim + rtrim);
        ctx.Reply.Ok();
    }

    // LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
    private static void LPos(CommandContext ctx)
    {
        long rank = 1, count = -1, maxlen = 0;
        var args = ctx.Args;
        for (int j = 3; j < args.Count; j++)
        {
            bool more = j < args.Count - 1;
            if (args.Is(j, "rank"u8) && more)
            {
                j++;
                if (!TryLongOrReply(ctx, args[j], out rank))
                {
                    return;
                }

                if (rank == 0)
                {
                    ctx.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
                    return;
                }
            }
            else if (args.Is(j, "count"u8) && more)
            {
                j++;
                if (!TryRangeOrReply(ctx, args[j], 0, long.MaxValue, "ERR COUNT can't be negative", out count))
                {
                    return;
                }
            }
            else if (args.Is(j, "maxlen"u8) && more)
            {
                j++;
                if (!TryRangeOrReply(ctx, args[j], 0, long.MaxValue, "ERR MAXLEN can't be negative", out maxlen))
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

        bool fromTail = rank < 0;

        // -LONG_MIN overflows in C to itself; clamp to keep the search meaningful.
        rank = rank == long.MinValue ? long.MaxValue : Math.Abs(rank);
        ref Slot s = ref ctx.LookupRead(args[1]);
        if (Unsafe.IsNullRef(ref s))
        {
            if (count != -1)
            {
                ctx.Reply.ArrayHeader(0);
            }
            else
            {
                ctx.Reply.NullBulk();
            }

            return;
        }

        if (s.Data is not ListValue list)
        {
            ctx.Error(Errors.WrongType);
            return;
        }

        int deferred = count != -1 ? ctx.Reply.BeginDeferredLength() : -1;
        long llen = list.Count;
        long index = 0, matches = 0, matchIndex = -1, arrayLen = 0;
        var it = fromTail ? list.IterateBackward(llen - 1) : list.Iterate(0);
        while ((maxlen == 0 || index < maxlen) && it.Next(out var e))
        {
            if (e.SequenceEqual(args[2]))
            {
                matches++;
                matchIndex = fromTail ? llen - index - 1 : index;
                if (matches >= rank)
                {
                    if (deferred >= 0)
                    {
                        arrayLen++;
                        ctx.Reply.Integer(matchIndex);
                        if (count != 0 && matches - rank + 1 >= count)
                        {
                            break;
                        }
                    }
                    else
                    {
                        break;
                    }
                }
            }

            index++;
            matchIndex = -1;
        }

        if (deferred >= 0)
        {
            ctx.Reply.EndDeferredLength(deferred, arrayLen);
        }
        else if (matchIndex != -1)
        {
            ctx.Reply.Integer(matchIndex);
        }
        else
        {
            ctx.Reply.NullBulk();
        }
    }

    // LMOVE source destination LEFT|RIGHT LEFT|RIGHT
    private static void LMove(CommandContext ctx)
    {
        if (!TryParseSideOrReply(ctx, ctx.Args[3], out bool fromHead) || !TryParseSideOrReply(ctx, ctx.Args[4], out bool toHead))
        {
            return;
        }

        MoveGeneric(ctx, fromHead, toHead, propagateAs: null);
    }

    // RPOPLPUSH source destination
    private static void RPopLPush(CommandContext ctx) => MoveGeneric(ctx, fromHead: false, toHead: true, propagateAs: null);

    // LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
    private static void LMPop(CommandContext ctx)
    {
        if (!TryParseMPopOrReply(ctx, 1, out var keys, out bool fromHead, out long count))
        {
            return;
        }

        foreach (var key in keys)
        {
            ref Slot s = ref ctx.LookupWrite(key);
            if (Unsafe.IsNullRef(ref s))
            {
                continue;
            }

            if (s.Data is not ListValue list)
            {
                ctx.Error(Errors.WrongType);
                return;
            }

            PopRangeWithKey(ctx.Server, ctx, ctx.Client.Output, ctx.Db, key, list, fromHead, count);
            return;
        }

        ctx.Reply.NullArray();
    }

    /// <summary>Key positions of a "numkeys key [key ...]" command whose numkeys is at <paramref name="numKeysIndex"/> (COMMAND GETKEYS).</summary>
    internal static List<int> NumKeysPositions(CommandArgs args, int numKeysIndex)
    {
        var keys = new List<int>();
        if (numKeysIndex < args.Count && Number.TryParseInt64(args[numKeysIndex], out long n) && n > 0)
        {
            for (long i = 0; i < n && numKeysIndex + 1 + i < args.Count; i++)
            {
                keys.Add(numKeysIndex + 1 + (int)i);
            }
        }

        return keys;
    }

    /// <summary>The common body of LMPOP and BLMPOP's arguments: numkeys, keys, LEFT|RIGHT, [COUNT n].</summary>
    internal static bool TryParseMPopOrReply(CommandContext ctx, int numKeysIndex, out byte[][] keys, out bool fromHead, out long count)
    {
        keys = [];
        fromHead = false;
        count = -1;
        var args = ctx.Args;
        if (!TryRangeOrReply(ctx, args[numKeysIndex], 1, long.MaxValue, "ERR numkeys should be greater than 0", out long numKeys))
        {
            return false;
        }

        long whereIndex = numKeysIndex + numKeys + 1;
        if (whereIndex >= args.Count)
        {
            ctx.Error(Errors.Syntax);
            return false;
        }

        if (!TryParseSideOrReply(ctx, args[(int)whereIndex], out fromHead))
        {
            return false;
        }

        for (int j = (int)whereIndex + 1; j < args.Count; j++)
        {
            if (count == -1 && args.Is(j, "count"u8) && j < args.Count - 1)
            {
                j++;
                if (!TryRangeOrReply(ctx, args[j], 1, long.MaxValue, "ERR count should be greater than 0", out count))
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
    /// Pops up to <paramref name="count"/> elements and replies [key, [elements]] (Redis's
    /// listPopRangeAndReplyWithKey), deleting the key when emptied; propagated as [LR]POP key n.
    /// Returns true when the key was deleted.
    /// </summary>
    internal static bool PopRangeWithKey(CinnabarServer server, CommandContext? ctx, ReplyWriter reply, Database db, byte[] key, ListValue list, bool fromHead, long count)
    {
        long n = Math.Min(count, list.Count);
        reply.ArrayHeader(2);
        reply.Bulk(key);
        reply.ArrayHeader(n);
        for (long i = 0; i < n; i++)
        {
            reply.Bulk(list.Pop(fromHead)!);
        }

        var op = CommandArgs.From(fromHead ? "LPOP"u8.ToArray() : "RPOP"u8.ToArray(), key, Number.ToBytes(n));
        bool deleted = ElementsRemoved(server, db, key, list, fromHead);
        if (ctx is not null)
        {
            ctx.SignalModifiedKey(db, key);
            ctx.Dirty(n);
            ctx.RewriteForPropagation(op);
        }

        return deleted;
    }

    /// <summary>
    /// LMOVE's body (Redis's lmoveGenericCommand): pops from the source, pushes to the
    /// destination (created if missing) and replies the element; null when the source is empty.
    /// </summary>
    internal static void MoveGeneric(CommandContext ctx, bool fromHead, bool toHead, CommandArgs? propagateAs)
    {
        var srcKey = ctx.Args[1];
        if (!TryGetListOrReply(ctx, srcKey, write: true, out var src, r => r.NullBulk()))
        {
            return;
        }

        var dstKey = ctx.Args[2];
        ref Slot d = ref ctx.LookupWrite(dstKey);
        if (!Unsafe.IsNullRef(ref d) && d.Data is not ListValue)
        {
            ctx.Error(Errors.WrongType);
            return;
        }

        var value = src.Pop(fromHead)!;
        PushTo(ctx, ctx.Db, dstKey, value, toHead);
        ctx.Reply.Bulk(value);

        // The source may be the destination: the push went into the same list, so it is
        // only deleted when it is still empty ("lpop"/"rpop" follows "lpush"/"rpush", as in Redis).
        ElementsRemoved(ctx.Server, ctx.Db, ctx.Args.ToArray(1), src, fromHead);
        ctx.SignalModifiedKey(srcKey);
        ctx.Dirty();
        if (propagateAs is not null)
        {
            ctx.RewriteForPropagation(propagateAs);
        }
    }

    /// <summary>Pushes one element, creating the list when missing (lmoveHandlePush without the reply).</summary>
    internal static void PushTo(CommandContext ctx, Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool head)
    {
        ref Slot d = ref db.FindRaw(key);
        ListValue dst;
        if (Unsafe.IsNullRef(ref d) || d.Data is not ListValue existing)
        {
            dst = new ListValue(key.ToArray(), ctx.Server.Config.ListMaxListpackSize);
            db.Add(key, dst, 0);
        }
        else
        {
            dst = existing;
        }

        ctx.SignalModifiedKey(db, key);
        dst.Push(value, head);
        KeyspaceEvents.Notify(ctx.Server, KeyspaceEvents.List, head ? "lpush" : "rpush", key, db.Index);
    }

    /// <summary>Looks a key up and checks it holds a list; replies <paramref name="missing"/> when absent, WRONGTYPE otherwise.</summary>
    internal static bool TryGetListOrReply(CommandContext ctx, ReadOnlySpan<byte> key, bool write, out ListValue list, Action<ReplyWriter> missing) =>
        ctx.TryGetValueOrReply(key, write, out list, missing);

    /// <summary>LEFT or RIGHT (getListPositionFromObjectOrReply).</summary>
    internal static bool TryParseSideOrReply(CommandContext ctx, ReadOnlySpan<byte> arg, out bool head)
    {
        if (System.Text.Ascii.EqualsIgnoreCase(arg, "left"u8))
        {
            head = true;
            return true;
        }

        if (System.Text.Ascii.EqualsIgnoreCase(arg, "right"u8))
        {
            head = false;
            return true;
        }

        head = false;
        ctx.Error(Errors.Syntax);
        return false;
    }

    /// <summary>getLongFromObjectOrReply.</summary>
    internal static bool TryLongOrReply(CommandContext ctx, ReadOnlySpan<byte> arg, out long value)
    {
        if (Number.TryParseInt64(arg, out value))
        {
            return true;
        }

        ctx.Error(Errors.NotInteger);
        return false;
    }

    /// <summary>getRangeLongFromObjectOrReply with a message used for both parse and range failures.</summary>
    internal static bool TryRangeOrReply(CommandContext ctx, ReadOnlySpan<byte> arg, long min, long max, string message, out long value)
    {
        if (Number.TryParseInt64(arg, out value) && value >= min && value <= max)
        {
            return true;
        }

        ctx.Error(message);
        return false;
    }

    /// <summary>addListRangeReply: inclusive range with negative indexes, optionally reversed.</summary>
    internal static void RangeReply(CommandContext ctx, ListValue list, long start, long end, bool reverse) =>
        RangeReply(ctx.Reply, list, start, end, reverse);

    /// <summary>addListRangeReply into any reply writer.</summary>
    internal static void RangeReply(ReplyWriter reply, ListValue list, long start, long end, bool reverse)
    {
        long llen = list.Count;
        if (start < 0)
        {
            start += llen;
        }

        if (end < 0)
        {
            end += llen;
        }

        if (start < 0)
        {
            start = 0;
        }

        if (start > end || start >= llen)
        {
            reply.ArrayHeader(0);
            return;
        }

        if (end >= llen)
        {
            end = llen - 1;
        }

        long n = end - start + 1;
        reply.ArrayHeader(n);
        var it = reverse ? list.IterateBackward(end) : list.Iterate(start);
        while (n-- > 0 && it.Next(out var e))
        {
            reply.Bulk(e);
        }
    }

    // A list never exists empty: the command that empties it deletes the key and says "del".
    private static void DeleteIfEmpty(CommandContext ctx, ReadOnlySpan<byte> key, ListValue list)
    {
        if (list.Count == 0)
        {
            ctx.Db.Delete(key);
            ctx.Notify(KeyspaceEvents.Generic, "del", key);
        }
    }

    /// <summary>
    /// Redis's listElementsRemoved without the dirty/signal part: the "lpop"/"rpop" event, then the
    /// key's deletion with "del" when the pop emptied it. Returns true when the key was deleted.
    /// </summary>
    internal static bool ElementsRemoved(CinnabarServer server, Database db, byte[] key, ListValue list, bool head)
    {
        KeyspaceEvents.Notify(server, KeyspaceEvents.List, head ? "lpop" : "rpop", key, db.Index);
        if (list.Count != 0)
        {
            return false;
        }

        db.Delete(key);
        KeyspaceEvents.Notify(server, KeyspaceEvents.Generic, "del", key, db.Index);
        return true;
    }

    // Redis's pushGenericCommand.
    private static void PushGeneric(CommandContext ctx, bool head, bool onlyIfExists)
    {
        var key = ctx.Args[1];
        ref Slot s = ref ctx.LookupWrite(key);
        ListValue list;
        if (Unsafe.IsNullRef(ref s))
        {
            if (onlyIfExists)
            {
                ctx.Reply.Integer(0);
                return;
            }

            list = new ListValue(key.ToArray(), ctx.Server.Config.ListMaxListpackSize);
            ctx.Db.Add(key, list, 0);
            int bytes = 0;
            for (int j = 2; j < ctx.Args.Count; j++)
            {
                bytes += ListValue.EntrySize(ctx.Args[j].Length);
            }

            list.Reserve(bytes, head);
        }
        else if (s.Data is ListValue l)
        {
            list = l;
        }
        else
        {
            ctx.Error(Errors.WrongType);
            return;
        }

        for (int j = 2; j < ctx.Args.Count; j++)
        {
            list.Push(ctx.Args[j], head);
        }

        ctx.Dirty(ctx.Args.Count - 2);
        ctx.Reply.Integer(list.Count);
        ctx.SignalModifiedKey(key);
        ctx.Notify(KeyspaceEvents.List, head ? "lpush" : "rpush", key);
    }

    // Redis's popGenericCommand.
    private static void PopGeneric(CommandContext ctx, bool head)
    {
        if (ctx.Args.Count > 3)
        {
            ctx.Error(Errors.Arity(ctx.Spec.FullName));
            return;
        }

        bool hasCount = ctx.Args.Count == 3;
        long count = 0;
        if (hasCount && !TryRangeOrReply(ctx, ctx.Args[2], 0, long.MaxValue, "ERR value is out of range, must be positive", out count))
        {
            return;
        }

        var key = ctx.Args[1];
        if (!TryGetListOrReply(ctx, key, write: true, out var list, r =>
        {
            if (hasCount)
            {
                r.NullArray();
            }
            else
            {
                r.NullBulk();
            }
        }))
        {
            return;
        }

        if (hasCount && count == 0)
        {
            ctx.Reply.ArrayHeader(0);
            return;
        }

        long n;
        if (!hasCount)
        {
            ctx.Reply.Bulk(list.Pop(head)!);
            n = 1;
        }
        else
        {
            n = Math.Min(count, list.Count);
            ctx.Reply.ArrayHeader(n);
            for (long i = 0; i < n; i++)
            {
                ctx.Reply.Bulk(list.Pop(head)!);
            }
        }

        ElementsRemoved(ctx.Server, ctx.Db, ctx.Args.ToArray(1), list, head);
        ctx.SignalModifiedKey(key);
        ctx.Dirty(n);
    }
}
