// serverCron's duties, run hz times per second under the executor gate: active expiry,
// incremental rehashing and table shrinking, idle-client timeouts and the instantaneous
// statistics samples.
using Cinnabar.Server.Commands;
using Cinnabar.Server.Networking;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Execution;

/// <summary>Periodic server work.</summary>
internal sealed class ServerCron
{
    private readonly CinnabarServer _server;
    private long _lastOpsSampleMs;
    private long _lastOpsCount;

    public ServerCron(CinnabarServer server)
    {
        _server = server;
    }

    /// <summary>instantaneous_ops_per_sec.</summary>
    public long InstantaneousOps { get; private set; }

    /// <summary>One cron tick (caller holds the gate).</summary>
    public void Tick()
    {
        long now = _server.NowMs;
        if (_server.ActiveExpireEnabled && !_server.IsReplica)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            ActiveExpire.Cycle(_server, now, slow: true);

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
        _server.Metrics.Sample(_server, now);
        if (now - _lastOpsSampleMs >= 100)
        {
            long ops = _server.Stats.CommandsProcessed;
            if (_lastOpsSampleMs != 0)
            {
                InstantaneousOps = (ops - _lastOpsCount) * 1000 / Math.Max(1, now - _lastOpsSampleMs);
            }

            _lastOpsSampleMs = now;
            _lastOpsCount = ops;
        }
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
            if (c.IsPrimaryLink || c.IsReplica || c.IsPubSub || c.Blocked)
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

/// <summary>Redis's active expire cycle (expire.c), adapted to a sweep over the key table.</summary>
internal static class ActiveExpire
{
    private const int KeysPerLoop = 20;

    /// <summary>Deletes expired keys for up to a time budget (25% of a cron period for the slow cycle).</summary>
    public static void Cycle(CinnabarServer server, long now, bool slow)
    {
        int hz = Math.Max(1, server.Config.Hz);
        long budgetMicros = slow ? 25 * 1000000L / hz / 100 : 1000;
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        foreach (var db in server.Databases)
        {
            if (db.VolatileCount == 0)
            {
                continue;
            }

            while (true)
            {
                var expired = new List<byte[]>();
                int checkedSlots = 0;
                db.ExpireCursor = db.Table.Sweep(db.ExpireCursor, KeysPerLoop * 10, (ref Slot s) =>
                {
                    checkedSlots++;
                    if (s.Expire != 0 && s.Expire <= now)
                    {
                        expired.Add(Entry.KeyArray(s.Data!));
                    }

                    return true;
                });

                foreach (var key in expired)
                {
                    CommandContext.DeleteExpired(server, db, key, null);
                }

                if (db.ExpireCursor == 0 || db.VolatileCount == 0)
                {
                    break;
                }

                if (System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMicroseconds > budgetMicros)
                {
                    server.Stats.ExpiredTimeCapReached++;
                    return;
                }

                // Redis keeps looping while more than 10% of the sampled keys were expired.
                if (expired.Count * 10 < Math.Max(1, checkedSlots) && !slow)
                {
                    break;
                }
            }
        }
    }
}
