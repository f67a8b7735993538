// Per-client state, Redis's `client` struct minus the socket: selected database, auth, protocol,
// MULTI/WATCH state, name, flags, reply mode. Only the executor touches it (under its lock),
// so it needs no synchronization of its own. Tests create sessions without any socket.
using Cinnabar.Protocol;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Networking;

/// <summary>Reply mode set by CLIENT REPLY.</summary>
internal enum ReplyMode
{
    /// <summary>Replies are sent.</summary>
    On,

    /// <summary>No replies.</summary>
    Off,

    /// <summary>CLIENT REPLY SKIP was just issued: the next command's reply is dropped.</summary>
    Skip,
}

/// <summary>One WATCHed key of a client (Redis's watchedKey).</summary>
internal sealed class WatchedKey
{
    public WatchedKey(Database db, byte[] key, bool expired)
    {
        Db = db;
        Key = key;
        Expired = expired;
    }

    public Database Db { get; }

    public byte[] Key { get; }

    /// <summary>The key was already logically expired when WATCHed (Redis 7.0: such a key deleted later does not fail EXEC).</summary>
    public bool Expired { get; set; }
}

/// <summary>A connected client.</summary>
internal sealed class ClientSession
{
    public ClientSession(long id, long createdMs)
    {
        Id = id;
        CreatedMs = createdMs;
        LastInteractionMs = createdMs;
    }

    public long Id { get; }

    public string? Name { get; set; }

    public int DbIndex { get; set; }

    public bool Authenticated { get; set; }

    public string User { get; set; } = "default";

    public ReplyWriter Output { get; } = new();

    public int Protocol
    {
        get => Output.Protocol;
        set => Output.Protocol = value;
    }

    /// <summary>"ip:port" of the peer, or "/path:0" style for unix sockets.</summary>
    public string Address { get; set; } = "?:0";

    /// <summary>"ip:port" of our end.</summary>
    public string LocalAddress { get; set; } = "?:0";

    /// <summary>File descriptor shown by CLIENT LIST (fake but unique), -1 for internal clients.</summary>
    public long Fd { get; set; } = -1;

    public long CreatedMs { get; }

    public long LastInteractionMs { get; set; }

    public string LastCommand { get; set; } = "NULL";

    public IClientTransport? Transport { get; set; }

    /// <summary>This is the link to our primary (Redis's CLIENT_MASTER).</summary>
    public bool IsPrimaryLink { get; set; }

    /// <summary>This client is one of our replicas.</summary>
    public bool IsReplica { get; set; }

    /// <summary>Replication state of a replica connected to us (REPLCONF/SYNC/PSYNC), or null.</summary>
    public Replication.ReplicaLink? ReplicaLink { get; set; }

    /// <summary>master_repl_offset right after this client's last propagated write (Redis's woff, for WAIT).</summary>
    public long WriteOffset { get; set; }

    /// <summary>MONITOR is active.</summary>
    public bool IsMonitor { get; set; }

    /// <summary>Subscribed to at least one channel or pattern.</summary>
    public bool IsPubSub { get; set; }

    /// <summary>Close once pending replies are written (QUIT, protocol errors).</summary>
    public bool CloseAfterReply { get; set; }

    /// <summary>Closed by CLIENT KILL or the server.</summary>
    public bool Killed { get; set; }

    /// <summary>Bytes the connection has taken from <see cref="Output"/> and not sent yet (set by the transport).</summary>
    public long OutputInFlight;

    /// <summary>Output written for this client and not yet taken by the socket (CLIENT LIST omem, output buffer limits).</summary>
    public long PendingOutput => Output.Length + Volatile.Read(ref OutputInFlight);

    /// <summary>Unix seconds since the soft output buffer limit has been exceeded (0 = under it).</summary>
    public long ObufSoftLimitSince { get; set; }

    /// <summary>CLIENT NO-EVICT on.</summary>
    public bool NoEvict { get; set; }

    public ReplyMode ReplyMode { get; set; }

    /// <summary>The next command's reply is dropped (set after CLIENT REPLY SKIP).</summary>
    public bool SkipCurrentReply { get; set; }

    /// <summary>Inside MULTI.</summary>
    public bool InMulti { get; set; }

    /// <summary>A command was rejected while queuing (EXEC answers EXECABORT).</summary>
    public bool MultiError { get; set; }

    /// <summary>A watched key changed (EXEC answers null).</summary>
    public bool DirtyCas { get; set; }

    /// <summary>Commands queued by MULTI (owning copies).</summary>
    public List<CommandArgs> Queued { get; } = [];

    /// <summary>Union of the flags of the queued commands (Redis's mstate.cmd_flags).</summary>
    public Commands.CommandFlags QueuedFlags { get; set; }

    /// <summary>A queued command may not run on a stale replica (Redis's mstate.cmd_inv_flags &amp; CMD_STALE).</summary>
    public bool QueuedDenyStale { get; set; }

    /// <summary>A queued command may not run while loading.</summary>
    public bool QueuedDenyLoading { get; set; }

    /// <summary>A queued command is flagged no-async-loading (EXEC is refused during an async load).</summary>
    public bool QueuedDenyAsyncLoading { get; set; }

    /// <summary>Sum of the argument lengths of the queued commands (CLIENT LIST multi-mem).</summary>
    public long QueuedBytes { get; set; }

    /// <summary>Keys under WATCH.</summary>
    public List<WatchedKey> WatchedKeys { get; } = [];

    /// <summary>The client is blocked (paused, or later a blocking pop) and must not run its next command.</summary>
    public bool Blocked { get; set; }

    /// <summary>
    /// The block is a postponement (CLIENT PAUSE, Redis's BLOCKED_POSTPONE): when unblocked the
    /// same command is processed again from the start, instead of having been answered.
    /// </summary>
    public bool Postponed { get; set; }

    /// <summary>The running command answered with pushes only, which CLIENT REPLY OFF/SKIP do not suppress.</summary>
    public bool RepliedWithPushes { get; set; }

    /// <summary>Pub/sub channels subscribed (CLIENT LIST sub).</summary>
    public int ChannelCount { get; set; }

    /// <summary>Pub/sub patterns subscribed (CLIENT LIST psub).</summary>
    public int PatternCount { get; set; }

    /// <summary>Shard channels subscribed (CLIENT LIST ssub).</summary>
    public int ShardChannelCount { get; set; }

    /// <summary>Connected through the unix socket (flag 'U').</summary>
    public bool IsUnixSocket { get; set; }

    /// <summary>READONLY was issued (cluster mode only; flag 'r').</summary>
    public bool ReadOnlyMode { get; set; }

    /// <summary>Called by the executor to resume a blocked client.</summary>
    public Action? Unblock { get; set; }

    /// <summary>Input bytes buffered (for CLIENT LIST qbuf).</summary>
    public long QueryBufferLength { get; set; }

    /// <summary>Bytes read in total.</summary>
    public long NetInput { get; set; }

    /// <summary>Bytes written in total.</summary>
    public long NetOutput { get; set; }

    /// <summary>Number of commands executed (CLIENT INFO tot-cmds is 7.2; kept for stats).</summary>
    public long Commands { get; set; }
}
