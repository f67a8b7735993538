// MULTI EXEC DISCARD WATCH UNWATCH (multi.c). Queued commands were checked for arity and
// existence when queued; a rejection marks the transaction so EXEC answers EXECABORT. A write
// to a WATCHed key (including expiry and FLUSH) marks the watchers dirty so EXEC answers null.
using System.Runtime.InteropServices;
using Cinnabar.Server.Networking;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>Transactions.</summary>
internal static class TransactionCommands
{
    public static void Register(CommandTable t)
    {
        t.Add("multi", 1, CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.AllowBusy, 0, 0, 0, Multi, "transactions", "1.2.0", "fast transaction", "Starts a transaction.");
        t.Add("exec", 1, CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.SkipSlowlog, 0, 0, 0, Exec, "transactions", "1.2.0", "slow transaction", "Executes all commands in a transaction.");
        t.Add("discard", 1, CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.AllowBusy, 0, 0, 0, Discard, "transactions", "2.0.0", "fast transaction", "Discards a transaction.");
        t.Add("watch", -2, CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.AllowBusy, 1, -1, 1, Watch, "transactions", "2.2.0", "fast transaction", "Monitors changes to keys to determine the execution of a transaction.");
        t.Add("unwatch", 1, CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.AllowBusy, 0, 0, 0, Unwatch, "transactions", "2.2.0", "fast transaction", "Forgets about watched keys of a transaction.");
    }

    /// <summary>Marks every client watching <paramref name="key"/> in <paramref name="db"/> (Redis's touchWatchedKey).</summary>
    public static void TouchWatchedKey(CinnabarServer server, Database db, ReadOnlySpan<byte> key)
    {
        if (db.Watchers.Count == 0)
        {
            return;
        }

        var lookup = db.Watchers.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (lookup.TryGetValue(key, out var clients))
        {
            foreach (var c in clients)
            {
                c.DirtyCas = true;
            }
        }
    }

    /// <summary>Marks all watchers of a database (FLUSHDB, SWAPDB): only keys that existed or exist matter, as in Redis.</summary>
    public static void TouchAllWatchedKeys(CinnabarServer server, Database db, Database? other, long nowMs)
    {
        foreach (var (key, clients) in db.Watchers)
        {
            bool existsHere = !System.Runtime.CompilerServices.Unsafe.IsNullRef(ref db.FindRaw(key));
            bool existsThere = other is not null && !System.Runtime.CompilerServices.Unsafe.IsNullRef(ref other.FindRaw(key));
            if (existsHere || existsThere)
            {
                foreach (var c in clients)
                {
                    c.DirtyCas = true;
                }
            }
        }
    }

    /// <summary>Drops all WATCHes of a client.</summary>
    public static void UnwatchAll(CinnabarServer server, ClientSession c)
    {
        foreach (var (db, key) in c.WatchedKeys)
        {
            if (db.Watchers.TryGetValue(key, out var list))
            {
                list.Remove(c);
                if (list.Count == 0)
                {
                    db.Watchers.Remove(key);
                }
            }
        }

        c.WatchedKeys.Clear();
        c.DirtyCas = false;
    }

    /// <summary>Leaves MULTI state (EXEC, DISCARD, RESET).</summary>
    public static void DiscardTransaction(CinnabarServer server, ClientSession c)
    {
        c.Queued.Clear();
        c.InMulti = false;
        c.MultiError = false;
        UnwatchAll(server, c);
    }

    // MULTI
    private static void Multi(CommandContext ctx)
    {
        if (ctx.Client.InMulti)
        {
            ctx.Error(Errors.MultiNested);
            return;
        }

        ctx.Client.InMulti = true;
        ctx.Reply.Ok();
    }

    // EXEC
    private static void Exec(CommandContext ctx)
    {
        var c = ctx.Client;
        if (!c.InMulti)
        {
            ctx.Error(Errors.ExecWithoutMulti);
            return;
        }

        if (c.MultiError)
        {
            ctx.Error(Errors.ExecAbort);
            DiscardTransaction(ctx.Server, c);
            return;
        }

        if (c.DirtyCas || WatchedKeyExpired(ctx))
        {
            ctx.Reply.NullArray();
            DiscardTransaction(ctx.Server, c);
            return;
        }

        var queued = c.Queued.ToArray();
        UnwatchAll(ctx.Server, c);
        c.Queued.Clear();
        c.InMulti = false;
        ctx.Reply.ArrayHeader(queued.Length);
        var dispatcher = ctx.Server.Dispatcher;
        foreach (var args in queued)
        {
            var spec = ctx.Server.Commands.Lookup(args[0])!;
            if (spec.Subcommands is not null && args.Count >= 2 && spec.Subcommands.TryGetValue(args.GetString(1), out var sub))
            {
                spec = sub;
            }

            // A replica that became read-only since queuing refuses writes here too (multi.c).
            if (ctx.Server.IsReplica && ctx.Server.Config.ReplicaReadOnly && !c.IsPrimaryLink && spec.IsWrite)
            {
                ctx.Reply.Error("EXECABORT Transaction contains write commands but this server is a read only replica.");
                continue;
            }

            dispatcher.Call(c, spec, args);
        }
    }

    // A WATCHed key that expired after WATCH counts as modified (Redis 7.0 isWatchedKeyExpired).
    private static bool WatchedKeyExpired(CommandContext ctx)
    {
        foreach (var (db, key) in ctx.Client.WatchedKeys)
        {
            ref Slot s = ref db.FindRaw(key);
            if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref s) && s.Expire != 0 && s.Expire <= ctx.NowMs)
            {
                return true;
            }
        }

        return false;
    }

    // DISCARD
    private static void Discard(CommandContext ctx)
    {
        if (!ctx.Client.InMulti)
        {
            ctx.Error(Errors.DiscardWithoutMulti);
            return;
        }

        DiscardTransaction(ctx.Server, ctx.Client);
        ctx.Reply.Ok();
    }

    // WATCH key [key ...]
    private static void Watch(CommandContext ctx)
    {
        var c = ctx.Client;
        if (c.InMulti)
        {
            ctx.Error(Errors.WatchInMulti);
            return;
        }

        // Watching is pointless if the transaction is already dirty (Redis checks the same).
        if (c.DirtyCas)
        {
            ctx.Reply.Ok();
            return;
        }

        var db = ctx.Db;
        for (int i = 1; i < ctx.Args.Count; i++)
        {
            var key = ctx.Args.ToArray(i);
            bool already = false;
            foreach (var (wdb, wkey) in c.WatchedKeys)
            {
                if (wdb == db && wkey.AsSpan().SequenceEqual(key))
                {
                    already = true;
                    break;
                }
            }

            if (already)
            {
                continue;
            }

            ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(db.Watchers, key, out _);
            list ??= [];
            list.Add(c);
            c.WatchedKeys.Add((db, key));
        }

        ctx.Reply.Ok();
    }

    // UNWATCH
    private static void Unwatch(CommandContext ctx)
    {
        UnwatchAll(ctx.Server, ctx.Client);
        ctx.Reply.Ok();
    }
}
