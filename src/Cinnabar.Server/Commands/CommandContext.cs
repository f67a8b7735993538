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
    }

    /// <summary>Forgets collected ops.</summary>
    public void ClearOps()
    {
        _ops.Clear();
        _opDbs.Clear();
    }

    /// <summary>Looks a key up for reading: expired keys are removed (primary) or hidden (replica); counts hits/misses.</summary>
    public ref Slot LookupRead(ReadOnlySpan<byte> key) => ref LookupRead(Db, key);

    /// <summary>Looks a key up for reading in <paramref name="db"/>.</summary>
    public ref Slot LookupRead(Database db, ReadOnlySpan<byte> key)
    {
        ref Slot s = ref LookupNoStats(db, key);
        if (Unsafe.IsNullRef(ref s))
        {
            Server.Stats.KeyspaceMisses++;
        }
        else
        {
            Server.Stats.KeyspaceHits++;
            s.Lru = LruClock;
        }

        return ref s;
    }

    /// <summary>Looks a key up for writing (no hit/miss accounting).</summary>
    public ref Slot LookupWrite(ReadOnlySpan<byte> key) => ref LookupWrite(Db, key);

    /// <summary>Looks a key up for writing in <paramref name="db"/>.</summary>
    public ref Slot LookupWrite(Database db, ReadOnlySpan<byte> key)
    {
        ref Slot s = ref LookupNoStats(db, key);
        if (!Unsafe.IsNullRef(ref s))
        {
            s.Lru = LruClock;
        }

        return ref s;
    }

    /// <summary>Looks a key up applying expiry but touching neither stats nor LRU (TYPE, EXISTS, TTL...).</summary>
    public ref Slot LookupNoStats(Database db, ReadOnlySpan<byte> key)
    {
        ref Slot s = ref db.FindRaw(key);
        if (Unsafe.IsNullRef(ref s))
        {
            return ref s;
        }

        if (s.Expire != 0 && s.Expire <= NowMs && ExpireIfNeeded(db, key))
        {
            return ref Unsafe.NullRef<Slot>();
        }

        return ref s;
    }

    /// <summary>
    /// Redis's expireIfNeeded for a key already known to be past its TTL: a primary deletes it and
    /// propagates DEL; a replica keeps it (its primary will send the DEL) but reports it expired,
    /// except to the primary's own commands. Returns true when the key must be treated as absent.
    /// </summary>
    public bool ExpireIfNeeded(Database db, ReadOnlySpan<byte> key)
    {
        if (Server.Loading)
        {
            return false;
        }

        if (Server.IsReplica)
        {
            return !Client.IsPrimaryLink;
        }

        DeleteExpired(Server, db, key, this);
        return true;
    }

    /// <summary>Deletes an expired key and propagates the deletion (DEL, or UNLINK with lazyfree-lazy-expire).</summary>
    public static void DeleteExpired(CinnabarServer server, Database db, ReadOnlySpan<byte> key, CommandContext? ctx)
    {
        var keyCopy = key.ToArray();
        db.Delete(key);
        server.Stats.ExpiredKeys++;
        TransactionCommands.TouchWatchedKey(server, db, keyCopy);
        var op = CommandArgs.From(server.Config.LazyFreeLazyExpire ? "UNLINK"u8.ToArray() : "DEL"u8.ToArray(), keyCopy);
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

    /// <summary>The LRU clock in seconds (wrapping).</summary>
    public int LruClock => (int)(NowMs / 1000);

    private void AlsoPropagateExpire(int db, CommandArgs op)
    {
        // An expiry DEL is propagated besides (not instead of) the command that found the key.
        _ops.Add(op);
        _opDbs.Add(db);
    }
}
