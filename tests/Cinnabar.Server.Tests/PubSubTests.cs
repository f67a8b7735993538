using System.Text;

using Cinnabar.Protocol;
using Cinnabar.Server.Replication;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

/// <summary>Pub/Sub through the dispatcher: propagation and the notification rules.</summary>
public class PubSubTests
{
    [Fact]
    public void PublishIsPropagatedToReplicasEvenWithoutSubscribers()
    {
        var h = new ServerHarness();
        var sink = new RecordingSink();
        h.Server.PropagationSinks.Add(sink);
        Assert.Equal(":0\r\n", h.Run("PUBLISH", "ch", "msg"));
        Assert.Equal(":0\r\n", h.Run("SPUBLISH", "sh", "m2"));
        Assert.Equal(["PUBLISH ch msg", "SPUBLISH sh m2"], sink.Lines);
    }

    [Fact]
    public void SubscriptionQueriesDoNotPropagate()
    {
        var h = new ServerHarness();
        var sink = new RecordingSink();
        h.Server.PropagationSinks.Add(sink);
        h.Run("PUBSUB", "NUMPAT");
        h.Run("PUBSUB", "CHANNELS");
        Assert.Empty(sink.Lines);
    }

    private sealed class RecordingSink : IPropagationSink
    {
        public List<string> Lines { get; } = [];

        public void Propagate(int db, IReadOnlyList<CommandArgs> ops, bool atomic)
        {
            foreach (var op in ops)
            {
                var parts = new string[op.Count];
                for (int i = 0; i < op.Count; i++)
                {
                    parts[i] = Encoding.Latin1.GetString(op[i]);
                }

                Lines.Add(string.Join(' ', parts));
            }
        }
    }
}
