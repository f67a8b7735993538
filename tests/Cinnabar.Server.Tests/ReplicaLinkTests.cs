using Cinnabar.Server.Persistence.Rdb;
using Cinnabar.Server.Storage;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

public class ReplicaLinkTests
{
    private static readonly string SavedId = new('c', 40);

    private static RdbLoadResult LoadedWithReplicationInfo(long offset, int db)
    {
        var result = new RdbLoadResult { Version = 10, Databases = [new Database(0)] };
        result.Aux["repl-id"] = SavedId;
        result.Aux["repl-offset"] = offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
        result.Aux["repl-stream-db"] = db.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return result;
    }

    [Fact]
    public void AConfiguredReplicaReportsADownLinkBeforeItConnects()
    {
        var h = new ServerHarness();
        h.Server.PrimaryLink.Configure("10.0.0.1", 6379);
        var info = h.Run("INFO", "replication");
        Assert.Contains(
            "role:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6379\r\nmaster_link_status:down\r\nmaster_last_io_seconds_ago:-1\r\n" +
            "master_sync_in_progress:0\r\nslave_read_repl_offset:1\r\nslave_repl_offset:1\r\nmaster_link_down_since_seconds:-1\r\n" +
            "slave_priority:100\r\nslave_read_only:1\r\nreplica_announced:1\r\nmaster_sync_phase:connect\r\nmaster_link_down_reason:none\r\nconnected_slaves:0\r\n",
            info);
        Assert.Equal("*5\r\n$5\r\nslave\r\n$8\r\n10.0.0.1\r\n:6379\r\n$7\r\nconnect\r\n:-1\r\n", h.Run("ROLE"));
        Assert.Equal('S', h.Server.Log.Role);
    }

    [Fact]
    public void AReplicaStartedFromAnRdbWithReplicationInfoAsksToContinueFromIt()
    {
        var h = new ServerHarness();
        var lines = new List<string>();
        h.Server.Log.Sink = lines.Add;
        h.Server.PrimaryLink.Configure("10.0.0.1", 6379);
        h.Server.PrimaryLink.AdoptLoadedRdb(LoadedWithReplicationInfo(4242, 3));

        Assert.Equal(SavedId, h.Server.PrimaryLink.Cached!.ReplId);
        Assert.Equal(4242, h.Server.PrimaryLink.Cached.Offset);
        Assert.Equal(3, h.Server.PrimaryLink.Cached.Db);
        var info = h.Run("INFO", "replication");
        Assert.Contains("slave_repl_offset:4242\r\n", info);
        Assert.Contains($"master_replid:{SavedId}\r\n", info);
        Assert.Contains("master_repl_offset:4242\r\n", info);
        Assert.Contains(lines, l => l.EndsWith("Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.", StringComparison.Ordinal));

        // A snapshot saved now records the same position (rdbPopulateSaveInfo).
        Assert.Equal(new ReplSaveInfo(3, SavedId, 4242), h.Server.Snapshots.ReplicationInfo());
    }

    [Fact]
    public void AnRdbWithoutReplicationInfoLeavesNothingToContinueFrom()
    {
        var h = new ServerHarness();
        h.Server.PrimaryLink.Configure("10.0.0.1", 6379);
        var loaded = LoadedWithReplicationInfo(10, 0);
        loaded.Aux.Remove("repl-stream-db");
        h.Server.PrimaryLink.AdoptLoadedRdb(loaded);
        Assert.Null(h.Server.PrimaryLink.Cached);
        Assert.Null(h.Server.Snapshots.ReplicationInfo());
    }

    [Fact]
    public void ReplicaofNoOneKeepsTheOldIdAsReplid2ValidUpToTheNextByte()
    {
        var h = new ServerHarness();
        h.Server.PrimaryLink.Configure("10.0.0.1", 6379);
        h.Server.PrimaryLink.AdoptLoadedRdb(LoadedWithReplicationInfo(500, 0));
        Assert.Equal("-READONLY You can't write against a read only replica.\r\n", h.Run("SET", "k", "v"));

        Assert.Equal("+OK\r\n", h.Run("REPLICAOF", "NO", "ONE"));
        var info = h.Run("INFO", "replication");
        Assert.Contains("role:master\r\n", info);
        Assert.Contains($"master_replid2:{SavedId}\r\n", info);
        Assert.Contains("second_repl_offset:501\r\n", info);
        Assert.DoesNotContain($"master_replid:{SavedId}\r\n", info);
        Assert.Equal("+OK\r\n", h.Run("SET", "k", "v"));
        Assert.Equal("*2\r\n$9\r\nreplicaof\r\n$0\r\n\r\n", h.Run("CONFIG", "GET", "replicaof"));
        Assert.Equal('M', h.Server.Log.Role);
        Assert.False(h.Server.IsReplica);
    }

    [Fact]
    public void ReplicaofChecksItsPortAndIsANoOpOnAPrimaryForNoOne()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR Invalid master port\r\n", h.Run("REPLICAOF", "127.0.0.1", "port"));
        Assert.Equal("-ERR Invalid master port\r\n", h.Run("SLAVEOF", "127.0.0.1", "65536"));
        Assert.Equal("-ERR Invalid master port\r\n", h.Run("REPLICAOF", "127.0.0.1", "-1"));
        Assert.Equal("+OK\r\n", h.Run("REPLICAOF", "no", "one"));
        Assert.Equal("-ERR wrong number of arguments for 'replicaof' command\r\n", h.Run("REPLICAOF", "no"));
        Assert.False(h.Server.IsReplica);
    }

    [Fact]
    public void AStaleReplicaRefusesDataCommandsWhenServeStaleDataIsOff()
    {
        var h = new ServerHarness(c => c.ReplicaServeStaleData = false);
        h.Server.PrimaryLink.Configure("10.0.0.1", 6379);
        Assert.Equal("-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n", h.Run("GET", "k"));
        Assert.StartsWith("*5\r\n$5\r\nslave", h.Run("ROLE"), StringComparison.Ordinal);
    }
}
