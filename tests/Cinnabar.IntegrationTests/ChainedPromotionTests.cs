// Roles switching in a chain of replicas, as Redis's integration/psync2 does at random: a primary
// with a replica that has a sub-replica; the replica is promoted (REPLICAOF NO ONE) and the old
// primary follows it; then the old primary is promoted back. Every switch must be a partial
// resync (PSYNC2: replid2 keeps the old history valid), every node must end with the same data
// (DEBUG DIGEST) and the same offset, and the chain's sub-replica gets its primary's bytes
// unchanged. The nodes write in database 9, as Redis's test client does: a new primary starts its
// stream with a SELECT (Redis's slaveseldb = -1 in replicationUnsetMaster), because the replicas
// that now follow it may have any database selected.
using System.Globalization;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class ChainedPromotionTests
{
    [Theory]
    [InlineData(ServerKind.Cinnabar, ServerKind.Cinnabar, ServerKind.Cinnabar)]
    [InlineData(ServerKind.Cinnabar, ServerKind.Redis, ServerKind.Cinnabar)]
    [InlineData(ServerKind.Redis, ServerKind.Cinnabar, ServerKind.Cinnabar)]
    public async Task APrimaryPromotedForTheSecondTimeKeepsEveryNodeOfTheChainConsistent(ServerKind first, ServerKind second, ServerKind third)
    {
        await using var a = await ReplicationNode.StartAsync(first);
        await using var b = await ReplicationNode.StartAsync(second);
        await using var c = await ReplicationNode.StartAsync(third);
        var nodes = new[] { a, b, c };

        // a -> b -> c, and the first writes.
        await ReplicaOfAsync(b, a);
        await ReplicaOfAsync(c, b);
        long x = 0;
        x = await IncrAsync(a, x);
        await WaitConsistentAsync(nodes, a, x);

        // b becomes the primary, a follows it, c stays under b.
        await PromoteAsync(b);
        await ReplicaOfAsync(a, b);
        await c.WaitForLinkUpAsync();
        x = await IncrAsync(b, x);
        await WaitConsistentAsync(nodes, b, x);

        // a is the primary again (its stream last selected database 9 long ago), b follows it.
        await PromoteAsync(a);
        await ReplicaOfAsync(b, a);
        await c.WaitForLinkUpAsync();
        x = await IncrAsync(a, x);
        x = await IncrAsync(a, x);
        await WaitConsistentAsync(nodes, a, x);

        // Only the two first attachments were full syncs; every switch continued partially.
        long fullSyncs = 0;
        foreach (var n in nodes)
        {
            fullSyncs += long.Parse(await Replication.InfoFieldAsync(n.Port, "sync_full", "stats") ?? "-1", CultureInfo.InvariantCulture);
        }

        Assert.Equal(2, fullSyncs);
    }

    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task AClientBlockedOnAListIsUnblockedAndClosedWhenItsPrimaryBecomesAReplica(ServerKind kind)
    {
        // Redis's issue #2473: otherwise the blocked client would pop what the new primary pushes.
        await using var a = await ReplicationNode.StartAsync(kind);
        await using var b = await ReplicationNode.StartAsync(kind);
        await using var blocked = await b.ConnectAsync();
        await blocked.SendRawAsync(RawConnection.Encode("BLPOP"u8.ToArray(), "foo"u8.ToArray(), "0"u8.ToArray()));
        await using var admin = await b.ConnectAsync();
        await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoNumberAsync(admin, "clients", "blocked_clients") == 1, "the client to block");
        await ReplicaOfAsync(b, a);
        Assert.Equal("-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n", await blocked.ReadReplyAsync());
        Assert.Equal(string.Empty, await blocked.ReadToEndAsync(TimeSpan.FromSeconds(10)));

        await using var p = await a.ConnectAsync();
        await p.CommandAsync("RPUSH", "foo", "a", "b", "c");
        await using var r = await b.ConnectAsync();
        await ReplicationNode.WaitForAsync(async () => await r.CommandAsync("LRANGE", "foo", "0", "-1") == await p.CommandAsync("LRANGE", "foo", "0", "-1"), "the list on the replica");
    }

    private static async Task ReplicaOfAsync(ReplicationNode replica, ReplicationNode primary)
    {
        await using var c = await replica.ConnectAsync();
        Assert.StartsWith("+OK", await c.CommandAsync("REPLICAOF", "127.0.0.1", primary.Port.ToString(CultureInfo.InvariantCulture)));
        await replica.WaitForLinkUpAsync();
    }

    private static async Task PromoteAsync(ReplicationNode node)
    {
        await using var c = await node.ConnectAsync();
        Assert.StartsWith("+OK", await c.CommandAsync("REPLICAOF", "NO", "ONE"));
    }

    private static async Task<long> IncrAsync(ReplicationNode primary, long x)
    {
        await using var c = await primary.ConnectAsync();
        Assert.Equal("+OK\r\n", await c.CommandAsync("SELECT", "9"));
        Assert.Equal($":{x + 1}\r\n", await c.CommandAsync("INCR", "x"));
        return x + 1;
    }

    // Every node has x in database 9, the same digest and the primary's offset.
    private static async Task WaitConsistentAsync(ReplicationNode[] nodes, ReplicationNode primary, long x)
    {
        string expected = $"${x.ToString(CultureInfo.InvariantCulture).Length}\r\n{x}\r\n";
        foreach (var n in nodes)
        {
            await using var c = await n.ConnectAsync();
            Assert.Equal("+OK\r\n", await c.CommandAsync("SELECT", "9"));
            await ReplicationNode.WaitForAsync(async () => await c.CommandAsync("GET", "x") == expected, $"x = {x} in db 9 on {n.Kind}:{n.Port}:\n{n.Log}", seconds: 20);
        }

        await using var p = await primary.ConnectAsync();
        string digest = await p.CommandAsync("DEBUG", "DIGEST");
        foreach (var n in nodes)
        {
            await using var c = await n.ConnectAsync();
            Assert.Equal(digest, await c.CommandAsync("DEBUG", "DIGEST"));
            await ReplicationNode.WaitForAsync(
                async () => await ReplicationNode.InfoNumberAsync(c, "replication", "master_repl_offset") == await ReplicationNode.InfoNumberAsync(p, "replication", "master_repl_offset"),
                $"same offset on {n.Kind}:{n.Port} as the primary",
                seconds: 20);
        }
    }
}
