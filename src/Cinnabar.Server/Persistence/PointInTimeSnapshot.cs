// A point-in-time RDB snapshot written while the server keeps serving: what Redis gets from
// fork() for BGSAVE and full resynchronization, without fork and without a copy of the dataset
// (ARCHITECTURE §3, Dragonfly's serialize-before-mutate).
//
// Begin() runs under the executor gate and captures every database's key table
// (KeyTable.BeginCapture). From then on each key reaches the snapshot exactly once with the value
// it had at Begin: either a write is about to change its bucket, and the table hands the bucket's
// entries over first, or a traversal turn gets there first, a few thousand keys per turn of the
// gate. Both copy the keys into record chunks (SnapshotRecords); the snapshot's thread turns them
// into RDB and writes the stream, and takes a traversal turn itself whenever it runs out of
// records. Keys therefore arrive in no particular database order, so the
// encoder writes SELECTDB whenever the database changes (Redis's loader and redis-check-rdb
// accept SELECTDB at any point; RESIZEDB goes after a database's first SELECTDB).
//
// The executor lock is not fair: under a full write load the snapshot thread could wait for it
// for long stretches. So the executor also takes a traversal turn itself after a batch of
// commands whenever a millisecond has passed since the last one (ExecutorTurn): the snapshot
// keeps moving at a bounded share of the executor's time however busy clients keep it.
//
// Extra memory is the queued records: traversal turns happen only while the queue is empty (the
// snapshot thread's) or below HighWaterBytes (the executor's), so a slow disk or replica holds the
// traversal back and only writes that touch unserialized keys add to the queue.
// No write waits for more than its own bucket's copy. One snapshot runs at a time (Redis's one
// child): callers check server.ActiveSnapshot first.
using System.Runtime.CompilerServices;

using Cinnabar.Server.Config;
using Cinnabar.Server.Diagnostics;
using Cinnabar.Server.Persistence.Rdb;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Persistence;

/// <summary>A background point-in-time RDB snapshot.</summary>
internal sealed class PointInTimeSnapshot : ISnapshotSink
{
    private const long HighWaterBytes = 512 * 1024;
    private const int EntriesPerTurn = 2000;

    private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CinnabarServer _server;
    private readonly SnapshotRecords _records;
    private readonly Func<bool> _isStopping;
    private readonly List<KeyTable.Capture> _captures = [];
    private readonly Dictionary<int, (long Keys, long Volatile)> _sizes = [];
    private readonly List<(string Key, string Value)> _aux;
    private readonly bool _compress;
    private readonly bool _checksum;
    private static readonly long TurnInterval = System.Diagnostics.Stopwatch.Frequency / 1000;
    private volatile bool _stopping;
    private bool _traversing;
    private long _copiedOnWrite;
    private int _nextCapture;
    private long _lastTurn;

    private PointInTimeSnapshot(CinnabarServer server, Stream output, ReplSaveInfo? repl)
    {
        _server = server;
        Output = output;
        StartedMs = server.NowMs;
        _aux = [.. RdbWriter.StandardAux(server.NowMs, ProcessFacts.UsedMemory(), repl)];
        _compress = server.Config.RdbCompression;
        _checksum = server.Config.RdbChecksum;
        _records = new SnapshotRecords(_compress);
        _isStopping = () => _stopping;
    }

    /// <summary>Where the RDB bytes go.</summary>
    public Stream Output { get; }

    /// <summary>True when the whole RDB reached the stream; false when cancelled or failed.</summary>
    public Task<bool> Completion => _done.Task;

    /// <summary>Why the snapshot failed (an OS error text), or null.</summary>
    public string? Error { get; private set; }

    /// <summary>Keys written to the stream so far (INFO current_save_keys_processed).</summary>
    public long KeysWritten => Volatile.Read(ref _keysWritten);

    /// <summary>Keys in the dataset when the snapshot began (INFO current_save_keys_total).</summary>
    public long KeysTotal { get; private set; }

    /// <summary>Bytes written to the stream so far.</summary>
    public long BytesWritten => Volatile.Read(ref _bytesWritten);

    /// <summary>Record bytes waiting for the encoder: the snapshot's extra memory now.</summary>
    public long BufferedBytes => _records.QueuedBytes;

    /// <summary>
    /// Bytes copied because a write reached a key before the traversal did: what fork's
    /// copy-on-write costs Redis, reported as current_cow_size / rdb_last_cow_size.
    /// </summary>
    public long CopiedOnWriteBytes => Interlocked.Read(ref _copiedOnWrite);

    /// <summary>When the snapshot began (unix ms).</summary>
    public long StartedMs { get; }

    private long _keysWritten;
    private long _bytesWritten;

    /// <summary>
    /// Starts a snapshot of every database as it is now. Caller holds the gate and must check
    /// that server.ActiveSnapshot is null. <paramref name="repl"/> is recorded in the AUX
    /// fields (repl-stream-db, repl-id, repl-offset), as rdbPopulateSaveInfo does.
    /// </summary>
    public static PointInTimeSnapshot Begin(CinnabarServer server, Stream output, ReplSaveInfo? repl)
    {
        var snapshot = new PointInTimeSnapshot(server, output, repl);
        foreach (var db in server.Databases)
        {
            if (db.Count == 0)
            {
                continue;
            }

            snapshot._sizes[db.Index] = (db.Count, db.VolatileCount);
            snapshot.KeysTotal += db.Count;
            snapshot._captures.Add(db.Table.BeginCapture(snapshot, db.Index));
        }

        server.ActiveSnapshot = snapshot;
        new Thread(snapshot.Run) { IsBackground = true, Name = "snapshot" }.Start();
        return snapshot;
    }

    /// <summary>Stops the snapshot early (a replica went away, FLUSHALL, SHUTDOWN); Completion becomes false.</summary>
    public void Cancel()
    {
        _stopping = true;
        _records.Wake();
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void ISnapshotSink.Add(int db, object data, long expire)
    {
        long added = _records.Add(db, data, expire);
        if (!_traversing)
        {
            Interlocked.Add(ref _copiedOnWrite, added);
        }
    }

    /// <summary>
    /// Called by the executor after a batch of commands (caller holds the gate): takes a
    /// traversal turn when a millisecond has passed since the last one and the encoder keeps up.
    /// </summary>
    public void ExecutorTurn()
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (now - _lastTurn >= TurnInterval && _records.QueuedBytes < HighWaterBytes)
        {
            Step();
        }
    }

    // One turn: serializes up to EntriesPerTurn keys; returns false once the traversal is over
    // (finished or stopped). Caller holds the gate.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Step()
    {
        _lastTurn = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_stopping)
        {
            ReleaseCaptures();
            return false;
        }

        if (_nextCapture >= _captures.Count)
        {
            // Nothing (left) to traverse: an empty dataset, or a turn after the last one.
            _records.Complete();
            return false;
        }

        _traversing = true;
        try
        {
            while (_nextCapture < _captures.Count && _captures[_nextCapture].SerializeNext(EntriesPerTurn))
            {
                _nextCapture++;
            }
        }
        finally
        {
            _traversing = false;
        }

        if (_nextCapture >= _captures.Count)
        {
            _records.Complete();
            return false;
        }

        _records.Flush();
        return true;
    }

    // The snapshot's one thread: encodes queued records to RDB off the executor and, whenever
    // the queue is empty, takes a traversal turn of the gate to fill it. One thread rather than a
    // traversal thread and an encoder thread: each new thread costs the process its own allocator
    // arena and stack pages (a few MB, most of a snapshot's extra memory at a million keys), and
    // on a busy server the executor's own turns (ExecutorTurn) keep the queue filled anyway.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Run()
    {
        bool ok = false;
        try
        {
            var buffered = new BufferedStream(Output, 64 * 1024);
            var writer = new RdbWriter(buffered, _compress, _checksum);
            writer.WriteHeader(_aux);
            int currentDb = -1;
            var started = new HashSet<int>();
            var delay = new KeyDelay(_server.Config.RdbKeySaveDelay);
            bool traversing = true;
            while (!_stopping)
            {
                var chunk = _records.TryTake();
                if (chunk is null && traversing)
                {
                    lock (_server.Gate)
                    {
                        traversing = Step();
                    }

                    continue;
                }

                chunk ??= _records.Take(_isStopping);
                if (chunk is null)
                {
                    break;
                }

                var r = new SnapshotRecords.Reader(chunk);
                while (r.Next())
                {
                    if (r.Db != currentDb)
                    {
                        writer.WriteSelectDb(r.Db);
                        if (started.Add(r.Db) && _sizes.TryGetValue(r.Db, out var size))
                        {
                            writer.WriteResizeDb(size.Keys, size.Volatile);
                        }

                        currentDb = r.Db;
                    }

                    if (r.Kind == SnapshotRecords.KindString)
                    {
                        writer.WriteStringEntry(r.Key, r.Value, r.Expire);
                    }
                    else
                    {
                        writer.WriteEncodedEntry(r.Key, r.Value, r.Expire);
                    }

                    // Only this thread writes the counters: a plain 64-bit store is atomic on
                    // the platforms .NET runs on, a locked instruction per key is not needed.
                    Volatile.Write(ref _keysWritten, _keysWritten + 1);
                    Volatile.Write(ref _bytesWritten, writer.BytesWritten);
                    delay.Wait(_isStopping);
                }

                SnapshotRecords.Return(chunk);
            }

            if (!_stopping)
            {
                writer.WriteFooter();
                buffered.Flush();
                Interlocked.Exchange(ref _bytesWritten, writer.BytesWritten);
                ok = true;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException or NotSupportedException)
        {
            Error = OsError.Describe(e);
        }

        _stopping = !ok;
        lock (_server.Gate)
        {
            ReleaseCaptures();
            if (ReferenceEquals(_server.ActiveSnapshot, this))
            {
                _server.ActiveSnapshot = null;
            }
        }

        _done.TrySetResult(ok);
    }

    private void ReleaseCaptures()
    {
        foreach (var c in _captures)
        {
            c.Release();
        }

        _nextCapture = _captures.Count;
    }

    // debugDelay (debug.c) for rdb-key-save-delay: microseconds per key, or when negative a
    // 1 µs pause once every -N keys on average. Pauses shorter than the OS sleep granularity add
    // up until they are worth a sleep.
    private sealed class KeyDelay(int microseconds)
    {
        private long _owedMicroseconds;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Wait(Func<bool> stopping)
        {
            if (microseconds != 0)
            {
                Owe(stopping);
            }
        }

        private void Owe(Func<bool> stopping)
        {
            int usec = microseconds;
            if (usec < 0)
            {
                usec = Random.Shared.Next(-usec) == 0 ? 1 : 0;
            }

            _owedMicroseconds += usec;
            while (_owedMicroseconds >= 1000 && !stopping())
            {
                long ms = Math.Min(_owedMicroseconds / 1000, 100);
                Thread.Sleep((int)ms);
                _owedMicroseconds -= ms * 1000;
            }
        }
    }
}
