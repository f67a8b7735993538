// The write stream as replicas receive it (replication.c replicationFeedSlaves): RESP
// multibulk commands, a SELECT whenever the database changes (and first after every full sync),
// MULTI/EXEC around units of several ops. Today it serves SYNC clients (replicas without PSYNC,
// and Redis's test harness, which attaches with SYNC to assert exact propagation); the shared
// replication buffer, backlog and PSYNC of the replication issue build on this formatting.
using System.Text;

using Cinnabar.Protocol;
using Cinnabar.Server.Networking;

namespace Cinnabar.Server.Replication;

/// <summary>Formats propagated writes and appends them to attached replicas.</summary>
internal sealed class ReplicationFeed : IPropagationSink
{
    private static readonly CommandArgs MultiOp = CommandArgs.FromStrings("MULTI");
    private static readonly CommandArgs ExecOp = CommandArgs.FromStrings("EXEC");
    private readonly List<ClientSession> _replicas = [];
    private int _selectedDb = -1;

    /// <summary>Attached replicas.</summary>
    public IReadOnlyList<ClientSession> Replicas => _replicas;

    /// <summary>Adds a replica that has just received its snapshot; the next write re-selects the database (as Redis resets slaveseldb).</summary>
    public void Attach(ClientSession replica)
    {
        _replicas.Add(replica);
        _selectedDb = -1;
    }

    /// <summary>Removes a replica (disconnect).</summary>
    public void Detach(ClientSession replica) => _replicas.Remove(replica);

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
        if (_replicas.Count == 0 || ops.Count == 0)
        {
            return;
        }

        var w = new ReplyWriter();
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

        foreach (var r in _replicas)
        {
            r.Output.Raw(w.WrittenSpan);
            r.Transport?.RequestFlush();
        }
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

    private void SelectIfNeeded(ReplyWriter w, int db)
    {
        if (db == _selectedDb)
        {
            return;
        }

        Write(w, CommandArgs.From("SELECT"u8.ToArray(), Encoding.ASCII.GetBytes(db.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        _selectedDb = db;
    }
}
