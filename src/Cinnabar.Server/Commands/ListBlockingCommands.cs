// Blocking list commands (t_list.c's blocking part). Registered: BLPOP BRPOP BLMOVE BRPOPLPUSH
// BLMPOP. When a key has elements they behave exactly like their non-blocking forms and are
// propagated as those (LPOP/RPOP, LPOP key n, LMOVE, RPOPLPUSH). Otherwise the client is parked
// in the BlockingManager with a callback that does the same work when a push makes the key
// ready; inside MULTI/EXEC (and for our primary's stream) they never block and answer as if
// timed out, as Redis does with CLIENT_DENY_BLOCKING.
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Execution;
using Cinnabar.Server.Networking;
using Cinnabar.Server.Storage;
using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Commands;

/// <summary>Blocking list commands.</summary>
internal static class ListBlockingCommands
{
    private const CommandFlags Blocking = CommandFlags.Write | CommandFlags.NoScript | CommandFlags.Blocking;

    public static void Register(CommandTable t)
    {
        t.Add("blpop", -3, Blocking, 1, -2, 1, BLPop, "list", "2.0.0", "write list slow blocking", "Remove and get the first element in a list, or block until one is available");
        t.Add("brpop", -3, Blocking, 1, -2, 1, BRPop, "list", "2.0.0", "write list slow blocking", "Remove and get the last element in a list, or block until one is available");
        t.Add("brpoplpush", 4, Blocking | CommandFlags.DenyOom, 1, 2, 1, BRPopLPush, "list", "2.2.0", "write list slow blocking", "Pop an element from a list, push it to another list and return it; or block until one is available");
        t.Add("blmove", 6, Blocking | CommandFlags.DenyOom, 1, 2, 1, BLMove, "list", "6.2.0", "write list slow blocking", "Pop an element from a list, push it to another list and return it; or block until one is available");
        t.Add(new CommandSpec("blmpop", -5, CommandFlags.Write | CommandFlags.Blocking, 0, 0, 0, BLMPop)
        {
            Group = "list",
            Since = "7.0.0",
            AclCategories = ["write", "list", "slow", "blocking"],
            Summary = "Pop elements from a list, or block until one is available",
            KeySpecs = [new KeySpec("RW access delete", 2, 0) { KeyNumIndex = 0, FirstKey = 1 }],
            KeyFinder = args => ListCommands.NumKeysPositions(args, 2),
        });
    }

    // BLPOP key [key ...] timeout
    private static void BLPop(CommandContext ctx) => BlockingPop(ctx, head: true);

    // BRPOP key [key ...] timeout
    private static void BRPop(CommandContext ctx) => BlockingPop(ctx, head: false);

    // BRPOPLPUSH source destination timeout
    private static void BRPopLPush(CommandContext ctx)
    {
        if (!TryTimeoutOrReply(ctx, ctx.Args[3], out long deadline))
        {
            return;
        }

        BlockingMove(ctx, fromHead: false, toHead: true, deadline, "brpoplpush");
    }

    // BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
    private static void BLMove(CommandContext ctx)
    {
        if (!ListCommands.TryParseSideOrReply(ctx, ctx.Args[3], out bool fromHead) ||
            !ListCommands.TryParseSideOrReply(ctx, ctx.Args[4], out bool toHead) ||
            !TryTimeoutOrReply(ctx, ctx.Args[5], out long deadline))
        {
            return;
        }

        BlockingMove(ctx, fromHead, toHead, deadline, "blmove");
    }

    // BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
    private static void BLMPop(CommandContext ctx)
    {
        if (!ListCommands.TryParseMPopOrReply(ctx, 2, out var keys, out bool head, out long count) ||
            !TryTimeoutOrReply(ctx, ctx.Args[1], out long deadline))
        {
            return;
        }

        PopOrBlock(ctx, keys, head, count, deadline, "blmpop");
    }

    private static void BlockingPop(CommandContext ctx, bool head)
    {
        if (!TryTimeoutOrReply(ctx, ctx.Args[^1], out long deadline))
        {
            return;
        }

        var keys = new byte[ctx.Args.Count - 2][];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = ctx.Args.ToArray(i + 1);
        }

        PopOrBlock(ctx, keys, head, -1, deadline, head ? "blpop" : "brpop");
    }

    // Redis's blockingPopGenericCommand.
    private static void PopOrBlock(CommandContext ctx, byte[][] keys, bool head, long count, long deadline, string command)
    {
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

            if (list.Count == 0)
            {
                continue;
            }

            if (count != -1)
            {
                ListCommands.PopRangeWithKey(ctx.Server, ctx, ctx.Reply, ctx.Db, key, list, head, count);
                return;
            }

            PopOne(ctx.Server, ctx.Reply, ctx.Db, key, list, head);
            ctx.SignalModifiedKey(key);
            ctx.Dirty();
            ctx.RewriteForPropagation(CommandArgs.From(head ? "LPOP"u8.ToArray() : "RPOP"u8.ToArray(), key));
            return;
        }

        if (DenyBlocking(ctx))
        {
            ctx.Reply.NullArray();
            return;
        }

        var server = ctx.Server;
        int db = ctx.Db.Index;
        ctx.Server.Blocking.Block(ctx.Client, new BlockState
        {
            Command = command,
            Spec = ctx.Spec,
            Db = db,
            Keys = keys,
            FromHead = head,
            Count = count,
            Deadline = deadline,
            TimeoutReply = r => r.NullArray(),
            Serve = (client, key) => ServePop(server, client, db, key, head, count),
        });
    }

    // BLMOVE/BRPOPLPUSH (Redis's blmoveGenericCommand).
    private static void BlockingMove(CommandContext ctx, bool fromHead, bool toHead, long deadline, string command)
    {
        var src = ctx.Args[1];
        ref Slot s = ref ctx.LookupWrite(src);
        if (!Unsafe.IsNullRef(ref s) && s.Data is not ListValue)
        {
            ctx.Error(Errors.WrongType);
            return;
        }

        if (!Unsafe.IsNullRef(ref s))
        {
            var op = command == "brpoplpush"
                ? CommandArgs.From("RPOPLPUSH"u8.ToArray(), ctx.Args.ToArray(1), ctx.Args.ToArray(2))
                : CommandArgs.From("LMOVE"u8.ToArray(), ctx.Args.ToArray(1), ctx.Args.ToArray(2), ctx.Args.ToArray(3), ctx.Args.ToArray(4));
            ListCommands.MoveGeneric(ctx, fromHead, toHead, op);
            return;
        }

        if (DenyBlocking(ctx))
        {
            ctx.Reply.NullBulk();
            return;
        }

        var server = ctx.Server;
        int db = ctx.Db.Index;
        var target = ctx.Args.ToArray(2);
        ctx.Server.Blocking.Block(ctx.Client, new BlockState
        {
            Command = command,
            Spec = ctx.Spec,
            Db = db,
            Keys = [ctx.Args.ToArray(1)],
            FromHead = fromHead,
            ToHead = toHead,
            Target = target,
            Deadline = deadline,
            // replyToBlockedClientTimedOut answers every list block with a null array, BLMOVE too.
            TimeoutReply = r => r.NullArray(),
            Serve = (client, key) => ServeMove(server, client, db, key, target, fromHead, toHead, command == "brpoplpush"),
        });
    }

    // serveClientBlockedOnList for BLPOP/BRPOP/BLMPOP: pop, reply, propagate as [LR]POP.
    private static bool ServePop(CinnabarServer server, ClientSession client, int dbIndex, byte[] key, bool head, long count)
    {
        var db = server.Databases[dbIndex];
        if (db.FindRaw(key).Data is not ListValue list)
        {
            return false;
        }

        CommandArgs op;
        long popped;
        if (count != -1)
        {
            popped = Math.Min(count, list.Count);
            op = CommandArgs.From(head ? "LPOP"u8.ToArray() : "RPOP"u8.ToArray(), key, Number.ToBytes(popped));
            ListCommands.PopRangeWithKey(server, null, client.Output, db, key, list, head, count);
        }
        else
        {
            popped = 1;
            op = CommandArgs.From(head ? "LPOP"u8.ToArray() : "RPOP"u8.ToArray(), key);
            PopOne(server, client.Output, db, key, list, head);
        }

        server.Dirty += popped;
        if (server.PropagationSinks.Count > 0)
        {
            server.PropagateUnit([dbIndex], [op], atomic: false);
        }

        return true;
    }

    // serveClientBlockedOnList for BLMOVE/BRPOPLPUSH: a destination of the wrong type answers
    // WRONGTYPE (and unblocks) without popping.
    private static bool ServeMove(CinnabarServer server, ClientSession client, int dbIndex, byte[] key, byte[] target, bool fromHead, bool toHead, bool isBRPopLPush)
    {
        var db = server.Databases[dbIndex];
        if (db.FindRaw(key).Data is not ListValue)
        {
            return false;
        }

        ref Slot d = ref db.FindRaw(target);
        if (!Unsafe.IsNullRef(ref d) && !(d.Expire != 0 && d.Expire < server.NowMs) && d.Data is not ListValue)
        {
            client.Output.Error(Errors.WrongType);
            server.Dispatcher.CountError("WRONGTYPE"u8);
            server.Commands.Lookup(isBRPopLPush ? "brpoplpush"u8 : "blmove"u8)!.FailedCalls++;
            return true;
        }

        var list = (ListValue)db.FindRaw(key).Data!;
        var value = list.Pop(fromHead)!;
        var ctx = server.Dispatcher.ContextFor(client);
        ListCommands.PushTo(ctx, db, target, value, toHead);
        client.Output.Bulk(value);
        ListCommands.ElementsRemoved(server, db, key, list, fromHead);

        server.Dirty++;
        if (server.PropagationSinks.Count > 0)
        {
            var op = isBRPopLPush
                ? CommandArgs.From("RPOPLPUSH"u8.ToArray(), key, target)
                : CommandArgs.From("LMOVE"u8.ToArray(), key, target, fromHead ? "LEFT"u8.ToArray() : "RIGHT"u8.ToArray(), toHead ? "LEFT"u8.ToArray() : "RIGHT"u8.ToArray());
            server.PropagateUnit([dbIndex], [op], atomic: false);
        }

        return true;
    }

    private static void PopOne(CinnabarServer server, ReplyWriter reply, Database db, byte[] key, ListValue list, bool head)
    {
        var value = list.Pop(head)!;
        reply.ArrayHeader(2);
        reply.Bulk(key);
        reply.Bulk(value);
        ListCommands.ElementsRemoved(server, db, key, list, head);
    }

    // CLIENT_DENY_BLOCKING: commands run by EXEC, and the stream from our primary.
    private static bool DenyBlocking(CommandContext ctx) => ctx.Server.Dispatcher.InExec || ctx.Client.IsPrimaryLink;

    /// <summary>getTimeoutFromObjectOrReply in seconds: a deadline in Unix ms, 0 = forever.</summary>
    internal static bool TryTimeoutOrReply(CommandContext ctx, ReadOnlySpan<byte> arg, out long deadline)
    {
        deadline = 0;
        // string2ld decides what is accepted (hex floats too); the value is strtod's, except that
        // a positive long double too small for a double still rounds up to 1 ms, as ceill does.
        double seconds = CStrtod.Parse(arg, out _, out bool range);
        if (seconds == 0 && range && !double.IsNegative(seconds))
        {
            seconds = double.Epsilon;
        }

        if (!LongDouble.TryParse(arg, out _))
        {
            ctx.Error("ERR timeout is not a float or out of range");
            return false;
        }

        double ms = Math.Ceiling(seconds * 1000.0);

        // C's (long long) cast of an out-of-range value gives LLONG_MIN on x86-64: "negative".
        if (ms < 0 || double.IsNaN(ms) || ms >= 9.2e18)
        {
            ctx.Error("ERR timeout is negative");
            return false;
        }

        deadline = ms > 0 ? (long)ms + ctx.Server.NowMs : 0;
        return true;
    }
}
