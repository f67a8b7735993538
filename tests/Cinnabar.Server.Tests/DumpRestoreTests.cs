using System.Text;

using Cinnabar.Protocol;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

public class DumpRestoreTests
{
    // DUMP of "bar" from redis-server 7.0.15: type 0, "bar", RDB version 10, CRC64.
    private static readonly byte[] RedisBarPayload = [0x00, 0x03, (byte)'b', (byte)'a', (byte)'r', 0x0a, 0x00, 0xe6, 0xbe, 0x49, 0x60, 0xee, 0x66, 0xfd, 0x17];

    private static string Run(ServerHarness h, params object[] args)
    {
        var bytes = args.Select(a => a as byte[] ?? Encoding.Latin1.GetBytes((string)a)).ToArray();
        h.Client.Output.Clear();
        lock (h.Server.Gate)
        {
            h.Server.Dispatcher.Process(h.Client, CommandArgs.From(bytes));
        }

        var reply = Encoding.Latin1.GetString(h.Client.Output.WrittenSpan);
        h.Client.Output.Clear();
        return reply;
    }

    private static byte[] Dump(ServerHarness h, string key)
    {
        string reply = Run(h, "DUMP", key);
        Assert.StartsWith("$", reply);
        int nl = reply.IndexOf("\r\n", StringComparison.Ordinal);
        int len = int.Parse(reply[1..nl], System.Globalization.CultureInfo.InvariantCulture);
        return Encoding.Latin1.GetBytes(reply.Substring(nl + 2, len));
    }

    [Fact]
    public void DumpOfAShortStringIsByteForByteWhatRedisWrites()
    {
        var h = new ServerHarness();
        h.Run("SET", "foo", "bar");
        Assert.Equal(RedisBarPayload, Dump(h, "foo"));
    }

    [Fact]
    public void DumpOfAMissingKeyIsANullBulk()
    {
        Assert.Equal("$-1\r\n", new ServerHarness().Run("DUMP", "nokey"));
    }

    [Fact]
    public void ARedisPayloadRestoresWithoutATtl()
    {
        var h = new ServerHarness();
        Assert.Equal("+OK\r\n", Run(h, "RESTORE", "k", "0", RedisBarPayload));
        Assert.Equal("$3\r\nbar\r\n", h.Run("GET", "k"));
        Assert.Equal(":-1\r\n", h.Run("TTL", "k"));
    }

    [Theory]
    [InlineData("7")]
    [InlineData("-300")]
    [InlineData("123456")]
    [InlineData("12345678901")]
    [InlineData("")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void EveryStringEncodingRoundTripsThroughDumpAndRestore(string value)
    {
        var h = new ServerHarness();
        h.Run("SET", "k", value);
        var payload = Dump(h, "k");
        Assert.Equal("+OK\r\n", Run(h, "RESTORE", "k2", "0", payload));
        Assert.Equal(h.Run("GET", "k"), h.Run("GET", "k2"));
    }

    [Fact]
    public void BinaryValuesRoundTrip()
    {
        var h = new ServerHarness();
        var value = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray();
        Run(h, "SET", "bin", value);
        Run(h, "RESTORE", "copy", "0", Dump(h, "bin"));
        Assert.Equal(Run(h, "GET", "bin"), Run(h, "GET", "copy"));
    }

    [Fact]
    public void AnExistingKeyIsABusyKeyErrorUnlessReplaceIsGiven()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "old");
        Assert.Equal("-BUSYKEY Target key name already exists.\r\n", Run(h, "RESTORE", "k", "0", RedisBarPayload));
        Assert.Equal("+OK\r\n", Run(h, "RESTORE", "k", "0", RedisBarPayload, "REPLACE"));
        Assert.Equal("$3\r\nbar\r\n", h.Run("GET", "k"));
    }

    [Fact]
    public void ARelativeTtlIsPropagatedAsAnAbsoluteTimeWithAbsttl()
    {
        var h = new ServerHarness();
        var sink = RecordingSink.AttachTo(h);
        Run(h, "RESTORE", "k", "5000", RedisBarPayload);
        long expected = h.Server.NowMs + 5000;
        Assert.Equal(":5000\r\n", h.Run("PTTL", "k"));
        var op = Assert.Single(sink.Ops);
        Assert.StartsWith($"0|RESTORE k {expected} ", op);
        Assert.EndsWith(" ABSTTL", op);
    }

    [Fact]
    public void AnAbsoluteTtlIsKeptAndPropagatedAsGiven()
    {
        var h = new ServerHarness();
        var sink = RecordingSink.AttachTo(h);
        long at = h.Server.NowMs + 10_000;
        Run(h, "RESTORE", "k", at.ToString(System.Globalization.CultureInfo.InvariantCulture), RedisBarPayload, "ABSTTL");
        Assert.Equal(":10000\r\n", h.Run("PTTL", "k"));
        Assert.Equal(4 + 1, Assert.Single(sink.Ops).Split(' ').Length);
    }

    [Fact]
    public void AnAbsttlInThePastDeletesTheReplacedKeyAndPropagatesDel()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "old");
        var sink = RecordingSink.AttachTo(h);
        long past = h.Server.NowMs - 3000;
        Assert.Equal("+OK\r\n", Run(h, "RESTORE", "k", past.ToString(System.Globalization.CultureInfo.InvariantCulture), RedisBarPayload, "ABSTTL", "REPLACE"));
        Assert.Equal(":0\r\n", h.Run("EXISTS", "k"));
        Assert.Equal(["0|DEL k"], sink.Ops);
    }

    [Fact]
    public void AnAbsttlInThePastWithNothingReplacedChangesNothing()
    {
        var h = new ServerHarness();
        var sink = RecordingSink.AttachTo(h);
        Assert.Equal("+OK\r\n", Run(h, "RESTORE", "k", "1", RedisBarPayload, "ABSTTL"));
        Assert.Equal(":0\r\n", h.Run("EXISTS", "k"));
        Assert.Empty(sink.Ops);
    }

    [Fact]
    public void ErrorsUseRedisTextsInRedisOrder()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR syntax error\r\n", Run(h, "RESTORE", "k", "0", "...", "invalid-option"));
        Assert.Equal("-ERR Invalid TTL value, must be >= 0\r\n", Run(h, "RESTORE", "k", "-1", RedisBarPayload));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", Run(h, "RESTORE", "k", "x", RedisBarPayload));
        Assert.Equal("-ERR DUMP payload version or checksum are wrong\r\n", Run(h, "RESTORE", "k", "0", "..."));
        Assert.Equal("-ERR Invalid IDLETIME value, must be >= 0\r\n", Run(h, "RESTORE", "k", "0", RedisBarPayload, "IDLETIME", "-1"));
        Assert.Equal("-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n", Run(h, "RESTORE", "k", "0", RedisBarPayload, "FREQ", "256"));
        Assert.Equal("-ERR syntax error\r\n", Run(h, "RESTORE", "k", "0", RedisBarPayload, "FREQ", "1", "IDLETIME", "1"));
        Assert.Equal("-ERR syntax error\r\n", Run(h, "RESTORE", "k", "0", RedisBarPayload, "IDLETIME"));
    }

    [Fact]
    public void AFlippedByteIsAChecksumErrorAndAWrongVersionIsRefused()
    {
        var h = new ServerHarness();
        var flipped = (byte[])RedisBarPayload.Clone();
        flipped[2] ^= 1;
        Assert.Equal("-ERR DUMP payload version or checksum are wrong\r\n", Run(h, "RESTORE", "k", "0", flipped));
        var v11 = (byte[])RedisBarPayload.Clone();
        v11[^10] = 11;
        Assert.Equal("-ERR DUMP payload version or checksum are wrong\r\n", Run(h, "RESTORE", "k", "0", v11));
    }

    [Fact]
    public void AValidFooterOverBadDataIsABadDataFormat()
    {
        var h = new ServerHarness(c => c.EnableDebugCommand = "yes");
        Assert.Equal("+OK\r\n", h.Run("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"));
        var bad = (byte[])RedisBarPayload.Clone();
        bad[1] = 0x3F; // a length far beyond the payload
        Assert.Equal("-ERR Bad data format\r\n", Run(h, "RESTORE", "k", "0", bad));
        bad[0] = 100; // no such type
        Assert.Equal("-ERR Bad data format\r\n", Run(h, "RESTORE", "k", "0", bad));
        var flipped = (byte[])RedisBarPayload.Clone();
        flipped[2] = (byte)'c';
        Assert.Equal("+OK\r\n", Run(h, "RESTORE", "k", "0", flipped));
        Assert.Equal("$3\r\ncar\r\n", h.Run("GET", "k"));
    }

    [Fact]
    public void IdletimeBackdatesTheKeysAccessTime()
    {
        var h = new ServerHarness();
        Run(h, "RESTORE", "k", "0", RedisBarPayload, "IDLETIME", "1000");
        Assert.Equal(":1000\r\n", h.Run("OBJECT", "IDLETIME", "k"));
    }

    [Fact]
    public void RestoreMarksTheDatasetDirtyAndTouchesWatchers()
    {
        var h = new ServerHarness();
        var watcher = h.NewClient();
        h.Run(watcher, "WATCH", "k");
        h.Run(watcher, "MULTI");
        h.Run(watcher, "PING");
        long dirty = h.Server.Dirty;
        Run(h, "RESTORE", "k", "0", RedisBarPayload);
        Assert.Equal(dirty + 1, h.Server.Dirty);
        Assert.Equal("*-1\r\n", h.Run(watcher, "EXEC"));
    }
}
