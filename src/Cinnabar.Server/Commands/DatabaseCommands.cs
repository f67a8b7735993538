// Whole-database commands (Redis's db.c and server.c). Registered: DBSIZE FLUSHDB FLUSHALL SWAPDB
// FLUSHDB/FLUSHALL are always propagated, even when nothing was removed, as Redis forces it.
using Cinnabar.Protocol;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>Whole-database commands.</summary>
internal static class DatabaseCommands
{
    public static void Register(CommandTable t)
    {
        t.Add("dbsize", 1, CommandFlags.ReadOnly | CommandFlags.Fast, 0, 0, 0, DbSize, "server", "1.0.0", "keyspace read fast", "Return the number of keys in the selected database");
        t.Add("flushdb", -1, CommandFlags.Write, 0, 0, 0, FlushDb, "server", "1.0.0", "keyspace write slow dangerous", "Remove all keys from the current database");
        t.Add("flushall", -1, CommandFlags.Write, 0, 0, 0, FlushAll, "server", "1.0.0", "keyspace write slow dangerous", "Remove all keys from all databases");
        t.Add("swapdb", 3, CommandFlags.Write | CommandFlags.Fast, 0, 0, 0, SwapDb, "server", "4.0.0", "keyspace write fast dangerous", "Swaps two Redis databases");
    }

    // DBSIZE
    private static void DbSize(CommandContext ctx) => ctx.Reply.Integer(ctx.Db.Count);

    // FLUSHDB [ASYNC|SYNC]
    private static void FlushDb(CommandContext ctx)
    {
        if (!TryGetFlushModeOrReply(ctx, out bool async))
        {
            return;
        }

        long removed = EmptyDatabase(ctx.Server, ctx.Db);
        CountLazyFreed(ctx.Server, async, removed);
        ctx.Dirty(removed);

        // Redis forces propagation: an empty database still replicates its FLUSHDB.
        ctx.RewriteForPropagation(ctx.Args.Clone());
        ctx.Reply.Ok();
    }

    // FLUSHALL [ASYNC|SYNC]
    private static void FlushAll(CommandContext ctx)
    {
        if (!TryGetFlushModeOrReply(ctx, out bool async))
        {
            return;
        }

        long removed = 0;
        foreach (var db in ctx.Server.Databases)
        {
            removed += EmptyDatabase(ctx.Server, db);
        }

        CountLazyFreed(ctx.Server, async, removed);

        ctx.Server.ActiveExpiry.ForgetReplicaKeys();

        // flushAllDataAndResetRDB counts the removed keys (redis-server 7.0.15: SET a; SET b;
        // FLUSHALL moves rdb_changes_since_last_save from 2 to 4). The command propagates even
        // when nothing was removed (forceCommandPropagation), through the rewrite.
        ctx.Dirty(removed);
        ctx.RewriteForPropagation(ctx.Args.Clone());

        // flushAllDataAndResetRDB kills the RDB child, whether it saves a BGSAVE (whose file would
        // bring the flushed keys back) or a full sync's snapshot (its replicas are dropped and
        // sync again, with the emptied dataset).
        ctx.Server.Snapshots.CancelBackgroundSave();
        ctx.Server.PrimaryReplication.FullSyncs.Kill();

        // flushAllDataAndResetRDB: with save points the emptied dataset is saved at once, so the
        // flushed keys cannot come back from an older dump. The save zeroes the change counter;
        // the dispatcher adds this command's changes afterwards, so they are taken back here to
        // leave rdb_changes_since_last_save at 0 as in Redis (propagation still sees them).
        if (ctx.Server.Config.SavePoints.Count > 0 && ctx.Server.Snapshots.Save())
        {
            ctx.Server.Dirty = -ctx.DirtyCount;
        }

        ctx.Reply.Ok();
    }

    // SWAPDB index1 index2
    private static void SwapDb(CommandContext ctx)
    {
        if (!Number.TryParseInt64(ctx.Args[1], out long id1) || id1 is < int.MinValue or > int.MaxValue)
        {
            ctx.Error(Errors.InvalidFirstDbIndex);
            return;
        }

        if (!Number.TryParseInt64(ctx.Args[2], out long id2) || id2 is < int.MinValue or > int.MaxValue)
        {
            ctx.Error(Errors.InvalidSecondDbIndex);
            return;
        }

        var dbs = ctx.Server.Databases;
        if (id1 < 0 || id1 >= dbs.Length || id2 < 0 || id2 >= dbs.Length)
        {
            ctx.Error(Errors.DbIndexOutOfRange);
            return;
        }

        if (id1 != id2)
        {
            var a = dbs[id1];
            var b = dbs[id2];
            TransactionCommands.TouchAllWatchedKeys(ctx.Server, a, b, ctx.NowMs);
            TransactionCommands.TouchAllWatchedKeys(ctx.Server, b, a, ctx.NowMs);
            a.SwapContents(b);
            ctx.Server.ActiveExpiry.ForgetReplicaKeys();

            // scanDatabaseForReadyKeys: clients blocked in either database may now find data.
            ctx.Server.Blocking.SignalAllKeysOf((int)id1);
            ctx.Server.Blocking.SignalAllKeysOf((int)id2);
        }

        ctx.Dirty();
        ctx.Reply.Ok();
    }

    // Redis's getFlushCommandFlags: nothing (lazyfree-lazy-user-flush decides), or exactly one of
    // ASYNC/SYNC. Both modes drop the tables at once here; ASYNC only counts lazyfreed_objects.
    private static bool TryGetFlushModeOrReply(CommandContext ctx, out bool async)
    {
        async = false;
        if (ctx.Args.Count == 1)
        {
            async = ctx.Server.Config.LazyFreeLazyUserFlush;
            return true;
        }

        if (ctx.Args.Count == 2 && (ctx.Args.Is(1, "sync"u8) || ctx.Args.Is(1, "async"u8)))
        {
            async = ctx.Args.Is(1, "async"u8);
            return true;
        }

        ctx.Error(Errors.Syntax);
        return false;
    }

    // emptyDbAsync: the keys of an asynchronously emptied database count as lazily freed.
    private static void CountLazyFreed(CinnabarServer server, bool async, long removed)
    {
        if (async)
        {
            server.Stats.LazyFreedObjects += removed;
        }
    }

    // Redis's emptyData for one database: WATCHers of keys that exist are touched first.
    private static long EmptyDatabase(CinnabarServer server, Database db)
    {
        TransactionCommands.TouchAllWatchedKeys(server, db, null, server.NowMs);
        return db.Clear();
    }
}
