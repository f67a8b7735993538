using Cinnabar.Protocol;

namespace Cinnabar.Protocol.Tests;

// The output-limit hooks of ReplyWriter: the threshold callback runs when the written length
// would pass CheckAt, and a discarding writer drops everything written after StartDiscarding.
public class ReplyWriterLimitTests
{
    [Fact]
    public void TheThresholdCallbackRunsOnlyWhenTheLengthWouldPassItsCheckPoint()
    {
        var w = new ReplyWriter(64);
        var calls = new List<(int Length, int Incoming)>();
        w.OnThreshold = (writer, incoming) =>
        {
            calls.Add((writer.Length, incoming));
            writer.CheckAt = writer.Length + 1000;
        };

        // The first write after installing re-measures.
        w.Bulk(new byte[10]);
        Assert.Single(calls);
        Assert.Equal((0, 36), calls[0]);

        for (int i = 0; i < 50; i++)
        {
            w.Bulk(new byte[10]);
        }

        // 51 bulks of 17 bytes = 867 bytes: under the check point at 1000.
        Assert.Single(calls);
        for (int i = 0; i < 20; i++)
        {
            w.Bulk(new byte[10]);
        }

        Assert.Equal(2, calls.Count);
        Assert.Equal(71 * 17, w.Length);
    }

    [Fact]
    public void ADiscardingWriterDropsWhatIsWrittenAndNeverHandsItToASwap()
    {
        var w = new ReplyWriter(64);
        w.OnThreshold = (writer, _) =>
        {
            if (writer.Length >= 100)
            {
                writer.StartDiscarding();
            }
            else
            {
                writer.CheckAt = 100;
            }
        };

        int slot = w.BeginDeferredLength();
        for (int i = 0; i < 100_000; i++)
        {
            w.Bulk(new byte[100]);
        }

        w.EndDeferredLength(slot, 100_000);
        Assert.True(w.Discarding);
        Assert.True(w.Capacity <= 4096, $"capacity {w.Capacity}");

        var sending = new ReplyWriter();
        sending.SwapWith(w);
        Assert.Equal(0, sending.Length);
    }

    [Fact]
    public void AWriterWithoutCallbackGrowsAsBefore()
    {
        var w = new ReplyWriter(16);
        int slot = w.BeginDeferredLength();
        w.Bulk("abc"u8);
        w.Integer(5);
        w.EndDeferredLength(slot, 2);
        Assert.Equal("*2\r\n$3\r\nabc\r\n:5\r\n", w.ToString());
    }
}
