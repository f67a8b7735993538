// Clients blocked on keys (Redis's blocked.c for BLOCKED_LIST and BLOCKED_ZSET): BLPOP, BRPOP,
// BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX and BZMPOP park their client here when every
// key is empty. A waiter's Serve callback declines a key of the other type (it keeps waiting).
// - Each (database, key) has a FIFO of waiting clients, so clients are served in the order they
//   blocked (Redis's fairness).
// - A write signals its key (the same hook that invalidates WATCH, so pushes, RENAME, MOVE,
//   COPY, RESTORE all count); a signalled key with waiters becomes "ready". After each top-level
//   command (and after EXEC as a whole) the dispatcher calls HandleReadyKeys, which serves
//   waiters while the key holds a non-empty list. Serving a BLMOVE pushes to another key, which
//   may make that key ready in turn, so the loop runs until nothing is ready.
// - Each served client's pop is propagated on its own as the non-blocking form (LPOP, RPOP,
//   LPOP key count, LMOVE, RPOPLPUSH), after the command that made the key ready.
// - Timeouts: one timer for the earliest deadline, under the executor gate; an expired client
//   gets a null reply. CLIENT UNBLOCK ends a block early with the timeout reply or an error.
// A blocked session stops its connection's batch after the blocking command (Blocked without
// Postponed); its Unblock callback resumes the rest once the reply is written.
using Cinnabar.Protocol;
using Cinnabar.Server.Networking;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Execution;

/// <summary>What a client blocked on keys is waiting to do.</summary>
internal sealed class BlockState
{
    /// <summary>The command that blocked (lower case: blpop, brpop, blmove, brpoplpush, blmpop, bzpopmin, bzpopmax, bzmpop).</summary>
    public required string Command { get; init; }

    public required int Db { get; init; }

    public required byte[][] Keys { get; init; }

    /// <summary>Pop from the head (LEFT) or the tail.</summary>
    public bool FromHead { get; init; }

    /// <summary>BLMOVE/BRPOPLPUSH: push to the head of the destination.</summary>
    public bool ToHead { get; init; }

    /// <summary>BLMOVE/BRPOPLPUSH destination.</summary>
    public byte[]? Target { get; init; }

    /// <summary>BLMPOP count; -1 for the single-element commands.</summary>
    public long Count { get; init; } = -1;

    /// <summary>The blocked command's table row (its failed calls count errors given on unblocking).</summary>
    public Commands.CommandSpec? Spec { get; init; }

    /// <summary>Unix ms deadline, 0 = forever.</summary>
    public long Deadline { get; init; }

    /// <summary>Serves the client from a ready key; returns true when the client was answered.</summary>
    public required Func<ClientSession, byte[], bool> Serve { get; init; }

    /// <summary>The reply for a timeout (null array or null bulk).</summary>
    public required Action<ReplyWriter> TimeoutReply { get; init; }
}

/// <summary>The registry of clients blocked on keys.</summary>
internal sealed class BlockingManager : IDisposable
{
    private readonly CinnabarServer _server;
    private readonly Dictionary<(int Db, byte[] Key), LinkedList<ClientSession>> _waiters = new(new DbKeyComparer());
    private readonly Dictionary<ClientSession, BlockState> _blocked = [];
    private List<(int Db, byte[] Key)> _ready = [];
    private readonly HashSet<(int Db, byte[] Key)> _readySet = new(new DbKeyComparer());
    private ITimer? _timer;
    private long _timerDue;

    public BlockingManager(CinnabarServer server)
    {
        _server = server;
    }

    /// <summary>Clients blocked on keys (INFO blocked_clients counts these with paused ones).</summary>
    public int Count => _blocked.Count;

    /// <summary>True when <paramref name="client"/> waits on keys (not a pause).</summary>
    public bool IsBlockedOnKeys(ClientSession client) => _blocked.ContainsKey(client);

    /// <summary>Parks a client (Redis's blockForKeys).</summary>
    public void Block(ClientSession client, BlockState state)
    {
        _blocked[client] = state;
        foreach (var key in state.Keys)
        {
            var k = (state.Db, key);
            if (!_waiters.TryGetValue(k, out var list))
            {
                _waiters[k] = list = new LinkedList<ClientSession>();
            }

            if (!list.Contains(client))
            {
                list.AddLast(client);
            }
        }

        client.Blocked = true;
        client.Postponed = false;
        if (state.Deadline != 0)
        {
            Schedule(state.Deadline);
        }
    }

    /// <summary>Marks a key as possibly able to serve its waiters (Redis's signalKeyAsReady).</summary>
    public void SignalKeyAsReady(int db, ReadOnlySpan<byte> key)
    {
        if (_waiters.Count == 0)
        {
            return;
        }

        var lookup = _waiters.GetAlternateLookup<DbKeySpan>();
        if (!lookup.TryGetValue(new DbKeySpan(db, key), out var actualKey, out _))
        {
            return;
        }

        if (_readySet.Add(actualKey))
        {
            _ready.Add(actualKey);
        }
    }

    /// <summary>Marks every key clients wait on in database <paramref name="db"/> as ready (SWAPDB).</summary>
    public void SignalAllKeysOf(int db)
    {
        foreach (var k in _waiters.Keys)
        {
            if (k.Db == db && _readySet.Add(k))
            {
                _ready.Add(k);
            }
        }
    }

    /// <summary>Serves clients blocked on ready keys (Redis's handleClientsBlockedOnKeys). Caller holds the gate, outside any command.</summary>
    public void HandleReadyKeys()
    {
        while (_ready.Count > 0)
        {
            var batch = _ready;
            _ready = [];
            foreach (var rk in batch)
            {
                _readySet.Remove(rk);
                if (!_waiters.TryGetValue(rk, out var list))
                {
                    continue;
                }

                // lookupKeyReadWithFlags: a key that expired meanwhile is deleted (and its DEL
                // propagated) instead of serving anyone.
                DeleteIfExpired(rk.Db, rk.Key);

                foreach (var client in list.ToArray())
                {
                    if (!_blocked.TryGetValue(client, out var state))
                    {
                        continue;
                    }

                    if (!KeyHoldsElements(rk.Db, rk.Key))
                    {
                        break;
                    }

                    var previous = _server.CurrentClient;
                    _server.CurrentClient = client;
                    bool answered;
                    try
                    {
                        answered = state.Serve(client, rk.Key);
                    }
                    finally
                    {
                        _server.CurrentClient = previous;
                    }

                    if (answered)
                    {
                        Unblock(client);
                    }
                }
            }
        }
    }

    /// <summary>Ends a block with the timeout reply (or <paramref name="error"/>): CLIENT UNBLOCK and timeouts.</summary>
    public bool UnblockWithReply(ClientSession client, string? error)
    {
        if (!_blocked.TryGetValue(client, out var state))
        {
            return false;
        }

        if (error is null)
        {
            state.TimeoutReply(client.Output);
        }
        else
        {
            // updateStatsOnUnblock: an error reply counts as a failed call of the blocked command.
            client.Output.Error(error);
            _server.Dispatcher.CountError(System.Text.Encoding.UTF8.GetBytes(error));
            if (state.Spec is not null)
            {
                state.Spec.FailedCalls++;
            }
        }

        Unblock(client);
        return true;
    }

    /// <summary>
    /// disconnectAllBlockedClients' part for keys (a primary turned replica): every client blocked
    /// on keys gets <paramref name="error"/> and is closed after the reply, so a write that now
    /// arrives from the new primary cannot be popped by a client of the old role (issue #2473).
    /// Unlike CLIENT UNBLOCK, Redis counts the error reply but not a failed call of the command.
    /// </summary>
    public void DisconnectAll(string error)
    {
        foreach (var client in _blocked.Keys.ToList())
        {
            client.CloseAfterReply = true;
            client.Output.Error(error);
            _server.Dispatcher.CountError(System.Text.Encoding.UTF8.GetBytes(error));
            Unblock(client);
        }
    }

    /// <summary>Forgets a client that disconnected.</summary>
    public void Forget(ClientSession client)
    {
        if (_blocked.ContainsKey(client))
        {
            Remove(client);
        }
    }

    /// <summary>Times out every client whose deadline has passed.</summary>
    public void CheckTimeouts()
    {
        if (_blocked.Count == 0)
        {
            return;
        }

        long now = _server.NowMs;
        long next = 0;
        foreach (var (client, state) in _blocked.ToArray())
        {
            if (state.Deadline == 0)
            {
                continue;
            }

            if (state.Deadline <= now)
            {
                UnblockWithReply(client, null);
            }
            else if (next == 0 || state.Deadline < next)
            {
                next = state.Deadline;
            }
        }

        if (next != 0)
        {
            Schedule(next);
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _timer = null;
    }

    private void DeleteIfExpired(int db, byte[] key)
    {
        ref Slot s = ref _server.Databases[db].FindRaw(key);
        if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref s) && s.Expire != 0 && _server.NowMs > s.Expire && !_server.IsReplica && !_server.Loading)
        {
            Commands.CommandContext.DeleteExpired(_server, _server.Databases[db], key, null);
        }
    }

    private bool KeyHoldsElements(int db, byte[] key)
    {
        ref Slot s = ref _server.Databases[db].FindRaw(key);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref s))
        {
            return false;
        }

        if (s.Expire != 0 && _server.NowMs > s.Expire)
        {
            return false;
        }

        return s.Data switch
        {
            Storage.Types.ListValue l => l.Count > 0,
            Storage.Types.ZSetValue z => z.Count > 0,
            _ => false,
        };
    }

    private void Unblock(ClientSession client)
    {
        Remove(client);
        client.Blocked = false;
        client.Unblock?.Invoke();
    }

    private void Remove(ClientSession client)
    {
        if (!_blocked.Remove(client, out var state))
        {
            return;
        }

        foreach (var key in state.Keys)
        {
            var k = (state.Db, key);
            if (_waiters.TryGetValue(k, out var list))
            {
                list.Remove(client);
                if (list.Count == 0)
                {
                    _waiters.Remove(k);
                }
            }
        }
    }

    private void Schedule(long due)
    {
        if (_timer is not null && _timerDue != 0 && _timerDue <= due)
        {
            return;
        }

        _timer?.Dispose();
        _timerDue = due;
        var delay = TimeSpan.FromMilliseconds(Math.Max(1, due - _server.NowMs + 1));
        _timer = _server.Time.CreateTimer(_ => OnTimer(), null, delay, Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        lock (_server.Gate)
        {
            _timer?.Dispose();
            _timer = null;
            _timerDue = 0;
            CheckTimeouts();
        }
    }

    private readonly ref struct DbKeySpan(int db, ReadOnlySpan<byte> key)
    {
        public int Db { get; } = db;

        public ReadOnlySpan<byte> Key { get; } = key;
    }

    private sealed class DbKeyComparer : IEqualityComparer<(int Db, byte[] Key)>, IAlternateEqualityComparer<DbKeySpan, (int Db, byte[] Key)>
    {
        public bool Equals((int Db, byte[] Key) x, (int Db, byte[] Key) y) => x.Db == y.Db && x.Key.AsSpan().SequenceEqual(y.Key);

        public int GetHashCode((int Db, byte[] Key) obj) => Hash(obj.Db, obj.Key);

        public bool Equals(DbKeySpan alternate, (int Db, byte[] Key) other) => alternate.Db == other.Db && alternate.Key.SequenceEqual(other.Key);

        public int GetHashCode(DbKeySpan alternate) => Hash(alternate.Db, alternate.Key);

        public (int Db, byte[] Key) Create(DbKeySpan alternate) => (alternate.Db, alternate.Key.ToArray());

        private static int Hash(int db, ReadOnlySpan<byte> key)
        {
            var h = new HashCode();
            h.Add(db);
            h.AddBytes(key);
            return h.ToHashCode();
        }
    }
}
