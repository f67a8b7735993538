// FLUSHALL while a full sync's snapshot is being made, diskless or to disk (Redis's
// flushAllDataAndResetRDB -> killRDBChild): the snapshot stops, the replica waiting for it is
// dropped, reconnects and syncs again, now with the emptied dataset. The same steps run against redis-server 7.0.15, whose
// fork child is killed with SIGUSR1.
using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class FlushAllDuringFullSyncTests
{
    [Theory]
    [InlineData(ServerKind.Redis, "yes")]
    [InlineData(ServerKind.Cinnabar, "yes")]
    [InlineData(ServerKind.Redis, "no")]
    [InlineData(ServerKind.Cinnabar, "no")]
    public async Task FlushAllStopsAFullSyncSnapshotAndTheReplicaSyncsAgainWithTheEmptiedDataset(ServerKind kind, string diskless)
    {
        bool toSockets = diskless == "yes";
        string transferStarted = toSockets ? "Background RDB transfer started by pid" : "Background saving started by pid";
        string killed = toSockets ? "Background transfer terminated by signal 10" : "Background saving terminated by signal 10";

        // 200 keys at 50 ms each: the first snapshot would take 10 seconds.
        await using var primary = await ReplicationNode.StartAsync(kind, $"repl-diskless-sync {diskless}", "rdb-key-save-delay 50000");
        await using var p = await primary.ConnectAsync();
        Assert.Equal("+OK\r\n", await p.CommandAsync("DEBUG", "POPULATE", "200"));
        await using var replica = await ReplicationNode.StartAsync(kind, $"replicaof 127.0.0.1 {primary.Port}");
        await ReplicationNode.WaitForAsync(() => Task.FromResult(primary.CountInLog(transferStarted) == 1), "the first transfer");

        Assert.Equal("+OK\r\n", await p.CommandAsync("FLUSHALL"));

        await primary.WaitForLogAsync(killed);
        await primary.WaitForLogAsync("SYNC failed. BGSAVE child returned an error");
        await ReplicationNode.WaitForAsync(() => Task.FromResult(primary.CountInLog(transferStarted) == 2), "a second transfer");
        await replica.WaitForLinkUpAsync();
        await using var r = await replica.ConnectAsync();
        Assert.Equal(":0\r\n", await r.CommandAsync("DBSIZE"));
        Assert.Equal("+OK\r\n", await p.CommandAsync("SET", "after", "flush"));
        await ReplicationNode.WaitForAsync(async () => await r.CommandAsync("GET", "after") == "$5\r\nflush\r\n", "the write after the flush");
        Assert.Equal(0, await ReplicationNode.InfoNumberAsync(p, "persistence", "rdb_bgsave_in_progress"));
        Assert.Equal("ok", await ReplicationNode.InfoFieldAsync(p, "persistence", "rdb_last_bgsave_status"));
    }
}
