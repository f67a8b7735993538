// Loading an RDB file into the server, like rdb.c rdbLoad + server.c loadDataFromDisk: read the
// file into fresh databases, log Redis's lines (version, age, memory, keys loaded/expired, time
// taken), and swap the loaded databases in only once the whole file proved valid. A bad file
// stops startup (the caller exits 1) and is left untouched.
//
// While it loads the server is in the LOADING state (startLoading/stopLoading): clients get
// -LOADING for commands without the loading flag, INFO shows loading:1 and the loading_* figures.
// The fresh databases are private to the loading thread, so the parse itself needs no executor
// gate; the gate is taken only to publish progress every loading-process-events-interval-bytes
// (where Redis runs processEventsWhileBlocked), to read settings that CONFIG SET may change
// mid-load (key-load-delay), and for the final swap. Started from the main thread at startup this
// lets the event loop answer clients throughout; called by a command that already holds the gate
// (DEBUG RELOAD) the executor simply waits for the load.
using System.Diagnostics;
using System.Globalization;

using Cinnabar.Server.Config;
using Cinnabar.Server.Diagnostics;

namespace Cinnabar.Server.Persistence.Rdb;

/// <summary>Loads RDB files into the server.</summary>
internal static class RdbStartupLoader
{
    /// <summary>
    /// Enters the LOADING state ahead of <see cref="Load"/> when there is a file to load, so that
    /// a client or a signal arriving before the load starts already sees it (a shutdown then
    /// does not save the still empty dataset over the file).
    /// </summary>
    public static void MarkPending(CinnabarServer server)
    {
        var file = new FileInfo(Path.Combine(server.Config.Dir, server.Config.DbFilename));
        lock (server.Gate)
        {
            server.Loading = file.Exists;
            if (file.Exists)
            {
                server.LoadingProgress.Start(server.NowMs / 1000, file.Length);
            }
        }
    }

    /// <summary>Loads `dir`/`dbfilename` if present; false when startup must stop. <paramref name="result"/> keeps the AUX fields (repl-id, repl-offset, repl-stream-db, ...) for later use.</summary>
    public static bool Load(CinnabarServer server, out RdbLoadResult? result)
    {
        result = null;
        string path = Path.Combine(server.Config.Dir, server.Config.DbFilename);
        if (!File.Exists(path))
        {
            // Redis: a missing file (ENOENT) is not an error; the server starts empty.
            lock (server.Gate)
            {
                server.Loading = false;
            }

            return true;
        }

        var clock = Stopwatch.StartNew();
        bool primary;
        lock (server.Gate)
        {
            primary = !server.IsReplica;
        }

        var loaded = ReadLogged(server, path, allowDuplicates: false, recordDroppedExpired: primary);
        if (loaded is null)
        {
            return false;
        }

        // One step: the dataset, the replication position it carries, and the end of LOADING.
        lock (server.Gate)
        {
            for (int i = 0; i < server.Databases.Length; i++)
            {
                server.Databases[i].Clear();
                server.Databases[i].SwapContents(loaded.Databases[i]);
            }

            server.LoadedRdb = loaded;
            if (server.Replication.RestoreAsPrimaryFromRdb(loaded.Aux))
            {
                FeedDroppedExpired(server, loaded);
            }

            server.PrimaryLink.AdoptLoadedRdb(loaded);
            server.Loading = false;
        }

        LogDone(server, loaded, clock);
        result = loaded;
        return true;
    }

    /// <summary>
    /// Reads <paramref name="path"/> into fresh databases in the LOADING state, logging Redis's
    /// lines and, on failure, its error lines; returns null when the file could not be loaded.
    /// Throws <see cref="OperationCanceledException"/> when a shutdown was requested mid-load.
    /// </summary>
    public static RdbLoadResult? ReadLogged(CinnabarServer server, string path, bool allowDuplicates, bool recordDroppedExpired = false)
    {
        var log = server.Log;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
            var loaded = Read(server, file, server.Config.DbFilename, allowDuplicates, endLoading: false, recordDroppedExpired: recordDroppedExpired);
            if (loaded.ChecksumDisabled)
            {
                log.Warning("RDB file was saved with checksum disabled: no check performed.");
            }

            return loaded;
        }
        catch (RdbLoadException e)
        {
            if (e.Checksums is { } sums)
            {
                log.Warning($"Wrong RDB checksum expected: ({sums.Computed:x}) but got ({sums.Stored:x}). Aborting now.");
            }
            else if (e.ShortRead)
            {
                log.Warning("Short read or OOM loading DB. Unrecoverable error, aborting now.");
            }
            else if (e.Problem.StartsWith("can't handle RDB format version", StringComparison.Ordinal) || e.Problem.StartsWith("wrong signature", StringComparison.Ordinal))
            {
                log.Warning(e.Problem.StartsWith('c')
                    ? "Can't handle RDB format version " + e.Problem.Split(' ')[5]
                    : "Wrong signature trying to load DB from file");
            }

            log.Warning($"Internal error in RDB reading offset {e.Offset}, file {Path.GetFullPath(path)} -> {e.Problem}");
            log.Warning($"Fatal error loading the DB from {Path.GetFullPath(path)}. Exiting.");
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning($"Fatal error loading the DB: {OsError.Describe(e)}. Exiting.");
            return null;
        }
    }

    // rdbLoad with RDBFLAGS_FEED_REPL: a primary that restored its replication history from the
    // file puts a DEL (UNLINK with lazyfree-lazy-expire) for every key it dropped as expired into
    // its backlog, after the restored offset, so the replicas that continue with a partial resync
    // drop those keys too. Redis feeds them while loading and then rebases the backlog onto
    // repl-offset; feeding them after the restore gives the same bytes and offsets. Without a
    // restored history Redis frees that backlog again, so nothing is fed then.
    private static void FeedDroppedExpired(CinnabarServer server, RdbLoadResult loaded)
    {
        if (loaded.DroppedExpired.Count == 0)
        {
            return;
        }

        byte[] verb = server.Config.LazyFreeLazyExpire ? "UNLINK"u8.ToArray() : "DEL"u8.ToArray();
        var op = new Cinnabar.Protocol.CommandArgs[1];
        foreach (var (db, key) in loaded.DroppedExpired)
        {
            op[0] = Cinnabar.Protocol.CommandArgs.From(verb, key);
            server.ReplicationFeed.Propagate(db, op, atomic: false);
        }
    }

    /// <summary>The two lines Redis logs after a successful load.</summary>
    public static void LogDone(CinnabarServer server, RdbLoadResult loaded, Stopwatch clock)
    {
        server.Log.Notice($"Done loading RDB, keys loaded: {loaded.KeysLoaded}, keys expired: {loaded.KeysExpired}.");
        server.Log.Notice("DB loaded from disk: " + clock.Elapsed.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + " seconds");
    }

    /// <summary>
    /// rdbLoad: streams <paramref name="path"/> into fresh databases while the server shows the
    /// LOADING state; throws <see cref="RdbLoadException"/>, an I/O exception, or
    /// <see cref="OperationCanceledException"/> when a shutdown was requested mid-load.
    /// </summary>
    public static RdbLoadResult Read(CinnabarServer server, string path, bool allowDuplicates, bool endLoading = true)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
        return Read(server, file, server.Config.DbFilename, allowDuplicates, endLoading);
    }

    /// <summary>
    /// Loads an RDB from any stream (a file, or a primary's socket) into fresh databases while
    /// the server shows the LOADING state; the caller swaps them in. Throws like
    /// <see cref="Read(CinnabarServer, string, bool)"/>.
    /// </summary>
    /// <param name="endLoading">
    /// Leave the LOADING state when the read succeeds. False when the caller swaps the result in
    /// and ends LOADING in the same step, so no client ever sees the dataset before the swap.
    /// </param>
    /// <param name="asyncLoading">
    /// Redis's async loading (a replica's swapdb load of the same history): the state is
    /// async_loading instead of loading, and the old dataset keeps serving reads meanwhile.
    /// </param>
    /// <param name="totalBytes">loading_total_bytes when the source cannot tell (a sized transfer), else 0.</param>
    /// <param name="recordDroppedExpired">Keep the keys dropped as expired (a primary loading at startup feeds their DELs).</param>
    /// <param name="enterLoading">
    /// Enter (and on failure leave) the LOADING state here. False when the caller manages it: a
    /// replica reading its primary's snapshot while it is still arriving enters LOADING only
    /// when the transfer is complete.
    /// </param>
    /// <param name="onAux">Where the AUX fields go instead of the log (the caller logs them later).</param>
    public static RdbLoadResult Read(CinnabarServer server, Stream source, string name, bool allowDuplicates, bool endLoading = true, bool asyncLoading = false, long totalBytes = 0, bool recordDroppedExpired = false, bool enterLoading = true, Action<string, string>? onAux = null)
    {
        var progress = server.LoadingProgress;
        RdbLoadOptions options;
        var delay = new KeyLoadDelay();
        lock (server.Gate)
        {
            if (enterLoading)
            {
                SetLoading(server, asyncLoading, true);
            }

            progress.Start(server.NowMs / 1000, source.CanSeek ? source.Length : totalBytes);
            delay.Refresh(server);
            options = new RdbLoadOptions
            {
                FileName = name,
                DatabaseCount = server.Databases.Length,
                NowMs = server.NowMs,
                VerifyChecksum = server.Config.Store.GetBool("rdbchecksum") && !server.SkipChecksumValidation,
                DropExpired = !server.IsReplica,
                RecordDroppedExpired = recordDroppedExpired,
                AllowDuplicates = allowDuplicates,
                Limits = TypeLimits.From(server.Config),
                ProgressIntervalBytes = server.Config.Store.GetNumber("loading-process-events-interval-bytes"),
                OnAux = (auxName, value, _) =>
                {
                    if (onAux is not null)
                    {
                        onAux(auxName, value);
                    }
                    else
                    {
                        LogAux(server, auxName, value);
                    }
                },
                OnProgress = (pos, partial) =>
                {
                    lock (server.Gate)
                    {
                        progress.LoadedBytes = pos;
                        progress.LastLoadKeysLoaded = partial.KeysLoaded;
                        progress.LastLoadKeysExpired = partial.KeysExpired;
                        delay.Refresh(server);
                    }

                    server.ShutdownRequested.Token.ThrowIfCancellationRequested();
                },
                AfterKey = () =>
                {
                    delay.Wait();
                    server.ShutdownRequested.Token.ThrowIfCancellationRequested();
                },
            };
        }

        bool ok = false;
        try
        {
            var loaded = RdbReader.Load(source, options);
            lock (server.Gate)
            {
                progress.LoadedBytes = loaded.Length;
                progress.LastLoadKeysLoaded = loaded.KeysLoaded;
                progress.LastLoadKeysExpired = loaded.KeysExpired;
            }

            ok = true;
            return loaded;
        }
        finally
        {
            if (enterLoading && (!ok || endLoading))
            {
                lock (server.Gate)
                {
                    SetLoading(server, asyncLoading, false);
                }
            }
        }
    }

    /// <summary>Enters or leaves the loading state (startLoading / stopLoading), the async one or the blocking one. Caller holds the gate.</summary>
    internal static void SetLoading(CinnabarServer server, bool asyncLoading, bool on)
    {
        if (asyncLoading)
        {
            server.AsyncLoading = on;
        }
        else
        {
            server.Loading = on;
        }
    }

    // The AUX fields Redis logs while loading (rdbLoadRioWithLoadingCtx); used-mem also feeds
    // loading_rdb_used_mem. Also used by the replica's load of its primary's snapshot.
    internal static void LogAux(CinnabarServer server, string name, string value)
    {
        var log = server.Log;
        switch (name.ToLowerInvariant())
        {
            case "redis-ver":
                log.Notice($"Loading RDB produced by version {value}");
                break;
            case "ctime":
                long age = (server.NowMs / 1000) - ParseLong(value);
                log.Notice($"RDB age {Math.Max(age, 0)} seconds");
                break;
            case "used-mem":
                long used = ParseLong(value);
                lock (server.Gate)
                {
                    server.LoadingProgress.RdbUsedMem = used;
                }

                log.Notice("RDB memory usage when created " + (used / (1024.0 * 1024.0)).ToString("0.00", CultureInfo.InvariantCulture) + " Mb");
                break;
            case "aof-preamble":
                if (ParseLong(value) != 0)
                {
                    log.Notice("RDB has an AOF tail");
                }

                break;
            case "aof-base":
                if (ParseLong(value) != 0)
                {
                    log.Notice("RDB is base AOF");
                }

                break;
            default:
                break;
        }
    }

    // strtoll: leading digits, 0 when none.
    private static long ParseLong(string s)
    {
        int i = 0;
        bool neg = false;
        if (i < s.Length && (s[i] == '-' || s[i] == '+'))
        {
            neg = s[i] == '-';
            i++;
        }

        long v = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]) && v < long.MaxValue / 10)
        {
            v = (v * 10) + (s[i++] - '0');
        }

        return neg ? -v : v;
    }

    /// <summary>
    /// key-load-delay (debugDelay): microseconds to sleep per key loaded; a negative value -N
    /// sleeps 1 microsecond with probability 1/N. Sleeps are paid in whole milliseconds once a
    /// millisecond of delay has accumulated, since the OS cannot sleep for a few microseconds.
    /// </summary>
    private sealed class KeyLoadDelay
    {
        private long _micros;
        private long _owed;

        public void Refresh(CinnabarServer server) => _micros = server.Config.Store.GetNumber("key-load-delay");

        public void Wait()
        {
            long us = _micros;
            if (us == 0)
            {
                return;
            }

            if (us < 0)
            {
                us = Random.Shared.NextInt64(-us) == 0 ? 1 : 0;
            }

            _owed += us;
            if (_owed >= 1000)
            {
                Thread.Sleep((int)Math.Min(_owed / 1000, int.MaxValue));
                _owed %= 1000;
            }
        }
    }
}
