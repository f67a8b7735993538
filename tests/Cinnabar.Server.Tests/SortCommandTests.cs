using Cinnabar.Server.Commands;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

/// <summary>SORT and SORT_RO through the dispatcher: propagation, replica rules, weights.</summary>
public class SortCommandTests
{
    [Fact]
    public void SortStoreIsPropagatedAsSentAndAPlainSortIsNot()
    {
        var h = new ServerHarness();
        var sink = RecordingSink.AttachTo(h);
        h.Run("RPUSH", "l", "2", "1");
        h.Run("SORT", "l");
        h.Run("SORT_RO", "l");
        Assert.Equal(["0|RPUSH l 2 1"], sink.Ops);
        Assert.Equal(":2\r\n", h.Run("SORT", "l", "STORE", "d"));
        Assert.Equal("0|SORT l STORE d", sink.Ops[^1]);
        Assert.Equal(":0\r\n", h.Run("SORT", "nokey", "STORE", "d"));
        Assert.Equal("0|SORT nokey STORE d", sink.Ops[^1]);
        Assert.Equal(":0\r\n", h.Run("SORT", "nokey", "STORE", "d"));
        Assert.Equal(3, sink.Ops.Count);
    }

    [Fact]
    public void AReadOnlyReplicaRefusesSortButRunsSortRo()
    {
        var h = new ServerHarness();
        h.Run("RPUSH", "l", "b", "a");
        h.Server.IsReplica = true;
        Assert.StartsWith("-READONLY ", h.Run("SORT", "l", "ALPHA"), StringComparison.Ordinal);
        Assert.Equal("*2\r\n$1\r\na\r\n$1\r\nb\r\n", h.Run("SORT_RO", "l", "ALPHA"));
        Assert.Equal("-ERR syntax error\r\n", h.Run("SORT_RO", "l", "STORE", "d"));
    }

    [Fact]
    public void BySortOfASetWithStoreIsSortedAlphaSoReplicasStoreTheSameList()
    {
        var h = new ServerHarness();
        h.Run("SADD", "s", "pear", "apple", "fig", "10", "9");
        Assert.Equal(":5\r\n", h.Run("SORT", "s", "BY", "nosort", "STORE", "d"));
        Assert.Equal("*5\r\n$2\r\n10\r\n$1\r\n9\r\n$5\r\napple\r\n$3\r\nfig\r\n$4\r\npear\r\n", h.Run("LRANGE", "d", "0", "-1"));
    }

    [Fact]
    public void StoreReplacesAnExpiredDestinationAsANewKeyWithoutTtl()
    {
        var h = new ServerHarness();
        h.Run("RPUSH", "l", "1");
        h.Run("SET", "d", "old", "PX", "100");
        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(":1\r\n", h.Run("SORT", "l", "STORE", "d"));
        Assert.Equal(":-1\r\n", h.Run("TTL", "d"));
        Assert.Equal("+list\r\n", h.Run("TYPE", "d"));
    }

    [Fact]
    public void AnExpiredByKeyWeighsNothing()
    {
        var h = new ServerHarness();
        h.Run("RPUSH", "l", "a", "b");
        h.Run("SET", "w_a", "2");
        h.Run("SET", "w_b", "1", "PX", "100");
        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("*2\r\n$1\r\nb\r\n$1\r\na\r\n", h.Run("SORT", "l", "BY", "w_*"));
        Assert.Equal(":0\r\n", h.Run("EXISTS", "w_b"));
    }

    [Theory]
    [InlineData("", 0.0)]
    [InlineData("  7", 7.0)]
    [InlineData("-2.5e1", -25.0)]
    [InlineData("0x1A", 26.0)]
    [InlineData("0x1p3", 8.0)]
    [InlineData("0x.8", 0.5)]
    [InlineData("-inf", double.NegativeInfinity)]
    [InlineData("Infinity", double.PositiveInfinity)]
    [InlineData(".5", 0.5)]
    [InlineData("5.", 5.0)]
    [InlineData("1e", null)]
    [InlineData("7 ", null)]
    [InlineData("   ", null)]
    [InlineData("-", null)]
    [InlineData("nan", null)]
    [InlineData("0x", null)]
    [InlineData("1e400", null)]
    [InlineData("1e-400", null)]
    [InlineData("4.9e-324", null)]
    [InlineData("2.2250738585072014e-308", 2.2250738585072014e-308)]
    public void WeightsParseLikeCStrtodWithoutRangeErrors(string text, double? expected)
    {
        bool ok = SortCommands.TryStrtod(System.Text.Encoding.ASCII.GetBytes(text), out double value);
        Assert.Equal(expected.HasValue, ok);
        if (expected.HasValue)
        {
            Assert.Equal(expected.Value, value);
        }
    }

    [Fact]
    public void AWeightIsReadOnlyUpToItsFirstNulByte()
    {
        Assert.True(SortCommands.TryStrtod("12\0junk"u8, out double value));
        Assert.Equal(12.0, value);
    }
}
