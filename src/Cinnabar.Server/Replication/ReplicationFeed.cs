// The producer of the replication stream (replication.c replicationFeedSlaves): each propagated
// write is formatted once, as a RESP multibulk, into the shared replication buffer
// (ReplicationState.Append), from which the backlog and every replica read. A SELECT goes first
// whenever the database changes (and always first after a full sync: ResetSelectedDb, Redis's
// slaveseldb = -1); units of several ops are wrapped in MULTI/EXEC. Keyless commands the primary
// makes itself (PING, REPLCONF GETACK) go out without a SELECT. A replica never formats a stream
// of its own: it forwards its primary's bytes unchanged (ReplicationState.Append from the replica
// side), so this producer is idle there.
using System.Globalization;
using System.Text;

using Cinnabar.Protocol;

namespace Cinnabar.Server.Replication;

/// <summary>Formats propagated writes into the shared replication buffer.</summary>
internal sealed class ReplicationFeed : IPropagationSink
{
    private static readonly CommandArgs MultiOp = CommandArgs.FromStrings("MULTI");
    private static readonly CommandArgs ExecOp = CommandArgs.FromStrings("EXEC");
    private readonly ReplyWriter _scratch = new();
    private CinnabarServer? _server;
    private int _selectedDb = -1;

    /// <summary>The database the stream has selected (Redis's slaveseldb), -1 when the next write must SELECT.</summary>
    public int SelectedDb => _selectedDb;

    /// <summary>Connects the feed to its server (done once by the server).</summary>
    public void Bind(CinnabarServer server) => _server = server;

    /// <summary>Forces a SELECT before the next write (slaveseldb = -1: full sync, REPLICAOF NO ONE, start).</summary>
    public void ResetSelectedDb() => _selectedDb = -1;

    /// <inheritdoc/>
    public void Propagate(int db, IReadOnlyList<CommandArgs> ops, bool atomic)
    {
        var dbs = new int[ops.Count];
        Array.Fill(dbs, db);
        PropagateUnit(dbs, ops, atomic);
    }

    /// <inheritdoc/>
    public void PropagateUnit(IReadOnlyList<int> dbs, IReadOnlyList<CommandArgs> ops, bool atomic)
    {
        if (ops.Count == 0 || !Active)
        {
            return;
        }

        var w = _scratch;
        w.Clear();
        if (atomic)
        {
            SelectIfNeeded(w, dbs[0]);
            Write(w, MultiOp);
        }

        for (int i = 0; i < ops.Count; i++)
        {
            SelectIfNeeded(w, dbs[i]);
            Write(w, ops[i]);
        }

        if (atomic)
        {
            Write(w, ExecOp);
        }

        _server!.Replication.Append(w.WrittenSpan);
    }

    /// <summary>Feeds a command that touches no key (PING, REPLCONF GETACK): no SELECT, as Redis feeds them with slaveseldb.</summary>
    public void FeedKeyless(CommandArgs op)
    {
        if (!Active)
        {
            return;
        }

        var w = _scratch;
        w.Clear();
        Write(w, op);
        _server!.Replication.Append(w.WrittenSpan);
    }

    /// <summary>Encodes a command as a RESP multibulk.</summary>
    public static void Write(ReplyWriter w, CommandArgs op)
    {
        w.ArrayHeader(op.Count);
        for (int i = 0; i < op.Count; i++)
        {
            w.Bulk(op[i]);
        }
    }

    // Only a primary with a backlog produces a stream.
    private bool Active => _server is not null && !_server.IsReplica && _server.Replication.HasBacklog;

    private void SelectIfNeeded(ReplyWriter w, int db)
    {
        if (db == _selectedDb)
        {
            return;
        }

        Write(w, CommandArgs.From("SELECT"u8.ToArray(), Encoding.ASCII.GetBytes(db.ToString(CultureInfo.InvariantCulture))));
        _selectedDb = db;
    }
}
