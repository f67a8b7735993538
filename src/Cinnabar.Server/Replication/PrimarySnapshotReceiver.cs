// The full-sync half of a connection to the primary (replication.c readSyncBulkPayload): after
// +FULLRESYNC (or SYNC), read the "$<len>" or "$EOF:<mark>" payload, skipping newline keepalives,
// into temp-<unixtime>.<pid>.rdb (or memory for repl-diskless-load swapdb / on-empty-db), load it
// into fresh databases without the executor gate while clients get -LOADING, and only when it has
// loaded completely rename it over dbfilename and swap it in. Redis flushes first and renames
// before loading; validating first means a corrupt or truncated transfer neither replaces the old
// data in memory nor the old file.
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
    private bool _loadAnnounced;

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
        lock (_server.Gate)
        {
            if (!_attempt.Current)
            {
                return false;
            }

            string mode = _server.Config.Store.GetEnumName("repl-diskless-load");
            diskless = mode == "swapdb" || (mode == "on-empty-db" && _server.Databases.All(d => d.Count == 0));
            _swapdb = mode == "swapdb";
            _link.State = PrimaryLinkState.Transfer;
            _link.Phase = "waiting-for-rdb";
            _link.TransferSize = -1;
            _link.TransferRead = 0;
            _link.TransferLastIoMs = _server.NowMs;
        }

        string? tmp = null;
        Stream sink;
        if (diskless)
        {
            sink = new MemoryStream();
        }
        else
        {
            tmp = $"temp-{_server.NowMs / 1000}.{Environment.ProcessId}.rdb";
            try
            {
                sink = new FileStream(tmp, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, 64 * 1024);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _attempt.Fail($"Opening the temp file needed for MASTER <-> REPLICA synchronization: {Config.OsError.Describe(e)}", "disk error: " + Config.OsError.Describe(e));
                return false;
            }
        }

        using (sink)
        {
            bool received = false;
            try
            {
                received = await ReceivePayloadAsync(conn, sink, diskless).ConfigureAwait(false);
                if (received && sink is FileStream fs)
                {
                    fs.Flush(flushToDisk: true);
                }
            }
            finally
            {
                if (!received && tmp is not null)
                {
                    sink.Dispose();
                    TryDelete(tmp);
                }

                if (!received && _loadAnnounced)
                {
                    lock (_server.Gate)
                    {
                        _server.Loading = false;
                    }
                }
            }

            if (!received)
            {
                return false;
            }

            return await LoadAsync(conn, sink, tmp, diskless, primaryId, initialOffset).ConfigureAwait(false);
        }
    }

    // The payload after "$<len>" or "$EOF:<mark>", skipping newline keepalives before it.
    private async Task<bool> ReceivePayloadAsync(PrimaryConnection conn, Stream sink, bool diskless)
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
                return false;
            }

            if (line[0] != '$')
            {
                _attempt.Fail($"Bad protocol from MASTER, the first byte is not '$' (we received '{line}'), are you sure the host and port are right?", "protocol error: bad bulk header");
                return false;
            }

            break;
        }

        string target = diskless ? "to parser" : "to disk";
        byte[]? mark = null;
        long size = 0;
        if (line.StartsWith("$EOF:", StringComparison.Ordinal) && line.Length - 5 >= EofMarkSize)
        {
            mark = Encoding.Latin1.GetBytes(line.Substring(5, EofMarkSize));
            _usedEofMark = true;
            Progress(0, $"MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF {target}");
        }
        else
        {
            _ = long.TryParse(line.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out size);
            Progress(size, $"MASTER <-> REPLICA sync: receiving {size} bytes from master {target}");
        }

        if (diskless)
        {
            // A diskless load starts loading as the payload starts arriving (Redis parses the
            // socket directly; Redis's tests wait for this line to know the transfer began).
            lock (_server.Gate)
            {
                if (!_attempt.Current)
                {
                    return false;
                }

                AnnounceLoad();
            }
        }

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
                if (diskless)
                {
                    lock (_server.Gate)
                    {
                        _server.Log.Warning($"Internal error in RDB reading offset 0, function at rdb.c:0 -> Unexpected EOF reading RDB file");
                    }

                    _attempt.Fail($"Failed trying to load the MASTER synchronization DB from socket: {e.Message}", $"connection lost during the transfer ({read} bytes received)");
                    if (_swapdb)
                    {
                        lock (_server.Gate)
                        {
                            _server.Log.Notice("MASTER <-> REPLICA sync: Discarding temporary DB in background");
                        }
                    }
                }
                else
                {
                    _attempt.Fail($"I/O error trying to sync with MASTER: {e.Message}", $"connection lost during the transfer ({read} bytes received)");
                }

                return false;
            }

            await sink.WriteAsync(chunk).ConfigureAwait(false);
            read += chunk.Length;
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
                // The mark is the last 40 bytes received (the primary sends nothing after it
                // until our first ACK).
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

        return true;
    }

    // Loads the received RDB into fresh databases (without the gate; clients get -LOADING), and
    // swaps it in only when it is complete and valid.
    private async Task<bool> LoadAsync(PrimaryConnection conn, Stream payload, string? tmp, bool diskless, string primaryId, long initialOffset)
    {
        bool swapdb;
        lock (_server.Gate)
        {
            if (!_attempt.Current)
            {
                return false;
            }

            swapdb = diskless && _swapdb;
            if (!_loadAnnounced)
            {
                AnnounceLoad();
            }

            _link.Phase = "loading";
        }

        RdbLoadResult? loaded = null;
        string? problem = null;
        int streamDb = 0;
        var options = new RdbLoadOptions
        {
            FileName = tmp ?? _server.Config.DbFilename,
            DatabaseCount = _server.Databases.Length,
            NowMs = _server.NowMs,
            VerifyChecksum = _server.Config.RdbChecksum,
            DropExpired = false,
            OnAux = (name, value, _) => RdbStartupLoader.LogAux(_server, name, value),
        };
        try
        {
            loaded = await Task.Run(() => tmp is not null
                ? RdbReader.LoadFile(tmp, options)
                : RdbReader.Load(((MemoryStream)payload).ToArray(), options)).ConfigureAwait(false);
            if (loaded.Aux.TryGetValue("repl-stream-db", out var db) && int.TryParse(db, CultureInfo.InvariantCulture, out int d) && d >= 0)
            {
                streamDb = d;
            }
        }
        catch (RdbLoadException e)
        {
            problem = e.Problem;
            lock (_server.Gate)
            {
                _server.Log.Warning($"Internal error in RDB reading offset {e.Offset}, file {Path.GetFullPath(tmp ?? _server.Config.DbFilename)} -> {e.Problem}");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = Config.OsError.Describe(e);
        }

        await payload.DisposeAsync().ConfigureAwait(false);
        lock (_server.Gate)
        {
            _server.Loading = false;
            if (!_attempt.Current)
            {
                if (tmp is not null)
                {
                    TryDelete(tmp);
                }

                return false;
            }

            // Only a snapshot that loaded completely replaces dbfilename.
            if (loaded is not null && tmp is not null)
            {
                problem = RenameOverDbFile(tmp);
            }

            if (problem is not null || loaded is null)
            {
                if (tmp is not null)
                {
                    TryDelete(tmp);
                }

                long kept = _server.Databases.Sum(d => (long)d.Count);
                _server.Log.Warning($"Failed trying to load the MASTER synchronization DB from {(diskless ? "socket" : "disk")}: {problem}");
                _server.Log.Warning(kept == 0
                    ? "MASTER <-> REPLICA sync: the received RDB was not loaded; this replica has no data"
                    : $"MASTER <-> REPLICA sync: the received RDB was not loaded; the previous dataset ({kept} keys) is kept");
                _link.FailAttempt("protocol error: bad RDB from the primary: " + problem);
                return false;
            }

            _link.AttachToNewPrimary();
            if (swapdb)
            {
                _server.Log.Notice("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
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

        return true;
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
    // the new snapshot has loaded completely; until then clients get -LOADING.
    private void AnnounceLoad()
    {
        if (!_swapdb)
        {
            _server.Log.Notice("MASTER <-> REPLICA sync: Flushing old data");
        }

        _server.Log.Notice("MASTER <-> REPLICA sync: Loading DB in memory");
        _server.Loading = true;
        _loadAnnounced = true;
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
