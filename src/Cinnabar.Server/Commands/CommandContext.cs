// What a handler sees: its arguments, its client, the server, the reply writer, and the
// keyspace operations that carry Redis's policies (lazy expiry, hit/miss counting, WATCH
// invalidation, propagation). Handlers never reach around these helpers into storage for
// reads, so expiry and statistics stay in one place.
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Networking;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>The context of one command execution.</summary>
internal sealed class CommandContext
{
    /// <summary>Redis's LRU_CLOCK_MAX: the 24-bit wrap of the LRU clock.</summary>
    public const int LruClockMax = (1 << 24) - 1;

    private readonly List<CommandArgs> _ops = [];
    private readonly List<int> _opDbs = [];

    public CommandContext(CinnabarServer server, ClientSession client)
    {
        Server = server;
        Client = client;
        Args = new CommandArgs();
    }

    public CinnabarServer Server { get; }

    public ClientSession Client { get; }

    public CommandArgs Args { get; set; }

    public CommandSpec Spec { get; set; } = null!;

    /// <summary>Cached time for the whole command (Redis's commandTimeSnapshot).</summary>
    public long NowMs { get; set; }

    public ReplyWriter Reply => Client.Output;

    public Database Db => Server.Databases[Client.DbIndex];

    /// <summary>Writes counted by this command (added to server.Dirty).</summary>
    public long DirtyCount { get; set; }

    /// <summary>Set by handlers that replace their propagated form entirely.</summary>
    public bool PropagationRewritten { get; private set; }

    /// <summary>Set by handlers that must not be propagated even though they changed data.</summary>
    public bool PreventPropagation { get; set; }

    /// <summary>Propagated ops collected so far (drained by the dispatcher).</summary>
    public IReadOnlyList<CommandArgs> PendingOps => _ops;

    /// <summary>Databases of <see cref="PendingOps"/>.</summary>
    public IReadOnlyList<int> PendingOpDbs => _opDbs;

    /// <summary>Replies with an error (text starts with its code).</summary>
    public void Error(string message) => Reply.Error(message);

    /// <summary>Marks <paramref name="n"/> changes.</summary>
    public void Dirty(long n = 1) => DirtyCount += n;

    /// <summary>Propagates <paramref name="op"/> instead of (or besides) the command itself (Redis's alsoPropagate).</summary>
    public void AlsoPropagate(int db, CommandArgs op)
    {
        PropagationRewritten = true;
        _ops.Add(op);
        _opDbs.Add(db);
    }

    /// <summary>notifyKeyspaceEvent for a key of the current database.</summary>
    public void Notify(int type, string eventName, ReadOnlySpan<byte> key) =>
        Execution.KeyspaceEvents.Notify(Server, type, eventName, key, Db.Index);

    /// <summary>Propagates <paramref name="op"/> in the current database instead of the original command.</summary>
    public void RewriteForPropagation(CommandArgs op) => AlsoPropagate(Client.DbIndex, op);

    /// <summary>Clears per-command state before a call.</summary>
    public void ResetForCall(CommandArgs args, CommandSpec spec, long now)
    {
        Args = args;
        Spec = spec;
        NowMs = now;
        DirtyCount = 0;
        PropagationRewritten = false;
        PreventPropagation = false;

        // New keys are born with the current LRU stamp (Redis's createObject).
        Db.Table.CurrentLru = LruClock;
    }

    /// <summary>Forgets collected ops.</summary>
    public void ClearOps()
    {
        _ops.Clear();
        _opDbs.Clear();
    }

    /// <summary>Looks a key up for reading: expired keys are removed (primary) or hidden (replica); counts hits/misses.</summary>
    public ref Slot LookupRead(ReadOnlySpan<byte> key) => ref Lookup(Db, key, LookupFlags.None);

    /// <summary>Looks a key up for reading in <paramref name="db"/>.</summary>
    public ref Slot LookupRead(Database db, ReadOnlySpan<byte> key) => ref Lookup(db, key, LookupFlags.None);

    /// <summary>Looks a key up for writing (no hit/miss accounting).</summary>
    public ref Slot LookupWrite(ReadOnlySpan<byte> key) => ref Lookup(Db, key, LookupFlags.Write);

    /// <summary>Looks a key up for writing in <paramref name="db"/>.</summary>
    public ref Slot LookupWrite(Database db, ReadOnlySpan<byte> key) => ref Lookup(db, key, LookupFlags.Write);

    /// <summary>
    /// lookupKey{Read,Write}OrReply + checkType: the value of <paramref name="key"/> when it holds a
    /// <typeparamref name="T"/>; otherwise replies <paramref name="missing"/> (absent key) or
    /// WRONGTYPE and returns false.
    /// </summary>
    public bool TryGetValueOrReply<T>(ReadOnlySpan<byte> key, bool write, out T value, Action<ReplyWriter> missing)
        where T : RedisObject
    {
        ref Slot s = ref write ? ref LookupWrite(key) : ref LookupRead(key);
        if (Unsafe.IsNullRef(ref s))
        {
            missing(Reply);
            value = null!;
            return false;
        }

        if (s.Data is not T v)
        {
            Error(Errors.WrongType);
            value = null!;
            return false;
        }

        value = v;
        return true;
    }

    /// <summary>Looks a key up applying expiry but touching neither stats nor LRU.</summary>
    public ref Slot LookupNoStats(Database db, ReadOnlySpan<byte> key) => ref Lookup(db, key, LookupFlags.NoStats | LookupFlags.NoTouch);

    /// <summary>
    /// Redis's lookupKey: finds a key, applies lazy expiry, then updates the LRU clock (unless
    /// <see cref="LookupFlags.NoTouch"/>) and the hit/miss counters (unless NoStats or Write).
    /// Returns a null ref when the key is absent or logically expired.
    /// </summary>
    public ref Slot Lookup(Database db, ReadOnlySpan<byte> key, LookupFlags flags)
    {
        ref Slot s = ref db.FindRaw(key);
        if (!Unsafe.IsNullRef(ref s) && IsExpired(s.Expire) && ExpireIfNeeded(db, key, flags))
        {
            s = ref Unsafe.NullRef<Slot>();
        }

        bool countStats = (flags & (LookupFlags.NoStats | LookupFlags.Write)) == 0;
        if (Unsafe.IsNullRef(ref s))
        {
            if (countStats)
            {
                Server.Stats.KeyspaceMisses++;

                // lookupKey: "keymiss" for reads that count (OBJECT, TYPE-like internal
                // lookups pass NoStats, as Redis's pass LOOKUP_NONOTIFY).
                Execution.KeyspaceEvents.Notify(Server, Execution.KeyspaceEvents.KeyMiss, "keymiss", key, db.Index);
            }

            return ref s;
        }

        if ((flags & LookupFlags.NoTouch) == 0)
        {
            s.Lru = LruClock;
        }

        if (countStats)
        {
            Server.Stats.KeyspaceHits++;
        }

        return ref s;
    }

    /// <summary>
    /// Redis's keyIsExpired: a key expires strictly after its deadline, judged by the time cached
    /// for this command (so a command that opens a key twice sees it the same way); never while loading.
    /// </summary>
    public bool IsExpired(long expire) => expire != 0 && NowMs > expire && !Server.Loading;

    /// <summary>
    /// Redis's expireIfNeeded for a key already known to be past its TTL. A primary deletes it
    /// and propagates DEL (UNLINK with lazyfree-lazy-expire). A replica leaves deletion to its
    /// primary's DEL and reports the key as absent, except to the primary's own commands (which
    /// must see what the primary saw) and to writes on a writable replica, which delete it
    /// locally as Redis does. Returns true when the key must be treated as absent.
    /// </summary>
    public bool ExpireIfNeeded(Database db, ReadOnlySpan<byte> key, LookupFlags flags = LookupFlags.None)
    {
        if (Server.IsReplica)
        {
            if (Client.IsPrimaryLink)
            {
                return false;
            }

            bool forceDelete = (flags & LookupFlags.Write) != 0 && !Server.Config.ReplicaReadOnly;
            if (!forceDelete)
            {
                return true;
            }
        }

        if ((flags & LookupFlags.NoExpire) != 0)
        {
            return true;
        }

        // During a client pause the key reads as expired but is not deleted (no DEL may be
        // propagated while paused); it goes at the first access after the pause, as in Redis.
        if (Server.Dispatcher.Pause.CheckTimeoutAndReturnIfPaused())
        {
            return true;
        }

        DeleteExpired(Server, db, key, this);
        return true;
    }

    /// <summary>Deletes an expired key and propagates the deletion (DEL, or UNLINK with lazyfree-lazy-expire).</summary>
    public static void DeleteExpired(CinnabarServer server, Database db, ReadOnlySpan<byte> key, CommandContext? ctx)
    {
        // The span may point into the deleted entry; it stays valid because the span keeps the
        // entry's array alive.
        db.Delete(key);
        TransactionCommands.TouchWatchedKey(server, db, key);
        server.Stats.ExpiredKeys++;
        Execution.KeyspaceEvents.Notify(server, Execution.KeyspaceEvents.Expired, "expired", key, db.Index);

        // Nobody to tell (no replica, no AOF): skip building the DEL, the common standalone case.
        if (server.PropagationSinks.Count == 0)
        {
            return;
        }

        var op = CommandArgs.From(server.Config.LazyFreeLazyExpire ? "UNLINK"u8.ToArray() : "DEL"u8.ToArray(), key.ToArray());
        if (ctx is not null)
        {
            ctx.AlsoPropagateExpire(db.Index, op);
        }
        else
        {
            server.Propagate(db.Index, [op], atomic: false);
        }
    }

    /// <summary>Signals that a key changed (invalidates WATCH; Redis's signalModifiedKey).</summary>
    public void SignalModifiedKey(Database db, ReadOnlySpan<byte> key) => TransactionCommands.TouchWatchedKey(Server, db, key);

    /// <summary>Signals a key change in the current database.</summary>
    public void SignalModifiedKey(ReadOnlySpan<byte> key) => SignalModifiedKey(Db, key);

    /// <summary>Redis's LRU_CLOCK: seconds, wrapping at 24 bits like the object header's lru field.</summary>
    public int LruClock => ToLruClock(NowMs);

    /// <summary>The LRU clock at <paramref name="unixMs"/>.</summary>
    public static int ToLruClock(long unixMs) => (int)((unixMs / 1000) & LruClockMax);

    /// <summary>Redis's estimateObjectIdleTime in milliseconds, for a slot's LRU stamp.</summary>
    public static long IdleMilliseconds(int lru, long nowMs)
    {
        long clock = ToLruClock(nowMs);
        return clock >= lru ? (clock - lru) * 1000 : (clock + (LruClockMax - lru)) * 1000;
    }

    private void AlsoPropagateExpire(int db, CommandArgs op)
    {
        // An expiry DEL is propagated besides (not instead of) the command that found the key.
        _ops.Add(op);
        _opDbs.Add(db);
    }
}
