// REPLCONF, PSYNC, SYNC and WAIT replies compared byte for byte with a real redis-server 7.0.15
// primary: error texts, the options that answer nothing, and the checks SYNC/PSYNC make first.
using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class ReplicationDifferentialTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public ReplicationDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public Task ReplconfErrorsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["REPLCONF"],
        ["REPLCONF", "listening-port"],
        ["REPLCONF", "foo", "bar"],
        ["REPLCONF", "listening-port", "abc"],
        ["REPLCONF", "listening-port", "6380", "capa", "eof", "capa", "psync2", "capa", "unknown"],
        ["REPLCONF", "ip-address", new string('x', 255)],
        ["REPLCONF", "ip-address", new string('x', 256)],
        ["REPLCONF", "rdb-only", "2"],
        ["REPLCONF", "rdb-only", "x"],
        ["REPLCONF", "rdb-only", "0"],
        ["REPLCONF", "rdb-filter-only", "functions"],
        ["REPLCONF", "rdb-filter-only", "keys"],
        ["REPLCONF", "listening-port", "1", "bogus", "2"]);

    [Fact]
    public async Task ReplconfAckAndGetackFromAClientAnswerNothing()
    {
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        foreach (var conn in new[] { r, c })
        {
            await conn.SendRawAsync(RawConnection.Encode("REPLCONF"u8.ToArray(), "ACK"u8.ToArray(), "100"u8.ToArray()));
            await conn.SendRawAsync(RawConnection.Encode("REPLCONF"u8.ToArray(), "ack"u8.ToArray(), "notanumber"u8.ToArray()));
            await conn.SendRawAsync(RawConnection.Encode("REPLCONF"u8.ToArray(), "GETACK"u8.ToArray(), "*"u8.ToArray()));
        }

        Assert.Equal(await r.CommandAsync("PING"), await c.CommandAsync("PING"));
    }

    [Fact]
    public Task PsyncSyncAndWaitErrorsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["PSYNC", "x"],
        ["PSYNC", "?", "notanumber"],
        ["PSYNC", "?", "-1", "FAILOVER"],
        ["SYNC", "extra"],
        ["WAIT", "a", "0"],
        ["WAIT", "0", "-1"],
        ["WAIT", "0", "x"],
        ["WAIT", "0", "0"],
        ["WAIT", "1", "1"],
        ["WAIT", "1"],
        ["MULTI"],
        ["SYNC"],
        ["PSYNC", "?", "-1"],
        ["WAIT", "0", "0"],
        ["EXEC"]);

    [Fact]
    public Task MinReplicasToWriteRefusesWritesWithoutGoodReplicasAsInRedis() => _pair.AssertSameRepliesAsync(
        ["CONFIG", "SET", "min-replicas-to-write", "1"],
        ["SET", "k", "v"],
        ["GET", "k"],
        ["MULTI"],
        ["SET", "k", "v"],
        ["EXEC"],
        ["CONFIG", "SET", "min-replicas-max-lag", "0"],
        ["SET", "k", "v"],
        ["CONFIG", "SET", "min-replicas-max-lag", "10"],
        ["CONFIG", "SET", "min-replicas-to-write", "0"],
        ["SET", "k", "v"]);

    [Fact]
    public async Task SyncWithPendingOutputIsRefusedAsInRedis()
    {
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        var pipelined = "PING\r\nPSYNC ? -1\r\n"u8.ToArray();
        await r.SendRawAsync(pipelined);
        await c.SendRawAsync(pipelined);
        Assert.Equal(await r.ReadReplyAsync(), await c.ReadReplyAsync());
        Assert.Equal(await r.ReadReplyAsync(), await c.ReadReplyAsync());
    }
}
