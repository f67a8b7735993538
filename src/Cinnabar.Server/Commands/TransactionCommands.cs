// MULTI EXEC DISCARD WATCH UNWATCH (multi.c). Queued commands were checked for arity and
// existence when queued; a rejection marks the transaction so EXEC answers EXECABORT. A write
// to a WATCHed key (including expiry and FLUSH) marks the watchers dirty so EXEC answers null.
using System.Runtime.CompilerServices;
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

    /// <summary>
    /// Marks every client watching <paramref name="key"/> in <paramref name="db"/> (Redis's touchWatchedKey).
    /// A client whose key was already expired when WATCHed is spared once, when the key is
    /// deleted (that deletion is the expiry it already saw), as in Redis 7.0.
    /// </summary>
    public static void TouchWatchedKey(CinnabarServer server, Database db, ReadOnlySpan<byte> key)
    {
        // Every key write passes here, so it is also where blocked clients learn of new data.
        server.Blocking.SignalKeyAsReady(db.Index, key);
        if (db.Watchers.Count == 0)
        {
            return;
        }

        var lookup = db.Watchers.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (!lookup.TryGetValue(key, out var clients))
        {
            return;
        }

        foreach (var c in clients.ToArray())
        {
            var wk = Find(c, db, key);
            if (wk is null)
            {
                continue;
            }

            if (wk.Expired)
            {
                if (Unsafe.IsNullRef(ref db.FindRaw(key)))
                {
                    wk.Expired = false;
                    continue;
                }

                // Redis 7.0.15 leaves the loop here (a quirk kept for fidelity): later
                // watchers of this key are not marked by this touch.
                break;
            }

            c.DirtyCas = true;
            UnwatchKeys(c);
        }
    }

    /// <summary>
    /// Marks the watchers of an emptied database (FLUSHDB, FLUSHALL: <paramref name="other"/> null)
    /// or of one replaced by <paramref name="other"/> (SWAPDB, called before the swap), Redis's
    /// touchAllWatchedKeysInDb: only keys that exist on either side count, and keys that are
    /// logically expired on both sides do not.
    /// </summary>
    public static void TouchAllWatchedKeys(CinnabarServer server, Database db, Database? other, long nowMs)
    {
        if (db.Watchers.Count == 0)
        {
            return;
        }

        foreach (var (key, clients) in db.Watchers.ToArray())
        {
            bool existsHere = !Unsafe.IsNullRef(ref db.FindRaw(key));
            bool existsThere = other is not null && !Unsafe.IsNullRef(ref other.FindRaw(key));
            if (!existsHere && !existsThere)
            {
                continue;
            }

            foreach (var c in clients.ToArray())
            {
                var wk = Find(c, db, key);
                if (wk is null)
                {
                    continue;
                }

                if (wk.Expired)
                {
                    if (!existsThere)
                    {
                        wk.Expired = false;
                        continue;
                    }

                    if (IsExpired(other!, key, nowMs))
                    {
                        continue;
                    }
                }
                else if (!existsHere && IsExpired(other!, key, nowMs))
                {
                    wk.Expired = true;
                    continue;
                }

                c.DirtyCas = true;
            }
        }
    }

    /// <summary>Drops all WATCHes of a client and its dirty flag (UNWATCH, EXEC, DISCARD, RESET).</summary>
    public static void UnwatchAll(CinnabarServer server, ClientSession c)
    {
        UnwatchKeys(c);
        c.DirtyCas = false;
    }

    // Redis's unwatchAllKeys: forgets the keys but keeps CLIENT_DIRTY_CAS.
    private static void UnwatchKeys(ClientSession c)
    {
        foreach (var wk in c.WatchedKeys)
        {
            if (wk.Db.Watchers.TryGetValue(wk.Key, out var list))
            {
                list.Remove(c);
                if (list.Count == 0)
                {
                    wk.Db.Watchers.Remove(wk.Key);
                }
            }
        }

        c.WatchedKeys.Clear();
    }

    private static WatchedKey? Find(ClientSession c, Database db, ReadOnlySpan<byte> key)
    {
        foreach (var wk in c.WatchedKeys)
        {
            if (wk.Db == db && wk.Key.AsSpan().SequenceEqual(key))
            {
                return wk;
            }
        }

        return null;
    }

    // Redis's keyIsExpired: the key exists with a TTL in the past (never while loading).
    private static bool IsExpired(Database db, ReadOnlySpan<byte> key, long nowMs)
    {
        ref Slot s = ref db.FindRaw(key);
        return !Unsafe.IsNullRef(ref s) && s.Expire != 0 && s.Expire < nowMs;
    }

    /// <summary>Leaves MULTI state (EXEC, DISCARD, RESET, an aborted EXEC).</summary>
    public static void DiscardTransaction(CinnabarServer server, ClientSession c)
    {
        c.Queued.Clear();
        c.QueuedFlags = CommandFlags.None;
        c.QueuedBytes = 0;
        c.QueuedDenyStale = false;
        c.QueuedDenyLoading = false;
        c.QueuedDenyAsyncLoading = false;
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

        // A key that expired since WATCH (and was not already expired then) fails EXEC even
        // though nothing deleted it yet (Redis 7.0 isWatchedKeyExpired).
        if (WatchedKeyExpired(ctx))
        {
            c.DirtyCas = true;
        }

        if (c.MultiError || c.DirtyCas)
        {
            if (c.MultiError)
            {
                ctx.Error(Errors.ExecAbort);
            }
            else
            {
                ctx.Reply.NullArray();
            }

            DiscardTransaction(ctx.Server, c);
            return;
        }

        var queued = c.Queued.ToArray();
        UnwatchAll(ctx.Server, c);
        ctx.Reply.ArrayHeader(queued.Length);
        var dispatcher = ctx.Server.Dispatcher;
        dispatcher.InExec = true;
        try
        {
            foreach (var args in queued)
            {
                var spec = ctx.Server.Commands.Lookup(args[0])!;
                if (spec.Subcommands is not null && args.Count >= 2 && spec.Subcommands.TryGetValue(args.GetString(1), out var sub))
                {
                    spec = sub;
                }

                dispatcher.Call(c, spec, args);
            }
        }
        finally
        {
            dispatcher.InExec = false;
        }

        DiscardTransaction(ctx.Server, c);
    }

    // A WATCHed key that expired after WATCH counts as modified (Redis 7.0 isWatchedKeyExpired).
    private static bool WatchedKeyExpired(CommandContext ctx)
    {
        foreach (var wk in ctx.Client.WatchedKeys)
        {
            if (!wk.Expired && IsExpired(wk.Db, wk.Key, ctx.NowMs))
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
            if (Find(c, db, ctx.Args[i]) is not null)
            {
                continue;
            }

            var key = ctx.Args.ToArray(i);
            ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(db.Watchers, key, out _);
            list ??= [];
            list.Add(c);
            c.WatchedKeys.Add(new WatchedKey(db, key, IsExpired(db, key, ctx.NowMs)));
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
