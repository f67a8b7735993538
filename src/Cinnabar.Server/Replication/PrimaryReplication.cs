// The primary side of replication (replication.c's MASTER half): the replica list, SYNC/PSYNC
// (partial resync from the shared buffer, or a full sync through the point-in-time snapshot),
// the full sync's two framings (diskless "$EOF:<mark>" to sockets, disk-based "$<len>" from the
// RDB file), putting replicas online, ACKs, and replicationCron's primary duties (PING into the
// stream, newline keepalives, repl-timeout, repl-backlog-ttl, starting a delayed full sync).
//
// Full sync without loss or duplication: under the gate, in one step, the replica is attached to
// the shared buffer at the current end of the stream and the snapshot begins, with that offset in
// +FULLRESYNC and in the RDB's repl-id/repl-offset AUX fields. Everything written afterwards is in
// the buffer from that position on, and is sent once the RDB has been (and, after an EOF-marked
// transfer, once the replica's first REPLCONF ACK says it loaded it, as Redis does).
//
// Beyond Redis (ARCHITECTURE §5): while a replica is in a full sync (from attaching until it is
// streaming) the stream buffered for it is not counted against client-output-buffer-limit replica,
// so a long transfer under heavy writes cannot fall into Redis's endless drop-and-resync loop. What
// is held for it is reported in INFO (replica_linkN lines, after Redis's fields).
using System.Globalization;
using System.Text;

using Cinnabar.Protocol;
using Cinnabar.Server.Commands;
using Cinnabar.Server.Networking;
using Cinnabar.Server.Persistence;

namespace Cinnabar.Server.Replication;

/// <summary>Replicas of this server and the work that serves them.</summary>
internal sealed class PrimaryReplication
{
    private static readonly CommandArgs PingOp = CommandArgs.FromStrings("ping");
    private static readonly CommandArgs GetAckOp = CommandArgs.FromStrings("REPLCONF", "GETACK", "*");
    private readonly CinnabarServer _server;
    private readonly List<WaitingClient> _waiting = [];
    private FullSync? _sync;
    private long _cronLoops;
    private long _lastCronMs;

    public PrimaryReplication(CinnabarServer server)
    {
        _server = server;

        // Redis's replicationCron runs its loop 0 at startup, before any replica can be there,
        // so the first PING goes out repl-ping-replica-period seconds later.
        _lastCronMs = server.NowMs;
        _cronLoops = 1;
    }

    private ReplicationState State => _server.Replication;

    /// <summary>The full sync whose snapshot is running, or null.</summary>
    public bool FullSyncInProgress => _sync is not null;

    /// <summary>
    /// checkGoodReplicasStatus: true unless min-replicas-to-write and min-replicas-max-lag are
    /// both set on a primary and fewer online replicas than required acknowledged within the lag.
    /// </summary>
    public bool EnoughGoodReplicas
    {
        get
        {
            var c = _server.Config;
            return c.MinReplicasToWrite == 0 || c.MinReplicasMaxLag == 0 || _server.IsReplica || GoodReplicas() >= c.MinReplicasToWrite;
        }
    }

    /// <summary>The replica state of a session (created on its first REPLCONF or SYNC/PSYNC).</summary>
    public ReplicaLink LinkOf(ClientSession session) => session.ReplicaLink ??= new ReplicaLink(_server, session);

    /// <summary>
    /// syncCommand after its checks: partial resync when possible, otherwise registers the
    /// replica for a full sync and starts (or schedules) it. Caller holds the gate.
    /// </summary>
    public void Sync(CommandContext ctx, bool psync, long psyncOffset)
    {
        var client = ctx.Client;
        var link = LinkOf(client);
        _server.Log.Notice($"Replica {link.Name} asks for synchronization");
        if (psync)
        {
            string replid = ctx.Args.GetString(1);
            if (TryPartialResync(link, replid, psyncOffset))
            {
                _server.Stats.SyncPartialOk++;
                return;
            }

            if (!replid.StartsWith('?'))
            {
                _server.Stats.SyncPartialErr++;
            }
        }
        else
        {
            link.PrePsync = true;
        }

        _server.Stats.SyncFull++;
        link.State = ReplicaState.WaitBgsaveStart;
        link.SyncStartedMs = _server.NowMs;
        Attach(link);
        if (State.Replicas.Count == 1 && !State.HasBacklog)
        {
            // A backlog made from scratch starts a new history: no past one is valid.
            State.ChangeReplId();
            State.ClearReplId2();
            State.CreateBacklogIfNeeded();
            _server.Log.Notice($"Replication backlog created, my new replication IDs are '{State.ReplId}' and '{State.ReplId2}'");
        }

        if (_sync is { SocketTarget: false } disk && CanJoin(disk, link))
        {
            // Another replica is already registering differences from a disk snapshot's offset:
            // share its position in the buffer (Redis copies that replica's output buffer).
            var other = disk.Links.First(l => !l.Closed && l.State == ReplicaState.WaitBgsaveEnd);
            link.AttachAt(other.Block!, other.Position);
            SetupForFullResync(link, other.InitialOffset, socketTarget: false);
            lock (disk.Links)
            {
                disk.Links.Add(link);
            }

            _server.Log.Notice("Waiting for end of BGSAVE for SYNC");
        }
        else if (_sync is not null)
        {
            _server.Log.Notice(_sync.SocketTarget
                ? "Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC"
                : "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
        }
        else if (_server.ActiveSnapshot is not null)
        {
            _server.Log.Notice("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
        }
        else if (DisklessSync && link.CapaEof && DisklessSyncDelay > 0)
        {
            // The snapshot starts from the cron, a few seconds later, so that more replicas can
            // share it.
            _server.Log.Notice("Delay next BGSAVE for diskless SYNC");
        }
        else
        {
            StartFullSync([link]);
        }
    }

    /// <summary>REPLCONF ACK &lt;offset&gt;: records it, and starts the stream held back after an EOF-marked transfer.</summary>
    public void Ack(ReplicaLink link, long offset)
    {
        if (offset > link.AckOffset)
        {
            link.AckOffset = offset;
        }

        link.AckTimeMs = _server.NowMs;
        if (link.StartStreamOnAck && link.State == ReplicaState.Online)
        {
            link.StartStreamOnAck = false;
            link.Session.Transport?.RequestFlush();
        }

        ProcessWaitingClients();
    }

    /// <summary>replicaPutOnline: the replica has the whole snapshot.</summary>
    public void PutOnline(ReplicaLink link)
    {
        link.State = ReplicaState.Online;
        link.AckTimeMs = _server.NowMs;
        link.SyncStartedMs = 0;
        _server.Log.Notice($"Synchronization with replica {link.Name} succeeded");
    }

    /// <summary>Called when any client goes away (caller holds the gate).</summary>
    public void OnClientRemoved(ClientSession client)
    {
        _waiting.RemoveAll(w => ReferenceEquals(w.Client, client));
        if (client.ReplicaLink is not { } link)
        {
            return;
        }

        link.Closed = true;
        link.CloseBulkFile();
        if (!link.Attached)
        {
            return;
        }

        link.Attached = false;
        State.Replicas.Remove(link);
        link.Detach();
        _server.Log.Warning($"Connection with replica {link.Name} lost.");
        if (State.Replicas.Count == 0)
        {
            State.NoReplicasSinceMs = _server.NowMs;
        }

        if (_sync is { SocketTarget: true } sync && sync.Stream!.LiveCount == 0 && !sync.Done)
        {
            _server.Log.Warning("Diskless rdb transfer, last replica dropped, killing fork child.");
            sync.Snapshot?.Cancel();
        }
    }

    /// <summary>
    /// closeClientOnOutputBufferLimitReached for a replica: the stream it still has to send,
    /// against client-output-buffer-limit replica. Not while it is in a full sync (see the top).
    /// </summary>
    public void CheckOutputBufferLimit(ReplicaLink link)
    {
        if (!link.Streaming || link.Session.Killed)
        {
            link.SoftLimitSinceMs = 0;
            return;
        }

        var (hard, soft, seconds) = _server.Config.Store.ObufLimit(1);
        long used = link.PendingStreamBytes;
        bool reached = hard > 0 && used >= hard;
        if (!reached && soft > 0 && used >= soft)
        {
            if (link.SoftLimitSinceMs == 0)
            {
                link.SoftLimitSinceMs = _server.NowMs;
            }
            else
            {
                reached = (_server.NowMs - link.SoftLimitSinceMs) / 1000 > seconds;
            }
        }
        else if (!reached)
        {
            link.SoftLimitSinceMs = 0;
        }

        if (reached)
        {
            _server.Log.Warning($"Client {ClientCommands.InfoLine(_server, link.Session, null)} scheduled to be closed ASAP for overcoming of output buffer limits.");
            link.Session.Killed = true;
            link.Session.Transport?.Close();
        }
    }

    /// <summary>Feeds PING, REPLCONF GETACK and other keyless commands to replicas (no SELECT).</summary>
    public void FeedKeyless(CommandArgs op)
    {
        if (_server.IsReplica || !State.HasBacklog)
        {
            return;
        }

        _server.ReplicationFeed.FeedKeyless(op);
    }

    /// <summary>
    /// The primary part of replicationCron plus the start of a delayed full sync; called from
    /// every server cron tick (caller holds the gate).
    /// </summary>
    public void Cron()
    {
        long now = _server.NowMs;
        StartPendingFullSync();
        CheckWaitTimeouts(now);
        if (now - _lastCronMs < 1000)
        {
            return;
        }

        _lastCronMs = now;
        int period = (int)Math.Max(1, _server.Config.Store.GetNumber("repl-ping-replica-period"));
        if (_cronLoops % period == 0 && State.Replicas.Count > 0)
        {
            // Counts toward the offset: replicas use it to tell a dead link from an idle one.
            FeedKeyless(PingOp);
        }

        foreach (var link in State.Replicas)
        {
            bool presync = link.State == ReplicaState.WaitBgsaveStart
                || (link.State == ReplicaState.WaitBgsaveEnd && !link.SocketTarget);
            if (presync)
            {
                // Out of band, not part of the stream: keeps the replica from timing out while
                // it waits for the snapshot.
                link.Session.Output.Raw("\n"u8);
                link.Session.Transport?.RequestFlush();
            }
        }

        long timeoutMs = _server.Config.Store.GetNumber("repl-timeout") * 1000;
        foreach (var link in State.Replicas.ToArray())
        {
            // A replica's newlines while it loads count as signs of life too (Redis refreshes
            // repl_ack_time on an empty inline line).
            long lastSeen = Math.Max(link.AckTimeMs, link.Session.LastInteractionMs);
            if (link.State == ReplicaState.Online && !link.PrePsync && now - lastSeen > timeoutMs)
            {
                _server.Log.Warning($"Disconnecting timedout replica (streaming sync): {link.Name}");
                ClientCommands.Disconnect(_server, link.Session);
                continue;
            }

            // A diskless transfer that has not moved for repl-timeout: the replica stopped
            // reading, and it would hold the snapshot back for the others.
            if (link.State == ReplicaState.WaitBgsaveEnd && link.SocketTarget && link.RdbQueuedBytes > 0
                && now - Math.Max(link.RdbProgressMs, link.SyncStartedMs) > timeoutMs)
            {
                _server.Log.Warning($"Disconnecting timedout replica (full sync): {link.Name}");
                ClientCommands.Disconnect(_server, link.Session);
            }
        }

        long ttl = _server.Config.Store.GetNumber("repl-backlog-ttl");
        if (State.Replicas.Count == 0 && ttl > 0 && State.HasBacklog && !_server.IsReplica
            && (now - State.NoReplicasSinceMs) / 1000 > ttl)
        {
            // A new history: with no backlog the offset stops counting, so the old id could
            // otherwise be continued by a replica that missed writes.
            State.ChangeReplId();
            State.ClearReplId2();
            State.FreeBacklog();
            _server.Log.Notice($"Replication backlog freed after {ttl} seconds without connected replicas.");
        }

        _cronLoops++;
    }

    /// <summary>Disconnects every replica (replicationUnsetMaster / a new primary): they reconnect and PSYNC.</summary>
    public void DisconnectReplicas()
    {
        foreach (var link in State.Replicas.ToArray())
        {
            ClientCommands.Disconnect(_server, link.Session);
        }
    }

    // WAIT numreplicas timeout
    public void Wait(CommandContext ctx, long numReplicas, long timeoutMs)
    {
        var client = ctx.Client;
        long offset = client.WriteOffset;
        int acked = CountAcks(offset);
        if (acked >= numReplicas || client.InMulti)
        {
            ctx.Reply.Integer(acked);
            return;
        }

        client.Blocked = true;
        client.Postponed = false;
        _waiting.Add(new WaitingClient(client, offset, numReplicas, timeoutMs == 0 ? 0 : ctx.NowMs + timeoutMs));

        // replicationRequestAckFromSlaves: ask every replica for an ACK now.
        FeedKeyless(GetAckOp);
    }

    /// <summary>INFO replication from connected_slaves on (everything after the role-specific fields).</summary>
    public void AppendInfo(StringBuilder sb)
    {
        var inv = CultureInfo.InvariantCulture;
        long nowSec = _server.NowMs / 1000;
        Line(sb, "connected_slaves", State.Replicas.Count.ToString(inv));
        if (_server.Config.MinReplicasToWrite > 0 && _server.Config.MinReplicasMaxLag > 0)
        {
            Line(sb, "min_slaves_good_slaves", GoodReplicas().ToString(inv));
        }

        int id = 0;
        foreach (var link in State.Replicas)
        {
            long lag = link.State == ReplicaState.Online ? nowSec - (link.AckTimeMs / 1000) : 0;
            sb.Append(inv, $"slave{id}:ip={link.Ip},port={link.ListeningPort},state={link.StateName},offset={link.AckOffset},lag={lag}\r\n");
            id++;
        }

        Line(sb, "master_failover_state", "no-failover");
        Line(sb, "master_replid", State.ReplId);
        Line(sb, "master_replid2", State.ReplId2);
        Line(sb, "master_repl_offset", State.Offset.ToString(inv));
        Line(sb, "second_repl_offset", State.SecondReplIdOffset.ToString(inv));
        Line(sb, "repl_backlog_active", State.HasBacklog ? "1" : "0");
        Line(sb, "repl_backlog_size", State.BacklogSize.ToString(inv));
        Line(sb, "repl_backlog_first_byte_offset", State.BacklogFirstByteOffset.ToString(inv));
        Line(sb, "repl_backlog_histlen", State.HistLen.ToString(inv));

        // Cinnabar's additions (after all of Redis's fields, under names no Redis tool parses):
        // what each replica link is doing and what the primary holds for it.
        id = 0;
        var (hard, _, _) = _server.Config.Store.ObufLimit(1);
        foreach (var link in State.Replicas)
        {
            bool syncing = !link.Streaming;
            sb.Append(inv, $"replica_link{id}:phase={link.Phase},rdb_bytes_sent={link.RdbBytesSent},rdb_bytes_queued={link.RdbQueuedBytes},");
            sb.Append(inv, $"stream_bytes_unsent={link.UnsentStreamBytes},buffer_bytes={link.PendingStreamBytes},");
            sb.Append(inv, $"buffer_limit={(syncing ? "exempt-full-sync" : hard.ToString(inv))},sync_seconds={(link.SyncStartedMs == 0 ? 0 : (_server.NowMs - link.SyncStartedMs) / 1000)}\r\n");
            id++;
        }
    }

    /// <summary>ROLE on a primary: master, offset, and [ip, port, ack offset] of each online replica.</summary>
    public void WriteRole(ReplyWriter r)
    {
        r.ArrayHeader(3);
        r.Bulk("master"u8);
        r.Integer(State.Offset);
        var online = State.Replicas.Where(l => l.State == ReplicaState.Online).ToList();
        r.ArrayHeader(online.Count);
        foreach (var link in online)
        {
            r.ArrayHeader(3);
            r.Bulk(link.Ip);
            r.Bulk(link.ListeningPort.ToString(CultureInfo.InvariantCulture));
            r.Bulk(link.AckOffset.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void Line(StringBuilder sb, string name, string value) => sb.Append(name).Append(':').Append(value).Append("\r\n");

    private bool DisklessSync => _server.Config.Store.GetBool("repl-diskless-sync");

    private long DisklessSyncDelay => _server.Config.Store.GetNumber("repl-diskless-sync-delay");

    private static bool CanJoin(FullSync disk, ReplicaLink link)
    {
        if (!link.CapaEof && disk.Links.Any(l => l.CapaEof))
        {
            // Redis only attaches a replica having at least the capabilities of the one that
            // triggered the snapshot.
            return false;
        }

        return !disk.Done && disk.Links.Any(l => !l.Closed && l.State == ReplicaState.WaitBgsaveEnd && l.Block is not null);
    }

    private void Attach(ReplicaLink link)
    {
        link.Session.IsReplica = true;
        link.Attached = true;
        link.Closed = false;
        State.Replicas.Add(link);
    }

    // masterTryPartialResynchronization.
    private bool TryPartialResync(ReplicaLink link, string replid, long offset)
    {
        bool idMatches = string.Equals(replid, State.ReplId, StringComparison.OrdinalIgnoreCase)
            || (string.Equals(replid, State.ReplId2, StringComparison.OrdinalIgnoreCase) && offset <= State.SecondReplIdOffset);
        if (!idMatches)
        {
            if (replid.StartsWith('?'))
            {
                _server.Log.Notice($"Full resync requested by replica {link.Name}");
            }
            else if (!string.Equals(replid, State.ReplId, StringComparison.OrdinalIgnoreCase) && !string.Equals(replid, State.ReplId2, StringComparison.OrdinalIgnoreCase))
            {
                _server.Log.Notice($"Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{replid}', my replication IDs are '{State.ReplId}' and '{State.ReplId2}')");
            }
            else
            {
                _server.Log.Notice($"Partial resynchronization not accepted: Requested offset for second ID was {offset}, but I can reply up to {State.SecondReplIdOffset}");
            }

            return false;
        }

        if (!State.TryLocate(offset, out var block, out int position))
        {
            _server.Log.Notice($"Unable to partial resync with replica {link.Name} for lack of backlog (Replica request was: {offset}).");
            if (offset > State.Offset)
            {
                _server.Log.Warning($"Warning: replica {link.Name} tried to PSYNC with an offset that is greater than the master replication offset.");
            }

            return false;
        }

        Attach(link);
        link.State = ReplicaState.Online;
        link.AckTimeMs = _server.NowMs;
        link.StartStreamOnAck = false;
        link.Session.Output.Raw(link.CapaPsync2 ? ReplicaLink.Ascii($"+CONTINUE {State.ReplId}\r\n") : "+CONTINUE\r\n"u8);
        link.AttachAt(block, position);
        long sending = State.Offset + 1 - offset;
        _server.Log.Notice($"Partial resynchronization request from {link.Name} accepted. Sending {sending} bytes of backlog starting from offset {offset}.");

        // The replica keeps its selected database from before (its cached primary), so no
        // SELECT is forced here, as in Redis.
        return true;
    }

    // replicationStartPendingFork / shouldStartChildReplication.
    private void StartPendingFullSync()
    {
        if (_sync is not null || _server.ActiveSnapshot is not null)
        {
            return;
        }

        var waiting = State.Replicas.Where(l => l.State == ReplicaState.WaitBgsaveStart).ToList();
        if (waiting.Count == 0)
        {
            return;
        }

        long maxIdleMs = waiting.Max(l => _server.NowMs - l.Session.LastInteractionMs);
        long max = _server.Config.Store.GetNumber("repl-diskless-sync-max-replicas");
        if (!DisklessSync || (max > 0 && waiting.Count >= max) || maxIdleMs >= DisklessSyncDelay * 1000)
        {
            StartFullSync(waiting);
        }
    }

    // startBgsaveForReplication: the socket target iff diskless sync is on and every replica of
    // this snapshot understands $EOF.
    private void StartFullSync(List<ReplicaLink> links)
    {
        bool socketTarget = DisklessSync && links.All(l => l.CapaEof);
        _server.Log.Notice($"Starting BGSAVE for SYNC with target: {(socketTarget ? "replicas sockets" : "disk")}");
        var info = State.PopulateSaveInfo() ?? new Persistence.Rdb.ReplSaveInfo(0, State.ReplId, State.Offset);
        var sync = new FullSync(socketTarget, [.. links], State.Offset, _server.Dirty);
        Stream output;
        if (socketTarget)
        {
            sync.Mark = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
            sync.Stream = new ReplicaFanOutStream(_server, sync.Links);
            output = sync.Stream;
        }
        else
        {
            sync.TempFile = Path.GetFullPath($"temp-{Environment.ProcessId}.repl.rdb");
            try
            {
                sync.File = new FileStream(sync.TempFile, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _server.Log.Warning($"Failed opening the temp RDB file {sync.TempFile} (in server root dir {Directory.GetCurrentDirectory()}) for saving: {Config.OsError.Describe(e)}");
                FailWaiting(links);
                return;
            }

            output = sync.File;
        }

        // One step under the gate: each replica is attached at the snapshot's offset, so every
        // write from here on reaches it after the RDB, exactly once.
        foreach (var link in links)
        {
            link.AttachAtEnd();
            SetupForFullResync(link, sync.Offset, socketTarget);
        }

        if (socketTarget)
        {
            sync.Stream!.WriteFraming(ReplicaLink.Ascii($"$EOF:{sync.Mark}\r\n"));
        }

        _sync = sync;
        sync.Snapshot = PointInTimeSnapshot.Begin(_server, output, info);
        _server.Log.Notice(socketTarget
            ? $"Background RDB transfer started by pid {Environment.ProcessId}"
            : $"Background saving started by pid {Environment.ProcessId}");
        sync.Snapshot.Completion.ContinueWith(
            t =>
            {
                lock (_server.Gate)
                {
                    OnFullSyncSnapshotDone(sync, t.IsCompletedSuccessfully && t.Result);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    // replicationSetupSlaveForFullResync.
    private void SetupForFullResync(ReplicaLink link, long offset, bool socketTarget)
    {
        link.InitialOffset = offset;
        link.State = ReplicaState.WaitBgsaveEnd;
        link.SocketTarget = socketTarget;
        link.FullSyncs++;

        // The stream after a full sync always starts with a SELECT.
        _server.ReplicationFeed.ResetSelectedDb();
        if (!link.PrePsync)
        {
            link.Session.Output.Raw(ReplicaLink.Ascii($"+FULLRESYNC {State.ReplId} {offset}\r\n"));
            link.Session.Transport?.RequestFlush();
        }
    }

    private void FailWaiting(List<ReplicaLink> links)
    {
        _server.Log.Warning("BGSAVE for replication failed");
        foreach (var link in links)
        {
            link.Session.Output.Error("ERR BGSAVE failed, replication can't continue");
            link.Session.CloseAfterReply = true;
            State.Replicas.Remove(link);
            link.Attached = false;
            link.Session.IsReplica = false;
            link.Session.Transport?.RequestFlush();
            link.Session.Transport?.Close();
        }
    }

    // updateSlavesWaitingBgsave (caller holds the gate).
    private void OnFullSyncSnapshotDone(FullSync sync, bool ok)
    {
        sync.Done = true;
        _sync = null;
        if (sync.SocketTarget)
        {
            int up = sync.Stream!.LiveCount;
            if (ok)
            {
                sync.Stream.WriteFraming(ReplicaLink.Ascii(sync.Mark!));
                _server.Log.Warning($"Diskless rdb transfer, done reading from pipe, {up} replicas still up.");
                _server.Log.Notice("Background RDB transfer terminated with success");
            }
            else
            {
                _server.Log.Warning("Background transfer error");
            }
        }
        else if (ok)
        {
            ok = FinishDiskSnapshot(sync);
        }
        else
        {
            sync.File!.Dispose();
            TryDelete(sync.TempFile!);
            _server.Log.Warning("Background saving error");
        }

        List<ReplicaLink> links;
        lock (sync.Links)
        {
            links = [.. sync.Links];
        }

        foreach (var link in links)
        {
            if (link.Closed || link.State != ReplicaState.WaitBgsaveEnd)
            {
                continue;
            }

            if (!ok)
            {
                _server.Log.Warning("SYNC failed. BGSAVE child returned an error");
                ClientCommands.Disconnect(_server, link.Session);
                continue;
            }

            if (sync.SocketTarget)
            {
                _server.Log.Notice($"Streamed RDB transfer with replica {link.Name} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming");
                PutOnline(link);
                link.StartStreamOnAck = true;
                link.Session.Transport?.RequestFlush();
                continue;
            }

            try
            {
                link.BulkFile = new FileStream(_server.Config.DbFilename, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _server.Log.Warning($"SYNC failed. Can't open/stat DB after BGSAVE: {Config.OsError.Describe(e)}");
                ClientCommands.Disconnect(_server, link.Session);
                continue;
            }

            link.RdbSize = link.BulkFile.Length;
            link.BulkPreamble = ReplicaLink.Ascii($"${link.RdbSize}\r\n");
            link.State = ReplicaState.SendBulk;
            link.Session.Transport?.RequestFlush();
        }

        // A replica that arrived meanwhile may be waiting for the next snapshot.
        StartPendingFullSync();
    }

    // The disk target's rdbSaveBackground ending: fsync, rename over dbfilename, and the save
    // bookkeeping (backgroundSaveDoneHandlerDisk).
    private bool FinishDiskSnapshot(FullSync sync)
    {
        var file = sync.File!;
        try
        {
            file.Flush(flushToDisk: true);
            file.Dispose();
            File.Move(sync.TempFile!, _server.Config.DbFilename, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            file.Dispose();
            _server.Log.Warning($"Write error saving DB on disk: {Config.OsError.Describe(e)}");
            _server.Log.Warning("Background saving error");
            TryDelete(sync.TempFile!);
            return false;
        }

        _server.Log.Notice("DB saved on disk");
        _server.Log.Notice("Background saving terminated with success");
        _server.Dirty = Math.Max(0, _server.Dirty - sync.DirtyAtStart);
        _server.LastSaveMs = _server.NowMs;
        return true;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort, as Redis's unlink of a failed temp file.
            _ = e;
        }
    }

    // refreshGoodSlavesCount: online replicas whose last ACK is at most min-replicas-max-lag old.
    private int GoodReplicas()
    {
        long nowSec = _server.NowMs / 1000;
        int good = 0;
        foreach (var link in State.Replicas)
        {
            if (link.State == ReplicaState.Online && nowSec - (link.AckTimeMs / 1000) <= _server.Config.MinReplicasMaxLag)
            {
                good++;
            }
        }

        return good;
    }

    private int CountAcks(long offset)
    {
        int n = 0;
        foreach (var link in State.Replicas)
        {
            if (link.State == ReplicaState.Online && link.AckOffset >= offset)
            {
                n++;
            }
        }

        return n;
    }

    // processClientsWaitingReplicas.
    private void ProcessWaitingClients()
    {
        for (int i = 0; i < _waiting.Count; i++)
        {
            var w = _waiting[i];
            int acked = CountAcks(w.Offset);
            if (acked >= w.NumReplicas)
            {
                _waiting.RemoveAt(i--);
                Unblock(w.Client, acked);
            }
        }
    }

    private void CheckWaitTimeouts(long now)
    {
        for (int i = 0; i < _waiting.Count; i++)
        {
            var w = _waiting[i];
            if (w.DeadlineMs != 0 && now >= w.DeadlineMs)
            {
                _waiting.RemoveAt(i--);
                Unblock(w.Client, CountAcks(w.Offset));
            }
        }
    }

    private static void Unblock(ClientSession client, int acked)
    {
        client.Output.Integer(acked);
        client.Blocked = false;
        client.Unblock?.Invoke();
    }

    private sealed record WaitingClient(ClientSession Client, long Offset, long NumReplicas, long DeadlineMs);

    private sealed class FullSync(bool socketTarget, List<ReplicaLink> links, long offset, long dirtyAtStart)
    {
        public bool SocketTarget { get; } = socketTarget;

        public List<ReplicaLink> Links { get; } = links;

        public long Offset { get; } = offset;

        public long DirtyAtStart { get; } = dirtyAtStart;

        public string? Mark { get; set; }

        public ReplicaFanOutStream? Stream { get; set; }

        public string? TempFile { get; set; }

        public FileStream? File { get; set; }

        public PointInTimeSnapshot? Snapshot { get; set; }

        public bool Done { get; set; }
    }
}
