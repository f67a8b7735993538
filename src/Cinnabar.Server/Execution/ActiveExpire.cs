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
// - A replica runs no cycle (its primary sends DELs), except for keys that its own clients gave
//   a TTL on a writable replica: those are remembered (key -> bitmap of databases, as Redis's
//   slaveKeysWithExpire) and expired from the cron, since no primary will ever delete them.
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

    // Writable-replica keys with a TTL set by the replica's own clients (Redis's slaveKeysWithExpire).
    private readonly Dictionary<byte[], ulong> _replicaKeys = new(ByteArrayComparer.Instance);
    private readonly Database.ExpireSetHandler _remember;
    private int _replicaKeysOffset;

    public ActiveExpire(CinnabarServer server)
    {
        _server = server;
        _remember = RememberReplicaKey;
        HookDatabases();
    }

    /// <summary>Number of keys a writable replica tracks for expiry (DEBUG/INFO introspection, tests).</summary>
    public int ReplicaKeysWithExpire => _replicaKeys.Count;

    /// <summary>Attaches the TTL hook to every database (again after the database array is replaced).</summary>
    public void HookDatabases()
    {
        foreach (var db in _server.Databases)
        {
            db.ExpireSet = _remember;
            db.KeyAdded = (d, key) => KeyspaceEvents.Notify(_server, KeyspaceEvents.New, "new", key, d.Index);
        }
    }

    /// <summary>Forgets tracked replica keys (Redis's flushSlaveKeysWithExpireList: FLUSHALL, SWAPDB).</summary>
    public void ForgetReplicaKeys() => _replicaKeys.Clear();

    /// <summary>
    /// Redis's expireSlaveKeys, from the cron of a replica: checks tracked keys, deleting expired
    /// ones, until more than 3 live ones were seen or about 1 ms passed.
    /// </summary>
    public void ExpireReplicaKeys()
    {
        if (_replicaKeys.Count == 0)
        {
            return;
        }

        // Redis draws keys at random; we walk a snapshot from a moving offset, which is as fair.
        var keys = new byte[_replicaKeys.Count][];
        _replicaKeys.Keys.CopyTo(keys, 0);
        long now = _server.NowMs;
        long start = NowMicros();
        int noExpire = 0;
        var dbs = _server.Databases;
        for (int cycles = 1; cycles <= keys.Length; cycles++)
        {
            var key = keys[(_replicaKeysOffset++ & int.MaxValue) % keys.Length];
            ulong ids = _replicaKeys[key];
            ulong kept = 0;
            for (int id = 0; ids != 0 && id < dbs.Length; id++, ids >>= 1)
            {
                if ((ids & 1) == 0)
                {
                    continue;
                }

                ref Slot s = ref dbs[id].FindRaw(key);
                if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref s) || s.Expire == 0)
                {
                    continue;
                }

                if (now > s.Expire)
                {
                    CommandContext.DeleteExpired(_server, dbs[id], key, null);
                }
                else
                {
                    noExpire++;
                    kept |= 1UL << id;
                }
            }

            if (kept != 0)
            {
                _replicaKeys[key] = kept;
            }
            else
            {
                _replicaKeys.Remove(key);
            }

            if (noExpire > 3 || ((cycles % 64) == 0 && NowMicros() - start > 1000))
            {
                break;
            }
        }
    }

    // Redis's rememberSlaveKeyWithExpire, called from setExpire on a writable replica for
    // commands that do not come from the primary.
    private void RememberReplicaKey(Database db, ReadOnlySpan<byte> key)
    {
        if (!_server.IsReplica || _server.Config.ReplicaReadOnly || db.Index >= 64 ||
            _server.CurrentClient is null || _server.CurrentClient.IsPrimaryLink)
        {
            return;
        }

        var lookup = _replicaKeys.GetAlternateLookup<ReadOnlySpan<byte>>();
        ulong bit = 1UL << db.Index;
        if (lookup.TryGetValue(key, out ulong ids))
        {
            lookup[key] = ids | bit;
        }
        else
        {
            _replicaKeys[key.ToArray()] = bit;
        }
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
        // While clients are paused the dataset stays still: no key expires (Redis's
        // activeExpireCycle returns first thing when checkClientPauseTimeoutAndReturnIfPaused).
        if (_server.Dispatcher.Pause.CheckTimeoutAndReturnIfPaused())
        {
            return;
        }

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

                // Redis also skips an expires dict under 1% full (sampling its empty buckets is
                // waste until it shrinks); our sampler skips free slots cheaply, so it does not.
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
