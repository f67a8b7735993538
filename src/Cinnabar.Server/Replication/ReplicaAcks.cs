// Replica acknowledgements on the primary (replication.c's WAIT part and refreshGoodSlavesCount):
// WAIT blocks its client until enough online replicas acknowledged the offset of the client's
// last write (asking them with REPLCONF GETACK * in the stream), or its timeout passes;
// min-replicas-to-write counts the replicas whose last ACK is recent enough.
using Cinnabar.Protocol;
using Cinnabar.Server.Commands;
using Cinnabar.Server.Networking;

namespace Cinnabar.Server.Replication;

/// <summary>WAIT and the good-replica count.</summary>
internal sealed class ReplicaAcks
{
    private static readonly CommandArgs GetAckOp = CommandArgs.FromStrings("REPLCONF", "GETACK", "*");
    private readonly CinnabarServer _server;
    private readonly List<WaitingClient> _waiting = [];

    public ReplicaAcks(CinnabarServer server)
    {
        _server = server;
    }

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

    private ReplicationState State => _server.Replication;

    /// <summary>Forgets a client that goes away while waiting.</summary>
    public void Forget(ClientSession client)
    {
        if (_waiting.Count > 0)
        {
            _waiting.RemoveAll(w => ReferenceEquals(w.Client, client));
        }
    }

    /// <summary>disconnectAllBlockedClients' part for WAIT: each waiting client gets <paramref name="error"/> and is closed after it.</summary>
    public void DisconnectAll(string error)
    {
        var waiting = _waiting.ToArray();
        _waiting.Clear();
        foreach (var w in waiting)
        {
            w.Client.CloseAfterReply = true;
            w.Client.Output.Error(error);
            _server.Dispatcher.CountError(System.Text.Encoding.UTF8.GetBytes(error));
            w.Client.Blocked = false;
            w.Client.Unblock?.Invoke();
        }
    }

    // refreshGoodSlavesCount: online replicas whose last ACK is at most min-replicas-max-lag old.
    public int GoodReplicas()
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

    /// <summary>replicationCountAcksByOffset: online replicas that acknowledged <paramref name="offset"/>.</summary>
    public int CountAcks(long offset)
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
    public void ProcessWaitingClients()
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

    /// <summary>Answers the WAITs whose timeout passed (cron).</summary>
    public void CheckWaitTimeouts(long now)
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
        _server.PrimaryReplication.FeedKeyless(GetAckOp);
    }
}
