// Generic key commands (db.c, expire.c). Registered: DEL EXISTS DBSIZE FLUSHDB FLUSHALL (more to come).
using System.Runtime.CompilerServices;

namespace Cinnabar.Server.Commands;

/// <summary>Keyspace commands.</summary>
internal static class KeyCommands
{
    public static void Register(CommandTable t)
    {
        t.Add("del", -2, CommandFlags.Write, 1, -1, 1, Del, "generic", "1.0.0", "keyspace write slow", "Deletes one or more keys.");
        t.Add("exists", -2, CommandFlags.ReadOnly | CommandFlags.Fast, 1, -1, 1, Exists, "generic", "1.0.0", "keyspace read fast", "Determines whether one or more keys exist.");
        t.Add("dbsize", 1, CommandFlags.ReadOnly | CommandFlags.Fast, 0, 0, 0, DbSize, "server", "1.0.0", "keyspace read fast", "Returns the number of keys in the database.");
        t.Add("flushdb", -1, CommandFlags.Write, 0, 0, 0, FlushDb, "server", "1.0.0", "keyspace write slow dangerous", "Removes all keys from the current database.");
        t.Add("flushall", -1, CommandFlags.Write, 0, 0, 0, FlushAll, "server", "1.0.0", "keyspace write slow dangerous", "Removes all keys from all databases.");
    }

    // DEL key [key ...]
    private static void Del(CommandContext ctx)
    {
        long n = 0;
        for (int i = 1; i < ctx.Args.Count; i++)
        {
            var key = ctx.Args[i];
            ref var s = ref ctx.LookupWrite(key);
            if (!Unsafe.IsNullRef(ref s) && ctx.Db.Delete(key))
            {
                ctx.SignalModifiedKey(key);
                ctx.Dirty();
                n++;
            }
        }

        ctx.Reply.Integer(n);
    }

    // EXISTS key [key ...]
    private static void Exists(CommandContext ctx)
    {
        long n = 0;
        for (int i = 1; i < ctx.Args.Count; i++)
        {
            if (!Unsafe.IsNullRef(ref ctx.LookupNoStats(ctx.Db, ctx.Args[i])))
            {
                n++;
            }
        }

        ctx.Reply.Integer(n);
    }

    // DBSIZE
    private static void DbSize(CommandContext ctx) => ctx.Reply.Integer(ctx.Db.Count);

    // FLUSHDB [ASYNC|SYNC]
    private static void FlushDb(CommandContext ctx)
    {
        TransactionCommands.TouchAllWatchedKeys(ctx.Server, ctx.Db, null, ctx.NowMs);
        ctx.Db.Clear();
        ctx.Dirty();
        ctx.Reply.Ok();
    }

    // FLUSHALL [ASYNC|SYNC]
    private static void FlushAll(CommandContext ctx)
    {
        foreach (var db in ctx.Server.Databases)
        {
            TransactionCommands.TouchAllWatchedKeys(ctx.Server, db, null, ctx.NowMs);
            db.Clear();
        }

        ctx.Dirty();
        ctx.Reply.Ok();
    }
}
