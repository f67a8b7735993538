// The server's shared state: configuration, keyspace, clients, statistics and the executor's
// gate. Every command runs while holding Gate, so everything reachable from here is touched by
// one thread at a time, in one total order (ARCHITECTURE §1); the hosting layer wires sockets,
// timers and signals to it.
using Cinnabar.Protocol;
using Cinnabar.Server.Commands;
using Cinnabar.Server.Config;
using Cinnabar.Server.Diagnostics;
using Cinnabar.Server.Networking;
using Cinnabar.Server.Replication;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server;

/// <summary>The state of one server instance.</summary>
internal sealed class CinnabarServer
{
    private long _nextClientId;

    public CinnabarServer(ServerConfig config, TimeProvider? time = null, Logger? logger = null)
    {
        Config = config;
        Time = time ?? TimeProvider.System;
        Log = logger ?? new Logger(Time);
        Commands = CommandTable.CreateDefault();
        Databases = new Database[Math.Max(1, config.Databases)];
        for (int i = 0; i < Databases.Length; i++)
        {
            Databases[i] = new Database(i);
        }

        StartTimeMs = NowMs;
        PubSub.Delivered = c => Execution.OutputBufferLimits.Enforce(this, c);
        Metrics.ConfigSource = config;
        RunId = NewRunId();
        Dispatcher = new Dispatcher(this);
        Blocking = new Execution.BlockingManager(this);
        ActiveExpiry = new Execution.ActiveExpire(this);
        Snapshots = new Persistence.SnapshotService(this);
        Replication = new ReplicationState(this);
        PrimaryReplication = new PrimaryReplication(this);
        ReplicationFeed.Bind(this);
        Snapshots.ReplicationInfo = Replication.PopulateSaveInfo;

        // After the primary side's hook: the replica side wraps it (a replica records its
        // primary's position in its snapshots, a primary its own).
        PrimaryLink = new PrimaryLink(this);
        ShutdownSequence = new Execution.ShutdownSequence(this);
    }

    /// <summary>SHUTDOWN and the shutdown signals: waiting for replicas, the final save.</summary>
    public Execution.ShutdownSequence ShutdownSequence { get; }

    /// <summary>The primary side of replication: replicas, full and partial syncs, WAIT.</summary>
    public PrimaryReplication PrimaryReplication { get; }

    /// <summary>The replica side: the link to our primary (REPLICAOF), its state and position.</summary>
    public PrimaryLink PrimaryLink { get; }

    /// <summary>RDB saving: SAVE, save points, the final snapshot at shutdown.</summary>
    public Persistence.SnapshotService Snapshots { get; }

    /// <summary>The background snapshot in progress (BGSAVE or a full sync), or null: one at a time.</summary>
    public Persistence.PointInTimeSnapshot? ActiveSnapshot { get; set; }

    /// <summary>Replication ids, offsets and the shared replication buffer (ARCHITECTURE §4).</summary>
    public ReplicationState Replication { get; }

    /// <summary>Pub/Sub channels, patterns and subscribers.</summary>
    public Execution.PubSub PubSub { get; } = new();

    /// <summary>The executor's lock: hold it to touch anything in the server.</summary>
    public object Gate { get; } = new();

    public ServerConfig Config { get; }

    public TimeProvider Time { get; }

    public Logger Log { get; }

    public CommandTable Commands { get; }

    public Dispatcher Dispatcher { get; }

    /// <summary>Clients blocked on keys (BLPOP and friends).</summary>
    public Execution.BlockingManager Blocking { get; }

    public Database[] Databases { get; private set; }

    public ServerStats Stats { get; } = new();

    /// <summary>Connected clients by id.</summary>
    public Dictionary<long, ClientSession> Clients { get; } = [];

    /// <summary>Clients with MONITOR on.</summary>
    public List<ClientSession> Monitors { get; } = [];

    /// <summary>The producer of the replication stream (formats writes into the shared buffer).</summary>
    public ReplicationFeed ReplicationFeed { get; } = new();

    /// <summary>Sinks fed with every propagated write.</summary>
    public List<IPropagationSink> PropagationSinks { get; } = [];

    /// <summary>40 hex characters, new on every start (INFO run_id).</summary>
    public string RunId { get; }

    public long StartTimeMs { get; }

    /// <summary>Changes since the last save (Redis's server.dirty).</summary>
    public long Dirty { get; set; }

    /// <summary>The client event loop, once the host has started one (Linux x64); null with the runtime's async sockets.</summary>
    public Networking.EventLoop? Loop { get; set; }

    /// <summary>True while this server replicates from a primary.</summary>
    public bool IsReplica { get; set; }

    /// <summary>True while the replica's link to its primary is up.</summary>
    public bool PrimaryLinkUp { get; set; }

    /// <summary>True while loading a dataset (clients get -LOADING).</summary>
    public bool Loading { get; set; }

    /// <summary>
    /// True while a replica loads its primary's snapshot beside the old dataset, which keeps
    /// serving (Redis's async_loading: repl-diskless-load swapdb with an unchanged replication
    /// id); only commands flagged no-async-loading get -LOADING.
    /// </summary>
    public bool AsyncLoading { get; set; }

    /// <summary>Progress of the load in progress, for INFO's loading_* fields (Redis's startLoading).</summary>
    public Persistence.LoadingProgress LoadingProgress { get; } = new();

    /// <summary>DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE and loads skip the CRC64 check.</summary>
    public bool SkipChecksumValidation { get; set; }

    /// <summary>What the startup RDB load produced (AUX fields such as repl-id/repl-offset), or null.</summary>
    internal Persistence.Rdb.RdbLoadResult? LoadedRdb { get; set; }

    /// <summary>The active expire cycle (slow from the cron, fast after each batch).</summary>
    public Execution.ActiveExpire ActiveExpiry { get; }

    /// <summary>Active expiry enabled (DEBUG SET-ACTIVE-EXPIRE).</summary>
    public bool ActiveExpireEnabled { get; set; } = true;

    /// <summary>Unix time (ms) of the last successful save (LASTSAVE), start time until then.</summary>
    public long LastSaveMs { get; set; }

    /// <summary>The client executing the current command (Redis's server.current_client).</summary>
    public ClientSession? CurrentClient { get; set; }

    /// <summary>Set when SHUTDOWN or a signal asks the host to stop.</summary>
    public CancellationTokenSource ShutdownRequested { get; } = new();

    /// <summary>SLOWLOG entries.</summary>
    public Slowlog SlowlogData { get; } = new();

    /// <summary>Sampled figures for INFO (instantaneous metrics, memory peak, latency histograms).</summary>
    public ServerMetrics Metrics { get; } = new();

    /// <summary>LATENCY events (latency-monitor-threshold samples).</summary>
    public LatencyMonitor Latency { get; } = new();

    /// <summary>Shared random source for RANDOMKEY and friends.</summary>
    public Random Random { get; } = new();

    /// <summary>Now, in Unix milliseconds.</summary>
    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Registers a new client.</summary>
    public ClientSession CreateClient()
    {
        var c = new ClientSession(Interlocked.Increment(ref _nextClientId), NowMs)
        {
            Authenticated = string.IsNullOrEmpty(Config.RequirePass),
        };
        Execution.OutputBufferLimits.Watch(this, c);
        Clients[c.Id] = c;
        return c;
    }

    /// <summary>Unregisters a client and drops its WATCHes and subscriptions.</summary>
    public void RemoveClient(ClientSession c)
    {
        Clients.Remove(c.Id);
        Monitors.Remove(c);
        PubSub.Forget(c);
        PrimaryReplication.OnClientRemoved(c);
        ShutdownSequence.Forget(c);
        TransactionCommands.UnwatchAll(this, c);
    }

    /// <summary>Feeds propagated writes to every sink.</summary>
    public void Propagate(int db, IReadOnlyList<CommandArgs> ops, bool atomic)
    {
        foreach (var sink in PropagationSinks)
        {
            // A replica never produces a stream of its own (replicationFeedSlaves returns when
            // masterhost is set): its replicas get its primary's bytes through ReplicationState.Append.
            if (IsReplica && sink == ReplicationFeed)
            {
                continue;
            }

            sink.Propagate(db, ops, atomic);
        }
    }

    /// <summary>Feeds all ops of one top-level call, each with its database.</summary>
    public void PropagateUnit(IReadOnlyList<int> dbs, IReadOnlyList<CommandArgs> ops, bool atomic)
    {
        foreach (var sink in PropagationSinks)
        {
            if (IsReplica && sink == ReplicationFeed)
            {
                continue;
            }

            sink.PropagateUnit(dbs, ops, atomic);
        }
    }

    /// <summary>Resizes the database array (config "databases" only applies at startup).</summary>
    public void ResetDatabases(int count)
    {
        Databases = new Database[count];
        for (int i = 0; i < count; i++)
        {
            Databases[i] = new Database(i);
        }

        ActiveExpiry.HookDatabases();
    }

    private static string NewRunId()
    {
        Span<byte> bytes = stackalloc byte[20];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
