using Cinnabar.Protocol;
using Cinnabar.Server.Replication;

namespace Cinnabar.Server.Tests.Infrastructure;

/// <summary>Records every propagated write as "db|CMD arg arg", with "MULTI"/"EXEC" around atomic groups.</summary>
internal sealed class RecordingSink : IPropagationSink
{
    public List<string> Ops { get; } = [];

    public static RecordingSink AttachTo(ServerHarness h)
    {
        var sink = new RecordingSink();
        h.Server.PropagationSinks.Add(sink);
        return sink;
    }

    public void Propagate(int db, IReadOnlyList<CommandArgs> ops, bool atomic)
    {
        if (atomic)
        {
            Ops.Add($"{db}|MULTI");
        }

        foreach (var op in ops)
        {
            var parts = new string[op.Count];
            for (int i = 0; i < op.Count; i++)
            {
                parts[i] = op.GetString(i);
            }

            Ops.Add($"{db}|{string.Join(' ', parts)}");
        }

        if (atomic)
        {
            Ops.Add($"{db}|EXEC");
        }
    }
}
