using Cinnabar.Protocol;

namespace Cinnabar.Server.Replication;

/// <summary>
/// Receives the propagated form of every write, in execution order (ARCHITECTURE §1, §4): the
/// replication stream and, later, the AOF. <paramref name="db"/> is the database the commands
/// apply to; a sink injects SELECT when it changes. Ops of one command that must apply
/// atomically arrive together with <paramref name="atomic"/> set (the sink wraps them in MULTI/EXEC).
/// </summary>
internal interface IPropagationSink
{
    void Propagate(int db, IReadOnlyList<CommandArgs> ops, bool atomic);
}
