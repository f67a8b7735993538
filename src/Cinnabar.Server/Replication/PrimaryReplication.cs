// The primary side of replication (replication.c's MASTER half): the replica list, SYNC/PSYNC
// (partial resync from the shared buffer, or a full sync: FullSyncScheduler), putting replicas
// online, ACKs (WAIT and min-replicas: ReplicaAcks), the replica output-buffer limit, INFO and
// ROLE, and replicationCron's primary duties (PING into the stream, newline keepalives,
// repl-timeout, repl-backlog-ttl, starting a delayed full sync).
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

using static Cinnabar.Server.Diagnostics.InfoText;

namespace Cinnabar.Server.Replication;

/// <summary>Replicas of this server and the work that serves them.</summary>
internal sealed class PrimaryReplication
{
    private static readonly CommandArgs PingOp = CommandArgs.FromStrings("ping");
    private readonly CinnabarServer _server;
    private long _cronLoops;
    private long _lastCronMs;

    public PrimaryReplication(CinnabarServer server)
    {
        _server = server;
        FullSyncs = new FullSyncScheduler(server);
        Acks = new ReplicaAcks(server);
        Failover = new FailoverCoordinator(server);

        // Redis's replicationCron runs its loop 0 at startup, before any replica can be there,
        // so the first PING goes out repl-ping-replica-period seconds later.
        _lastCronMs = server.NowMs;
        _cronLoops = 1;
    }

    private ReplicationState State => _server.Replication;

    /// <summary>Full syncs: their snapshots and framings.</summary>
    public FullSyncScheduler FullSyncs { get; }

    /// <summary>WAIT and min-replicas-to-write.</summary>
    public ReplicaAcks Acks { get; }

    /// <summary>FAILOVER.</summary>
    public FailoverCoordinator Failover { get; }

    /// <summary>checkGoodReplicasStatus (min-replicas-to-write).</summary>
    public bool EnoughGoodReplicas => Acks.EnoughGoodReplicas;

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

        FullSyncs.Schedule(link);
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

        Acks.ProcessWaitingClients();
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
        Acks.Forget(client);
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

        FullSyncs.OnReplicaGone(link);
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

        // checkClientOutputBufferLimits: a replica's hard limit below repl-backlog-size would drop
        // a replica right after a partial resync the backlog allowed; Redis uses the backlog size.
        if (hard > 0 && hard < State.BacklogSize)
        {
            hard = State.BacklogSize;
        }

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

        // replicationCron runs every 100 ms during a failover, and checks it first.
        Failover.Update();
        FullSyncs.StartPending();
        Acks.CheckWaitTimeouts(now);
        if (now - _lastCronMs < 1000)
        {
            return;
        }

        _lastCronMs = now;
        int period = (int)Math.Max(1, _server.Config.Store.GetNumber("repl-ping-replica-period"));
        // No PING while a FAILOVER with a timeout holds writes: it would move the offset the
        // replicas must reach (Redis skips it the same way).
        bool failoverPause = Failover.EndMs != 0 && _server.Dispatcher.Pause.CheckTimeoutAndReturnIfPaused();
        if (_cronLoops % period == 0 && State.Replicas.Count > 0 && !failoverPause)
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

    /// <summary>INFO replication from connected_slaves on (everything after the role-specific fields).</summary>
    public void AppendInfo(StringBuilder sb)
    {
        var inv = CultureInfo.InvariantCulture;
        long nowSec = _server.NowMs / 1000;
        Line(sb, "connected_slaves", State.Replicas.Count);
        if (_server.Config.MinReplicasToWrite > 0 && _server.Config.MinReplicasMaxLag > 0)
        {
            Line(sb, "min_slaves_good_slaves", Acks.GoodReplicas());
        }

        int id = 0;
        foreach (var link in State.Replicas)
        {
            long lag = link.State == ReplicaState.Online ? nowSec - (link.AckTimeMs / 1000) : 0;
            sb.Append(inv, $"slave{id}:ip={link.Ip},port={link.ListeningPort},state={link.StateName},offset={link.AckOffset},lag={lag}\r\n");
            id++;
        }

        Line(sb, "master_failover_state", Failover.StateName);
        Line(sb, "master_replid", State.ReplId);
        Line(sb, "master_replid2", State.ReplId2);
        Line(sb, "master_repl_offset", State.Offset);
        Line(sb, "second_repl_offset", State.SecondReplIdOffset);
        Line(sb, "repl_backlog_active", State.HasBacklog ? "1" : "0");
        Line(sb, "repl_backlog_size", State.BacklogSize);
        Line(sb, "repl_backlog_first_byte_offset", State.BacklogFirstByteOffset);
        Line(sb, "repl_backlog_histlen", State.HistLen);

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

}
