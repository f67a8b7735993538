// How a primary treats the connections of its replicas, side by side with a real redis-server
// 7.0.15: a replica whose command would produce a reply is dropped (the link carries the stream,
// never replies); a disk snapshot nobody waits for any more is stopped; DEBUG REPLICATE feeds a
// command to the replicas only.
using System.Globalization;
using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class PrimaryReplicaClientTests
{
    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task AReplicaThatSendsACommandWithAReplyIsDisconnectedWithoutOne(ServerKind kind)
    {
        await using var primary = await ReplicationNode.StartAsync(kind);
        await using var fake = await primary.ConnectAsync();
        await fake.SendRawAsync(Encoding.ASCII.GetBytes("PSYNC ? -1\r\n"));
        var line = await fake.ReadReplyAsync();
        Assert.StartsWith("+FULLRESYNC ", line);
        await fake.SendRawAsync(RawConnection.Encode("GET"u8.ToArray(), "foo"u8.ToArray()));

        // The snapshot may still be on its way; then the connection ends, with no reply to GET.
        string rest = await fake.ReadToEndAsync(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain("Replica can't interact", rest);
        await primary.WaitForLogAsync("Replica generated a reply to command 'get', disconnecting it: id=");
        await primary.WaitForLogAsync("== CRITICAL == This master is sending an error to its replica: 'Replica can't interact with the keyspace' after processing the command 'get'");
        await using var c = await primary.ConnectAsync();
        Assert.Equal("+PONG\r\n", await c.CommandAsync("PING"));
    }

    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task ADiskSnapshotForReplicasStopsWhenItsLastReplicaLeaves(ServerKind kind)
    {
        await using var primary = await ReplicationNode.StartAsync(kind, "repl-diskless-sync no", "rdb-key-save-delay 1000000");
        await using var p = await primary.ConnectAsync();
        for (int i = 0; i < 10; i++)
        {
            await p.CommandAsync("SET", i.ToString(CultureInfo.InvariantCulture), "v");
        }

        await using (var fake = await primary.ConnectAsync())
        {
            await fake.SendRawAsync(Encoding.ASCII.GetBytes("PSYNC ? -1\r\n"));
            Assert.StartsWith("+FULLRESYNC ", await fake.ReadReplyAsync());
            Assert.Equal("1", await ReplicationNode.InfoFieldAsync(p, "persistence", "rdb_bgsave_in_progress"));
        }

        await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoFieldAsync(p, "persistence", "rdb_bgsave_in_progress") == "0", "the snapshot to stop", seconds: 8);
        await primary.WaitForLogAsync("Background saving terminated by signal 10");
    }

    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task DebugReplicateReachesTheReplicasOnly(ServerKind kind)
    {
        await using var primary = await ReplicationNode.StartAsync(kind);
        await using var replica = await ReplicationNode.StartAsync(kind, $"replicaof 127.0.0.1 {primary.Port.ToString(CultureInfo.InvariantCulture)}");
        await replica.WaitForLinkUpAsync();
        await using var p = await primary.ConnectAsync();
        await using var r = await replica.ConnectAsync();

        // In the stream's database (the replica's 0 after its full sync), not the caller's.
        Assert.Equal("+OK\r\n", await p.CommandAsync("SELECT", "3"));
        Assert.Equal("+OK\r\n", await p.CommandAsync("DEBUG", "REPLICATE", "SET", "only-on-replica", "1"));
        await ReplicationNode.WaitForAsync(async () => await r.CommandAsync("GET", "only-on-replica") == "$1\r\n1\r\n", "the replicated SET");
        Assert.Equal("$-1\r\n", await p.CommandAsync("GET", "only-on-replica"));
    }
}
