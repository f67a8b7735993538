namespace Cinnabar.Server.Diagnostics;

/// <summary>Counters reported by INFO stats (Redis's field names in comments) and reset by CONFIG RESETSTAT.</summary>
internal sealed class ServerStats
{
    /// <summary>total_connections_received</summary>
    public long ConnectionsReceived { get; set; }

    /// <summary>total_commands_processed</summary>
    public long CommandsProcessed { get; set; }

    /// <summary>total_net_input_bytes</summary>
    public long NetInputBytes;

    /// <summary>total_net_output_bytes</summary>
    public long NetOutputBytes;

    /// <summary>total_net_repl_output_bytes: the part of total_net_output_bytes sent to replicas.</summary>
    public long NetReplOutputBytes;

    /// <summary>total_net_repl_input_bytes: bytes read from our primary (handshake, snapshot, stream).</summary>
    public long NetReplInputBytes;

    /// <summary>rejected_connections</summary>
    public long RejectedConnections { get; set; }

    /// <summary>expired_keys</summary>
    public long ExpiredKeys { get; set; }

    /// <summary>
    /// lazyfreed_objects: keys of databases emptied "asynchronously" (FLUSHALL/FLUSHDB ASYNC or
    /// lazyfree-lazy-user-flush, a replica's old dataset with replica-lazy-flush or swapdb), as
    /// Redis counts emptyDbAsync's keys once its background thread freed them. Here every flush
    /// drops the table at once and the GC reclaims it, so only the count differs between modes.
    /// </summary>
    public long LazyFreedObjects { get; set; }

    /// <summary>expired_stale_perc</summary>
    public double ExpiredStalePercent { get; set; }

    /// <summary>expired_time_cap_reached_count</summary>
    public long ExpiredTimeCapReached { get; set; }

    /// <summary>expire_cycle_cpu_milliseconds</summary>
    public long ExpireCycleCpuMs { get; set; }

    /// <summary>evicted_keys</summary>
    public long EvictedKeys { get; set; }

    /// <summary>keyspace_hits</summary>
    public long KeyspaceHits { get; set; }

    /// <summary>keyspace_misses</summary>
    public long KeyspaceMisses { get; set; }

    /// <summary>total_error_replies</summary>
    public long ErrorReplies { get; set; }

    /// <summary>unexpected_error_replies</summary>
    public long UnexpectedErrorReplies { get; set; }

    /// <summary>total_reads_processed</summary>
    public long ReadsProcessed;

    /// <summary>total_writes_processed</summary>
    public long WritesProcessed;

    /// <summary>Error counts by prefix (INFO errorstats).</summary>
    public Dictionary<string, long> ErrorsByCode { get; } = new(StringComparer.Ordinal);

    /// <summary>Resets what CONFIG RESETSTAT resets.</summary>
    public void Reset()
    {
        ConnectionsReceived = 0;
        CommandsProcessed = 0;
        SyncFull = 0;
        SyncPartialOk = 0;
        SyncPartialErr = 0;
        Interlocked.Exchange(ref NetReplOutputBytes, 0);
        NetInputBytes = 0;
        NetOutputBytes = 0;
        NetReplInputBytes = 0;
        RejectedConnections = 0;
        ExpiredKeys = 0;
        LazyFreedObjects = 0;
        ExpiredStalePercent = 0;
        ExpiredTimeCapReached = 0;
        ExpireCycleCpuMs = 0;
        EvictedKeys = 0;
        KeyspaceHits = 0;
        KeyspaceMisses = 0;
        ErrorReplies = 0;
        UnexpectedErrorReplies = 0;
        ReadsProcessed = 0;
        WritesProcessed = 0;
        ErrorsByCode.Clear();
    }

    /// <summary>sync_full: full resynchronizations served.</summary>
    public long SyncFull { get; set; }

    /// <summary>sync_partial_ok: PSYNCs accepted.</summary>
    public long SyncPartialOk { get; set; }

    /// <summary>sync_partial_err: PSYNCs refused (not counting "PSYNC ? -1").</summary>
    public long SyncPartialErr { get; set; }
}
