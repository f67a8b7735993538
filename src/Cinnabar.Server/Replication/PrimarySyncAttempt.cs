// One connection to the primary, from connect to link loss (replication.c connectWithMaster,
// syncWithMaster, slaveTryPartialResynchronization), with Redis's log lines:
//
//   connect -> PING -> pipelined [AUTH [masteruser] masterauth] + REPLCONF listening-port
//   [+ REPLCONF ip-address] + REPLCONF capa eof capa psync2 -> PSYNC <cached id> <offset+1> | ? -1
//   +CONTINUE [id]   -> the cached position continues: stream (PrimaryStreamApplier)
//   +FULLRESYNC id o -> receive and load the snapshot (PrimarySnapshotReceiver), then stream
//   -NOMASTERLINK / -LOADING -> try again later;  other errors -> fall back to SYNC
using System.Globalization;
using System.Net.Sockets;

namespace Cinnabar.Server.Replication;

/// <summary>One attempt to connect to, synchronize with and follow the primary.</summary>
internal sealed class PrimarySyncAttempt
{
    private readonly CinnabarServer _server;
    private readonly PrimaryLink _link;
    private readonly string _host;
    private readonly int _port;

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

    /// <summary>True while no newer REPLICAOF has replaced this attempt.</summary>
    internal bool Current => _link.Generation == Generation;

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
                    // Redis's words for a primary that hangs up (or stops answering) during the
                    // handshake; logged once per change of reason like every other failure.
                    string reason = "protocol error: " + e.Message;
                    _link.LogFailure(_link.Phase == "handshake" ? "Master did not respond to command during SYNC handshake" : $"Replication link error: {e.Message}", reason);
                    _link.FailAttempt(reason);
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

    // True when the attempt failed (retried after PrimaryLink.RetryDelayMs); false after a link that was up was lost
    // (the reconnect has been launched already) or when the attempt is obsolete.
    private async Task<bool> SyncAsync()
    {
        var conn = new PrimaryConnection(_server.Loop, _server.Stats);
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
            await conn.ConnectAsync(_host, _port).ConfigureAwait(false);
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
        bool failingOver;
        lock (_server.Gate)
        {
            failingOver = _server.PrimaryReplication.Failover.State == FailoverState.InProgress;
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

        // A FAILOVER in progress: the target promotes itself when it sees the extra argument.
        if (failingOver)
        {
            conn.SendCommand("PSYNC", psyncId, psyncOffset, "FAILOVER");
        }
        else
        {
            conn.SendCommand("PSYNC", psyncId, psyncOffset);
        }

        do
        {
            // Empty lines are the primary's keepalives while it prepares the snapshot.
            reply = await conn.ReadLineAsync(CancellationToken.None).ConfigureAwait(false);
        }
        while (reply.Length == 0);

        if (failingOver)
        {
            lock (_server.Gate)
            {
                if (!Current)
                {
                    return false;
                }

                // The target took over (a full sync is unexpected but not wrong); anything else
                // means it refused, and this server is the primary again.
                if (reply.StartsWith("+CONTINUE", StringComparison.Ordinal) || reply.StartsWith("+FULLRESYNC", StringComparison.Ordinal))
                {
                    _server.PrimaryReplication.Failover.Clear();
                }
                else
                {
                    _server.PrimaryReplication.Failover.Abort("Failover target rejected psync request");
                    return false;
                }
            }
        }

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

        var receiver = new PrimarySnapshotReceiver(_server, _link, this);
        bool loaded = await receiver.ReceiveAndLoadAsync(conn, primaryId, initialOffset).ConfigureAwait(false);
        return loaded ? await StreamAsync(conn).ConfigureAwait(false) : Current;
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

    /// <summary>Logs a failure (quietly when it repeats) and ends the attempt; the retry follows after PrimaryLink.RetryDelayMs. False when obsolete.</summary>
    internal bool Fail(string? line, string reason)
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

}
