// A replica's disk-based full sync (repl-diskless-load disabled, the default) loads the snapshot
// while it arrives (PrimarySnapshotReceiver + TransferFileFollower), yet looks to clients and to
// the log exactly like Redis's receive-then-load: the old data is served until the transfer is
// complete, LOADING comes only after it, the log tells the story in Redis's order, and the
// received file becomes dump.rdb.
using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class ReplicaDiskLoadTests
{
    [Fact]
    public async Task ADiskLoadReadsTheSnapshotAsItArrivesButServesTheOldDataUntilTheTransferIsComplete()
    {
        var (primary, replica, p, r) = await StartSlowSyncAsync(3000);
        await using var _ = primary;
        await using var __ = replica;
        await using var ___ = p;
        await using var ____ = r;

        // Keys are being read while the transfer still runs...
        await ReplicationNode.WaitForAsync(
            async () => await ReplicationNode.InfoFieldAsync(r, "replication", "master_sync_in_progress") == "1"
                && await ReplicationNode.InfoNumberAsync(r, "replication", "master_sync_loaded_keys") > 0,
            "keys loaded during the transfer");

        // ...but clients still get the old dataset, not -LOADING (replica-serve-stale-data yes).
        Assert.Equal("$4\r\ndata\r\n", await r.CommandAsync("GET", "old"));
        Assert.Equal("0", await ReplicationNode.InfoFieldAsync(r, "persistence", "loading"));
        Assert.Equal("1", await ReplicationNode.InfoFieldAsync(r, "replication", "master_sync_in_progress"));

        await replica.WaitForLinkUpAsync();
        Assert.Equal(await p.CommandAsync("DEBUG", "DIGEST"), await r.CommandAsync("DEBUG", "DIGEST"));
        Assert.Equal("$-1\r\n", await r.CommandAsync("GET", "old"));

        // The log in Redis's order: the load is announced after the transfer, then the RDB's
        // AUX fields, then the result.
        string log = replica.Log;
        string[] story =
        [
            "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk",
            "MASTER <-> REPLICA sync: Flushing old data",
            "MASTER <-> REPLICA sync: Loading DB in memory",
            "Loading RDB produced by version 7.0.15",
            "Done loading RDB, keys loaded: 3000, keys expired: 0.",
            "MASTER <-> REPLICA sync: Finished with success",
        ];
        int at = 0;
        foreach (var line in story)
        {
            int found = log.IndexOf(line, at, StringComparison.Ordinal);
            Assert.True(found >= 0, $"'{line}' missing or out of order in:\n{log}");
            at = found + line.Length;
        }

        // The received file is the replica's dump.rdb (a restart loads it), no temp file is left.
        Assert.True(File.Exists(Path.Combine(replica.Dir, "dump.rdb")));
        Assert.Empty(Directory.GetFiles(replica.Dir, "temp-*.rdb"));
    }

    [Fact]
    public async Task APrimaryKilledDuringTheTransferLeavesTheOldDataAndNoTempFile()
    {
        var (primary, replica, p, r) = await StartSlowSyncAsync(5000);
        await using var _ = primary;
        await using var __ = replica;
        await using var ___ = p;
        await using var ____ = r;
        await ReplicationNode.WaitForAsync(
            async () => await ReplicationNode.InfoNumberAsync(r, "replication", "master_sync_loaded_keys") > 0,
            "keys loaded during the transfer");

        await primary.KillAsync();

        await ReplicationNode.WaitForAsync(
            async () => await ReplicationNode.InfoFieldAsync(r, "replication", "master_sync_in_progress") == "0",
            "the transfer to end");
        await ReplicationNode.WaitForAsync(() => Task.FromResult(Directory.GetFiles(replica.Dir, "temp-*.rdb").Length == 0), "the temp file to be removed");
        Assert.Equal("$4\r\ndata\r\n", await r.CommandAsync("GET", "old"));
        Assert.Equal(":1\r\n", await r.CommandAsync("DBSIZE"));
        Assert.Equal("down", await ReplicationNode.InfoFieldAsync(r, "replication", "master_link_status"));
        Assert.Contains("I/O error trying to sync with MASTER: connection lost", replica.Log);
        Assert.False(File.Exists(Path.Combine(replica.Dir, "dump.rdb")));
    }

    // A primary with `keys` keys of 1000 bytes written at 1 ms each (uncompressed, so the ~1 MB
    // per second leaves in many 64 KB pieces), and a replica holding old=data that has just been
    // told REPLICAOF it.
    private static async Task<(ReplicationNode Primary, ReplicationNode Replica, RawConnection P, RawConnection R)> StartSlowSyncAsync(int keys)
    {
        var primary = await ReplicationNode.StartAsync(ServerKind.Cinnabar, "rdb-key-save-delay 1000", "rdbcompression no");
        var replica = await ReplicationNode.StartAsync(ServerKind.Cinnabar, "loading-process-events-interval-bytes 1024");
        var p = await primary.ConnectAsync();
        var r = await replica.ConnectAsync();
        await p.CommandAsync("DEBUG", "POPULATE", keys.ToString(System.Globalization.CultureInfo.InvariantCulture), "key", "1000");
        await r.CommandAsync("SET", "old", "data");
        Assert.Equal("+OK\r\n", await r.CommandAsync("REPLICAOF", "127.0.0.1", primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return (primary, replica, p, r);
    }
}
