using Cinnabar.Server.Storage;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

public class KeyCommandTests
{
    [Fact]
    public void ScanOfASingleKeyReturnsItAndCursorZero()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        Assert.Equal("*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n", h.Run("SCAN", "0"));
    }

    [Fact]
    public void ScanVisitsEveryKeyExactlyOnceAcrossCalls()
    {
        var h = new ServerHarness();
        for (int i = 0; i < 500; i++)
        {
            h.Run("SET", "key:" + i, "v");
        }

        var seen = new HashSet<string>();
        string cursor = "0";
        do
        {
            var reply = h.Run("SCAN", cursor, "COUNT", "7");
            var lines = reply.Split("\r\n");
            cursor = lines[2];
            for (int i = 5; i < lines.Length; i += 2)
            {
                seen.Add(lines[i]);
            }
        }
        while (cursor != "0");

        Assert.Equal(500, seen.Count);
    }

    [Fact]
    public void ScanReturnsEveryKeyThatExistsForTheWholeScanDespiteWritesAndResizes()
    {
        var h = new ServerHarness();
        for (int i = 0; i < 300; i++)
        {
            h.Run("SET", "stable:" + i, "v");
        }

        var seen = new HashSet<string>();
        string cursor = "0";
        int step = 0;
        do
        {
            var lines = h.Run("SCAN", cursor, "COUNT", "5").Split("\r\n");
            cursor = lines[2];
            for (int i = 5; i < lines.Length; i += 2)
            {
                seen.Add(lines[i]);
            }

            // Grow the table, then shrink it again, while the scan is in progress.
            for (int i = 0; i < 40; i++)
            {
                h.Run("SET", $"churn:{step}:{i}", "v");
            }

            if (step % 3 == 2)
            {
                h.Run("KEYS", "nothing");
                foreach (var line in h.Run("KEYS", "churn:*").Split("\r\n").Where(l => l.StartsWith("churn:", StringComparison.Ordinal)))
                {
                    h.Run("DEL", line);
                }

                lock (h.Server.Gate)
                {
                    h.Server.Databases[0].Table.ShrinkIfNeeded();
                }
            }

            step++;
        }
        while (cursor != "0");

        for (int i = 0; i < 300; i++)
        {
            Assert.Contains("stable:" + i, seen);
        }
    }

    [Fact]
    public void ScanMatchAndTypeFilterTheReturnedKeys()
    {
        var h = new ServerHarness();
        h.Run("SET", "foo", "1");
        h.Run("SET", "bar", "1");
        Assert.Equal("*2\r\n$1\r\n0\r\n*1\r\n$3\r\nfoo\r\n", h.Run("SCAN", "0", "MATCH", "f*", "COUNT", "100"));
        Assert.Equal("*2\r\n$1\r\n0\r\n*0\r\n", h.Run("SCAN", "0", "TYPE", "list", "COUNT", "100"));
    }

    [Fact]
    public void ScanDeletesExpiredKeysInsteadOfReturningThem()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        h.Run("PEXPIRE", "k", "10");
        h.Time.Advance(TimeSpan.FromMilliseconds(11));
        Assert.Equal("*2\r\n$1\r\n0\r\n*0\r\n", h.Run("SCAN", "0"));
        Assert.Equal(":0\r\n", h.Run("DBSIZE"));
    }

    [Theory]
    [InlineData("", 0UL)]
    [InlineData("+7", 7UL)]
    [InlineData("-1", ulong.MaxValue)]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    public void ScanCursorsParseLikeStrtoul(string text, ulong expected)
    {
        Assert.True(Commands.ScanCommands.TryParseCursor(System.Text.Encoding.ASCII.GetBytes(text), out var cursor));
        Assert.Equal(expected, cursor);
    }

    [Theory]
    [InlineData(" 0")]
    [InlineData("-")]
    [InlineData("1x")]
    [InlineData("18446744073709551616")]
    public void InvalidScanCursorsAreRejected(string text)
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR invalid cursor\r\n", h.Run("SCAN", text));
    }

    [Fact]
    public void KeysSkipsLogicallyExpiredKeysWithoutDeletingThem()
    {
        var h = new ServerHarness();
        h.Run("SET", "a", "1");
        h.Run("SET", "b", "1");
        h.Run("PEXPIRE", "b", "5");
        h.Time.Advance(TimeSpan.FromMilliseconds(6));
        Assert.Equal("*1\r\n$1\r\na\r\n", h.Run("KEYS", "*"));
        Assert.Equal(":2\r\n", h.Run("DBSIZE"));
    }

    [Fact]
    public void RenameMovesTheValueAndKeepsTheTtl()
    {
        var h = new ServerHarness();
        h.Run("SET", "a", "hello");
        h.Run("EXPIRE", "a", "100");
        Assert.Equal("+OK\r\n", h.Run("RENAME", "a", "b"));
        Assert.Equal("$5\r\nhello\r\n", h.Run("GET", "b"));
        Assert.Equal(":100\r\n", h.Run("TTL", "b"));
        Assert.Equal(":-2\r\n", h.Run("TTL", "a"));
        Assert.Equal(1, h.Server.Databases[0].VolatileCount);
    }

    [Fact]
    public void RenameOverAVolatileKeyLeavesTheVolatileCountRight()
    {
        var h = new ServerHarness();
        h.Run("SET", "a", "1");
        h.Run("SET", "b", "2");
        h.Run("EXPIRE", "b", "100");
        h.Run("RENAME", "a", "b");
        Assert.Equal(":-1\r\n", h.Run("TTL", "b"));
        Assert.Equal(0, h.Server.Databases[0].VolatileCount);
    }

    [Fact]
    public void RenameOfAKeyToItselfIsNotPropagated()
    {
        var h = new ServerHarness();
        h.Run("SET", "a", "1");
        var sink = RecordingSink.AttachTo(h);
        Assert.Equal("+OK\r\n", h.Run("RENAME", "a", "a"));
        Assert.Equal(":0\r\n", h.Run("RENAMENX", "a", "a"));
        Assert.Empty(sink.Ops);
    }

    [Fact]
    public void MoveAndCopyCarryTheTtlToTheOtherDatabase()
    {
        var h = new ServerHarness();
        h.Run("SET", "a", "1");
        h.Run("EXPIRE", "a", "100");
        Assert.Equal(":1\r\n", h.Run("COPY", "a", "c", "DB", "2"));
        Assert.Equal(":1\r\n", h.Run("MOVE", "a", "1"));
        Assert.Equal(":0\r\n", h.Run("EXISTS", "a"));
        h.Run("SELECT", "1");
        Assert.Equal(":100\r\n", h.Run("TTL", "a"));
        h.Run("SELECT", "2");
        Assert.Equal(":100\r\n", h.Run("TTL", "c"));
        Assert.Equal(0, h.Server.Databases[0].VolatileCount);
        Assert.Equal(1, h.Server.Databases[1].VolatileCount);
        Assert.Equal(1, h.Server.Databases[2].VolatileCount);
    }

    [Fact]
    public void CopyMakesAnIndependentValue()
    {
        var h = new ServerHarness();
        h.Run("SET", "a", "1");
        h.Run("COPY", "a", "b");
        h.Run("SET", "a", "2");
        Assert.Equal("$1\r\n1\r\n", h.Run("GET", "b"));
    }

    [Fact]
    public void SwapDbExchangesContentsAndInvalidatesWatchers()
    {
        var h = new ServerHarness();
        h.Run("SET", "x", "0");
        h.Run("SELECT", "1");
        h.Run("SET", "x", "1");
        h.Run("SELECT", "0");
        h.Run("WATCH", "x");
        Assert.Equal("+OK\r\n", h.Run("SWAPDB", "0", "1"));
        Assert.Equal("$1\r\n1\r\n", h.Run("GET", "x"));
        h.Run("MULTI");
        h.Run("PING");
        Assert.Equal("*-1\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void FlushDbOfAnEmptyDatabaseIsStillPropagated()
    {
        var h = new ServerHarness();
        var sink = RecordingSink.AttachTo(h);
        Assert.Equal("+OK\r\n", h.Run("FLUSHDB"));
        Assert.Equal("+OK\r\n", h.Run("FLUSHALL", "ASYNC"));
        Assert.Equal(["0|FLUSHDB", "0|FLUSHALL ASYNC"], sink.Ops);
    }

    [Fact]
    public void FlushAllCountsOneChangePerRemovedKey()
    {
        var h = new ServerHarness();
        h.Run("SET", "a", "1");
        h.Run("SELECT", "3");
        h.Run("SET", "b", "1");
        long before = h.Server.Dirty;
        h.Run("FLUSHALL");
        // One change per removed key, as redis-server 7.0.15 counts them.
        Assert.Equal(before + 2, h.Server.Dirty);
    }

    [Fact]
    public void FlushDbInvalidatesWatchersOfExistingKeysOnly()
    {
        var h = new ServerHarness();
        var other = h.NewClient();
        h.Run("SET", "x", "1");
        h.Run(other, "WATCH", "nokey");
        h.Run("WATCH", "x");
        h.Run("FLUSHDB");
        h.Run("MULTI");
        Assert.Equal("*-1\r\n", h.Run("EXEC"));
        h.Run(other, "MULTI");
        Assert.Equal("*0\r\n", h.Run(other, "EXEC"));
    }

    [Fact]
    public void ObjectIdleTimeFollowsTheClockAndTouchResetsIt()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        h.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(":30\r\n", h.Run("OBJECT", "IDLETIME", "k"));
        Assert.Equal(":-1\r\n", h.Run("TTL", "k"));
        Assert.Equal(":30\r\n", h.Run("OBJECT", "IDLETIME", "k"));
        Assert.Equal(":1\r\n", h.Run("TOUCH", "k", "nokey"));
        Assert.Equal(":0\r\n", h.Run("OBJECT", "IDLETIME", "k"));
    }

    [Fact]
    public void NotouchLookupsStillCountHitsAndMissesLikeRedis()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        h.Run("EXISTS", "k", "nokey");
        h.Run("TYPE", "k");
        h.Run("TTL", "nokey");
        h.Run("DEL", "nokey");
        Assert.Equal(2, h.Server.Stats.KeyspaceHits);
        Assert.Equal(2, h.Server.Stats.KeyspaceMisses);
    }

    [Fact]
    public void ObjectSubcommandsAnswerNullForMissingKeys()
    {
        var h = new ServerHarness();
        Assert.Equal("$-1\r\n", h.Run("OBJECT", "ENCODING", "nokey"));
        Assert.Equal("$-1\r\n", h.Run("OBJECT", "FREQ", "nokey"));
        h.Run("SET", "n", "12");
        Assert.Equal("$3\r\nint\r\n", h.Run("OBJECT", "ENCODING", "n"));
        Assert.Equal(":2147483647\r\n", h.Run("OBJECT", "REFCOUNT", "n"));
        Assert.StartsWith("-ERR An LFU maxmemory policy is not selected", h.Run("OBJECT", "FREQ", "n"), StringComparison.Ordinal);
    }

    [Fact]
    public void DelOfAnExpiredKeyPropagatesTheExpiryAndCountsNothing()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        h.Run("PEXPIRE", "k", "1");
        h.Time.Advance(TimeSpan.FromMilliseconds(2));
        var sink = RecordingSink.AttachTo(h);
        Assert.Equal(":0\r\n", h.Run("DEL", "k"));
        Assert.Equal(["0|DEL k"], sink.Ops);
        Assert.Equal(1, h.Server.Stats.ExpiredKeys);
    }

    [Fact]
    public void RandomKeyNeverReturnsAnExpiredKeyOnAPrimary()
    {
        var h = new ServerHarness();
        h.Run("SET", "live", "1");
        for (int i = 0; i < 20; i++)
        {
            h.Run("SET", "dead" + i, "1");
            h.Run("PEXPIRE", "dead" + i, "1");
        }

        h.Time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal("$4\r\nlive\r\n", h.Run("RANDOMKEY"));
    }

    [Fact]
    public void RandomKeyOnAReplicaWhoseKeysAllExpiredStillTerminates()
    {
        var h = new ServerHarness();
        h.Run("SET", "a", "1");
        h.Run("PEXPIRE", "a", "1");
        h.Time.Advance(TimeSpan.FromMilliseconds(5));
        h.Server.IsReplica = true;
        Assert.Equal("$1\r\na\r\n", h.Run("RANDOMKEY"));
    }

    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("h?llo", "hello", true)]
    [InlineData("h?llo", "hllo", false)]
    [InlineData("h*llo", "heeeello", true)]
    [InlineData("h[ae]llo", "hallo", true)]
    [InlineData("h[ae]llo", "hillo", false)]
    [InlineData("h[^e]llo", "hallo", true)]
    [InlineData("h[^e]llo", "hello", false)]
    [InlineData("h[a-b]llo", "hbllo", true)]
    [InlineData("h[b-a]llo", "hallo", true)]
    [InlineData("h\\*llo", "h*llo", true)]
    [InlineData("h\\*llo", "hello", false)]
    [InlineData("[\\]]", "]", true)]
    [InlineData("a[", "ab", false)]
    [InlineData("a[bc", "ab", true)]
    [InlineData("*a*b", "xaxxb", true)]
    [InlineData("a**", "a", true)]
    [InlineData("a\\", "a\\", true)]
    [InlineData("", "", true)]
    [InlineData("a*", "", false)]
    [InlineData("*", "", false)]
    public void GlobPatternsMatchLikeRedisStringmatchlen(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, GlobPattern.IsMatch(System.Text.Encoding.Latin1.GetBytes(pattern), System.Text.Encoding.Latin1.GetBytes(text)));
    }

    [Fact]
    public void PathologicalGlobPatternsFinishQuickly()
    {
        var pattern = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a*", 30)) + "b");
        var text = System.Text.Encoding.ASCII.GetBytes(new string('a', 60));
        Assert.False(GlobPattern.IsMatch(pattern, text));
    }
}
