// The replica side of replication (replication.c replicationSetMaster/UnsetMaster,
// replicationCron's replica duties, replicationCacheMaster and friends): which primary this server
// follows, the state of the link (connect, connecting, handshake, sync, connected), the position
// of the primary's stream we have applied (Redis's master client) or remembered from a lost link
// or from the RDB's aux fields (Redis's cached master, which is what makes a partial resync
// possible after a reconnect or a kill -9), and what INFO and ROLE say about it.
//
// Everything here runs under the executor gate. The network work of one connection attempt
// (PrimarySyncAttempt) and of the command stream (PrimaryStreamApplier) happens on its own task
// without the gate and takes it only to change state or run commands. A generation number
// ties a running attempt to the REPLICAOF that started it: REPLICAOF and REPLICAOF NO ONE bump
// it, and an attempt that sees a newer generation stops touching anything.
using System.Globalization;
using System.Text;

using Cinnabar.Protocol;
using Cinnabar.Server.Commands;
using Cinnabar.Server.Networking;
using Cinnabar.Server.Persistence.Rdb;

using static Cinnabar.Server.Diagnostics.InfoText;

namespace Cinnabar.Server.Replication;

/// <summary>This server's link to its primary.</summary>
internal sealed class PrimaryLink : IClientTransport
{
    private readonly CinnabarServer _server;
    private int _generation;
    private long _lastCronSecond;
    private PrimarySyncAttempt? _attempt;
    private int _repeats;
    private string? _lastReason;
    private int _failedInRow;

    public PrimaryLink(CinnabarServer server)
    {
        _server = server;
        _server.Snapshots.ReplicationInfo = ChainSaveInfo(_server.Snapshots.ReplicationInfo);
    }

    /// <summary>The primary's host, or null when this server is a primary.</summary>
    public string? Host { get; private set; }

    public int Port { get; private set; }

    public PrimaryLinkState State { get; internal set; }

    /// <summary>The applied position while connected (Redis's server.master).</summary>
    public PrimaryPosition? Current { get; private set; }

    /// <summary>The client executing the primary's stream while connected.</summary>
    public ClientSession? Client { get; private set; }

    /// <summary>The remembered position for PSYNC (Redis's server.cached_master).</summary>
    public PrimaryPosition? Cached { get; private set; }

    /// <summary>Generation of the current REPLICAOF (attempts of older ones stop).</summary>
    internal int Generation => _generation;

    /// <summary>Unix ms of the last byte from the primary (master->lastinteraction).</summary>
    internal long LastIoMs { get; set; }

    /// <summary>repl_transfer_size: -1 before the $ line, 0 for $EOF: transfers.</summary>
    internal long TransferSize { get; set; } = -1;

    /// <summary>repl_transfer_read.</summary>
    internal long TransferRead { get; set; }

    /// <summary>repl_transfer_lastio (unix ms): handshake and transfer timeouts.</summary>
    internal long TransferLastIoMs { get; set; }

    /// <summary>repl_down_since (unix ms), 0 when the link was never up or is up.</summary>
    internal long DownSinceMs { get; set; }

    /// <summary>Why the link is not up (INFO master_link_down_reason), or null.</summary>
    internal string? DownReason { get; set; }

    /// <summary>What the link is doing now (INFO master_sync_phase).</summary>
    internal string Phase { get; set; } = "none";

    /// <summary>The connection of the current attempt (handshake, transfer or stream), or null.</summary>
    internal PrimaryConnection? Connection { get; set; }

    /// <summary>
    /// Startup with replicaof in the config (before the RDB loads, so a replica keeps expired
    /// keys and logs as a replica); the first connection starts from <see cref="Start"/>.
    /// </summary>
    public void Configure(string host, int port)
    {
        Host = host;
        Port = port;
        State = PrimaryLinkState.Connect;
        Phase = "connect";
        _server.IsReplica = true;
        _server.Log.Role = 'S';
    }

    /// <summary>
    /// After the startup RDB load (server.c loadDataFromDisk): a replica takes the file's
    /// repl-id/repl-offset as its own and remembers them as a cached primary, so it can ask for
    /// a partial resync; this is what lets a replica killed with -9 continue where its file ends.
    /// </summary>
    public void AdoptLoadedRdb(RdbLoadResult? loaded)
    {
        if (Host is null || loaded is null)
        {
            return;
        }

        if (!loaded.Aux.TryGetValue("repl-id", out var id) || id.Length != 40 ||
            !loaded.Aux.TryGetValue("repl-offset", out var off) || !long.TryParse(off, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long offset) || offset == -1 ||
            !loaded.Aux.TryGetValue("repl-stream-db", out var dbText) || !int.TryParse(dbText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int db) || db == -1)
        {
            return;
        }

        _server.Replication.ReplId = id;
        _server.Replication.Offset = offset;
        CacheUsingMyself(db);
    }

    /// <summary>Starts connecting (the first cron tick of a replica configured at startup).</summary>
    public void Start()
    {
        lock (_server.Gate)
        {
            if (Host is not null && State == PrimaryLinkState.Connect && _attempt is null)
            {
                _server.Log.Notice($"Connecting to MASTER {Host}:{Port}");
                Launch(delayMs: 0);
            }
        }
    }

    /// <summary>replicationSetMaster (REPLICAOF host port). Caller holds the gate.</summary>
    public void SetPrimary(string host, int port)
    {
        bool wasPrimary = Host is null;
        Host = null;
        if (Client is not null)
        {
            // freeClient(server.master) caches the master (the new primary may continue it).
            LinkLost(why: null, cache: true, reconnect: false);
        }

        DisconnectAllBlockedClients();
        Host = host;
        Port = port;
        _server.IsReplica = true;
        _server.PrimaryLinkUp = false;
        _server.Log.Role = 'S';
        CancelAttempt();
        if (wasPrimary)
        {
            DiscardCached();
            CacheUsingMyself(0);
        }

        State = PrimaryLinkState.Connect;
        Phase = "connect";
        DownReason = null;
        _lastReason = null;
        _repeats = 0;
        _failedInRow = 0;
        RememberInConfig(host, port.ToString(CultureInfo.InvariantCulture));
        _server.Log.Notice($"Connecting to MASTER {host}:{port}");
        Launch(delayMs: 0);
    }

    // disconnectAllBlockedClients (clients blocked in a primary that is now a replica): those
    // blocked on keys, in WAIT and in SHUTDOWN get -UNBLOCKED and are closed after it. Clients
    // held by a pause (CLIENT PAUSE, FAILOVER, the shutdown's own pause) are left alone: their
    // command has not started yet, and once the pause ends it runs, or is refused, under the new
    // role.
    private void DisconnectAllBlockedClients()
    {
        _server.Blocking.DisconnectAll(Errors.UnblockedRoleChange);
        _server.PrimaryReplication.Acks.DisconnectAll(Errors.UnblockedRoleChange);
        _server.ShutdownSequence.DisconnectWaiting(Errors.UnblockedRoleChange);
    }

    /// <summary>replicationUnsetMaster (REPLICAOF NO ONE). Caller holds the gate.</summary>
    public void UnsetPrimary()
    {
        if (Host is null)
        {
            return;
        }

        Host = null;
        if (Client is not null)
        {
            LinkLost(why: null, cache: false, reconnect: false);
        }

        DiscardCached();
        CancelAttempt();
        _server.Replication.ShiftReplId();
        DisconnectReplicas();

        // slaveseldb = -1: our stream starts with a SELECT. The replicas that follow us now
        // (a former primary among them, which synthesized its cached master with database 0)
        // may have any database selected, and the database our feed last selected dates from
        // the last time we were a primary.
        _server.ReplicationFeed.ResetSelectedDb();

        // repl_no_slaves_since restarts now, or repl-backlog-ttl could free the backlog before
        // the replicas of the failover had a chance to reconnect.
        _server.Replication.NoReplicasSinceMs = _server.NowMs;
        State = PrimaryLinkState.None;
        Phase = "none";
        DownSinceMs = 0;
        DownReason = null;
        _server.IsReplica = false;
        _server.PrimaryLinkUp = false;
        _server.Log.Role = 'M';
        RememberInConfig("no", "one");
    }

    /// <summary>The replica half of replicationCron, once a second: timeouts and the periodic ACK. Caller holds the gate.</summary>
    public void Cron()
    {
        long now = _server.NowMs;
        if (now / 1000 == _lastCronSecond)
        {
            return;
        }

        _lastCronSecond = now / 1000;
        if (Host is null)
        {
            return;
        }

        long timeoutMs = _server.Config.Store.GetNumber("repl-timeout") * 1000;
        if (State is PrimaryLinkState.Connecting or PrimaryLinkState.Handshake && now - TransferLastIoMs > timeoutMs)
        {
            _server.Log.Warning("Timeout connecting to the MASTER...");
            FailAttempt("timeout: no reply from the primary during the handshake");
        }
        else if (State == PrimaryLinkState.Transfer && now - TransferLastIoMs > timeoutMs)
        {
            _server.Log.Warning("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
            FailAttempt("timeout: the transfer stalled");
        }
        else if (State == PrimaryLinkState.Connected && now - LastIoMs > timeoutMs)
        {
            _server.Log.Warning("MASTER timeout: no data nor PING received...");
            DownReason = "timeout: no data nor PING received";
            Connection?.Close();
        }

        if (State == PrimaryLinkState.Connected && Current is { PrePsync: false })
        {
            SendAck();
        }
    }

    /// <summary>replicationSendAck: REPLCONF ACK with the applied offset. Caller holds the gate.</summary>
    public void SendAck()
    {
        if (Current is { } cur && Connection is { } conn)
        {
            conn.SendCommand("REPLCONF", "ACK", cur.Offset.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>INFO replication's replica fields (server.c genRedisInfoString), plus Cinnabar's link diagnostics.</summary>
    public void AppendInfo(StringBuilder sb)
    {
        if (Host is null)
        {
            return;
        }

        long nowSec = _server.NowMs / 1000;
        var pos = Current ?? Cached;
        long applied = pos?.Offset ?? 1;
        long read = pos?.ReadOffset ?? 1;
        Line(sb, "master_host", Host);
        Line(sb, "master_port", Port);
        Line(sb, "master_link_status", State == PrimaryLinkState.Connected ? "up" : "down");
        Line(sb, "master_last_io_seconds_ago", Current is null ? -1 : nowSec - (LastIoMs / 1000));
        Line(sb, "master_sync_in_progress", State == PrimaryLinkState.Transfer ? "1" : "0");
        Line(sb, "slave_read_repl_offset", read);
        Line(sb, "slave_repl_offset", applied);
        if (State == PrimaryLinkState.Transfer)
        {
            long size = TransferSize;
            long got = TransferRead;
            double perc = size != 0 ? (double)got / size * 100 : 0;
            Line(sb, "master_sync_total_bytes", size);
            Line(sb, "master_sync_read_bytes", got);
            Line(sb, "master_sync_left_bytes", (size - got));
            LineF2(sb, "master_sync_perc", perc);
            Line(sb, "master_sync_last_io_seconds_ago", (nowSec - (TransferLastIoMs / 1000)));
        }

        if (State != PrimaryLinkState.Connected)
        {
            Line(sb, "master_link_down_since_seconds", DownSinceMs == 0 ? -1 : nowSec - (DownSinceMs / 1000));
        }

        Line(sb, "slave_priority", _server.Config.Store.GetNumber("replica-priority"));
        Line(sb, "slave_read_only", _server.Config.ReplicaReadOnly ? "1" : "0");
        Line(sb, "replica_announced", _server.Config.Store.GetBool("replica-announced") ? "1" : "0");

        // Beyond Redis (ARCHITECTURE §7): what the link is doing and why it is down.
        Line(sb, "master_sync_phase", Phase);
        if (State == PrimaryLinkState.Transfer)
        {
            // The snapshot is loaded as it arrives: keys read so far (updated every
            // loading-process-events-interval-bytes).
            Line(sb, "master_sync_loaded_keys", _server.LoadingProgress.LastLoadKeysLoaded);
        }

        if (State != PrimaryLinkState.Connected)
        {
            Line(sb, "master_link_down_reason", DownReason ?? "none");
        }
    }

    /// <summary>ROLE's replica form: slave, host, port, state, applied offset (-1 without a master client).</summary>
    public void WriteRole(ReplyWriter r)
    {
        r.ArrayHeader(5);
        r.Bulk("slave"u8);
        r.Bulk(Encoding.UTF8.GetBytes(Host ?? string.Empty));
        r.Integer(Port);
        string state = State switch
        {
            PrimaryLinkState.Connect => "connect",
            PrimaryLinkState.Connecting => "connecting",
            PrimaryLinkState.Handshake => "handshake",
            PrimaryLinkState.Transfer => "sync",
            PrimaryLinkState.Connected => "connected",
            _ => "none",
        };
        r.Bulk(Encoding.ASCII.GetBytes(state));
        r.Integer(Current?.Offset ?? -1);
    }

    /// <summary>IClientTransport: the primary's client never gets replies (REPLCONF ACK is sent directly).</summary>
    void IClientTransport.RequestFlush()
    {
    }

    /// <summary>IClientTransport: CLIENT KILL TYPE master closes the link; it is cached and reconnects.</summary>
    void IClientTransport.Close() => Connection?.Close();

    /// <summary>
    /// A full sync loaded (readSyncBulkPayload's end): the primary's id and offset become ours,
    /// the stream's client is created and the link is up. Caller holds the gate.
    /// </summary>
    internal void LinkUpAfterFullSync(string replId, long offset, int db, PrimaryConnection conn)
    {
        var r = _server.Replication;
        r.ReplId = replId;
        r.Offset = offset;
        r.ClearReplId2();
        r.CreateBacklogIfNeeded();
        LinkUp(new PrimaryPosition(replId, offset, db) { PrePsync = offset == -1 }, conn);
        _server.Log.Notice("MASTER <-> REPLICA sync: Finished with success");
    }

    /// <summary>+CONTINUE: the cached primary comes back to life (replicationResurrectCachedMaster). Caller holds the gate.</summary>
    internal void LinkUpAfterPartialSync(string? newReplId, PrimaryConnection conn)
    {
        var cached = Cached!;
        var r = _server.Replication;
        _server.Log.Notice("Successful partial resynchronization with master.");
        if (newReplId is not null && newReplId != cached.ReplId)
        {
            // PSYNC2: the primary's history continues under a new id; ours shifts with it so our
            // own replicas can still continue through replid2.
            _server.Log.Warning($"Master replication ID changed to {newReplId}");
            r.ReplId2 = cached.ReplId;
            r.SecondReplIdOffset = r.Offset + 1;
            r.ReplId = newReplId;
            cached.ReplId = newReplId;
            DisconnectReplicas();
        }

        Cached = null;
        r.CreateBacklogIfNeeded();
        LinkUp(cached, conn);
        _server.Log.Notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
    }

    /// <summary>replicationAttachToNewMaster: a new dataset replaces ours, nothing cached survives. Caller holds the gate.</summary>
    internal void AttachToNewPrimary()
    {
        DiscardCached();
        DisconnectReplicas();
    }

    /// <summary>
    /// The link of a connected primary went away (freeClient on the master client): cache its
    /// position so the reconnect can PSYNC, unless the stream was broken (protocol error).
    /// Caller holds the gate.
    /// </summary>
    internal void LinkLost(string? why, bool cache, bool reconnect)
    {
        var client = Client;
        var cur = Current;
        if (client is null || cur is null)
        {
            return;
        }

        _server.Log.Warning("Connection with master lost.");
        cur.Db = client.DbIndex;
        if (client.InMulti)
        {
            TransactionCommands.DiscardTransaction(_server, client);
        }

        _server.RemoveClient(client);
        _server.Dispatcher.Forget(client);
        Client = null;
        Current = null;
        Connection?.Close();
        Connection = null;
        // A SYNC-only primary has no offsets to continue from.
        if (cache && !cur.PrePsync)
        {
            _server.Log.Notice("Caching the disconnected master state.");
            cur.ReadOffset = cur.Offset;
            Cached = cur;
        }

        State = PrimaryLinkState.Connect;
        Phase = "connect";
        _server.PrimaryLinkUp = false;
        DownSinceMs = _server.NowMs;
        DownReason = why ?? DownReason ?? "connection lost";
        if (reconnect && Host is not null && !_server.ShutdownRequested.IsCancellationRequested)
        {
            // replicationHandleMasterDisconnection reconnects at once, not at the next cron tick.
            _server.Log.Notice($"Reconnecting to MASTER {Host}:{Port}");
            Launch(delayMs: 0);
        }
    }

    /// <summary>
    /// Ends a failed attempt (cancelReplicationHandshake): closes its connection, records why,
    /// and lets the next attempt follow (AttemptEnded). Caller holds the gate.
    /// </summary>
    internal void FailAttempt(string reason)
    {
        if (reason == _lastReason)
        {
            _repeats++;
        }
        else
        {
            _lastReason = reason;
            _repeats = 0;
        }

        Connection?.Close();
        Connection = null;
        if (State != PrimaryLinkState.Connected)
        {
            State = PrimaryLinkState.Connect;
            Phase = "connect";
        }

        DownReason = reason;
    }

    /// <summary>
    /// The pause before the next attempt after <paramref name="failedInRow"/> failed attempts in a
    /// row: 100 ms for the first second of failures, then doubling up to Redis's pace of once a
    /// second (replicationCron retries on its 1 s tick, so a replica whose primary comes back
    /// waits up to a second more than it needs to; ours waits at most 100 ms after a short outage,
    /// and a primary that stays down or keeps refusing is tried once a second, as by Redis).
    /// </summary>
    internal static int RetryDelayMs(int failedInRow) => failedInRow switch
    {
        <= 10 => 100,
        11 => 200,
        12 => 400,
        13 => 800,
        _ => 1000,
    };

    /// <summary>Called by a finished attempt: connect again after a failure (see <see cref="RetryDelayMs"/>). Caller holds the gate.</summary>
    internal void AttemptEnded(PrimarySyncAttempt attempt, bool failed)
    {
        if (_attempt != attempt)
        {
            return;
        }

        _attempt = null;
        if (Host is null || !failed || attempt.Generation != _generation || _server.ShutdownRequested.IsCancellationRequested)
        {
            return;
        }

        _failedInRow++;
        Launch(RetryDelayMs(_failedInRow));
    }

    /// <summary>Logs the line of a failure: at warning level, or verbose when the last attempt failed for the same reason.</summary>
    internal void LogFailure(string line, string reason)
    {
        if (reason == _lastReason)
        {
            _server.Log.Verbose(line);
        }
        else
        {
            _server.Log.Warning(line);
        }
    }

    /// <summary>
    /// Logs a step of an attempt; once attempts keep failing for the same reason their steps
    /// are logged at verbose level (Redis would log them on every retry, up to thousands a second).
    /// </summary>
    internal void LogProgress(string line, bool warning = false)
    {
        if (_repeats > 0)
        {
            _server.Log.Verbose(line);
        }
        else if (warning)
        {
            _server.Log.Warning(line);
        }
        else
        {
            _server.Log.Notice(line);
        }
    }

    private void LinkUp(PrimaryPosition pos, PrimaryConnection conn)
    {
        var client = _server.CreateClient();
        client.IsPrimaryLink = true;
        client.Authenticated = true;
        client.DbIndex = Math.Clamp(pos.Db, 0, _server.Databases.Length - 1);
        client.Address = $"{Host}:{Port}";
        client.Transport = this;
        Client = client;
        Current = pos;
        Connection = conn;
        State = PrimaryLinkState.Connected;
        Phase = "connected";
        LastIoMs = _server.NowMs;
        DownSinceMs = 0;
        DownReason = null;
        _lastReason = null;
        _repeats = 0;
        _failedInRow = 0;
        _server.PrimaryLinkUp = true;
    }

    private void Launch(int delayMs)
    {
        var attempt = new PrimarySyncAttempt(_server, this, _generation);
        _attempt = attempt;
        _ = attempt.RunAsync(delayMs);
    }

    private void CancelAttempt()
    {
        _generation++;
        _attempt = null;
        Connection?.Close();
        Connection = null;
        TransferSize = -1;
        TransferRead = 0;
    }

    // CONFIG GET replicaof and CONFIG REWRITE report the current primary, as Redis's do.
    private void RememberInConfig(string host, string port) =>
        _server.Config.Store.Set(Config.ConfigCatalog.ByName["replicaof"], [host, port], out _);

    // replicationCacheMasterUsingMyself: our own id and offset become the position to PSYNC from.
    private void CacheUsingMyself(int db)
    {
        _server.Log.Notice("Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.");
        Cached = new PrimaryPosition(_server.Replication.ReplId, _server.Replication.Offset, db);
    }

    private void DiscardCached()
    {
        if (Cached is null)
        {
            return;
        }

        _server.Log.Notice("Discarding previously cached master state.");
        Cached = null;
    }

    // disconnectSlaves: our replicas must resync with us (their stream is no longer ours).
    private void DisconnectReplicas()
    {
        foreach (var c in _server.Clients.Values.Where(c => c.IsReplica && !c.IsMonitor).ToList())
        {
            c.Killed = true;
            c.Transport?.Close();
        }
    }

    // rdbPopulateSaveInfo's replica half: an RDB saved by a replica records its primary's id and
    // the applied offset, with the stream's database, so a restart can PSYNC from it.
    private Func<ReplSaveInfo?> ChainSaveInfo(Func<ReplSaveInfo?> primarySide) => () =>
    {
        if (Host is null)
        {
            return primarySide();
        }

        if (Current is not null && Client is { } client)
        {
            return new ReplSaveInfo(client.DbIndex, _server.Replication.ReplId, _server.Replication.Offset);
        }

        return Cached is { } cached ? new ReplSaveInfo(cached.Db, _server.Replication.ReplId, _server.Replication.Offset) : null;
    };
}
