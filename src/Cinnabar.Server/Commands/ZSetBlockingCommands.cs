// Blocking sorted-set pops (t_zset.c blockingGenericZpopCommand, blocked.c
// serveClientsBlockedOnSortedSetKey). Registered: BZPOPMIN BZPOPMAX BZMPOP.
// With a non-empty key they behave as ZPOPMIN/ZPOPMAX and are propagated as those (BZPOPMIN ->
// ZPOPMIN key; BZMPOP -> ZPOPMIN/ZPOPMAX key count, count clipped to what was popped). Otherwise
// the client waits in the BlockingManager (FIFO per key, timeouts, CLIENT UNBLOCK, the same
// machinery as BLPOP); a write that fills a key serves the waiters in order, each pop
// propagated on its own. Inside MULTI/EXEC and for our primary's stream they never block and
// answer as if timed out (CLIENT_DENY_BLOCKING).
using Cinnabar.Protocol;
using Cinnabar.Server.Execution;
using Cinnabar.Server.Networking;
using Cinnabar.Server.Storage;
using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Commands;

/// <summary>BZPOPMIN, BZPOPMAX, BZMPOP.</summary>
internal static class ZSetBlockingCommands
{
    private const CommandFlags Blocking = CommandFlags.Write | CommandFlags.NoScript | CommandFlags.Fast | CommandFlags.Blocking;

    public static void Register(CommandTable t)
    {
        t.Add("bzpopmin", -3, Blocking, 1, -2, 1, BZPopMin, "sorted-set", "5.0.0", "write sortedset fast blocking", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available");
        t.Add("bzpopmax", -3, Blocking, 1, -2, 1, BZPopMax, "sorted-set", "5.0.0", "write sortedset fast blocking", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available");
        t.Add(new CommandSpec("bzmpop", -5, CommandFlags.Write | CommandFlags.Blocking, 0, 0, 0, BZMPop)
        {
            Group = "sorted-set",
            Since = "7.0.0",
            AclCategories = ["write", "sortedset", "slow", "blocking"],
            Summary = "Remove and return members with scores in a sorted set or block until one is available",
            KeySpecs = [new KeySpec("RW access delete", 2, 0) { KeyNumIndex = 0, FirstKey = 1 }],
            KeyFinder = args => ListCommands.NumKeysPositions(args, 2),
        });
    }

    // BZPOPMIN key [key ...] timeout
    private static void BZPopMin(CommandContext ctx) => BZPop(ctx, max: false);

    // BZPOPMAX key [key ...] timeout
    private static void BZPopMax(CommandContext ctx) => BZPop(ctx, max: true);

    // BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
    private static void BZMPop(CommandContext ctx)
    {
        // Redis parses the pop arguments before the timeout.
        if (!ZSetPopCommands.TryParseMPopOrReply(ctx, 2, out var keys, out bool max, out long count) ||
            !ListBlockingCommands.TryTimeoutOrReply(ctx, ctx.Args[1], out long deadline))
        {
            return;
        }

        PopOrBlock(ctx, keys, max, count, nested: true, deadline, "bzmpop");
    }

    private static void BZPop(CommandContext ctx, bool max)
    {
        if (!ListBlockingCommands.TryTimeoutOrReply(ctx, ctx.Args[^1], out long deadline))
        {
            return;
        }

        var keys = new byte[ctx.Args.Count - 2][];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = ctx.Args.ToArray(i + 1);
        }

        PopOrBlock(ctx, keys, max, -1, nested: false, deadline, max ? "bzpopmax" : "bzpopmin");
    }

    private static void PopOrBlock(CommandContext ctx, byte[][] keys, bool max, long count, bool nested, long deadline, string command)
    {
        foreach (var key in keys)
        {
            ref Slot s = ref ctx.LookupWrite(key);
            if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref s))
            {
                continue;
            }

            if (s.Data is not ZSetValue z)
            {
                ctx.Error(Errors.WrongType);
                return;
            }

            if (z.Count == 0)
            {
                continue;
            }

            var popped = ZSetPopCommands.PopGeneric(ctx, ctx.Reply, ctx.Db, [key], max, emitKey: true, count, nested, nullWhenEmpty: nested);
            if (popped is { } p)
            {
                ctx.RewriteForPropagation(PropagatedPop(max, key, count == -1 ? -1 : p.Count));
            }

            return;
        }

        if (ctx.Server.Dispatcher.InExec || ctx.Client.IsPrimaryLink)
        {
            ctx.Reply.NullArray();
            return;
        }

        var server = ctx.Server;
        int db = ctx.Db.Index;
        server.Blocking.Block(ctx.Client, new BlockState
        {
            Command = command,
            Spec = ctx.Spec,
            Db = db,
            Keys = keys,
            Count = count,
            Deadline = deadline,
            TimeoutReply = r => r.NullArray(),
            Serve = (client, key) => Serve(server, client, db, key, max, count, nested),
        });
    }

    // serveClientsBlockedOnSortedSetKey for one waiter: a key that is not a non-empty sorted set
    // (a list pushed under the same name) leaves it waiting.
    private static bool Serve(CinnabarServer server, ClientSession client, int dbIndex, byte[] key, bool max, long count, bool nested)
    {
        var db = server.Databases[dbIndex];
        ref Slot s = ref db.FindRaw(key);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref s) || s.Data is not ZSetValue z || z.Count == 0)
        {
            return false;
        }

        var popped = ZSetPopCommands.PopGeneric(null, client.Output, db, [key], max, emitKey: true, count, nested, nullWhenEmpty: nested, server);
        if (popped is { } p && server.PropagationSinks.Count > 0)
        {
            server.PropagateUnit([dbIndex], [PropagatedPop(max, key, count == -1 ? -1 : p.Count)], atomic: false);
        }

        return true;
    }

    private static CommandArgs PropagatedPop(bool max, byte[] key, long count)
    {
        var name = max ? "ZPOPMAX"u8.ToArray() : "ZPOPMIN"u8.ToArray();
        return count == -1 ? CommandArgs.From(name, key) : CommandArgs.From(name, key, Number.ToBytes(count));
    }
}
