// repl-diskless-load on a Cinnabar replica with real processes: the snapshot is parsed straight
// from the socket (never held whole in memory), with both framings ("$<len>" from a disk-based
// primary, "$EOF:<mark>" from a diskless one), from a real redis-server 7.0.15 primary and from a
// Cinnabar primary, with datasets of several MB; and Redis 7.0's async loading (swapdb with an
// unchanged replication id serves reads from the old dataset while the new one loads), checked
// with the same steps against a real redis-server replica.
using System.Globalization;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class DisklessLoadTests
{
    [Theory]
    [InlineData(ServerKind.Redis, "yes", "swapdb")]
    [InlineData(ServerKind.Redis, "no", "on-empty-db")]
    [InlineData(ServerKind.Cinnabar, "yes", "on-empty-db")]
    [InlineData(ServerKind.Cinnabar, "no", "swapdb")]
    public async Task ABigSnapshotLoadsFromTheSocketAndTheStreamContinuesRightAfterIt(ServerKind primaryKind, string disklessSync, string disklessLoad)
    {
        await using var primary = await ReplicationNode.StartAsync(primaryKind, $"repl-diskless-sync {disklessSync}", "rdbcompression no");
        await using var p = await primary.ConnectAsync();

        // About 12 MB of RDB: far more than the socket buffers hold.
        Assert.Equal("+OK\r\n", await p.CommandAsync("DEBUG", "POPULATE", "60000", "key", "200"));
        await using var replica = await ReplicationNode.StartAsync(ServerKind.Cinnabar, $"repl-diskless-load {disklessLoad}", $"replicaof 127.0.0.1 {primary.Port}");
        await replica.WaitForLinkUpAsync(seconds: 60);
        Assert.Contains(disklessSync == "yes" ? "receiving streamed RDB from master with EOF to parser" : "bytes from master to parser", replica.Log);
        Assert.Empty(Directory.GetFiles(replica.Dir, "temp-*.rdb"));

        // The first writes after the snapshot arrive intact (nothing of the stream was eaten by
        // the loader, nothing of the payload was left for the stream).
        await p.CommandAsync("SET", "after", "1");
        await p.CommandAsync("INCR", "counter");
        await using var r = await replica.ConnectAsync();
        await ReplicationNode.WaitForAsync(async () => await r.CommandAsync("GET", "counter") == "$1\r\n1\r\n", "the stream after the snapshot");
        Assert.Equal(await p.CommandAsync("DEBUG", "DIGEST"), await r.CommandAsync("DEBUG", "DIGEST"));
        Assert.Equal(":60002\r\n", await r.CommandAsync("DBSIZE"));
        await ReplicationNode.WaitForAsync(
            async () => await ReplicationNode.InfoNumberAsync(p, "replication", "master_repl_offset") == await ReplicationNode.InfoNumberAsync(r, "replication", "master_repl_offset"),
            "equal offsets");
    }

    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task TheLoaderParsesWhileTheTransferIsStillArriving(ServerKind primaryKind)
    {
        // A sized transfer (disk-based primary) states its total; the replica's loader is slowed
        // down per key, so a replica that parses from the socket has loaded bytes while most of
        // the payload is still unread. One that buffered the transfer first could not.
        await using var primary = await ReplicationNode.StartAsync(primaryKind, "repl-diskless-sync no", "rdbcompression no");
        await using var p = await primary.ConnectAsync();
        Assert.Equal("+OK\r\n", await p.CommandAsync("DEBUG", "POPULATE", "40000", "key", "500"));
        await using var replica = await ReplicationNode.StartAsync(ServerKind.Cinnabar, "repl-diskless-load swapdb", "key-load-delay 100");
        await using var r = await replica.ConnectAsync();
        Assert.Equal("+OK\r\n", await r.CommandAsync("REPLICAOF", "127.0.0.1", primary.Port.ToString(CultureInfo.InvariantCulture)));

        bool seen = false;
        await ReplicationNode.WaitForAsync(
            async () =>
            {
                var info = await r.CommandAsync("INFO");
                long total = Field(info, "master_sync_total_bytes");
                long read = Field(info, "master_sync_read_bytes");
                long loaded = Field(info, "loading_loaded_bytes");
                seen = Field(info, "loading") == 1 && total > 0 && loaded > 0 && read < total / 2;
                return seen || Field(info, "master_link_status_up") == 1;
            },
            "loading while the transfer arrives",
            seconds: 60);
        Assert.True(seen, "the replica read the whole transfer before it parsed anything");

        Assert.Equal("+OK\r\n", await r.CommandAsync("CONFIG", "SET", "key-load-delay", "0"));
        await replica.WaitForLinkUpAsync(seconds: 120);
        Assert.Equal(await p.CommandAsync("DEBUG", "DIGEST"), await r.CommandAsync("DEBUG", "DIGEST"));
    }

    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task SwapdbWithTheSameReplicationIdServesTheOldDataWhileLoading(ServerKind replicaKind)
    {
        // As Redis's integration/replication "Diskless load swapdb (async_loading)": the replica
        // already follows this primary's history; a full sync forced by an overrun backlog loads
        // asynchronously. A real redis-server primary slows its snapshot down per key.
        await using var primary = await ReplicationNode.StartAsync(ServerKind.Redis, "repl-diskless-sync yes", "rdbcompression no");
        // A redis-server replica answers clients during a load only every
        // loading-process-events-interval-bytes: the smallest interval makes it answer at once.
        await using var replica = await ReplicationNode.StartAsync(replicaKind, "repl-diskless-load swapdb", "replica-read-only no", "loading-process-events-interval-bytes 1024");
        await using var p = await primary.ConnectAsync();
        await using var r = await replica.ConnectAsync();
        await r.CommandAsync("REPLICAOF", "127.0.0.1", primary.Port.ToString(CultureInfo.InvariantCulture));
        await replica.WaitForLinkUpAsync();

        // Different data on each side (DEBUG POPULATE is not replicated).
        await p.CommandAsync("DEBUG", "POPULATE", "500", "master", "1000");
        await r.CommandAsync("DEBUG", "POPULATE", "500", "slave", "10");
        Assert.Equal("+OK\r\n", await r.CommandAsync("SET", "mykey", "myvalue"));

        await p.CommandAsync("CONFIG", "SET", "rdb-key-save-delay", "10000");
        await p.CommandAsync("MULTI");
        await p.CommandAsync("CLIENT", "KILL", "TYPE", "replica");
        await p.CommandAsync("CONFIG", "SET", "repl-backlog-size", "16384");
        for (int i = 0; i < 10; i++)
        {
            await p.CommandAsync("SET", $"big{i}", new string('A', 16384));
        }

        await p.CommandAsync("EXEC");
        await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoFieldAsync(r, "persistence", "async_loading") == "1", "async_loading:1", seconds: 30);

        var replies = new List<string>
        {
            await ReplicationNode.InfoFieldAsync(r, "persistence", "loading") ?? "none",
            await r.CommandAsync("GET", "mykey"),
            await r.CommandAsync("DBSIZE"),
            await r.CommandAsync("REPLICAOF", "NO", "ONE"),
            await r.CommandAsync("CONFIG", "SET", "repl-diskless-load", "disabled"),
            await r.CommandAsync("SET", "during", "load"),
            await ReplicationNode.InfoFieldAsync(r, "persistence", "async_loading") ?? "none",
        };
        Assert.Equal(
            ["0", "$7\r\nmyvalue\r\n", ":501\r\n", "-LOADING Redis is loading the dataset in memory\r\n", "-LOADING Redis is loading the dataset in memory\r\n", "+OK\r\n", "1"],
            replies);

        // The new dataset replaces the old one (the replica's own keys are gone).
        await p.CommandAsync("CONFIG", "SET", "rdb-key-save-delay", "0");
        await replica.WaitForLinkUpAsync(seconds: 60);
        Assert.Equal("$-1\r\n", await r.CommandAsync("GET", "mykey"));
        Assert.Equal(await p.CommandAsync("DEBUG", "DIGEST"), await r.CommandAsync("DEBUG", "DIGEST"));
        Assert.Equal("0", await ReplicationNode.InfoFieldAsync(r, "persistence", "async_loading"));
    }

    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task SwapdbFromANewHistoryRefusesReadsWhileLoadingAndKeepsTheOldDataOnFailure(ServerKind replicaKind)
    {
        // "Diskless load swapdb (different replid)": a replica of another history loads with
        // -LOADING for clients; when the transfer breaks, the old dataset is served again.
        await using var primary = await ReplicationNode.StartAsync(ServerKind.Redis, "repl-diskless-sync yes", "rdbcompression no");
        await using var replica = await ReplicationNode.StartAsync(replicaKind, "repl-diskless-load swapdb", "loading-process-events-interval-bytes 1024");
        await using var p = await primary.ConnectAsync();
        await using var r = await replica.ConnectAsync();
        await p.CommandAsync("DEBUG", "POPULATE", "500", "master", "1000");
        await p.CommandAsync("CONFIG", "SET", "rdb-key-save-delay", "10000");
        await r.CommandAsync("SET", "mykey", "myvalue");
        await r.CommandAsync("REPLICAOF", "127.0.0.1", primary.Port.ToString(CultureInfo.InvariantCulture));
        await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoFieldAsync(r, "persistence", "loading") == "1", "loading:1", seconds: 30);
        Assert.Equal("0", await ReplicationNode.InfoFieldAsync(r, "persistence", "async_loading"));
        Assert.Equal("-LOADING Redis is loading the dataset in memory\r\n", await r.CommandAsync("GET", "mykey"));

        await p.CommandAsync("CONFIG", "SET", "repl-diskless-sync-delay", "5");
        await p.CommandAsync("CLIENT", "KILL", "TYPE", "replica");
        await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoFieldAsync(r, "persistence", "loading") == "0", "loading:0", seconds: 30);
        Assert.Equal("$7\r\nmyvalue\r\n", await r.CommandAsync("GET", "mykey"));
        Assert.Equal(":1\r\n", await r.CommandAsync("DBSIZE"));
        await p.CommandAsync("CONFIG", "SET", "rdb-key-save-delay", "0");
    }

    private static long Field(string info, string name)
    {
        if (name == "master_link_status_up")
        {
            return info.Contains("master_link_status:up", StringComparison.Ordinal) ? 1 : 0;
        }

        foreach (var line in info.Split("\r\n"))
        {
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
