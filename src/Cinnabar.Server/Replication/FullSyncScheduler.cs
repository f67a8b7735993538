// Full synchronizations on the primary (replication.c's startBgsaveForReplication,
// replicationStartPendingFork and updateSlavesWaitingBgsave): which replicas share which
// snapshot, the diskless ($EOF:<mark>, to the sockets through ReplicaFanOutStream) or disk ($len,
// from the RDB file) target, and what happens when the snapshot ends. One snapshot at a time,
// through PointInTimeSnapshot only; replicas that arrive while one runs wait for the next.
//
// Nothing lost or duplicated: under the gate, in one step, each replica is attached to the
// shared buffer at the current end of the stream and the snapshot begins, with that offset in
// +FULLRESYNC and in the RDB's repl-id/repl-offset AUX fields.
using Cinnabar.Server.Commands;
using Cinnabar.Server.Persistence;

namespace Cinnabar.Server.Replication;

/// <summary>Starts, shares and finishes the snapshots of full syncs.</summary>
internal sealed class FullSyncScheduler
{
    private readonly CinnabarServer _server;
    private FullSync? _sync;

    public FullSyncScheduler(CinnabarServer server)
    {
        _server = server;
    }

    /// <summary>A full sync's snapshot is running.</summary>
    public bool InProgress => _sync is not null;

    private ReplicationState State => _server.Replication;

    /// <summary>
    /// The BGSAVE choice of syncCommand for a replica that just entered wait_bgsave_start: join
    /// a disk snapshot already registering differences, wait for the next one, wait for the
    /// diskless delay, or start one now.
    /// </summary>
    public void Schedule(ReplicaLink link)
    {
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
            Start([link]);
        }
    }

    /// <summary>
    /// killRDBChild for a full sync's snapshot (FLUSHALL's flushAllDataAndResetRDB): stops it.
    /// When it ends, its replicas still waiting for it are dropped ("SYNC failed. BGSAVE child
    /// returned an error") and reconnect for a new full sync of the emptied dataset, as Redis's
    /// replicas do when the child is killed. Caller holds the gate.
    /// </summary>
    public void Kill()
    {
        if (_sync is { Done: false } sync)
        {
            sync.Killed = true;
            sync.Snapshot?.Cancel();
        }
    }

    /// <summary>
    /// A replica went away (<paramref name="gone"/> is already out of the replica list): a
    /// diskless snapshot nobody receives any more stops; so does a disk snapshot that no other
    /// replica waits for, unless save points make the file worth having (freeClient's
    /// anyOtherSlaveWaitRdb check, Redis's "kill rdb child process if its dumping RDB is not useful").
    /// </summary>
    public void OnReplicaGone(ReplicaLink gone)
    {
        if (_sync is { SocketTarget: true } sync && sync.Stream!.LiveCount == 0 && !sync.Done)
        {
            _server.Log.Warning("Diskless rdb transfer, last replica dropped, killing fork child.");
            sync.Killed = true;
            sync.Snapshot?.Cancel();
        }
        else if (_sync is { SocketTarget: false, Done: false } disk && gone.State == ReplicaState.WaitBgsaveEnd
            && _server.Config.SavePoints.Count == 0 && !State.Replicas.Any(l => l.State == ReplicaState.WaitBgsaveEnd))
        {
            disk.Killed = true;
            disk.Snapshot?.Cancel();
        }
    }

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

    private bool DisklessSync => _server.Config.Store.GetBool("repl-diskless-sync");

    private long DisklessSyncDelay => _server.Config.Store.GetNumber("repl-diskless-sync-delay");

    // replicationStartPendingFork / shouldStartChildReplication.
    /// <summary>Starts the snapshot for the replicas waiting for one, when due (cron, and when a snapshot ends).</summary>
    public void StartPending()
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
            Start(waiting);
        }
    }

    // startBgsaveForReplication: the socket target iff diskless sync is on and every replica of
    // this snapshot understands $EOF.
    public void Start(List<ReplicaLink> links)
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
                // A snapshot stopped on purpose is Redis's child killed with SIGUSR1.
                _server.Log.Warning(sync.Killed ? "Background transfer terminated by signal 10" : "Background transfer error");
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

            // A snapshot stopped on purpose is what Redis logs for its child killed with SIGUSR1.
            _server.Log.Warning(sync.Killed ? "Background saving terminated by signal 10" : "Background saving error");
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
                _server.PrimaryReplication.PutOnline(link);
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
        StartPending();
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

        /// <summary>Stopped because nobody needs it any more (not an error).</summary>
        public bool Killed { get; set; }
    }
}
