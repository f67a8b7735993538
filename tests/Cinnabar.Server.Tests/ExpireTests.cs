using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

public class ExpireTests
{
    [Fact]
    public void AKeyLivesUntilItsDeadlineAndIsGoneOneMillisecondAfter()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        h.Run("PEXPIRE", "k", "100");
        h.Time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal("$1\r\nv\r\n", h.Run("GET", "k"));
        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("$-1\r\n", h.Run("GET", "k"));
        Assert.Equal(":0\r\n", h.Run("DBSIZE"));
        Assert.Equal(1, h.Server.Stats.ExpiredKeys);
    }

    [Fact]
    public void TtlRoundsToTheNearestSecondAndPttlIsExact()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        h.Run("PEXPIRE", "k", "2499");
        Assert.Equal(":2\r\n", h.Run("TTL", "k"));
        Assert.Equal(":2499\r\n", h.Run("PTTL", "k"));
        h.Run("PEXPIRE", "k", "2500");
        Assert.Equal(":3\r\n", h.Run("TTL", "k"));
        Assert.Equal($":{h.Time.NowMs + 2500}\r\n", h.Run("PEXPIRETIME", "k"));
        Assert.Equal($":{(h.Time.NowMs + 2500 + 500) / 1000}\r\n", h.Run("EXPIRETIME", "k"));
    }

    [Fact]
    public void EveryExpireFormIsPropagatedAsPexpireatWithAnAbsoluteTime()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        var sink = RecordingSink.AttachTo(h);
        long now = h.Time.NowMs;
        h.Run("EXPIRE", "k", "100");
        h.Run("EXPIREAT", "k", (now / 1000 + 10).ToString(System.Globalization.CultureInfo.InvariantCulture), "LT");
        h.Run("PEXPIRE", "k", "5000", "LT");
        h.Run("PEXPIREAT", "k", (now + 1234).ToString(System.Globalization.CultureInfo.InvariantCulture), "lt");
        Assert.Equal(
        [
            $"0|PEXPIREAT k {now + 100000}",
            $"0|PEXPIREAT k {(now / 1000 + 10) * 1000} LT",
            $"0|PEXPIREAT k {now + 5000} LT",
            $"0|PEXPIREAT k {now + 1234} lt",
        ], sink.Ops);
    }

    [Fact]
    public void ConditionsThatFailAreNotPropagated()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        var sink = RecordingSink.AttachTo(h);
        Assert.Equal(":0\r\n", h.Run("EXPIRE", "k", "100", "XX"));
        Assert.Equal(":0\r\n", h.Run("EXPIRE", "k", "100", "GT"));
        Assert.Equal(":0\r\n", h.Run("EXPIRE", "nokey", "100"));
        Assert.Empty(sink.Ops);
    }

    [Fact]
    public void AnExpireInThePastDeletesTheKeyAndIsPropagatedAsDel()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        var sink = RecordingSink.AttachTo(h);
        Assert.Equal(":1\r\n", h.Run("EXPIRE", "k", "-1"));
        Assert.Equal(":0\r\n", h.Run("EXISTS", "k"));
        Assert.Equal(["0|DEL k"], sink.Ops);
        Assert.Equal(0, h.Server.Stats.ExpiredKeys);
    }

    [Fact]
    public void WithLazyfreeLazyExpireDeletionsArePropagatedAsUnlink()
    {
        var h = new ServerHarness(c => c.LazyFreeLazyExpire = true);
        h.Run("SET", "a", "v");
        h.Run("SET", "b", "v");
        h.Run("PEXPIRE", "b", "1");
        h.Time.Advance(TimeSpan.FromMilliseconds(2));
        var sink = RecordingSink.AttachTo(h);
        h.Run("PEXPIREAT", "a", "1");
        h.Run("GET", "b");
        Assert.Equal(["0|UNLINK a", "0|UNLINK b"], sink.Ops);
    }

    [Fact]
    public void ALazyExpiryInsideAWriteIsPropagatedBeforeTheWriteInOneTransaction()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "old");
        h.Run("PEXPIRE", "k", "1");
        h.Time.Advance(TimeSpan.FromMilliseconds(2));
        var sink = RecordingSink.AttachTo(h);
        Assert.Equal(":0\r\n", h.Run("EXPIRE", "k", "100"));
        h.Run("SET", "k", "new");
        Assert.Equal(["0|DEL k", "0|SET k new"], sink.Ops);
    }

    [Fact]
    public void ScanAndRandomkeyPropagateTheirExpiriesWithoutMultiExec()
    {
        var h = new ServerHarness();
        h.Run("SET", "a", "v");
        h.Run("SET", "b", "v");
        h.Run("PEXPIRE", "a", "1");
        h.Run("PEXPIRE", "b", "1");
        h.Time.Advance(TimeSpan.FromMilliseconds(2));
        var sink = RecordingSink.AttachTo(h);
        h.Run("SCAN", "0");
        Assert.Equal(2, sink.Ops.Count);
        Assert.All(sink.Ops, op => Assert.StartsWith("0|DEL ", op, StringComparison.Ordinal));
    }

    [Fact]
    public void PersistRemovesTheTtlOnce()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        h.Run("EXPIRE", "k", "100");
        Assert.Equal(":1\r\n", h.Run("PERSIST", "k"));
        Assert.Equal(":0\r\n", h.Run("PERSIST", "k"));
        Assert.Equal(":-1\r\n", h.Run("TTL", "k"));
        Assert.Equal(0, h.Server.Databases[0].VolatileCount);
    }

    [Theory]
    [InlineData("EXPIRE", "9223372036854775807", "-ERR invalid expire time in 'expire' command\r\n")]
    [InlineData("EXPIRE", "-9223372036854775808", "-ERR invalid expire time in 'expire' command\r\n")]
    [InlineData("PEXPIRE", "9223372036854775807", "-ERR invalid expire time in 'pexpire' command\r\n")]
    [InlineData("EXPIREAT", "9223372036854775807", "-ERR invalid expire time in 'expireat' command\r\n")]
    [InlineData("PEXPIREAT", "9223372036854775807", ":1\r\n")]
    [InlineData("EXPIRE", "", "-ERR value is not an integer or out of range\r\n")]
    public void ExpireTimesThatOverflowAreRejected(string command, string value, string expected)
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        Assert.Equal(expected, h.Run(command, "k", value));
    }

    [Fact]
    public void OptionsAreCheckedBeforeTheTimeAndConflictsAreNamed()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR Unsupported option foo\r\n", h.Run("EXPIRE", "k", "x", "foo"));
        Assert.Equal("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n", h.Run("EXPIRE", "k", "x", "nx", "lt"));
        Assert.Equal("-ERR GT and LT options at the same time are not compatible\r\n", h.Run("EXPIRE", "k", "x", "gt", "lt"));
        Assert.Equal(":0\r\n", h.Run("EXPIRE", "k", "10", "xx", "xx"));
    }

    [Fact]
    public void AReplicaHidesExpiredKeysButNeverDeletesThem()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        h.Run("PEXPIRE", "k", "1");
        h.Time.Advance(TimeSpan.FromMilliseconds(2));
        h.Server.IsReplica = true;
        var sink = RecordingSink.AttachTo(h);
        Assert.Equal("$-1\r\n", h.Run("GET", "k"));
        Assert.Equal(":-2\r\n", h.Run("TTL", "k"));
        Assert.Equal(":0\r\n", h.Run("EXISTS", "k"));
        Assert.Equal(":1\r\n", h.Run("DBSIZE"));
        Assert.Empty(sink.Ops);

        h.Server.Cron().Tick();
        Assert.Equal(":1\r\n", h.Run("DBSIZE"));
    }

    [Fact]
    public void TheReplicasPrimaryStillSeesKeysItHasNotExpiredYet()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        h.Run("PEXPIRE", "k", "1");
        h.Time.Advance(TimeSpan.FromMilliseconds(2));
        h.Server.IsReplica = true;
        var primary = h.NewClient();
        primary.IsPrimaryLink = true;
        Assert.Equal("$1\r\nv\r\n", h.Run(primary, "GET", "k"));
    }

    [Fact]
    public void AWritableReplicaDeletesAnExpiredKeyItWritesTo()
    {
        var h = new ServerHarness(c => c.ReplicaReadOnly = false);
        h.Run("SET", "k", "v");
        h.Run("PEXPIRE", "k", "1");
        h.Time.Advance(TimeSpan.FromMilliseconds(2));
        h.Server.IsReplica = true;
        Assert.Equal(":0\r\n", h.Run("PERSIST", "k"));
        Assert.Equal(":0\r\n", h.Run("DBSIZE"));
    }

    [Fact]
    public void AnExpireInThePastOnAReplicaKeepsTheKeyButHidesIt()
    {
        var h = new ServerHarness(c => c.ReplicaReadOnly = false);
        h.Run("SET", "k", "v");
        h.Server.IsReplica = true;
        Assert.Equal(":1\r\n", h.Run("PEXPIREAT", "k", "1"));
        Assert.Equal(":1\r\n", h.Run("DBSIZE"));
        Assert.Equal(":0\r\n", h.Run("EXISTS", "k"));
    }

    [Fact]
    public void NoKeyIsDeletedByExpiryWhileClientsArePaused()
    {
        var h = new ServerHarness();
        h.Run("SET", "a", "x", "PX", "10");
        h.Run("SET", "b", "x", "PX", "10");
        h.Run("CLIENT", "PAUSE", "50000", "WRITE");
        h.Time.Advance(TimeSpan.FromMilliseconds(11));
        lock (h.Server.Gate)
        {
            h.Server.ActiveExpiry.Cycle(fast: false);
        }

        // Reads see the keys as gone, but nothing was deleted (or propagated) yet.
        Assert.Equal("$-1\r\n", h.Run("GET", "a"));
        Assert.Equal(2, h.Server.Databases[0].Count);
        Assert.Equal(0, h.Server.Stats.ExpiredKeys);

        h.Run("CLIENT", "UNPAUSE");
        Assert.Equal("$-1\r\n", h.Run("GET", "a"));
        Assert.Equal(1, h.Server.Stats.ExpiredKeys);
        lock (h.Server.Gate)
        {
            h.Server.ActiveExpiry.Cycle(fast: false);
        }

        Assert.Equal(0, h.Server.Databases[0].Count);
        Assert.Equal(2, h.Server.Stats.ExpiredKeys);
    }

    [Fact]
    public void TheActiveCycleRemovesExpiredKeysNobodyReads()
    {
        var h = new ServerHarness();
        for (int i = 0; i < 1000; i++)
        {
            h.Run("SET", "v" + i, "x");
            h.Run("PEXPIRE", "v" + i, "100");
            h.Run("SET", "p" + i, "x");
        }

        h.Time.Advance(TimeSpan.FromMilliseconds(101));
        var sink = RecordingSink.AttachTo(h);
        for (int round = 0; round < 100 && h.Server.Databases[0].Count > 1000; round++)
        {
            lock (h.Server.Gate)
            {
                h.Server.ActiveExpiry.Cycle(fast: false);
            }
        }

        Assert.Equal(1000, h.Server.Databases[0].Count);
        Assert.Equal(0, h.Server.Databases[0].VolatileCount);
        Assert.Equal(1000, h.Server.Stats.ExpiredKeys);
        Assert.Equal(1000, sink.Ops.Count);
        Assert.All(sink.Ops, op => Assert.StartsWith("0|DEL v", op, StringComparison.Ordinal));
    }

    [Fact]
    public void TheActiveCycleEstimatesTheAverageTtl()
    {
        var h = new ServerHarness();
        for (int i = 0; i < 50; i++)
        {
            h.Run("SET", "k" + i, "x");
            h.Run("PEXPIRE", "k" + i, "10000");
        }

        lock (h.Server.Gate)
        {
            h.Server.ActiveExpiry.Cycle(fast: false);
        }

        long avg = h.Server.Databases[0].AverageTtl;
        Assert.InRange(avg, 9000, 10000);
    }

    [Fact]
    public void AnEmptiedDatabaseReportsNoAverageTtl()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "x");
        h.Run("PEXPIRE", "k", "10000");
        lock (h.Server.Gate)
        {
            h.Server.ActiveExpiry.Cycle(fast: false);
        }

        h.Run("PERSIST", "k");
        lock (h.Server.Gate)
        {
            h.Server.ActiveExpiry.Cycle(fast: false);
        }

        Assert.Equal(0, h.Server.Databases[0].AverageTtl);
    }

    [Fact]
    public void DisablingActiveExpiryLeavesExpiredKeysForLazyExpiry()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "x");
        h.Run("PEXPIRE", "k", "1");
        h.Time.Advance(TimeSpan.FromMilliseconds(2));
        h.Server.ActiveExpireEnabled = false;
        h.Server.Cron().Tick();
        Assert.Equal(":1\r\n", h.Run("DBSIZE"));
        h.Server.ActiveExpireEnabled = true;
        h.Server.Cron().Tick();
        Assert.Equal(":0\r\n", h.Run("DBSIZE"));
    }

    [Fact]
    public void TheFastCycleDoesNothingUnlessTheLastCycleRanOutOfTime()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "x");
        h.Run("PEXPIRE", "k", "1");
        h.Time.Advance(TimeSpan.FromMilliseconds(2));
        lock (h.Server.Gate)
        {
            h.Server.ActiveExpiry.BeforeSleep();
        }

        Assert.Equal(":1\r\n", h.Run("DBSIZE"));
    }
}
