using System.Text;

using Cinnabar.Server.Diagnostics;
using Cinnabar.Server.Networking;
using Cinnabar.Server.Persistence.Rdb;
using Cinnabar.Server.Storage.Types;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

/// <summary>Sorted sets through the dispatcher: replies, propagation, blocking pops, encodings and RDB round trips.</summary>
public class ZSetCommandTests
{
    private static string Pending(ClientSession c)
    {
        var s = Encoding.Latin1.GetString(c.Output.WrittenSpan);
        c.Output.Clear();
        return s;
    }

    [Fact]
    public void ACompactSetKeepsItsKeyThroughRenameMoveCopyDumpAndScan()
    {
        var h = new ServerHarness();
        string longKey = new('k', 300);
        h.Run("ZADD", longKey, "1", "a", "2", "b");
        Assert.Equal("+OK\r\n", h.Run("RENAME", longKey, "z"));
        Assert.Equal(":0\r\n", h.Run("EXISTS", longKey));
        Assert.Equal("*2\r\n$1\r\na\r\n$1\r\nb\r\n", h.Run("ZRANGE", "z", "0", "-1"));
        Assert.Equal(":1\r\n", h.Run("COPY", "z", longKey));
        Assert.Equal(":1\r\n", h.Run("ZADD", longKey, "3", "c"));
        Assert.Equal(":2\r\n", h.Run("ZCARD", "z"));
        Assert.Equal(":3\r\n", h.Run("ZCARD", longKey));
        Assert.Equal("$8\r\nlistpack\r\n", h.Run("OBJECT", "ENCODING", longKey));
        Assert.Contains($"$300\r\n{longKey}\r\n", h.Run("KEYS", "*"), StringComparison.Ordinal);
        var dump = h.Run("DUMP", longKey);
        var payload = Encoding.Latin1.GetBytes(dump[(dump.IndexOf('\n', StringComparison.Ordinal) + 1)..^2]);
        h.Client.Output.Clear();
        lock (h.Server.Gate)
        {
            h.Server.Dispatcher.Process(h.Client, Cinnabar.Protocol.CommandArgs.From("RESTORE"u8.ToArray(), "restored"u8.ToArray(), "0"u8.ToArray(), payload));
        }

        Assert.Equal("+OK\r\n", Pending(h.Client));
        Assert.Equal(h.Run("ZRANGE", longKey, "0", "-1", "WITHSCORES"), h.Run("ZRANGE", "restored", "0", "-1", "WITHSCORES"));
        Assert.Equal(":1\r\n", h.Run("MOVE", longKey, "1"));
        h.Run("SELECT", "1");
        Assert.Equal(":3\r\n", h.Run("ZCARD", longKey));
        Assert.Equal(":1\r\n", h.Run("DEL", longKey));
        Assert.Equal(":0\r\n", h.Run("DBSIZE"));
    }

    [Fact]
    public void ZaddRepliesAndScoresAreFormattedLikeRedis()
    {
        var h = new ServerHarness();
        Assert.Equal(":3\r\n", h.Run("ZADD", "z", "1", "a", "2.5", "b", "inf", "c"));
        Assert.Equal("$3\r\n2.5\r\n", h.Run("ZSCORE", "z", "b"));
        Assert.Equal("$3\r\ninf\r\n", h.Run("ZSCORE", "z", "c"));
        Assert.Equal("$3\r\n3.5\r\n", h.Run("ZINCRBY", "z", "1", "b"));
        Assert.Equal("-ERR resulting score is not a number (NaN)\r\n", h.Run("ZINCRBY", "z", "-inf", "c"));
        Assert.Equal("-ERR XX and NX options at the same time are not compatible\r\n", h.Run("ZADD", "z", "NX", "XX", "1", "a"));
        Assert.Equal("-ERR GT, LT, and/or NX options at the same time are not compatible\r\n", h.Run("ZADD", "z", "GT", "LT", "1", "a"));
        Assert.Equal("-ERR value is not a valid float\r\n", h.Run("ZADD", "z", "x", "a"));
        Assert.Equal(":3\r\n", h.Run("ZADD", "z", "CH", "5", "a", "1", "b", "3.5", "c"));
        Assert.Equal("*4\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\nc\r\n$3\r\n3.5\r\n", h.Run("ZRANGE", "z", "0", "1", "WITHSCORES"));
        h.Run("SET", "s", "x");
        Assert.StartsWith("-WRONGTYPE", h.Run("ZADD", "s", "1", "a"), StringComparison.Ordinal);
        Assert.StartsWith("-WRONGTYPE", h.Run("ZRANGE", "s", "0", "1"), StringComparison.Ordinal);
        Assert.Equal("+zset\r\n", h.Run("TYPE", "z"));
    }

    [Fact]
    public void PopsArePropagatedAsZpopWithTheCountThatWasPopped()
    {
        var h = new ServerHarness();
        var sink = RecordingSink.AttachTo(h);
        h.Run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d");
        h.Run("ZPOPMIN", "z");
        h.Run("ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "2");
        h.Run("BZPOPMAX", "z", "0");
        h.Run("ZADD", "y", "1", "a");
        h.Run("BZMPOP", "0", "1", "y", "MIN", "COUNT", "10");
        h.Run("ZMPOP", "1", "nokey", "MIN");
        Assert.Equal(["0|ZADD z 1 a 2 b 3 c 4 d", "0|ZPOPMIN z", "0|ZPOPMAX z 2", "0|ZPOPMAX z", "0|ZADD y 1 a", "0|ZPOPMIN y 1"], sink.Ops);
        Assert.Equal(":0\r\n", h.Run("EXISTS", "z", "y"));
    }

    [Fact]
    public void ZrandmemberIsNotPropagatedAndStoreFormsAreVerbatim()
    {
        var h = new ServerHarness();
        var sink = RecordingSink.AttachTo(h);
        h.Run("ZADD", "z", "1", "a", "2", "b");
        h.Run("ZRANDMEMBER", "z", "-5", "WITHSCORES");
        h.Run("ZUNIONSTORE", "u", "1", "z");
        h.Run("ZRANGESTORE", "r", "z", "0", "0");
        h.Run("ZINTERSTORE", "u", "1", "nokey");
        h.Run("ZINTERSTORE", "u", "1", "nokey");
        Assert.Equal(["0|ZADD z 1 a 2 b", "0|ZUNIONSTORE u 1 z", "0|ZRANGESTORE r z 0 0", "0|ZINTERSTORE u 1 nokey"], sink.Ops);
    }

    [Fact]
    public void ABlockedBzpopminIsServedByZaddAndPropagatedAsZpopminAfterIt()
    {
        var h = new ServerHarness();
        var sink = RecordingSink.AttachTo(h);
        var first = h.NewClient();
        var second = h.NewClient();
        Assert.Equal(string.Empty, h.Run(first, "BZPOPMIN", "z", "0"));
        Assert.Equal(string.Empty, h.Run(second, "BZMPOP", "0", "1", "z", "MAX", "COUNT", "5"));
        Assert.True(first.Blocked && second.Blocked);
        h.Run("ZADD", "z", "1", "a", "2", "b", "3", "c");
        Assert.Equal("*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n", Pending(first));
        Assert.Equal("*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n", Pending(second));
        Assert.Equal(["0|ZADD z 1 a 2 b 3 c", "0|ZPOPMIN z", "0|ZPOPMAX z 2"], sink.Ops);
        Assert.Equal(":0\r\n", h.Run("EXISTS", "z"));
    }

    [Fact]
    public void ASortedSetWaiterIsNotServedByAListAndTimesOutOnTheClock()
    {
        var h = new ServerHarness();
        var waiter = h.NewClient();
        h.Run(waiter, "BZPOPMAX", "k", "2");
        h.Run("RPUSH", "k", "v");
        Assert.True(waiter.Blocked);
        h.Time.Advance(TimeSpan.FromMilliseconds(2100));
        h.Server.Cron().Tick();
        Assert.False(waiter.Blocked);
        Assert.Equal("*-1\r\n", Pending(waiter));
        Assert.Equal("-ERR timeout is negative\r\n", h.Run("BZPOPMIN", "k", "-1"));
        Assert.Equal("-ERR numkeys should be greater than 0\r\n", h.Run("BZMPOP", "0", "0", "k", "MIN"));
    }

    [Fact]
    public void InsideMultiABlockingPopAnswersNullAtOnce()
    {
        var h = new ServerHarness();
        h.Run("MULTI");
        h.Run("BZPOPMIN", "empty", "0");
        h.Run("BZMPOP", "0", "1", "empty", "MIN");
        Assert.Equal("*2\r\n*-1\r\n*-1\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void EncodingsFollowTheConfiguredLimitsIncludingTheZiplistAliases()
    {
        var h = new ServerHarness();
        Assert.Equal("+OK\r\n", h.Run("CONFIG", "SET", "zset-max-ziplist-entries", "2"));
        h.Run("ZADD", "z", "1", "a", "2", "b");
        Assert.Equal("$8\r\nlistpack\r\n", h.Run("OBJECT", "ENCODING", "z"));
        h.Run("ZADD", "z", "3", "c");
        Assert.Equal("$8\r\nskiplist\r\n", h.Run("OBJECT", "ENCODING", "z"));
        h.Run("ZREM", "z", "c");
        Assert.Equal("$8\r\nskiplist\r\n", h.Run("OBJECT", "ENCODING", "z"));
        h.Run("ZUNIONSTORE", "u", "1", "z");
        Assert.Equal("$8\r\nlistpack\r\n", h.Run("OBJECT", "ENCODING", "u"));
        h.Run("CONFIG", "SET", "zset-max-listpack-value", "3");
        h.Run("ZADD", "long", "1", "abcd");
        Assert.Equal("$8\r\nskiplist\r\n", h.Run("OBJECT", "ENCODING", "long"));
        Assert.Equal("*2\r\n$23\r\nzset-max-listpack-value\r\n$1\r\n3\r\n", h.Run("CONFIG", "GET", "zset-max-listpack-value"));
    }

    [Fact]
    public void SortedSetsOfBothEncodingsSurviveRdbAndDumpRoundTripsWithTheSameDigest()
    {
        var h = new ServerHarness();
        h.Run("ZADD", "small", "1", "a", "-0", "b", "0.1", "c", "inf", "d", "1e17", "e");
        var big = new List<string> { "ZADD", "big" };
        for (int i = 0; i < 500; i++)
        {
            big.Add((i / 3.0).ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            big.Add("m" + i);
        }

        h.Run([.. big]);
        h.Run("ZADD", "ttl", "1", "x");
        h.Run("PEXPIRE", "ttl", "100000");
        using var ms = new MemoryStream();
        new RdbWriter(ms).WriteSnapshot(h.Server.Databases, RdbWriter.StandardAux(0, 0), 0);
        var loaded = RdbReader.Load(ms.ToArray(), new RdbLoadOptions { DatabaseCount = 16 });
        Assert.Equal(Digest.Dataset(h.Server.Databases), Digest.Dataset(loaded.Databases));
        Assert.True(((ZSetValue)loaded.Databases[0].FindRaw("small"u8).Data!).IsListpack);
        Assert.False(((ZSetValue)loaded.Databases[0].FindRaw("big"u8).Data!).IsListpack);

        var dump = h.Run("DUMP", "big");
        Assert.StartsWith("$", dump, StringComparison.Ordinal);
        string digest = h.Run("DEBUG", "DIGEST-VALUE", "big");
        h.Run("COPY", "big", "copy");
        Assert.Equal(digest, h.Run("DEBUG", "DIGEST-VALUE", "copy"));
        Assert.Matches("^:[0-9]+\r\n$", h.Run("MEMORY", "USAGE", "big"));
    }

    [Fact]
    public void RestoreConvertsToTheEncodingTheCurrentLimitsAsk()
    {
        var h = new ServerHarness();
        h.Run("ZADD", "z", "1", "a", "2", "b", "3", "c");
        var dump = h.Run("DUMP", "z");
        var payload = Encoding.Latin1.GetBytes(dump[(dump.IndexOf('\n', StringComparison.Ordinal) + 1)..^2]);
        h.Run("CONFIG", "SET", "zset-max-listpack-entries", "2");
        h.Client.Output.Clear();
        lock (h.Server.Gate)
        {
            h.Server.Dispatcher.Process(h.Client, Cinnabar.Protocol.CommandArgs.From("RESTORE"u8.ToArray(), "r"u8.ToArray(), "0"u8.ToArray(), payload));
        }

        Assert.Equal("+OK\r\n", Pending(h.Client));
        Assert.Equal("$8\r\nskiplist\r\n", h.Run("OBJECT", "ENCODING", "r"));
    }

    [Fact]
    public void ConvertingBetweenEncodingsKeepsTheDigest()
    {
        var h = new ServerHarness();
        h.Run("ZADD", "z", "1", "a", "2.5", "b", "-3", "c");
        string listpack = h.Run("DEBUG", "DIGEST-VALUE", "z");
        ((ZSetValue)h.Server.Databases[0].FindRaw("z"u8).Data!).ConvertToSkiplist();
        Assert.Equal("$8\r\nskiplist\r\n", h.Run("OBJECT", "ENCODING", "z"));
        Assert.Equal(listpack, h.Run("DEBUG", "DIGEST-VALUE", "z"));
    }

    [Fact]
    public void ZscanOverASkiplistReturnsEveryMemberOnceAcrossCursors()
    {
        var h = new ServerHarness();
        var args = new List<string> { "ZADD", "z" };
        for (int i = 0; i < 300; i++)
        {
            args.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            args.Add("m" + i);
        }

        h.Run([.. args]);
        var seen = new List<string>();
        string cursor = "0";
        do
        {
            var lines = h.Run("ZSCAN", "z", cursor, "COUNT", "7").Split("\r\n");
            cursor = lines[2];
            for (int i = 5; i < lines.Length - 1; i += 4)
            {
                seen.Add(lines[i]);
            }
        }
        while (cursor != "0");

        Assert.Equal(300, seen.Count);
        Assert.Equal(300, seen.Distinct().Count());
    }

    [Theory]
    [InlineData("128")]
    [InlineData("0")]
    public void ZrandmemberHonoursCountSignAndUniqueness(string entries)
    {
        var h = new ServerHarness();
        h.Run("CONFIG", "SET", "zset-max-listpack-entries", entries);
        h.Run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f", "7", "g", "8", "h", "9", "i", "10", "j");
        foreach (int count in new[] { 1, 2, 3, 9, 10, 15 })
        {
            var lines = h.Run("ZRANDMEMBER", "z", count.ToString(System.Globalization.CultureInfo.InvariantCulture)).Split("\r\n");
            var members = lines.Where((_, i) => i % 2 == 0 && i > 0).Take(Math.Min(count, 10)).ToList();
            Assert.Equal("*" + Math.Min(count, 10), lines[0]);
            Assert.Equal(members.Count, members.Distinct().Count());
        }

        Assert.StartsWith("*40\r\n", h.Run("ZRANDMEMBER", "z", "-20", "WITHSCORES"), StringComparison.Ordinal);
        Assert.Equal("*0\r\n", h.Run("ZRANDMEMBER", "z", "0"));
        Assert.Matches("^\\$1\r\n[a-j]\r\n$", h.Run("ZRANDMEMBER", "z"));
    }

    [Fact]
    public void RangeCommandsAgreeAcrossEncodings()
    {
        foreach (string entries in new[] { "128", "0" })
        {
            var h = new ServerHarness();
            h.Run("CONFIG", "SET", "zset-max-listpack-entries", entries);
            h.Run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
            Assert.Equal("*2\r\n$1\r\nc\r\n$1\r\nb\r\n", h.Run("ZREVRANGEBYSCORE", "z", "(5", "2", "LIMIT", "1", "2"));
            Assert.Equal("*2\r\n$1\r\nb\r\n$1\r\nc\r\n", h.Run("ZRANGE", "z", "(1", "3", "BYSCORE"));
            Assert.Equal(":3\r\n", h.Run("ZCOUNT", "z", "2", "4"));
            Assert.Equal(":2\r\n", h.Run("ZREMRANGEBYSCORE", "z", "(3", "+inf"));
            Assert.Equal(":1\r\n", h.Run("ZREVRANK", "z", "b"));
            Assert.Equal("*3\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n", h.Run("ZRANGE", "z", "0", "-1", "REV"));
        }
    }
}
