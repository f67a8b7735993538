// INFO lazyfreed_objects for emptied databases (Redis's emptyDbAsync): FLUSHALL/FLUSHDB ASYNC, or
// without an argument when lazyfree-lazy-user-flush is yes, count the removed keys; SYNC does not;
// a replica's old dataset counts on a full sync when replica-lazy-flush is yes; CONFIG RESETSTAT
// clears it. The same steps run against redis-server 7.0.15, whose background thread does the
// counting (hence the polls).
using System.Globalization;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class LazyFreedObjectsTests
{
    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task AsynchronousFlushesCountTheirKeysAsLazilyFreed(ServerKind kind)
    {
        await using var node = await ReplicationNode.StartAsync(kind);
        await using var c = await node.ConnectAsync();
        Assert.Equal("+OK\r\n", await c.CommandAsync("MSET", "a", "1", "b", "2", "c", "3"));
        Assert.Equal("+OK\r\n", await c.CommandAsync("FLUSHALL", "SYNC"));
        Assert.Equal("+OK\r\n", await c.CommandAsync("MSET", "a", "1", "b", "2"));
        Assert.Equal("+OK\r\n", await c.CommandAsync("FLUSHALL"));
        Assert.Equal(0, await LazyFreedAsync(c));

        Assert.Equal("+OK\r\n", await c.CommandAsync("MSET", "a", "1", "b", "2"));
        Assert.Equal("+OK\r\n", await c.CommandAsync("SELECT", "3"));
        Assert.Equal("+OK\r\n", await c.CommandAsync("SET", "c", "3"));
        Assert.Equal("+OK\r\n", await c.CommandAsync("FLUSHDB", "ASYNC"));
        await ReplicationNode.WaitForAsync(async () => await LazyFreedAsync(c) == 1, "FLUSHDB ASYNC's key");

        Assert.Equal("+OK\r\n", await c.CommandAsync("CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"));
        Assert.Equal("+OK\r\n", await c.CommandAsync("FLUSHALL"));
        await ReplicationNode.WaitForAsync(async () => await LazyFreedAsync(c) == 3, "FLUSHALL's keys with lazyfree-lazy-user-flush");
        Assert.Equal("+OK\r\n", await c.CommandAsync("CONFIG", "RESETSTAT"));
        Assert.Equal(0, await LazyFreedAsync(c));
    }

    [Theory]
    [InlineData(ServerKind.Redis, "yes", 4)]
    [InlineData(ServerKind.Redis, "no", 0)]
    [InlineData(ServerKind.Cinnabar, "yes", 4)]
    [InlineData(ServerKind.Cinnabar, "no", 0)]
    public async Task AReplicaWithReplicaLazyFlushCountsItsOldDatasetAsLazilyFreedOnAFullSync(ServerKind kind, string lazyFlush, long expected)
    {
        await using var primary = await ReplicationNode.StartAsync(kind);
        await using var node = await ReplicationNode.StartAsync(kind, $"replica-lazy-flush {lazyFlush}");
        await using (var p = await primary.ConnectAsync())
        {
            Assert.Equal("+OK\r\n", await p.CommandAsync("SET", "from", "primary"));
        }

        await using var c = await node.ConnectAsync();
        Assert.Equal("+OK\r\n", await c.CommandAsync("MSET", "a", "1", "b", "2", "c", "3", "d", "4"));
        Assert.Equal("+OK\r\n", await c.CommandAsync("REPLICAOF", "127.0.0.1", primary.Port.ToString(CultureInfo.InvariantCulture)));
        await node.WaitForLinkUpAsync();
        Assert.Equal("$7\r\nprimary\r\n", await c.CommandAsync("GET", "from"));
        await ReplicationNode.WaitForAsync(async () => await LazyFreedAsync(c) == expected, $"lazyfreed_objects {expected}");
        Assert.Equal(":1\r\n", await c.CommandAsync("DBSIZE"));
    }

    private static Task<long> LazyFreedAsync(RawConnection c) => ReplicationNode.InfoNumberAsync(c, "memory", "lazyfreed_objects");
}
