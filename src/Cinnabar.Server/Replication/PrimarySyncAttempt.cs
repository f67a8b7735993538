// One connection to the primary, from connect to link loss (replication.c connectWithMaster,
// syncWithMaster, slaveTryPartialResynchronization, readSyncBulkPayload), with Redis's log lines:
//
//   connect -> PING -> pipelined [AUTH [masteruser] masterauth] + REPLCONF listening-port
//   [+ REPLCONF ip-address] + REPLCONF capa eof capa psync2 -> PSYNC <cached id> <offset+1> | ? -1
//   +CONTINUE [id]   -> the cached position continues: stream
//   +FULLRESYNC id o -> receive the RDB ($<len> or $EOF:<mark>), load it, stream
//   -NOMASTERLINK / -LOADING -> try again later;  other errors -> fall back to SYNC
//
// The RDB goes to temp-<unixtime>.<pid>.rdb and, once it has loaded completely, is renamed over
// dbfilename (so the received file stays as dump.rdb and a restart can continue from it).
// Redis renames first and loads after; we validate first, so a corrupt transfer neither
// replaces the old data in memory nor the old file. With repl-diskless-load swapdb (or
// on-empty-db with an empty dataset) the payload is loaded from memory without touching disk.
// In every case the old dataset is replaced only when the new one has loaded completely.
using System.Globalization;
using System.Net.Sockets;
using System.Text;

using Cinnabar.Server.Commands;
using Cinnabar.Server.Persistence.Rdb;

namespace Cinnabar.Server.Replication;

/// <summary>One attempt to connect to, synchronize with and follow the primary.</summary>
internal sealed class PrimarySyncAttempt
{
    private const int EofMarkSize = 40;
    private readonly CinnabarServer _server;
    private readonly PrimaryLink _link;
    private readonly string _host;
    private readonly int _port;
    private bool _usedEofMark;
    private bool _swapdb;
    private bool _loadAnnounced;

    public PrimarySyncAttempt(CinnabarServer server, PrimaryLink link, int generation)
    {
        _server = server;
        _link = link;
        _host = link.Host!;
        _port = link.Port;
        Generation = generation;
    }

    /// <summary>The REPLICAOF generation this attempt belongs to.</summary>
    public int Generation { get; }

    private bool Current => _link.Generation == Generation;

    /// <summary>Runs the attempt after <paramref name="delayMs"/>; never throws.</summary>
    public async Task RunAsync(int delayMs)
    {
        bool failed = true;
        try
        {
            if (delayMs > 0)
            {
                await Task.Delay(delayMs).ConfigureAwait(false);
                lock (_server.Gate)
                {
                    if (!Current)
                    {
                        return;
                    }

                    _link.LogProgress($"Connecting to MASTER {_host}:{_port}");
                }
            }

            failed = await SyncAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            lock (_server.Gate)
            {
                // A connection we closed ourselves (timeout, REPLICAOF) has been accounted for.
                if (Current && _link.Connection is { IsClosed: false })
                {
                    _server.Log.Warning($"Replication link error: {e.Message}");
                    _link.FailAttempt("protocol error: " + e.Message);
                }
            }
        }
        finally
        {
            lock (_server.Gate)
            {
                _link.AttemptEnded(this, failed);
            }
        }
    }

    // True when the attempt failed (retry in a second); false after a link that was up was lost
    // (the reconnect has been launched already) or when the attempt is obsolete.
    private async Task<bool> SyncAsync()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var conn = new PrimaryConnection(socket, _server.Stats);
        lock (_server.Gate)
        {
            if (!Current)
            {
                conn.Close();
                return false;
            }

            _link.Connection = conn;
            _link.State = PrimaryLinkState.Connecting;
            _link.Phase = "connecting";
            _link.TransferLastIoMs = _server.NowMs;
            _link.LogProgress("MASTER <-> REPLICA sync started");
        }

        try
        {
            await socket.ConnectAsync(_host, _port).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            return Fail($"Error condition on socket for SYNC: {e.Message}", "unreachable: " + e.Message);
        }
        catch (ObjectDisposedException)
        {
            return Fail(null, "timeout: connect");
        }

        conn.OnRead = _ => _link.TransferLastIoMs = _server.NowMs;
        if (!Step(PrimaryLinkState.Handshake, "handshake", "Non blocking connect for SYNC fired the event."))
        {
            return false;
        }

        // PING first: a reply (even -NOAUTH) proves the primary is there before we authenticate.
        conn.SendCommand("PING");
        string reply = await conn.ReadLineAsync(CancellationToken.None).ConfigureAwait(false);
        if (!reply.StartsWith('+') && !reply.StartsWith("-NOAUTH", StringComparison.Ordinal) &&
            !reply.StartsWith("-NOPERM", StringComparison.Ordinal) && !reply.StartsWith("-ERR operation not permitted", StringComparison.Ordinal))
        {
            return Fail($"Error reply to PING from master: '{reply}'", "protocol error: PING answered " + reply);
        }

        if (!Step(PrimaryLinkState.Handshake, "handshake", "Master replied to PING, replication can continue..."))
        {
            return false;
        }

        var (auth, user, announceIp, port) = HandshakeSettings();

        // The rest of the handshake goes out in one write; the replies are read in order.
        var pipelined = new List<byte>();
        if (auth.Length > 0)
        {
            pipelined.AddRange(user.Length > 0 ? PrimaryConnection.Encode("AUTH", user, auth) : PrimaryConnection.Encode("AUTH", auth));
        }

        pipelined.AddRange(PrimaryConnection.Encode("REPLCONF", "listening-port", port.ToString(CultureInfo.InvariantCulture)));
        if (announceIp.Length > 0)
        {
            pipelined.AddRange(PrimaryConnection.Encode("REPLCONF", "ip-address", announceIp));
        }

        pipelined.AddRange(PrimaryConnection.Encode("REPLCONF", "capa", "eof", "capa", "psync2"));
        conn.Send(pipelined.ToArray());
        if (auth.Length > 0)
        {
            reply = await conn.ReadLineAsync(CancellationToken.None).ConfigureAwait(false);
            if (reply.StartsWith('-'))
            {
                return Fail($"Unable to AUTH to MASTER: {reply}", "auth refused: " + reply[1..]);
            }
        }

        reply = await conn.ReadLineAsync(CancellationToken.None).ConfigureAwait(false);
        NonCritical("listening-port", reply);
        if (announceIp.Length > 0)
        {
            reply = await conn.ReadLineAsync(CancellationToken.None).ConfigureAwait(false);
            NonCritical("ip-address", reply);
        }

        reply = await conn.ReadLineAsync(CancellationToken.None).ConfigureAwait(false);
        NonCritical("capa", reply);

        string psyncId;
        string psyncOffset;
        lock (_server.Gate)
        {
            if (!Current)
            {
                return false;
            }

            _link.Phase = "psync";
            if (_link.Cached is { } cached)
            {
                psyncId = cached.ReplId;
                psyncOffset = (cached.Offset + 1).ToString(CultureInfo.InvariantCulture);
                _link.LogProgress($"Trying a partial resynchronization (request {psyncId}:{psyncOffset}).");
            }
            else
            {
                psyncId = "?";
                psyncOffset = "-1";
                _link.LogProgress("Partial resynchronization not possible (no cached master)");
            }
        }

        conn.SendCommand("PSYNC", psyncId, psyncOffset);
        do
        {
            // Empty lines are the primary's keepalives while it prepares the snapshot.
            reply = await conn.ReadLineAsync(CancellationToken.None).ConfigureAwait(false);
        }
        while (reply.Length == 0);

        string primaryId = new('0', 40);
        long initialOffset = -1;
        if (reply.StartsWith("+FULLRESYNC", StringComparison.Ordinal))
        {
            var parts = reply.Split(' ');
            if (parts.Length < 3 || parts[1].Length != 40)
            {
                lock (_server.Gate)
                {
                    _server.Log.Warning("Master replied with wrong +FULLRESYNC syntax.");
                }
            }
            else
            {
                primaryId = parts[1];
                _ = long.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out initialOffset);
                if (!Step(PrimaryLinkState.Handshake, "psync", $"Full resync from master: {primaryId}:{initialOffset}"))
                {
                    return false;
                }
            }
        }
        else if (reply.StartsWith("+CONTINUE", StringComparison.Ordinal))
        {
            string rest = reply.Length > 10 ? reply[10..].Trim() : string.Empty;
            lock (_server.Gate)
            {
                if (!Current)
                {
                    return false;
                }

                _link.LinkUpAfterPartialSync(rest.Length == 40 ? rest : null, conn);
            }

            return await StreamAsync(conn).ConfigureAwait(false);
        }
        else if (reply.StartsWith("-NOMASTERLINK", StringComparison.Ordinal) || reply.StartsWith("-LOADING", StringComparison.Ordinal))
        {
            lock (_server.Gate)
            {
                _server.Log.Notice($"Master is currently unable to PSYNC but should be in the future: {reply}");
            }

            return Fail(null, "primary not ready: " + reply[1..]);
        }
        else
        {
            lock (_server.Gate)
            {
                if (reply.StartsWith("-ERR", StringComparison.Ordinal))
                {
                    _server.Log.Notice($"Master does not support PSYNC or is in error state (reply: {reply})");
                }
                else
                {
                    _link.LogProgress($"Unexpected reply to PSYNC from master: {reply}", warning: true);
                }

                _link.LogProgress("Retrying with SYNC...");
            }

            conn.Send("SYNC\r\n"u8);
        }

        return await TransferAsync(conn, primaryId, initialOffset).ConfigureAwait(false);
    }

    // readSyncBulkPayload: the $ line, the payload, the load, then the stream.
    private async Task<bool> TransferAsync(PrimaryConnection conn, string primaryId, long initialOffset)
    {
        bool diskless;
        lock (_server.Gate)
        {
            if (!Current)
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
                return Fail($"Opening the temp file needed for MASTER <-> REPLICA synchronization: {Config.OsError.Describe(e)}", "disk error: " + Config.OsError.Describe(e));
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
                return true;
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
                Fail($"MASTER aborted replication with an error: {line[1..]}", "primary error: " + line[1..]);
                return false;
            }

            if (line[0] != '$')
            {
                Fail($"Bad protocol from MASTER, the first byte is not '$' (we received '{line}'), are you sure the host and port are right?", "protocol error: bad bulk header");
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
                if (!Current)
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

                    Fail($"Failed trying to load the MASTER synchronization DB from socket: {e.Message}", $"connection lost during the transfer ({read} bytes received)");
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
                    Fail($"I/O error trying to sync with MASTER: {e.Message}", $"connection lost during the transfer ({read} bytes received)");
                }

                return false;
            }

            await sink.WriteAsync(chunk).ConfigureAwait(false);
            read += chunk.Length;
            lock (_server.Gate)
            {
                if (!Current)
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
            if (!Current)
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
            OnAux = (name, value, _) => RdbStartupLoader.LogAux(_server, _server.Log, name, value),
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
            if (!Current)
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
                return true;
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

        return await StreamAsync(conn).ConfigureAwait(false);
    }

    private async Task<bool> StreamAsync(PrimaryConnection conn)
    {
        var applier = new PrimaryStreamApplier(_server, _link, conn, Generation);
        string? why = await applier.RunAsync().ConfigureAwait(false);
        lock (_server.Gate)
        {
            if (Current)
            {
                bool brokenStream = why is not null && why.StartsWith("protocol error", StringComparison.Ordinal);
                _link.LinkLost(why, cache: !brokenStream, reconnect: !brokenStream);
                return brokenStream;
            }
        }

        return false;
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

    private (string Auth, string User, string AnnounceIp, long Port) HandshakeSettings()
    {
        lock (_server.Gate)
        {
            var store = _server.Config.Store;
            long announce = store.GetNumber("replica-announce-port");
            return (_server.Config.MasterAuth, _server.Config.MasterUser, store.GetString("replica-announce-ip") ?? string.Empty, announce != 0 ? announce : _server.Config.Port);
        }
    }

    private void NonCritical(string what, string reply)
    {
        if (reply.StartsWith('-'))
        {
            lock (_server.Gate)
            {
                _link.LogProgress($"(Non critical) Master does not understand REPLCONF {what}: {reply}");
            }
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

    // Moves the link to the next handshake step with its log line; false if this attempt is obsolete.
    private bool Step(PrimaryLinkState state, string phase, string line)
    {
        lock (_server.Gate)
        {
            if (!Current)
            {
                return false;
            }

            _link.State = state;
            _link.Phase = phase;
            _link.TransferLastIoMs = _server.NowMs;
            _link.LogProgress(line);
            return true;
        }
    }

    // Logs a failure (quietly when it repeats) and ends the attempt; the retry comes in a second.
    private bool Fail(string? line, string reason)
    {
        lock (_server.Gate)
        {
            if (!Current)
            {
                return false;
            }

            if (line is not null)
            {
                _link.LogFailure(line, reason);
            }

            _link.FailAttempt(reason);
            return true;
        }
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
