// The key interop proof of the primary side: Debian's real redis-server 7.0.15 as the replica
// of a Cinnabar primary. Full sync (diskless and disk-based), streamed writes, equal DEBUG
// DIGEST and offsets, partial resync after a killed link and after a replica restart, a backlog
// overrun forcing a full resync, AUTH, several replicas, and a chained replica.
using System.Globalization;

using Cinnabar.IntegrationTests.Infrastructure;

using static Cinnabar.IntegrationTests.Infrastructure.Replication;

namespace Cinnabar.IntegrationTests;

public class RedisReplicaOfCinnabarTests
{
    private static ServerOptions Primary() => ServerOptions.Cinnabar()
        .With("enable-debug-command", "yes")
        .With("repl-diskless-sync-delay", "0");

    // REPLICAOF on the (real redis-server) replica, pointing it at a Cinnabar primary.
    private static async Task ReplicaOfAsync(int replicaPort, int primaryPort)
    {
        await using var r = await RawConnection.ConnectAsync(replicaPort);
        Assert.Equal("+OK\r\n", await r.CommandAsync("REPLICAOF", "127.0.0.1", primaryPort.ToString(CultureInfo.InvariantCulture)));
    }

    private static async Task WriteSampleAsync(int port, string prefix)
    {
        await using var c = await RawConnection.ConnectAsync(port);
        await c.CommandAsync("SET", prefix + "plain", "value");
        await c.CommandAsync("SET", prefix + "ttl", "v", "EX", "1000");
        await c.CommandAsync("INCRBYFLOAT", prefix + "float", "1.5");
        await c.CommandAsync("SELECT", "5");
        await c.CommandAsync("SET", prefix + "db5", new string('x', 3000));
        await c.CommandAsync("MULTI");
        await c.CommandAsync("INCR", prefix + "counter");
        await c.CommandAsync("APPEND", prefix + "counter", "0");
        await c.CommandAsync("EXEC");
    }

    [Fact]
    public async Task RealRedisReplicaFullSyncsDisklesslyThenReceivesTheStreamWithEqualDigestAndOffset()
    {
        await using var primary = await ServerProcess.StartAsync(Primary());
        await using (var c = await RawConnection.ConnectAsync(primary.Port))
        {
            Assert.Equal("+OK\r\n", await c.CommandAsync("DEBUG", "POPULATE", "2000"));
        }

        await WriteSampleAsync(primary.Port, "before:");
        await using var replica = await ServerProcess.StartAsync(RedisReplicaOf(primary.Port, NewDir()));
        await WaitForLinkUpAsync(replica.Port);
        await WriteSampleAsync(primary.Port, "after:");
        await WaitForSameOffsetAsync(primary.Port, replica.Port);
        await WaitForSameDigestAsync(primary.Port, replica.Port);

        Assert.Contains("Starting BGSAVE for SYNC with target: replicas sockets", primary.Output, StringComparison.Ordinal);
        Assert.Contains("Waiting for REPLCONF ACK from slave to enable streaming", primary.Output, StringComparison.Ordinal);
        Assert.Contains("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF", replica.Output, StringComparison.Ordinal);
        Assert.Contains("MASTER <-> REPLICA sync: Finished with success", replica.Output, StringComparison.Ordinal);
        Assert.Equal("1", await InfoFieldAsync(primary.Port, "sync_full", "stats"));
        Assert.Equal(await InfoFieldAsync(primary.Port, "master_replid"), await InfoFieldAsync(replica.Port, "master_replid"));
        await using var r = await RawConnection.ConnectAsync(replica.Port);
        Assert.Equal("$5\r\nvalue\r\n", await r.CommandAsync("GET", "after:plain"));
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public async Task TheAsyncSocketTransportServesARealReplicaFullAndPartialSync(string diskless)
    {
        await using var primary = await ServerProcess.StartAsync(Primary()
            .WithEnvironment("CINNABAR_EVENT_LOOP", "0")
            .With("repl-diskless-sync", diskless));
        await WriteSampleAsync(primary.Port, "before:");
        await using var replica = await ServerProcess.StartAsync(RedisReplicaOf(primary.Port, NewDir()));
        await WaitForLinkUpAsync(replica.Port);
        await WriteSampleAsync(primary.Port, "after:");
        await WaitForSameOffsetAsync(primary.Port, replica.Port);
        await using (var p = await RawConnection.ConnectAsync(primary.Port))
        {
            Assert.Equal(":1\r\n", await p.CommandAsync("CLIENT", "KILL", "TYPE", "replica"));
        }

        await WriteSampleAsync(primary.Port, "gap:");
        await WaitForSameOffsetAsync(primary.Port, replica.Port);
        await WaitForSameDigestAsync(primary.Port, replica.Port);
        await replica.WaitForOutputAsync("Successful partial resynchronization with master", Deadline);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public async Task WritesDuringTheFullSyncReachTheReplicaExactlyOnce(string diskless)
    {
        await using var primary = await ServerProcess.StartAsync(Primary().With("repl-diskless-sync", diskless));
        await using (var c = await RawConnection.ConnectAsync(primary.Port))
        {
            Assert.Equal("+OK\r\n", await c.CommandAsync("DEBUG", "POPULATE", "20000", "pre", "100"));
        }

        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            await using var w = await RawConnection.ConnectAsync(primary.Port);
            long n = 0;
            while (!stop.IsCancellationRequested)
            {
                // INCR is not idempotent: a write applied twice or lost shows in the digest.
                await w.CommandAsync("INCR", "counter" + (n % 10).ToString(CultureInfo.InvariantCulture));
                await w.CommandAsync("SET", "last", n.ToString(CultureInfo.InvariantCulture));
                n++;
            }

            return n;
        });

        await using var replica = await ServerProcess.StartAsync(RedisReplicaOf(primary.Port, NewDir()));
        await WaitForLinkUpAsync(replica.Port);
        await stop.CancelAsync();
        long writes = await writer;
        Assert.True(writes > 0);
        await WaitForSameOffsetAsync(primary.Port, replica.Port);
        await WaitForSameDigestAsync(primary.Port, replica.Port);
        Assert.Equal("1", await InfoFieldAsync(primary.Port, "sync_full", "stats"));
    }

    [Fact]
    public async Task RealRedisReplicaFullSyncsFromDiskWhenDisklessSyncIsOff()
    {
        await using var primary = await ServerProcess.StartAsync(Primary().With("repl-diskless-sync", "no"));
        await WriteSampleAsync(primary.Port, "before:");
        await using var replica = await ServerProcess.StartAsync(RedisReplicaOf(primary.Port, NewDir()));
        await WaitForLinkUpAsync(replica.Port);
        await WriteSampleAsync(primary.Port, "after:");
        await WaitForSameOffsetAsync(primary.Port, replica.Port);
        await WaitForSameDigestAsync(primary.Port, replica.Port);
        Assert.Contains("Starting BGSAVE for SYNC with target: disk", primary.Output, StringComparison.Ordinal);
        Assert.Contains("bytes from master to disk", replica.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(primary.Dir, "dump.rdb")));
    }

    [Fact]
    public async Task KillingTheReplicaLinkLeadsToAPartialResyncThatSendsOnlyTheMissedWrites()
    {
        await using var primary = await ServerProcess.StartAsync(Primary());
        await using var replica = await ServerProcess.StartAsync(RedisReplicaOf(primary.Port, NewDir()));
        await WaitForLinkUpAsync(replica.Port);
        await WriteSampleAsync(primary.Port, "a:");
        await WaitForSameOffsetAsync(primary.Port, replica.Port);

        await using (var p = await RawConnection.ConnectAsync(primary.Port))
        {
            Assert.Equal(":1\r\n", await p.CommandAsync("CLIENT", "KILL", "TYPE", "replica"));
            await p.CommandAsync("SET", "during", "the-gap");
        }

        await WriteSampleAsync(primary.Port, "b:");
        await WaitForSameOffsetAsync(primary.Port, replica.Port);
        await WaitForSameDigestAsync(primary.Port, replica.Port);
        await replica.WaitForOutputAsync("Successful partial resynchronization with master", Deadline);
        Assert.Contains("Connection with replica 127.0.0.1:" + replica.Port + " lost.", primary.Output, StringComparison.Ordinal);
        Assert.Matches("Partial resynchronization request from 127.0.0.1:[0-9]+ accepted. Sending [0-9]+ bytes of backlog starting from offset [0-9]+.", primary.Output);
        Assert.Equal("1", await InfoFieldAsync(primary.Port, "sync_full", "stats"));
        Assert.Equal("1", await InfoFieldAsync(primary.Port, "sync_partial_ok", "stats"));
    }

    [Fact]
    public async Task AReplicaKilledAndRestartedContinuesPartiallyFromTheRdbItReceived()
    {
        await using var primary = await ServerProcess.StartAsync(Primary());
        var dir = NewDir();
        await using (var replica = await ServerProcess.StartAsync(RedisReplicaOf(primary.Port, dir)))
        {
            await WaitForLinkUpAsync(replica.Port);
            await WriteSampleAsync(primary.Port, "a:");
            await WaitForSameOffsetAsync(primary.Port, replica.Port);
            await KillAsync(replica);
        }

        await WriteSampleAsync(primary.Port, "while-dead:");
        await using var restarted = await ServerProcess.StartAsync(RedisReplicaOf(primary.Port, dir));
        await WaitForSameOffsetAsync(primary.Port, restarted.Port);
        await WaitForSameDigestAsync(primary.Port, restarted.Port);
        await restarted.WaitForOutputAsync("Successful partial resynchronization with master", Deadline);
        Assert.Equal("1", await InfoFieldAsync(primary.Port, "sync_full", "stats"));
        Assert.Contains("bytes of backlog starting from offset 1.", primary.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WritesBeyondTheBacklogWhileTheReplicaIsDownForceAFullResync()
    {
        await using var primary = await ServerProcess.StartAsync(Primary().With("repl-backlog-size", "16384"));
        var dir = NewDir();
        await using (var replica = await ServerProcess.StartAsync(RedisReplicaOf(primary.Port, dir)))
        {
            await WaitForLinkUpAsync(replica.Port);
            await WaitForSameOffsetAsync(primary.Port, replica.Port);
            await KillAsync(replica);
        }

        await using (var c = await RawConnection.ConnectAsync(primary.Port))
        {
            for (int i = 0; i < 100; i++)
            {
                await c.CommandAsync("SET", "big" + i.ToString(CultureInfo.InvariantCulture), new string('y', 1000));
            }
        }

        Assert.True(long.Parse((await InfoFieldAsync(primary.Port, "repl_backlog_first_byte_offset"))!, CultureInfo.InvariantCulture) > 1);
        await using var restarted = await ServerProcess.StartAsync(RedisReplicaOf(primary.Port, dir));
        await WaitForSameOffsetAsync(primary.Port, restarted.Port);
        await WaitForSameDigestAsync(primary.Port, restarted.Port);
        await primary.WaitForOutputAsync("for lack of backlog (Replica request was: 1).", Deadline);
        Assert.Equal("2", await InfoFieldAsync(primary.Port, "sync_full", "stats"));
        Assert.Equal("1", await InfoFieldAsync(primary.Port, "sync_partial_err", "stats"));
    }

    [Fact]
    public async Task AReplicaWithTheRightMasterauthSyncsWithAPasswordProtectedPrimary()
    {
        await using var primary = await ServerProcess.StartAsync(Primary().With("requirepass", "centos"));
        await using (var c = await RawConnection.ConnectAsync(primary.Port))
        {
            await c.CommandAsync("AUTH", "centos");
            await c.CommandAsync("SET", "secret", "data");
        }

        var dir = NewDir();
        await using var replica = await ServerProcess.StartAsync(RedisReplicaOf(primary.Port, dir).With("masterauth", "centos"));
        await WaitForLinkUpAsync(replica.Port);
        await using var r = await RawConnection.ConnectAsync(replica.Port);
        Assert.Equal("$4\r\ndata\r\n", await r.CommandAsync("GET", "secret"));
    }

    [Fact]
    public async Task AReplicaWithAWrongMasterauthGetsNoData()
    {
        await using var primary = await ServerProcess.StartAsync(Primary().With("requirepass", "centos"));
        await using var replica = await ServerProcess.StartAsync(RedisReplicaOf(primary.Port, NewDir()).With("masterauth", "wrong"));
        await replica.WaitForOutputAsync("Unable to AUTH to MASTER", Deadline);
        Assert.Equal("down", await InfoFieldAsync(replica.Port, "master_link_status"));
        await using var p = await RawConnection.ConnectAsync(primary.Port);
        Assert.Equal("+OK\r\n", await p.CommandAsync("AUTH", "centos"));
        Assert.Equal("0", await InfoFieldAsync(p, "sync_full", "stats"));
        Assert.Equal("0", await InfoFieldAsync(p, "connected_slaves"));
    }

    [Fact]
    public async Task ThreeReplicasArrivingTogetherShareOneDisklessSnapshot()
    {
        await using var primary = await ServerProcess.StartAsync(ServerOptions.Cinnabar()
            .With("enable-debug-command", "yes")
            .With("repl-diskless-sync-delay", "30")
            .With("repl-diskless-sync-max-replicas", "3"));
        await WriteSampleAsync(primary.Port, "x:");
        var starts = Enumerable.Range(0, 3).Select(_ => ServerProcess.StartAsync(RedisReplicaOf(primary.Port, NewDir()))).ToArray();
        var replicas = await Task.WhenAll(starts);
        try
        {
            foreach (var r in replicas)
            {
                await WaitForLinkUpAsync(r.Port);
            }

            await WriteSampleAsync(primary.Port, "y:");
            foreach (var r in replicas)
            {
                await WaitForSameOffsetAsync(primary.Port, r.Port);
                await WaitForSameDigestAsync(primary.Port, r.Port);
            }

            Assert.Equal("3", await InfoFieldAsync(primary.Port, "connected_slaves"));
            Assert.Single(primary.Output.Split('\n'), l => l.Contains("Starting BGSAVE for SYNC", StringComparison.Ordinal));
            Assert.Contains("Diskless rdb transfer, done reading from pipe, 3 replicas still up.", primary.Output, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var r in replicas)
            {
                await r.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AReplicaOfARedisReplicaReceivesOurStreamUnchangedWithTheSameOffsets()
    {
        await using var primary = await ServerProcess.StartAsync(Primary());
        await using var middle = await ServerProcess.StartAsync(RedisReplicaOf(primary.Port, NewDir()));
        await WaitForLinkUpAsync(middle.Port);
        await using var leaf = await ServerProcess.StartAsync(RedisReplicaOf(middle.Port, NewDir()));
        await WaitForLinkUpAsync(leaf.Port);
        await WriteSampleAsync(primary.Port, "chain:");
        await WaitForSameOffsetAsync(primary.Port, middle.Port);
        long offset = await WaitForSameOffsetAsync(primary.Port, leaf.Port);
        Assert.True(offset > 0);
        await WaitForSameDigestAsync(primary.Port, leaf.Port);
        Assert.Equal(await InfoFieldAsync(primary.Port, "master_replid"), await InfoFieldAsync(leaf.Port, "master_replid"));
    }

    [Fact]
    public async Task WaitCountsTheRealReplicaOnceItAcknowledgesTheWrite()
    {
        await using var primary = await ServerProcess.StartAsync(Primary());
        await using var replica = await ServerProcess.StartAsync(RedisReplicaOf(primary.Port, NewDir()));
        await WaitForLinkUpAsync(replica.Port);
        await using var c = await RawConnection.ConnectAsync(primary.Port);
        await c.CommandAsync("SET", "w", "1");
        Assert.Equal(":1\r\n", await c.CommandAsync("WAIT", "1", "0"));
        Assert.Equal(":1\r\n", await c.CommandAsync("WAIT", "2", "100"));
        Assert.Equal("+OK\r\n", await c.CommandAsync("CONFIG", "SET", "min-replicas-to-write", "1"));
        Assert.Equal("+OK\r\n", await c.CommandAsync("SET", "w", "2"));
        Assert.Equal("1", await InfoFieldAsync(c, "min_slaves_good_slaves"));
        Assert.Equal("+OK\r\n", await c.CommandAsync("CONFIG", "SET", "min-replicas-to-write", "2"));
        Assert.Equal("-NOREPLICAS Not enough good replicas to write.\r\n", await c.CommandAsync("SET", "w", "3"));
        var role = await c.CommandAsync("ROLE");
        Assert.StartsWith("*3\r\n$6\r\nmaster\r\n:", role, StringComparison.Ordinal);
        Assert.Contains("$9\r\n127.0.0.1\r\n$" + replica.Port.ToString(CultureInfo.InvariantCulture).Length + "\r\n" + replica.Port + "\r\n", role, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APrimaryRestartedFromItsRdbLetsItsReplicaContinueThroughTheSecondaryId()
    {
        var primaryDir = NewDir();
        string oldId;
        long offset;
        await using var replica = await ServerProcess.StartAsync(ServerOptions.Redis().With("enable-debug-command", "yes"));
        await using (var first = await ServerProcess.StartAsync(Primary().With("dir", primaryDir)))
        {
            await ReplicaOfAsync(replica.Port, first.Port);

            await WaitForLinkUpAsync(replica.Port);
            await WriteSampleAsync(first.Port, "a:");
            offset = await WaitForSameOffsetAsync(first.Port, replica.Port);
            oldId = (await InfoFieldAsync(first.Port, "master_replid"))!;
            await using var c = await RawConnection.ConnectAsync(first.Port);
            await c.SendRawAsync(RawConnection.Encode("SHUTDOWN"u8.ToArray(), "SAVE"u8.ToArray()));
            await WaitUntilAsync(() => Task.FromResult(first.HasExited), "primary exited");
        }

        // SHUTDOWN waits for the replica's ACK of the whole stream (asking with REPLCONF GETACK,
        // which is part of the stream, when the last ACK was behind): the saved offset is the
        // one the replica has now.
        offset = long.Parse((await InfoFieldAsync(replica.Port, "master_repl_offset"))!, CultureInfo.InvariantCulture);

        await using var second = await ServerProcess.StartAsync(Primary().With("dir", primaryDir));
        Assert.Equal(oldId, await InfoFieldAsync(second.Port, "master_replid2"));
        Assert.Equal((offset + 1).ToString(CultureInfo.InvariantCulture), await InfoFieldAsync(second.Port, "second_repl_offset"));
        Assert.Equal(offset.ToString(CultureInfo.InvariantCulture), await InfoFieldAsync(second.Port, "master_repl_offset"));
        Assert.Equal("1", await InfoFieldAsync(second.Port, "repl_backlog_active"));

        await ReplicaOfAsync(replica.Port, second.Port);

        await WaitForLinkUpAsync(replica.Port);
        await WriteSampleAsync(second.Port, "b:");
        await WaitForSameOffsetAsync(second.Port, replica.Port);
        await WaitForSameDigestAsync(second.Port, replica.Port);
        await replica.WaitForOutputAsync("Successful partial resynchronization with master", Deadline);
        Assert.Equal("0", await InfoFieldAsync(second.Port, "sync_full", "stats"));
        Assert.Equal("1", await InfoFieldAsync(second.Port, "sync_partial_ok", "stats"));
    }

    [Fact]
    public async Task APrimaryRestartedFromItsRdbFeedsTheKeysItDroppedAsExpiredToItsBacklogAsDels()
    {
        var primaryDir = NewDir();
        long offset;
        await using var replica = await ServerProcess.StartAsync(ServerOptions.Redis().With("enable-debug-command", "yes"));
        await using (var first = await ServerProcess.StartAsync(Primary().With("dir", primaryDir)))
        {
            await ReplicaOfAsync(replica.Port, first.Port);

            await WaitForLinkUpAsync(replica.Port);
            await using var c = await RawConnection.ConnectAsync(first.Port);
            Assert.Equal("+OK\r\n", await c.CommandAsync("DEBUG", "SET-ACTIVE-EXPIRE", "0"));
            Assert.Equal("+OK\r\n", await c.CommandAsync("SET", "kept", "v"));
            Assert.Equal("+OK\r\n", await c.CommandAsync("SET", "x:gone", "v", "PX", "50"));
            Assert.Equal("+OK\r\n", await c.CommandAsync("SELECT", "5"));
            Assert.Equal("+OK\r\n", await c.CommandAsync("SET", "y:gone", "v", "PX", "50"));
            await WaitForSameOffsetAsync(first.Port, replica.Port);

            // Reading the keys would expire them now (and propagate DELs): watch the clock instead.
            long setAt = await ServerMillisecondsAsync(c);
            await WaitUntilAsync(async () => await ServerMillisecondsAsync(c) > setAt + 100, "the keys to pass their TTL");
            await c.SendRawAsync(RawConnection.Encode("SHUTDOWN"u8.ToArray(), "SAVE"u8.ToArray()));
            await WaitUntilAsync(() => Task.FromResult(first.HasExited), "primary exited");
        }

        offset = long.Parse((await InfoFieldAsync(replica.Port, "master_repl_offset"))!, CultureInfo.InvariantCulture);
        await using (var r = await RawConnection.ConnectAsync(replica.Port))
        {
            Assert.Equal(":2\r\n", await r.CommandAsync("DBSIZE"));
        }

        // SELECT 0, DEL x:gone, SELECT 5, DEL y:gone: 23 + 25 + 23 + 25 bytes after the saved offset.
        await using var second = await ServerProcess.StartAsync(Primary().With("dir", primaryDir));
        Assert.Equal("2", await InfoFieldAsync(second.Port, "rdb_last_load_keys_expired", "persistence"));
        Assert.Equal((offset + 96).ToString(CultureInfo.InvariantCulture), await InfoFieldAsync(second.Port, "master_repl_offset"));
        Assert.Equal("96", await InfoFieldAsync(second.Port, "repl_backlog_histlen"));

        await ReplicaOfAsync(replica.Port, second.Port);

        await WaitForLinkUpAsync(replica.Port);
        await WaitForSameOffsetAsync(second.Port, replica.Port);
        await WaitForSameDigestAsync(second.Port, replica.Port);
        Assert.Equal("1", await InfoFieldAsync(second.Port, "sync_partial_ok", "stats"));
        await using (var r = await RawConnection.ConnectAsync(replica.Port))
        {
            Assert.Equal(":1\r\n", await r.CommandAsync("DBSIZE"));
            Assert.Equal("+OK\r\n", await r.CommandAsync("SELECT", "5"));
            Assert.Equal(":0\r\n", await r.CommandAsync("DBSIZE"));
        }
    }

    private static async Task<long> ServerMillisecondsAsync(RawConnection c)
    {
        var parts = (await c.CommandAsync("TIME")).Split("\r\n");
        return (long.Parse(parts[2], CultureInfo.InvariantCulture) * 1000) + (long.Parse(parts[4], CultureInfo.InvariantCulture) / 1000);
    }
}
