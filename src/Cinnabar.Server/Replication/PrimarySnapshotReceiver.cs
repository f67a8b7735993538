// The full-sync half of a connection to the primary (replication.c readSyncBulkPayload): after
// +FULLRESYNC (or SYNC), read the "$<len>" or "$EOF:<mark>" payload, skipping newline keepalives.
// On disk (repl-diskless-load disabled, or on-empty-db with data) it goes to
// temp-<unixtime>.<pid>.rdb and is loaded from there; diskless (swapdb, or on-empty-db with no
// data) the RDB reader parses it straight from the socket (PrimaryPayloadStream), so memory holds
// the new dataset but never the transfer. Either way the keys go into fresh databases, without the
// executor gate, and are swapped in only when the load has completed (and, on disk, the file has
// been renamed over dbfilename). Redis flushes first (except swapdb) and renames before loading;
// validating first means a corrupt or truncated transfer neither replaces the old data in memory
// nor the old file.
//
// While loading, clients get -LOADING, except for Redis 7.0's async loading: a swapdb load whose
// primary continues the replication id we already have (a full sync of the same history, e.g.
// after the backlog ran out) keeps serving reads from the old dataset, reports async_loading:1,
// and refuses only the commands flagged no-async-loading.
using System.Globalization;
using System.Text;

using Cinnabar.Server.Commands;
using Cinnabar.Server.Persistence.Rdb;

namespace Cinnabar.Server.Replication;

/// <summary>Receives and loads the primary's snapshot for one attempt.</summary>
internal sealed class PrimarySnapshotReceiver
{
    private const int EofMarkSize = 40;
    private readonly CinnabarServer _server;
    private readonly PrimaryLink _link;
    private readonly PrimarySyncAttempt _attempt;
    private bool _usedEofMark;
    private bool _swapdb;

    public PrimarySnapshotReceiver(CinnabarServer server, PrimaryLink link, PrimarySyncAttempt attempt)
    {
        _server = server;
        _link = link;
        _attempt = attempt;
    }

    /// <summary>Receives and loads the snapshot; true when the link is up and the stream can be applied.</summary>
    public async Task<bool> ReceiveAndLoadAsync(PrimaryConnection conn, string primaryId, long initialOffset)
    {
        bool diskless;
        bool asyncLoading;
        lock (_server.Gate)
        {
            if (!_attempt.Current)
            {
                return false;
            }

            string mode = _server.Config.Store.GetEnumName("repl-diskless-load");
            diskless = mode == "swapdb" || (mode == "on-empty-db" && _server.Databases.All(d => d.Count == 0));
            _swapdb = mode == "swapdb";

            // readSyncBulkPayload: async only when the old data is an earlier point of the same
            // history (our replid is the one the primary sent with +FULLRESYNC).
            asyncLoading = diskless && _swapdb && string.Equals(_server.Replication.ReplId, primaryId, StringComparison.OrdinalIgnoreCase);
            _link.State = PrimaryLinkState.Transfer;
            _link.Phase = "waiting-for-rdb";
            _server.LoadingProgress.Start(_server.NowMs / 1000, 0);
            _link.TransferSize = -1;
            _link.TransferRead = 0;
            _link.TransferLastIoMs = _server.NowMs;
        }

        var header = await ReadBulkHeaderAsync(conn, diskless).ConfigureAwait(false);
        if (header is not { } framing)
        {
            return false;
        }

        if (diskless)
        {
            return await LoadFromSocketAsync(conn, framing.Mark, framing.Size, asyncLoading, primaryId, initialOffset).ConfigureAwait(false);
        }

        string tmp = $"temp-{_server.NowMs / 1000}.{Environment.ProcessId}.rdb";
        FileStream file;
        TransferFileFollower follower;
        try
        {
            // Unbuffered: every chunk reaches the file before the loader is told it is there.
            file = new FileStream(tmp, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            try
            {
                follower = new TransferFileFollower(tmp);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _attempt.Fail($"Opening the temp file needed for MASTER <-> REPLICA synchronization: {Config.OsError.Describe(e)}", "disk error: " + Config.OsError.Describe(e));
            return false;
        }

        // The loader follows the file as it grows (TransferFileFollower); clients see LOADING
        // only once the transfer is complete, as with Redis, whose load starts there.
        var aux = new DeferredAuxLog(_server);
        long sizeHint = framing.Mark is null ? framing.Size : 0;
        var parse = Task.Factory.StartNew(
            () => RdbStartupLoader.Read(_server, follower, tmp, allowDuplicates: false, endLoading: false, totalBytes: sizeHint, enterLoading: false, onAux: aux.Add),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        bool received = false;
        using (file)
        {
            try
            {
                received = await ReceiveToFileAsync(conn, file, framing.Mark, framing.Size, follower).ConfigureAwait(false);
                if (received)
                {
                    file.Flush(flushToDisk: true);
                }
            }
            catch (IOException e)
            {
                _attempt.Fail($"Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: {e.Message}", "disk error: " + e.Message);
                received = false;
            }
            finally
            {
                // Whatever ended the transfer (including an unexpected exception), the loader
                // stops and the temp file goes once the loader has let go of it.
                if (!received)
                {
                    _ = AbandonLoadAsync(parse, follower, tmp);
                }
            }
        }

        if (!received)
        {
            return false;
        }

        return await LoadFromFileAsync(conn, tmp, parse, follower, aux, primaryId, initialOffset).ConfigureAwait(false);
    }

    // A load that will not be used: stop the loader, wait for it to let go of the file, delete it.
    private static async Task AbandonLoadAsync(Task<RdbLoadResult> parse, TransferFileFollower follower, string tmp)
    {
        follower.Abort("the replication attempt was cancelled");
        try
        {
            _ = await parse.ConfigureAwait(false);
        }
        catch (Exception e) when (e is RdbLoadException or IOException or OperationCanceledException or UnauthorizedAccessException)
        {
            // Expected: the loader stops at its next read.
            _ = e;
        }
        finally
        {
            follower.Dispose();
            TryDelete(tmp);
        }
    }

    // The "$<len>" or "$EOF:<mark>" line, skipping newline keepalives before it; null when the
    // attempt failed (logged).
    private async Task<(byte[]? Mark, long Size)?> ReadBulkHeaderAsync(PrimaryConnection conn, bool diskless)
    {
        string line;
        while (true)
        {
            line = await conn.ReadLineAsync(CancellationToken.None).ConfigureAwait(false);
            if (line.Length == 0)
            {
                continue;
            }

            if (line[0] == '-')
            {
                _attempt.Fail($"MASTER aborted replication with an error: {line[1..]}", "primary error: " + line[1..]);
                return null;
            }

            if (line[0] != '$')
            {
                _attempt.Fail($"Bad protocol from MASTER, the first byte is not '$' (we received '{line}'), are you sure the host and port are right?", "protocol error: bad bulk header");
                return null;
            }

            break;
        }

        string target = diskless ? "to parser" : "to disk";
        if (line.StartsWith("$EOF:", StringComparison.Ordinal) && line.Length - 5 >= EofMarkSize)
        {
            _usedEofMark = true;
            Progress(0, $"MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF {target}");
            return (Encoding.Latin1.GetBytes(line.Substring(5, EofMarkSize)), 0);
        }

        _ = long.TryParse(line.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long size);
        Progress(size, $"MASTER <-> REPLICA sync: receiving {size} bytes from master {target}");
        return (null, size);
    }

    // Disk-based: the payload into the temp file, the EOF mark (the last 40 bytes received, as
    // the primary sends nothing after it until our first ACK) cut off.
    private async Task<bool> ReceiveToFileAsync(PrimaryConnection conn, FileStream sink, byte[]? mark, long size, TransferFileFollower follower)
    {
        long read = 0;
        var last = new byte[EofMarkSize];
        int lastFill = 0;
        while (mark is not null || read < size)
        {
            int max = mark is null ? (int)Math.Min(size - read, 1 << 20) : 1 << 20;
            ReadOnlyMemory<byte> chunk;
            try
            {
                chunk = await conn.ReadSomeAsync(max, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                _attempt.Fail($"I/O error trying to sync with MASTER: {e.Message}", $"connection lost during the transfer ({read} bytes received)");
                return false;
            }

            await sink.WriteAsync(chunk).ConfigureAwait(false);
            read += chunk.Length;
            follower.Publish(read);
            lock (_server.Gate)
            {
                if (!_attempt.Current)
                {
                    return false;
                }

                _link.TransferRead = read;
                _link.TransferLastIoMs = _server.NowMs;
            }

            if (mark is not null)
            {
                var span = chunk.Span;
                if (span.Length >= EofMarkSize)
                {
                    span[^EofMarkSize..].CopyTo(last);
                    lastFill = EofMarkSize;
                }
                else
                {
                    int keep = EofMarkSize - span.Length;
                    Buffer.BlockCopy(last, EofMarkSize - keep, last, 0, keep);
                    span.CopyTo(last.AsSpan(keep));
                    lastFill = Math.Min(EofMarkSize, lastFill + span.Length);
                }

                if (lastFill == EofMarkSize && last.AsSpan().SequenceEqual(mark))
                {
                    sink.SetLength(sink.Length - EofMarkSize);
                    break;
                }
            }
        }

        follower.Finish(sink.Length);
        return true;
    }

    // Disk-based: the transfer is complete and synced; the loader that followed it finishes into
    // fresh databases (clients get -LOADING meanwhile), then the file is renamed over dbfilename
    // and the data swapped in, only when it loaded completely.
    private async Task<bool> LoadFromFileAsync(PrimaryConnection conn, string tmp, Task<RdbLoadResult> parse, TransferFileFollower follower, DeferredAuxLog aux, string primaryId, long initialOffset)
    {
        bool current;
        lock (_server.Gate)
        {
            current = _attempt.Current;
            if (current)
            {
                AnnounceLoad(asyncLoading: false);
                aux.Release();
            }
        }

        if (!current)
        {
            await AbandonLoadAsync(parse, follower, tmp).ConfigureAwait(false);
            return false;
        }

        RdbLoadResult? loaded = null;
        string? problem = null;
        try
        {
            loaded = await parse.ConfigureAwait(false);
        }
        catch (RdbLoadException e)
        {
            problem = e.Problem;
            lock (_server.Gate)
            {
                _server.Log.Warning($"Internal error in RDB reading offset {e.Offset}, file {Path.GetFullPath(tmp)} -> {e.Problem}");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = Config.OsError.Describe(e);
        }
        catch (OperationCanceledException)
        {
            problem = "shutdown requested";
        }

        follower.Dispose();
        lock (_server.Gate)
        {
            _server.Loading = false;
            if (!_attempt.Current)
            {
                TryDelete(tmp);
                return false;
            }

            // Only a snapshot that loaded completely replaces dbfilename.
            if (loaded is not null)
            {
                problem = RenameOverDbFile(tmp);
            }

            if (problem is not null || loaded is null)
            {
                TryDelete(tmp);
                LoadFailed("disk", problem ?? "unknown error", asyncLoading: false);
                return false;
            }

            SwapIn(loaded, conn, primaryId, initialOffset, diskless: false);
        }

        return true;
    }

    // Diskless: the RDB reader parses the payload from the socket as it arrives (the socket is
    // read synchronously on a pool thread, with repl-timeout as the read timeout, as Redis
    // blocks its connection for this load).
    private async Task<bool> LoadFromSocketAsync(PrimaryConnection conn, byte[]? mark, long size, bool asyncLoading, string primaryId, long initialOffset)
    {
        int timeoutMs;
        lock (_server.Gate)
        {
            if (!_attempt.Current)
            {
                return false;
            }

            AnnounceLoad(asyncLoading);
            timeoutMs = (int)Math.Min(int.MaxValue, Math.Max(1, _server.Config.Store.GetNumber("repl-timeout")) * 1000);
        }

        var payload = new PrimaryPayloadStream(conn, mark is null ? size : -1, timeoutMs, read =>
        {
            lock (_server.Gate)
            {
                _link.TransferRead = read;
                _link.TransferLastIoMs = _server.NowMs;
            }
        });

        RdbLoadResult? loaded = null;
        string? problem = null;
        try
        {
            loaded = await Task.Run(() =>
            {
                var result = RdbStartupLoader.Read(_server, payload, "socket", allowDuplicates: false, endLoading: false, asyncLoading, totalBytes: mark is null ? size : 0);
                if (!payload.Complete(result.Unconsumed, mark))
                {
                    lock (_server.Gate)
                    {
                        _server.Log.Warning("Replication stream EOF marker is broken");
                    }

                    return null;
                }

                return result;
            }).ConfigureAwait(false);
            problem = loaded is null ? "the EOF mark is broken" : null;
        }
        catch (RdbLoadException e)
        {
            problem = e.Problem;
            lock (_server.Gate)
            {
                _server.Log.Warning($"Internal error in RDB reading offset {e.Offset}, function at rdb.c:0 -> {e.Problem}");
            }
        }
        catch (IOException e)
        {
            // rdbReportReadError: the connection ended (or timed out) inside the RDB.
            problem = e.Message;
            lock (_server.Gate)
            {
                _server.Log.Warning($"Internal error in RDB reading offset {payload.BytesRead}, function at rdb.c:0 -> Unexpected EOF reading RDB file");
            }
        }
        catch (OperationCanceledException)
        {
            problem = "shutdown requested";
        }

        lock (_server.Gate)
        {
            RdbStartupLoader.SetLoading(_server, asyncLoading, false);
            if (!_attempt.Current)
            {
                return false;
            }

            if (problem is not null || loaded is null)
            {
                LoadFailed("socket", problem ?? "unknown error", asyncLoading);
                return false;
            }

            SwapIn(loaded, conn, primaryId, initialOffset, diskless: true);
        }

        return true;
    }

    // A load that failed: the old data stays (caller holds the gate).
    private void LoadFailed(string source, string problem, bool asyncLoading)
    {
        long kept = _server.Databases.Sum(d => (long)d.Count);
        _server.Log.Warning($"Failed trying to load the MASTER synchronization DB from {source}: {problem}");
        if (source == "socket" && _swapdb)
        {
            _server.Log.Notice("MASTER <-> REPLICA sync: Discarding temporary DB in background");
        }

        if (!asyncLoading)
        {
            _server.Log.Warning(kept == 0
                ? "MASTER <-> REPLICA sync: the received RDB was not loaded; this replica has no data"
                : $"MASTER <-> REPLICA sync: the received RDB was not loaded; the previous dataset ({kept} keys) is kept");
        }

        _link.FailAttempt("protocol error: bad RDB from the primary: " + problem);
    }

    // The loaded databases replace ours and the stream starts (caller holds the gate).
    private void SwapIn(RdbLoadResult loaded, PrimaryConnection conn, string primaryId, long initialOffset, bool diskless)
    {
        int streamDb = 0;
        if (loaded.Aux.TryGetValue("repl-stream-db", out var dbText) && int.TryParse(dbText, CultureInfo.InvariantCulture, out int d) && d >= 0)
        {
            streamDb = d;
        }

        bool swapdb = diskless && _swapdb;
        _link.AttachToNewPrimary();
        if (swapdb)
        {
            _server.Log.Notice("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
        }

        // The old dataset goes: emptyData with replica-lazy-flush (or swapdb's discarded old DBs,
        // always freed in the background) counts its keys as lazily freed.
        if (swapdb || _server.Config.ReplicaLazyFlush)
        {
            _server.Stats.LazyFreedObjects += _server.Databases.Sum(db => (long)db.Count);
        }

        long now = _server.NowMs;
        for (int i = 0; i < _server.Databases.Length; i++)
        {
            var db = _server.Databases[i];
            TransactionCommands.TouchAllWatchedKeys(_server, db, null, now);
            db.Clear();
            db.SwapContents(loaded.Databases[i]);
        }

        _server.ActiveExpiry.ForgetReplicaKeys();
        _server.Log.Notice($"Done loading RDB, keys loaded: {loaded.KeysLoaded}, keys expired: {loaded.KeysExpired}.");
        if (swapdb)
        {
            _server.Log.Notice("MASTER <-> REPLICA sync: Discarding old DB in background");
        }

        if (diskless)
        {
            _server.Dirty++;
        }

        _link.LinkUpAfterFullSync(primaryId, initialOffset, streamDb, conn);

        // An EOF-marked transfer: the primary holds the stream back until our first ACK.
        if (_usedEofMark)
        {
            _link.SendAck();
        }
    }

    // rename(tmp, dbfilename); null on success, else the OS error (caller holds the gate).
    private string? RenameOverDbFile(string tmp)
    {
        string target = _server.Config.DbFilename;
        try
        {
            File.Move(tmp, target, overwrite: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string err = Config.OsError.Describe(e);
            _server.Log.Warning($"Failed trying to rename the temp DB into {target} in MASTER <-> REPLICA synchronization: {err}");
            return err;
        }
    }

    private void Progress(long size, string line)
    {
        lock (_server.Gate)
        {
            _link.TransferSize = size;
            _link.Phase = "transfer";
            _link.TransferLastIoMs = _server.NowMs;
            _server.Log.Notice(line);
        }
    }

    // Redis's lines before loading (caller holds the gate). The old data is only replaced once
    // the new snapshot has loaded completely; until then clients get -LOADING (or, loading
    // asynchronously, go on reading the old data).
    private void AnnounceLoad(bool asyncLoading)
    {
        if (!_swapdb)
        {
            _server.Log.Notice("MASTER <-> REPLICA sync: Flushing old data");
        }

        _server.Log.Notice("MASTER <-> REPLICA sync: Loading DB in memory");
        RdbStartupLoader.SetLoading(_server, asyncLoading, true);
        _link.Phase = "loading";
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp file is harmless; Redis also only tries.
        }
    }
}
