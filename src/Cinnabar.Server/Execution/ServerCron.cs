// serverCron's duties, run hz times per second under the executor gate: active expiry,
// incremental rehashing and table shrinking, idle-client timeouts, save points and the
// instantaneous statistics samples (ServerMetrics).
using Cinnabar.Server.Commands;
using Cinnabar.Server.Networking;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Execution;

/// <summary>Periodic server work.</summary>
internal sealed class ServerCron
{
    private readonly CinnabarServer _server;

    public ServerCron(CinnabarServer server)
    {
        _server = server;
    }

    /// <summary>One cron tick (caller holds the gate).</summary>
    public void Tick()
    {
        long now = _server.NowMs;

        // clientsCronHandleTimeout: blocked clients past their deadline (the blocking timer is
        // the precise path; the cron is the backstop).
        _server.Blocking.CheckTimeouts();
        // Redis's databasesCron: a primary samples its keys; a replica only expires keys its own
        // clients gave a TTL (writable replica), everything else waits for the primary's DEL.
        if (_server.ActiveExpireEnabled)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            if (!_server.IsReplica)
            {
                _server.ActiveExpiry.Cycle(fast: false);
            }
            else
            {
                _server.ActiveExpiry.ExpireReplicaKeys();
            }

            // expire.c: the cycle's duration is a latency-monitor event of its own.
            _server.Latency.AddSampleIfNeeded(_server, "expire-cycle", (long)System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        foreach (var db in _server.Databases)
        {
            db.Table.ShrinkIfNeeded();
            if (_server.Config.ActiveRehashing)
            {
                db.Table.RehashFor(1);
            }
        }

        CloseTimedOutClients(now);
        OutputBufferLimits.Cron(_server);
        _server.PrimaryLink.Cron();
        _server.Snapshots.CronCheck();
        _server.PrimaryReplication.Cron();
        _server.ShutdownSequence.Cron();
        _server.Metrics.Sample(_server, now);
    }

    private void CloseTimedOutClients(long now)
    {
        int timeout = _server.Config.Timeout;
        if (timeout <= 0)
        {
            return;
        }

        List<ClientSession>? idle = null;
        foreach (var c in _server.Clients.Values)
        {
            // Redis flags a MONITOR client as a replica (CLIENT_SLAVE), which spares it too.
            if (c.IsPrimaryLink || c.IsReplica || c.IsMonitor || c.IsPubSub || c.Blocked)
            {
                continue;
            }

            if (now - c.LastInteractionMs > timeout * 1000L)
            {
                (idle ??= []).Add(c);
            }
        }

        if (idle is null)
        {
            return;
        }

        foreach (var c in idle)
        {
            _server.Log.Verbose("Closing idle client");
            c.Killed = true;
            c.Transport?.Close();
        }
    }
}

