// A Cinnabar replica following a real redis-server 7.0.15 primary: the user's experiment from
// issue 4 (requirepass + masterauth, kill -9 of the replica and a partial resync from the RDB it
// received), both transfer framings, diskless load, id shifting, and the failure paths.
using System.Text.RegularExpressions;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class ReplicaOfRedisTests
{
    private const string Password = "centos";

    private static Task<ReplicationNode> StartRedisPrimaryAsync(params string[] extra) =>
        ReplicationNode.StartAsync(ServerKind.Redis, [$"requirepass {Password}", .. extra]);

    private static Task<ReplicationNode> StartCinnabarReplicaAsync(ReplicationNode primary, params string[] extra) =>
        ReplicationNode.StartAsync(ServerKind.Cinnabar, [$"requirepass {Password}", $"masterauth {Password}", $"replicaof 127.0.0.1 {primary.Port}", .. extra]);

    private static async Task WriteSampleDataAsync(RawConnection c)
    {
        await c.CommandAsync("SET", "plain", "value");
        await c.CommandAsync("SET", "with-ttl", "v", "EX", "100000");
        await c.CommandAsync("SET", "counter", "41");
        await c.CommandAsync("INCR", "counter");
        await c.CommandAsync("APPEND", "plain", "-appended");
        await c.CommandAsync("SELECT", "3");
        await c.CommandAsync("SET", "in-db3", "three", "PX", "90000000");
        await c.CommandAsync("SELECT", "15");
        await c.CommandAsync("SET", "in-db15", "fifteen");
        await c.CommandAsync("SELECT", "0");
    }

    private static async Task WaitForSameDigestAsync(RawConnection primary, RawConnection replica)
    {
        string last = string.Empty;
        await ReplicationNode.WaitForAsync(
            async () =>
            {
                var p = await primary.CommandAsync("DEBUG", "DIGEST");
                var r = await replica.CommandAsync("DEBUG", "DIGEST");
                last = $"primary {p.Trim()} replica {r.Trim()}";
                return p == r;
            },
            "equal DEBUG DIGEST: " + last);
    }

    [Fact]
    public async Task TheUsersExperimentWorksAgainstARealRedisPrimaryIncludingAPartialResyncAfterKill9()
    {
        await using var primary = await StartRedisPrimaryAsync();
        await using (var p0 = await primary.ConnectAsync(Password))
        {
            await WriteSampleDataAsync(p0);
        }

        await using var replica = await StartCinnabarReplicaAsync(primary);
        await replica.WaitForLinkUpAsync(Password);

        await using var p = await primary.ConnectAsync(Password);
        await using (var r = await replica.ConnectAsync(Password))
        {
            var info = await r.CommandAsync("INFO", "replication");
            Assert.Contains("role:slave\r\n", info);
            Assert.Contains("master_host:127.0.0.1\r\n", info);
            Assert.Contains($"master_port:{primary.Port}\r\n", info);
            Assert.Contains("master_link_status:up\r\n", info);
            await WaitForSameDigestAsync(p, r);
            Assert.Equal("$5\r\nthree\r\n", await SelectAndGetAsync(r, 3, "in-db3"));
            Assert.NotEqual(":-1\r\n", await r.CommandAsync("TTL", "with-ttl"));

            // Writes made after the sync are streamed.
            await p.CommandAsync("SET", "streamed", "yes");
            await p.CommandAsync("SELECT", "7");
            await p.CommandAsync("SET", "streamed7", "yes", "EX", "5000");
            await WaitForSameDigestAsync(p, r);
        }

        foreach (var line in new[]
        {
            $"Connecting to MASTER 127.0.0.1:{primary.Port}", "MASTER <-> REPLICA sync started", "Non blocking connect for SYNC fired the event.",
            "Master replied to PING, replication can continue...", "Partial resynchronization not possible (no cached master)",
            "Full resync from master: ", "MASTER <-> REPLICA sync: Flushing old data", "MASTER <-> REPLICA sync: Loading DB in memory",
            "MASTER <-> REPLICA sync: Finished with success",
        })
        {
            Assert.Contains(line, replica.Log);
        }

        // kill -9, a write while the replica is down, and a restart from the same config.
        long partialBefore = await ReplicationNode.InfoNumberAsync(p, "stats", "sync_partial_ok");
        long fullBefore = await ReplicationNode.InfoNumberAsync(p, "stats", "sync_full");
        await replica.KillAsync();
        await p.CommandAsync("SET", "while-down", "1");
        await replica.RestartAsync();
        await replica.WaitForLinkUpAsync(Password);
        await using (var r = await replica.ConnectAsync(Password))
        {
            await WaitForSameDigestAsync(p, r);
            await p.CommandAsync("SET", "after-restart", "1");
            await WaitForSameDigestAsync(p, r);
            Assert.Equal("$1\r\n1\r\n", await SelectAndGetAsync(r, 7, "while-down"));
        }

        Assert.Equal(partialBefore + 1, await ReplicationNode.InfoNumberAsync(p, "stats", "sync_partial_ok"));
        Assert.Equal(fullBefore, await ReplicationNode.InfoNumberAsync(p, "stats", "sync_full"));
        Assert.Contains("Trying a partial resynchronization (request ", replica.Log);
        Assert.Contains("Successful partial resynchronization with master.", replica.Log);
        Assert.Contains("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.", replica.Log);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public async Task BothTransferFramingsLoadTheSameDataset(string disklessSync)
    {
        await using var primary = await StartRedisPrimaryAsync($"repl-diskless-sync {disklessSync}");
        await using var p = await primary.ConnectAsync(Password);
        await WriteSampleDataAsync(p);
        await p.CommandAsync("DEBUG", "POPULATE", "2000", "key", "40");
        await using var replica = await StartCinnabarReplicaAsync(primary);
        await replica.WaitForLinkUpAsync(Password);
        await using var r = await replica.ConnectAsync(Password);
        await WaitForSameDigestAsync(p, r);
        Assert.Contains(disklessSync == "yes" ? "receiving streamed RDB from master with EOF to disk" : "bytes from master to disk", replica.Log);

        // The received RDB stays as dump.rdb (so a restart can continue from it).
        Assert.True(File.Exists(Path.Combine(replica.Dir, "dump.rdb")));
        Assert.Empty(Directory.GetFiles(replica.Dir, "temp-*.rdb"));

        // Offsets agree byte for byte once the stream has been applied.
        await p.CommandAsync("SET", "last", "write");
        await ReplicationNode.WaitForAsync(
            async () => await ReplicationNode.InfoFieldAsync(p, "replication", "master_repl_offset") == await ReplicationNode.InfoFieldAsync(r, "replication", "slave_repl_offset"),
            "equal offsets");
        Assert.Equal(
            await ReplicationNode.InfoFieldAsync(p, "replication", "master_replid"),
            await ReplicationNode.InfoFieldAsync(r, "replication", "master_replid"));
    }

    [Fact]
    public async Task DisklessLoadSwapdbReplacesTheOldDatasetOnlyOnceTheNewOneHasLoaded()
    {
        await using var primary = await StartRedisPrimaryAsync();
        await using var p = await primary.ConnectAsync(Password);
        await WriteSampleDataAsync(p);
        await using var replica = await ReplicationNode.StartAsync(ServerKind.Cinnabar, $"requirepass {Password}", $"masterauth {Password}", "repl-diskless-load swapdb");
        await using var r = await replica.ConnectAsync(Password);
        await r.CommandAsync("SET", "old-local-key", "x");
        Assert.Equal("+OK\r\n", await r.CommandAsync("REPLICAOF", "127.0.0.1", primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await replica.WaitForLinkUpAsync(Password);
        await WaitForSameDigestAsync(p, r);
        Assert.Equal(":0\r\n", await r.CommandAsync("EXISTS", "old-local-key"));
        Assert.Contains("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to parser", replica.Log);
        Assert.Contains("MASTER <-> REPLICA sync: Swapping active DB with loaded DB", replica.Log);
        Assert.False(File.Exists(Path.Combine(replica.Dir, "dump.rdb")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task DisklessLoadOnEmptyDbIsUsedOnlyWhenTheReplicaHasNoData(bool hasData)
    {
        await using var primary = await StartRedisPrimaryAsync();
        await using var p = await primary.ConnectAsync(Password);
        await WriteSampleDataAsync(p);
        await using var replica = await ReplicationNode.StartAsync(ServerKind.Cinnabar, $"requirepass {Password}", $"masterauth {Password}", "repl-diskless-load on-empty-db");
        await using var r = await replica.ConnectAsync(Password);
        if (hasData)
        {
            await r.CommandAsync("SET", "local", "x");
        }

        await r.CommandAsync("REPLICAOF", "127.0.0.1", primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await replica.WaitForLinkUpAsync(Password);
        await WaitForSameDigestAsync(p, r);
        Assert.Contains(hasData ? "with EOF to disk" : "with EOF to parser", replica.Log);
        Assert.Equal(hasData, File.Exists(Path.Combine(replica.Dir, "dump.rdb")));
    }

    [Fact]
    public async Task ClientKillOnEitherSideIsFollowedByAPartialResyncWithTheWritesInBetween()
    {
        await using var primary = await StartRedisPrimaryAsync();
        await using var replica = await StartCinnabarReplicaAsync(primary);
        await replica.WaitForLinkUpAsync(Password);
        await using var p = await primary.ConnectAsync(Password);
        await using var r = await replica.ConnectAsync(Password);
        await p.CommandAsync("SET", "a", "1");
        await WaitForSameDigestAsync(p, r);

        Assert.Equal(":1\r\n", await r.CommandAsync("CLIENT", "KILL", "TYPE", "master"));
        await p.CommandAsync("SET", "b", "2");
        await replica.WaitForLogAsync("Caching the disconnected master state.");
        await replica.WaitForLinkUpAsync(Password);
        await WaitForSameDigestAsync(p, r);

        // The primary drops the replica while writes continue.
        await p.CommandAsync("CLIENT", "KILL", "TYPE", "replica");
        await p.CommandAsync("SET", "c", "3");
        await p.CommandAsync("INCR", "a");
        await WaitForSameDigestAsync(p, r);
        await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoNumberAsync(p, "stats", "sync_partial_ok") == 2, "two partial resyncs");
        Assert.Equal(1, await ReplicationNode.InfoNumberAsync(p, "stats", "sync_full"));
        Assert.Equal(2, replica.CountInLog("Successful partial resynchronization with master."));
        Assert.Equal(2, replica.CountInLog($"Reconnecting to MASTER 127.0.0.1:{primary.Port}"));
    }

    [Fact]
    public async Task AWrongMasterauthKeepsTheLinkDownAndSaysWhy()
    {
        await using var primary = await StartRedisPrimaryAsync();
        await using var p = await primary.ConnectAsync(Password);
        await p.CommandAsync("SET", "secret", "data");
        await using var replica = await ReplicationNode.StartAsync(ServerKind.Cinnabar, "masterauth wrong", "loglevel verbose", $"replicaof 127.0.0.1 {primary.Port}");
        await replica.WaitForLogAsync("Unable to AUTH to MASTER: -WRONGPASS invalid username-password pair or user is disabled.");
        await using var r = await replica.ConnectAsync();
        await ReplicationNode.WaitForAsync(
            async () => (await ReplicationNode.InfoFieldAsync(r, "replication", "master_link_down_reason"))?.StartsWith("auth refused", StringComparison.Ordinal) == true,
            "master_link_down_reason auth refused");
        var info = await r.CommandAsync("INFO", "replication");
        Assert.Contains("master_link_status:down\r\n", info);
        Assert.Contains("master_link_down_reason:auth refused: WRONGPASS invalid username-password pair or user is disabled.\r\n", info);
        Assert.Equal(":0\r\n", await r.CommandAsync("DBSIZE"));

        // The failure is logged once at warning level, not on every retry.
        await ReplicationNode.WaitForAsync(() => Task.FromResult(Regex.Count(replica.Log, "- Unable to AUTH to MASTER") >= 2), "two more retries");
        Assert.Equal(1, Regex.Count(replica.Log, "# Unable to AUTH to MASTER"));

        // With the right password the next retry synchronizes.
        Assert.Equal("+OK\r\n", await r.CommandAsync("CONFIG", "SET", "masterauth", Password));
        await replica.WaitForLinkUpAsync();
        Assert.Equal("$4\r\ndata\r\n", await r.CommandAsync("GET", "secret"));
    }

    [Fact]
    public async Task ReplicaofNoOneKeepsTheDataAndShiftsTheReplicationIds()
    {
        await using var primary = await StartRedisPrimaryAsync();
        await using var p = await primary.ConnectAsync(Password);
        await WriteSampleDataAsync(p);
        await using var replica = await StartCinnabarReplicaAsync(primary);
        await replica.WaitForLinkUpAsync(Password);
        await using var r = await replica.ConnectAsync(Password);
        await WaitForSameDigestAsync(p, r);
        string digest = await r.CommandAsync("DEBUG", "DIGEST");
        string oldId = (await ReplicationNode.InfoFieldAsync(r, "replication", "master_replid"))!;
        long offset = await ReplicationNode.InfoNumberAsync(r, "replication", "master_repl_offset");

        Assert.Equal("+OK\r\n", await r.CommandAsync("REPLICAOF", "NO", "ONE"));
        var info = await r.CommandAsync("INFO", "replication");
        Assert.Contains("role:master\r\n", info);
        Assert.Contains($"master_replid2:{oldId}\r\n", info);
        Assert.Contains($"second_repl_offset:{offset + 1}\r\n", info);
        Assert.DoesNotContain($"master_replid:{oldId}\r\n", info);
        Assert.Equal(digest, await r.CommandAsync("DEBUG", "DIGEST"));
        Assert.Equal("+OK\r\n", await r.CommandAsync("SET", "writable", "now"));
        Assert.Contains("MASTER MODE enabled (user request from 'id=", replica.Log);
        Assert.Equal("*3\r\n$6\r\nmaster\r\n", (await r.CommandAsync("ROLE"))[..16]);
    }

    [Fact]
    public async Task APrimaryRestartedWithoutItsDataLeadsToAFullResync()
    {
        await using var primary = await StartRedisPrimaryAsync();
        await using (var p0 = await primary.ConnectAsync(Password))
        {
            await p0.CommandAsync("SET", "before", "restart");
        }

        await using var replica = await StartCinnabarReplicaAsync(primary);
        await replica.WaitForLinkUpAsync(Password);
        await primary.KillAsync();
        await using (var r = await replica.ConnectAsync(Password))
        {
            await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoFieldAsync(r, "replication", "master_link_status") == "down", "link down");
        }

        await replica.WaitForLogAsync("Connection with master lost.");
        Assert.Contains("Caching the disconnected master state.", replica.Log);
        await primary.RestartAsync();
        await using var p = await primary.ConnectAsync(Password);
        await p.CommandAsync("SET", "after", "restart");
        await replica.WaitForLinkUpAsync(Password);
        await using (var r = await replica.ConnectAsync(Password))
        {
            await WaitForSameDigestAsync(p, r);
            Assert.Equal(":0\r\n", await r.CommandAsync("EXISTS", "before"));
        }

        Assert.Equal(1, await ReplicationNode.InfoNumberAsync(p, "stats", "sync_full"));
        Assert.Contains("Discarding previously cached master state.", replica.Log);
    }

    [Fact]
    public async Task ExpiredKeysStayOnTheReplicaUntilThePrimaryDeletesThemButReadersDoNotSeeThem()
    {
        await using var primary = await StartRedisPrimaryAsync();
        await using var p = await primary.ConnectAsync(Password);
        await using var replica = await StartCinnabarReplicaAsync(primary);
        await replica.WaitForLinkUpAsync(Password);
        await using var r = await replica.ConnectAsync(Password);
        await p.CommandAsync("DEBUG", "SET-ACTIVE-EXPIRE", "0");
        await p.CommandAsync("SET", "short", "lived", "PX", "200");
        await ReplicationNode.WaitForAsync(async () => await r.CommandAsync("DBSIZE") == ":1\r\n", "the key on the replica");
        await ReplicationNode.WaitForAsync(async () => await r.CommandAsync("GET", "short") == "$-1\r\n", "the key to read as expired");
        Assert.Equal(":1\r\n", await r.CommandAsync("DBSIZE"));

        // The primary's lazy expiry sends DEL; only then is the key gone from the replica.
        Assert.Equal("$-1\r\n", await p.CommandAsync("GET", "short"));
        await ReplicationNode.WaitForAsync(async () => await r.CommandAsync("DBSIZE") == ":0\r\n", "the primary's DEL");
    }

    [Fact]
    public async Task WaitOnTheRedisPrimaryCountsTheCinnabarReplicaAck()
    {
        await using var primary = await StartRedisPrimaryAsync();
        await using var replica = await StartCinnabarReplicaAsync(primary);
        await replica.WaitForLinkUpAsync(Password);
        await using var p = await primary.ConnectAsync(Password);
        await p.CommandAsync("SET", "k", "v");
        Assert.Equal(":1\r\n", await p.CommandAsync("WAIT", "1", "5000"));
        await ReplicationNode.WaitForAsync(async () => (await p.CommandAsync("INFO", "replication")).Contains("state=online", StringComparison.Ordinal), "online replica");
    }

    [Fact]
    public async Task ASilentPrimaryIsDroppedAfterReplTimeoutAndContinuedPartiallyWhenItWakesUp()
    {
        await using var primary = await StartRedisPrimaryAsync();
        await using var replica = await StartCinnabarReplicaAsync(primary, "repl-timeout 2");
        await replica.WaitForLinkUpAsync(Password);
        await using var r = await replica.ConnectAsync(Password);
        primary.Signal("STOP");
        try
        {
            await replica.WaitForLogAsync("MASTER timeout: no data nor PING received...");
            await ReplicationNode.WaitForAsync(async () => (await ReplicationNode.InfoFieldAsync(r, "replication", "master_link_down_reason"))?.StartsWith("timeout", StringComparison.Ordinal) == true, "a timeout reason");
            Assert.Equal("down", await ReplicationNode.InfoFieldAsync(r, "replication", "master_link_status"));
        }
        finally
        {
            primary.Signal("CONT");
        }

        await replica.WaitForLinkUpAsync(Password);
        await replica.WaitForLogAsync("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
        await using var p = await primary.ConnectAsync(Password);
        await p.CommandAsync("SET", "awake", "1");
        await WaitForSameDigestAsync(p, r);
    }

    [Fact]
    public async Task AnRdbSavedByTheReplicaRecordsItsPositionSoARestartContinuesExactlyWhereItEnds()
    {
        await using var primary = await StartRedisPrimaryAsync();
        await using var replica = await StartCinnabarReplicaAsync(primary);
        await replica.WaitForLinkUpAsync(Password);
        await using var p = await primary.ConnectAsync(Password);
        await p.CommandAsync("SELECT", "5");
        await p.CommandAsync("SET", "k", "v");
        long offset;
        await using (var r = await replica.ConnectAsync(Password))
        {
            await WaitForSameDigestAsync(p, r);
            offset = await ReplicationNode.InfoNumberAsync(r, "replication", "slave_repl_offset");
            Assert.Equal("+OK\r\n", await r.CommandAsync("SAVE"));
        }

        string id = (await ReplicationNode.InfoFieldAsync(p, "replication", "master_replid"))!;
        await replica.KillAsync();
        await p.CommandAsync("SET", "k2", "v2");
        await replica.RestartAsync();
        await replica.WaitForLinkUpAsync(Password);
        // The request is the saved offset + 1 (a primary PING may have landed between INFO and SAVE).
        var m = Regex.Match(replica.Log, $"Trying a partial resynchronization \\(request {id}:(\\d+)\\)\\.");
        Assert.True(m.Success, replica.Log);
        Assert.InRange(long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), offset + 1, offset + 1 + 14);
        Assert.Contains("Partial resynchronization request from 127.0.0.1:", primary.Log);

        // The stream continues in the database the saved position had selected.
        await using var r2 = await replica.ConnectAsync(Password);
        await WaitForSameDigestAsync(p, r2);
        await p.CommandAsync("SET", "k3", "v3");
        await WaitForSameDigestAsync(p, r2);
    }

    [Fact]
    public async Task AReplicaKilledMidTransferStartsCleanAndSynchronizesAfterRestart()
    {
        await using var primary = await StartRedisPrimaryAsync("repl-diskless-sync no");
        await using var p = await primary.ConnectAsync(Password);
        await p.CommandAsync("DEBUG", "POPULATE", "3000", "key", "100");
        await p.CommandAsync("CONFIG", "SET", "rdb-key-save-delay", "1000");
        await using var replica = await StartCinnabarReplicaAsync(primary);
        await using (var r = await replica.ConnectAsync(Password))
        {
            await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoFieldAsync(r, "replication", "master_sync_in_progress") == "1", "the transfer to start");
            Assert.Equal("down", await ReplicationNode.InfoFieldAsync(r, "replication", "master_link_status"));
            Assert.NotNull(await ReplicationNode.InfoFieldAsync(r, "replication", "master_sync_total_bytes"));
        }

        await replica.KillAsync();
        await p.CommandAsync("CONFIG", "SET", "rdb-key-save-delay", "0");
        await replica.RestartAsync();
        await replica.WaitForLinkUpAsync(Password);
        await using var r2 = await replica.ConnectAsync(Password);
        await WaitForSameDigestAsync(p, r2);
        Assert.Equal(2, replica.CountInLog("Partial resynchronization not possible (no cached master)"));
    }

    [Fact]
    public async Task TheAnnouncedAddressIsWhatThePrimaryReports()
    {
        await using var primary = await StartRedisPrimaryAsync();
        await using var replica = await StartCinnabarReplicaAsync(primary, "replica-announce-ip 10.1.2.3", "replica-announce-port 7777");
        await replica.WaitForLinkUpAsync(Password);
        await using var p = await primary.ConnectAsync(Password);
        await ReplicationNode.WaitForAsync(async () => (await ReplicationNode.InfoFieldAsync(p, "replication", "slave0"))?.StartsWith("ip=10.1.2.3,port=7777,state=online", StringComparison.Ordinal) == true, "the announced address on the primary");
    }

    [Fact]
    public async Task MasteruserAuthenticatesAsAnAclUserOfTheRedisPrimary()
    {
        await using var primary = await StartRedisPrimaryAsync("user repl on >replpass ~* &* +@all");
        await using var p = await primary.ConnectAsync(Password);
        await p.CommandAsync("SET", "acl", "ok");
        await using var replica = await ReplicationNode.StartAsync(ServerKind.Cinnabar, "masteruser repl", "masterauth replpass", $"replicaof 127.0.0.1 {primary.Port}");
        await replica.WaitForLinkUpAsync();
        await using var r = await replica.ConnectAsync();
        await WaitForSameDigestAsync(p, r);
        Assert.Contains("user=repl", await p.CommandAsync("CLIENT", "LIST", "TYPE", "replica"), StringComparison.Ordinal);
    }

    private static async Task<string> SelectAndGetAsync(RawConnection c, int db, string key)
    {
        await c.CommandAsync("SELECT", db.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var v = await c.CommandAsync("GET", key);
        await c.CommandAsync("SELECT", "0");
        return v;
    }
}
