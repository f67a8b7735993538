// Redis's active expire cycle (expire.c activeExpireCycle), adapted to our key table.
//
// Redis keeps volatile keys in a second dict (db->expires) and samples its buckets; we keep the
// TTL inside the slot, so the sampler walks slot positions of the key table instead, with a
// cursor per database (Database.ExpireCursor), skipping free and persistent slots. Everything
// else follows Redis:
// - Slow cycle from the cron: up to 25% of a cron period (+2% per active-expire-effort step),
//   16 databases per call (all of them after a call that hit its time limit), the time checked
//   every 16 sampling loops.
// - Fast cycle before the executor goes idle: 1 ms at most, not more often than every 2 ms, and
//   only when the previous cycle hit its time limit (see the quirk in Cycle); so calling it
//   after every batch costs two comparisons.
// - A database keeps being sampled, 20 volatile keys per loop (+25% per effort step), while more
//   than 10% (-1% per effort step) of the sampled keys were expired.
// - avg_ttl is a running estimate: each loop's mean TTL of live sampled keys moves it by 2%.
// - Each expired key is deleted and propagated as its own DEL/UNLINK, never wrapped in MULTI.
using System.Diagnostics;
using Cinnabar.Server.Commands;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Execution;

/// <summary>The active expire cycle of one server.</summary>
internal sealed class ActiveExpire
{
    private const int KeysPerLoop = 20;
    private const int FastDurationMicros = 1000;
    private const int SlowTimePercent = 25;
    private const int AcceptableStalePercent = 10;
    private const int DbsPerCall = 16;

    // Redis bounds the buckets visited per loop at 20 per wanted sample; positions play that role.
    private const int PositionsPerSample = 20;

    private readonly CinnabarServer _server;
    private int _currentDb;
    private bool _timeLimitExit;
    private long _lastFastCycleMicros = long.MinValue / 2;
    private long _cycleMicrosTotal;

    public ActiveExpire(CinnabarServer server)
    {
        _server = server;
    }

    /// <summary>The fast cycle Redis runs in beforeSleep (primary only, active expiry enabled).</summary>
    public void BeforeSleep()
    {
        if (_server.ActiveExpireEnabled && !_server.IsReplica)
        {
            Cycle(fast: true);
        }
    }

    /// <summary>One cycle (the caller holds the gate): the slow cycle from the cron, or the fast one.</summary>
    public void Cycle(bool fast)
    {
        int effort = Math.Clamp(_server.Config.ActiveExpireEffort, 1, 10) - 1;
        int keysPerLoop = KeysPerLoop + (KeysPerLoop / 4 * effort);
        long fastDuration = FastDurationMicros + (FastDurationMicros / 4 * effort);
        long slowTimePercent = SlowTimePercent + (2 * effort);
        long acceptableStale = AcceptableStalePercent - effort;

        var stats = _server.Stats;

        // Redis compares its stale *fraction* (0..1) with a *percentage* (10), so in practice
        // the fast cycle only runs after a cycle that hit its time limit; we keep that. The
        // check comes before reading the clock, which keeps the per-batch call nearly free.
        if (fast && !_timeLimitExit && stats.ExpiredStalePercent / 100 < acceptableStale)
        {
            return;
        }

        long start = NowMicros();
        if (fast)
        {
            if (start < _lastFastCycleMicros + (fastDuration * 2))
            {
                return;
            }

            _lastFastCycleMicros = start;
        }

        var dbs = _server.Databases;
        int dbsPerCall = DbsPerCall > dbs.Length || _timeLimitExit ? dbs.Length : DbsPerCall;
        long timeLimit = fast ? fastDuration : Math.Max(1, slowTimePercent * 1000000 / Math.Max(1, _server.Config.Hz) / 100);
        _timeLimitExit = false;

        long totalSampled = 0;
        long totalExpired = 0;
        int iteration = 0;
        for (int j = 0; j < dbsPerCall && !_timeLimitExit; j++)
        {
            var db = dbs[(int)((uint)_currentDb % (uint)dbs.Length)];
            _currentDb++;
            long sampled, expired;
            do
            {
                iteration++;
                if (db.VolatileCount == 0)
                {
                    db.AverageTtl = 0;
                    break;
                }

                SampleOnce(db, Math.Min(db.VolatileCount, keysPerLoop), out sampled, out expired);
                totalSampled += sampled;
                totalExpired += expired;

                if ((iteration & 0xf) == 0 && NowMicros() - start > timeLimit)
                {
                    _timeLimitExit = true;
                    stats.ExpiredTimeCapReached++;
                    break;
                }
            }
            while (sampled == 0 || expired * 100 / sampled > acceptableStale);
        }

        long elapsed = NowMicros() - start;
        _cycleMicrosTotal += elapsed;
        stats.ExpireCycleCpuMs = _cycleMicrosTotal / 1000;
        // Kept as a percentage (INFO expired_stale_perc prints it as is); Redis keeps the fraction.
        double currentPercent = totalSampled == 0 ? 0 : (double)totalExpired * 100 / totalSampled;
        stats.ExpiredStalePercent = (currentPercent * 0.05) + (stats.ExpiredStalePercent * 0.95);
    }

    /// <summary>One sampling loop over <paramref name="wanted"/> volatile keys of <paramref name="db"/>.</summary>
    private void SampleOnce(Database db, int wanted, out long sampled, out long expired)
    {
        long now = _server.NowMs;
        sampled = 0;
        expired = 0;
        long ttlSum = 0;
        int ttlSamples = 0;
        long maxPositions = (long)wanted * PositionsPerSample;
        long cursor = db.ExpireCursor;
        for (long visited = 0; sampled < wanted && visited < maxPositions; visited++)
        {
            // Deleting may move slots (incremental rehash), so the bound is read on every step.
            var table = db.Table;
            int positions = table.SlotPositions;
            if (positions == 0)
            {
                break;
            }

            if (cursor >= positions)
            {
                cursor = 0;
            }

            ref Slot s = ref table.SlotAt((int)cursor++);
            if (s.Data is null || s.Expire == 0)
            {
                continue;
            }

            sampled++;
            long ttl = s.Expire - now;
            if (now > s.Expire)
            {
                CommandContext.DeleteExpired(_server, db, Entry.KeyOf(s.Data), null);
                expired++;
            }
            else if (ttl > 0)
            {
                ttlSum += ttl;
                ttlSamples++;
            }
        }

        db.ExpireCursor = cursor;
        if (ttlSamples > 0)
        {
            long avg = ttlSum / ttlSamples;
            if (db.AverageTtl == 0)
            {
                db.AverageTtl = avg;
            }

            db.AverageTtl = (db.AverageTtl / 50 * 49) + (avg / 50);
        }
    }

    private static long NowMicros() => (long)(Stopwatch.GetTimestamp() * (1_000_000.0 / Stopwatch.Frequency));
}
