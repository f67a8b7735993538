using Cinnabar.Protocol;

namespace Cinnabar.Server.Replication;

/// <summary>
/// Receives the propagated form of every write, in execution order (ARCHITECTURE §1, §4): the
/// replication stream and, later, the AOF. <paramref name="db"/> is the database the commands
/// apply to; a sink injects SELECT when it changes. Ops of one command that must apply
/// atomically arrive together with <paramref name="atomic"/> set (the sink wraps them in MULTI/EXEC).
/// A sink consumes the ops before it returns and keeps no reference to them or to the lists: the
/// dispatcher lends its own lists, and an op may be a command's arguments as they arrived (slices
/// of a receive buffer that is reused after the call).
/// </summary>
internal interface IPropagationSink
{
    void Propagate(int db, IReadOnlyList<CommandArgs> ops, bool atomic);

    /// <summary>
    /// All ops of one top-level call, each with its database (a transaction may SELECT between
    /// writes). The default splits them into runs of one database; the replication stream
    /// overrides it to keep the whole unit inside one MULTI/EXEC.
    /// </summary>
    void PropagateUnit(IReadOnlyList<int> dbs, IReadOnlyList<CommandArgs> ops, bool atomic)
    {
        int start = 0;
        for (int i = 1; i <= ops.Count; i++)
        {
            if (i == ops.Count || dbs[i] != dbs[start])
            {
                var run = new List<CommandArgs>(i - start);
                for (int j = start; j < i; j++)
                {
                    run.Add(ops[j]);
                }

                Propagate(dbs[start], run, atomic);
                start = i;
            }
        }
    }
}
