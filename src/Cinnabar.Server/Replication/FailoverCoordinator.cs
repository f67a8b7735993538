// FAILOVER (replication.c failoverCommand, updateFailoverStatus, abortFailover): a coordinated
// switch of roles between this primary and one of its replicas, with no write lost.
//   1. writes are paused (the Failover pause) and the state is waiting-for-sync;
//   2. the cron (every tick, about 100 ms) waits until the target replica, or with no target any
//      replica, has acknowledged the whole stream; at TIMEOUT it gives up, or with FORCE goes on;
//   3. failover-in-progress: this server becomes a replica of the target (REPLICAOF host port) and
//      its handshake sends "PSYNC <replid> <offset> FAILOVER", which makes the target promote
//      itself before answering; +CONTINUE (or +FULLRESYNC) ends the failover, anything else
//      aborts it and this server is a primary again.
// FAILOVER ABORT, REPLICAOF refused meanwhile, and master_failover_state in INFO complete it.
namespace Cinnabar.Server.Replication;

/// <summary>Redis's failover states, as INFO names them.</summary>
internal enum FailoverState
{
    /// <summary>no-failover.</summary>
    None,

    /// <summary>waiting-for-sync: writes paused, waiting for a replica to catch up.</summary>
    WaitForSync,

    /// <summary>failover-in-progress: following the target, asking it to take over.</summary>
    InProgress,
}

/// <summary>The FAILOVER in progress on this server, if any.</summary>
internal sealed class FailoverCoordinator
{
    private readonly CinnabarServer _server;

    public FailoverCoordinator(CinnabarServer server)
    {
        _server = server;
    }

    public FailoverState State { get; private set; }

    /// <summary>The chosen replica's host, or null while any replica may be chosen.</summary>
    public string? TargetHost { get; private set; }

    public int TargetPort { get; private set; }

    /// <summary>failover_end_time (unix ms), 0 without TIMEOUT.</summary>
    public long EndMs { get; private set; }

    private bool Force { get; set; }

    /// <summary>master_failover_state.</summary>
    public string StateName => State switch
    {
        FailoverState.WaitForSync => "waiting-for-sync",
        FailoverState.InProgress => "failover-in-progress",
        _ => "no-failover",
    };

    /// <summary>Starts a failover whose arguments were checked (caller holds the gate).</summary>
    public void Start(string? host, int port, long timeoutMs, bool force)
    {
        TargetHost = host;
        TargetPort = port;
        _server.Log.Notice(host is null ? "FAILOVER requested to any replica." : $"FAILOVER requested to {host}:{port}.");
        EndMs = timeoutMs > 0 ? _server.NowMs + timeoutMs : 0;
        Force = force;
        State = FailoverState.WaitForSync;
        _server.Dispatcher.Pause.Pause(Networking.PausePurpose.Failover, long.MaxValue, Networking.PauseType.Write);
    }

    /// <summary>findReplica: the attached replica announced at host:port, or null.</summary>
    public ReplicaLink? FindReplica(string host, long port) =>
        _server.Replication.Replicas.FirstOrDefault(l => l.ListeningPort == port && string.Equals(l.Ip, host, StringComparison.OrdinalIgnoreCase));

    /// <summary>updateFailoverStatus, from the cron (caller holds the gate).</summary>
    public void Update()
    {
        if (State != FailoverState.WaitForSync)
        {
            return;
        }

        if (EndMs != 0 && EndMs <= _server.NowMs)
        {
            if (Force)
            {
                _server.Log.Notice($"FAILOVER to {TargetHost}:{TargetPort} time out exceeded, failing over.");
                FailOver();
            }
            else
            {
                Abort("Replica never caught up before timeout");
            }

            return;
        }

        long offset = _server.Replication.Offset;
        ReplicaLink? replica;
        if (TargetHost is not null)
        {
            replica = FindReplica(TargetHost, TargetPort);
        }
        else
        {
            replica = _server.Replication.Replicas.FirstOrDefault(l => l.AckOffset == offset);
            if (replica is not null)
            {
                TargetHost = replica.Ip;
                TargetPort = replica.ListeningPort;
            }
        }

        if (replica is not null && replica.AckOffset == offset)
        {
            _server.Log.Notice($"Failover target {TargetHost}:{TargetPort} is synced, failing over.");
            FailOver();
        }
    }

    /// <summary>abortFailover (caller holds the gate).</summary>
    public void Abort(string why)
    {
        if (State == FailoverState.None)
        {
            return;
        }

        _server.Log.Notice(TargetHost is null ? $"FAILOVER to any replica aborted: {why}" : $"FAILOVER to {TargetHost}:{TargetPort} aborted: {why}");
        if (State == FailoverState.InProgress)
        {
            _server.PrimaryLink.UnsetPrimary();
        }

        Clear();
    }

    /// <summary>clearFailoverState: the failover ended (either way); writes resume.</summary>
    public void Clear()
    {
        EndMs = 0;
        Force = false;
        TargetHost = null;
        TargetPort = 0;
        State = FailoverState.None;
        _server.Dispatcher.Pause.Unpause(Networking.PausePurpose.Failover);
    }

    private void FailOver()
    {
        State = FailoverState.InProgress;
        _server.PrimaryLink.SetPrimary(TargetHost!, TargetPort);
    }
}
