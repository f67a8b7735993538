// FAILOVER (Redis 7.0's coordinated failover) with real processes: the same steps run against
// redis-server 7.0.15 and Cinnabar and must give the same replies; the handover itself must keep
// every write and continue with partial resyncs (PSYNC ... FAILOVER makes the target primary).
using System.Globalization;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class FailoverTests
{
    [Fact]
    public async Task FailoverRepliesMatchRedisForEveryRefusal()
    {
        Assert.Equal(await RefusalsAsync(ServerKind.Redis), await RefusalsAsync(ServerKind.Cinnabar));
    }

    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task FailoverToAReplicaSwapsTheRolesWithoutLosingAWrite(ServerKind kind)
    {
        await using var a = await ReplicationNode.StartAsync(kind);
        await using var b = await ReplicationNode.StartAsync(kind, $"replicaof 127.0.0.1 {Port(a)}");
        await b.WaitForLinkUpAsync();
        await using var pa = await a.ConnectAsync();
        await using var pb = await b.ConnectAsync();
        for (int i = 0; i < 100; i++)
        {
            await pa.CommandAsync("INCR", "n");
        }

        long partialBefore = await ReplicationNode.InfoNumberAsync(pb, "stats", "sync_partial_ok");

        // The replica's link is up before its primary counts it online (after its first ACK):
        // FAILOVER TO refuses a replica that is not online yet, on both servers.
        await ReplicationNode.WaitForAsync(async () => (await pa.CommandAsync("INFO", "replication")).Contains("state=online", StringComparison.Ordinal), "the replica online on its primary");
        Assert.Equal("+OK\r\n", await pa.CommandAsync("FAILOVER", "TO", "127.0.0.1", Port(b)));
        await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoFieldAsync(pa, "replication", "master_failover_state") == "no-failover", "the failover to end");
        await a.WaitForLinkUpAsync();

        Assert.StartsWith("*5\r\n$5\r\nslave\r\n", await pa.CommandAsync("ROLE"));
        Assert.StartsWith("*3\r\n$6\r\nmaster\r\n", await pb.CommandAsync("ROLE"));
        Assert.Equal("$3\r\n100\r\n", await pb.CommandAsync("GET", "n"));
        Assert.Equal(":101\r\n", await pb.CommandAsync("INCR", "n"));
        await ReplicationNode.WaitForAsync(async () => await pa.CommandAsync("GET", "n") == "$3\r\n101\r\n", "the new primary's write on the old one");
        Assert.Equal(partialBefore + 1, await ReplicationNode.InfoNumberAsync(pb, "stats", "sync_partial_ok"));
        Assert.Contains("Failover target 127.0.0.1:" + Port(b) + " is synced, failing over.", a.Log);
        Assert.Contains("MASTER MODE enabled (failover request from ", b.Log);
    }

    // The refusals, in order, on a primary with one replica (and on that replica).
    private static async Task<List<string>> RefusalsAsync(ServerKind kind)
    {
        await using var a = await ReplicationNode.StartAsync(kind);
        await using var pa = await a.ConnectAsync();
        var replies = new List<string>
        {
            await pa.CommandAsync("FAILOVER"),
            await pa.CommandAsync("FAILOVER", "ABORT"),
        };
        await using var b = await ReplicationNode.StartAsync(kind, $"replicaof 127.0.0.1 {Port(a)}");
        await b.WaitForLinkUpAsync();
        await using var pb = await b.ConnectAsync();
        replies.Add(await pa.CommandAsync("FAILOVER", "TO", "127.0.0.1", "notaport"));
        replies.Add(await pa.CommandAsync("FAILOVER", "TO", "invalidhost", Port(b)));
        replies.Add(await pa.CommandAsync("FAILOVER", "FORCE", "TIMEOUT", "100"));
        replies.Add(await pa.CommandAsync("FAILOVER", "TO", "127.0.0.1", Port(b), "FORCE"));
        replies.Add(await pa.CommandAsync("FAILOVER", "TIMEOUT", "0"));
        replies.Add(await pa.CommandAsync("FAILOVER", "TIMEOUT", "10", "TIMEOUT", "20"));
        replies.Add(await pa.CommandAsync("FAILOVER", "BOGUS"));
        replies.Add(await pb.CommandAsync("FAILOVER"));
        replies.Add(await pb.CommandAsync("PSYNC", new string('a', 40), "1", "FAILOVER"));
        replies.Add(await pa.CommandAsync("PSYNC", new string('a', 40), "1", "FAILOVER"));
        return replies;
    }

    private static string Port(ReplicationNode n) => n.Port.ToString(CultureInfo.InvariantCulture);
}
