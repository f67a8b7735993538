using System.Diagnostics;
using System.Globalization;

using Cinnabar.IntegrationTests.Infrastructure;

using static Cinnabar.IntegrationTests.Infrastructure.PersistenceChecks;

namespace Cinnabar.IntegrationTests;

/// <summary>
/// BGSAVE without fork: the file holds exactly the dataset of the moment BGSAVE was called while
/// writes go on, it loads in Debian's redis-server 7.0.15 with the same DEBUG DIGEST, and the
/// replies, INFO fields and log lines around it are Redis's.
/// </summary>
public class BgsaveTests
{
    [Fact]
    public async Task TheFileHoldsTheDatasetOfTheMomentBgsaveStartedWhileAWriterHammersTheKeyspace()
    {
        // 20 µs per key stretches the save over about a second, so the writer runs during it.
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar()
            .With("enable-debug-command", "yes").With("rdb-key-save-delay", "20"));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await c.CommandAsync("DEBUG", "POPULATE", "40000", "key", "32");
        for (int i = 0; i < 500; i++)
        {
            await c.CommandAsync("SET", "ttl:" + i, "v" + i, "EX", (10000 + i).ToString(CultureInfo.InvariantCulture));
        }

        await c.CommandAsync("APPEND", "grown", "in place");
        await c.CommandAsync("SELECT", "3");
        await c.CommandAsync("DEBUG", "POPULATE", "5000", "three", "10");
        await c.CommandAsync("SELECT", "0");
        var digestAtStart = await c.CommandAsync("DEBUG", "DIGEST");
        var keysAtStart = await c.CommandAsync("DBSIZE");

        Assert.Equal("+Background saving started\r\n", await c.CommandAsync("BGSAVE"));

        // The writer: overwrites, deletes, new keys, in-place appends, TTL changes, another
        // database and a SWAPDB, all answered while the snapshot is being written.
        await using var w = await RawConnection.ConnectAsync(server.Port);
        var random = new Random(7);
        int writesDuringSave = 0;
        while ((await c.CommandAsync("INFO", "persistence")).Contains("rdb_bgsave_in_progress:1\r\n", StringComparison.Ordinal))
        {
            for (int i = 0; i < 50; i++)
            {
                string key = "key:" + random.Next(0, 40000);
                string reply = random.Next(0, 8) switch
                {
                    0 => await w.CommandAsync("DEL", key),
                    1 => await w.CommandAsync("SET", "new:" + random.Next(), "fresh"),
                    2 => await w.CommandAsync("APPEND", "grown", "+"),
                    3 => await w.CommandAsync("EXPIRE", key, "100000"),
                    4 => await w.CommandAsync("SET", "ttl:" + random.Next(0, 500), "changed", "PX", "50000"),
                    5 => await w.CommandAsync("SET", key, "overwritten"),
                    6 => await w.CommandAsync("SETRANGE", key, "3", "xyz"),
                    _ => await w.CommandAsync("PERSIST", "ttl:" + random.Next(0, 500)),
                };
                Assert.DoesNotContain("-", reply[..1], StringComparison.Ordinal);
                writesDuringSave++;
            }

            if (writesDuringSave == 500)
            {
                Assert.Equal("+OK\r\n", await w.CommandAsync("SWAPDB", "0", "3"));
                Assert.Equal("+OK\r\n", await w.CommandAsync("SWAPDB", "0", "3"));
                await w.CommandAsync("SELECT", "3");
                await w.CommandAsync("DEL", "three:1", "three:2");
                await w.CommandAsync("SELECT", "0");
            }
        }

        Assert.True(writesDuringSave >= 500, $"only {writesDuringSave} writes ran during the save");
        var info = await c.CommandAsync("INFO", "persistence");
        Assert.Contains("rdb_last_bgsave_status:ok\r\n", info, StringComparison.Ordinal);
        Assert.NotEqual(digestAtStart, await c.CommandAsync("DEBUG", "DIGEST"));
        await server.WaitForOutputAsync("Background saving terminated with success", TimeSpan.FromSeconds(10));
        Assert.Contains($"Background saving started by pid {server.Pid}", server.Output, StringComparison.Ordinal);

        var dump = Path.Combine(server.Dir, "dump.rdb");
        await AssertRedisCheckRdbAcceptsAsync(dump);
        var copy = Directory.CreateTempSubdirectory("cinnabar-bgsave-").FullName;
        try
        {
            File.Copy(dump, Path.Combine(copy, "dump.rdb"));
            await using var redis = await ServerProcess.StartAsync(ServerOptions.Redis()
                .With("enable-debug-command", "yes").With("dir", copy).With("dbfilename", "dump.rdb"));
            await using var r = await RawConnection.ConnectAsync(redis.Port);
            Assert.Equal(digestAtStart, await r.CommandAsync("DEBUG", "DIGEST"));
            Assert.Equal(keysAtStart, await r.CommandAsync("DBSIZE"));

            await using var reloaded = await ServerProcess.StartAsync(ServerOptions.Cinnabar()
                .With("enable-debug-command", "yes").With("dir", copy).With("dbfilename", "dump.rdb"));
            await using var l = await RawConnection.ConnectAsync(reloaded.Port);
            Assert.Equal(digestAtStart, await l.CommandAsync("DEBUG", "DIGEST"));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task RepliesWhileASaveRunsMatchRedis()
    {
        string[][] script = [["BGSAVE", "now"], ["BGSAVE"], ["BGSAVE"], ["BGSAVE", "SCHEDULE"], ["SAVE"]];
        var replies = new List<List<string>>();
        foreach (var options in new[] { ServerOptions.Redis(), ServerOptions.Cinnabar() })
        {
            // 200 ms per key over 20 keys: the first BGSAVE is still running for the rest.
            await using var server = await ServerProcess.StartAsync(options.With("rdb-key-save-delay", "200000"));
            await using var c = await RawConnection.ConnectAsync(server.Port);
            for (int i = 0; i < 20; i++)
            {
                await c.CommandAsync("SET", "k" + i, "v");
            }

            var got = new List<string>();
            foreach (var cmd in script)
            {
                got.Add(await c.CommandAsync(cmd));
            }

            var info = await c.CommandAsync("INFO", "persistence");
            Assert.Contains("rdb_bgsave_in_progress:1\r\n", info, StringComparison.Ordinal);
            Assert.Contains("rdb_current_bgsave_time_sec:", info, StringComparison.Ordinal);
            Assert.DoesNotContain("rdb_current_bgsave_time_sec:-1\r\n", info, StringComparison.Ordinal);
            Assert.Matches("current_save_keys_total:20\r\n", info);
            replies.Add(got);
        }

        Assert.Equal("+Background saving started\r\n", replies[0][1]);
        Assert.Equal(replies[0], replies[1]);
    }

    [Fact]
    public async Task BgsaveInsideMultiIsScheduledAndRunsAfterwardsAsInRedis()
    {
        var replies = new List<string>();
        foreach (var options in new[] { ServerOptions.Redis(), ServerOptions.Cinnabar() })
        {
            await using var server = await ServerProcess.StartAsync(options);
            await using var c = await RawConnection.ConnectAsync(server.Port);
            await c.CommandAsync("SET", "k", "v");
            await c.CommandAsync("MULTI");
            await c.CommandAsync("BGSAVE");
            replies.Add(await c.CommandAsync("EXEC"));
            await WaitForInfoAsync(c, "rdb_saves:1\r\n");
            await WaitForInfoAsync(c, "rdb_bgsave_in_progress:0\r\n");
            await WaitForInfoAsync(c, "rdb_changes_since_last_save:0\r\n");
            Assert.True(File.Exists(Path.Combine(server.Dir, "dump.rdb")));
        }

        Assert.Equal("*1\r\n+Background saving scheduled\r\n", replies[0]);
        Assert.Equal(replies[0], replies[1]);
    }

    [Fact]
    public async Task WritesMadeDuringTheSaveStayCountedAsChangesAndLastsaveMoves()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("rdb-key-save-delay", "100000"));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        for (int i = 0; i < 10; i++)
        {
            await c.CommandAsync("SET", "k" + i, "v");
        }

        var lastSaveBefore = await c.CommandAsync("LASTSAVE");
        Assert.Equal("+Background saving started\r\n", await c.CommandAsync("BGSAVE"));
        await c.CommandAsync("SET", "during", "1");
        await c.CommandAsync("SET", "during", "2");
        await c.CommandAsync("SET", "during", "3");
        await WaitForInfoAsync(c, "rdb_bgsave_in_progress:0\r\n");
        var info = await c.CommandAsync("INFO", "persistence");
        Assert.Contains("rdb_changes_since_last_save:3\r\n", info, StringComparison.Ordinal);
        Assert.Contains("rdb_last_bgsave_status:ok\r\n", info, StringComparison.Ordinal);
        Assert.Contains("rdb_last_bgsave_time_sec:", info, StringComparison.Ordinal);
        Assert.DoesNotContain("rdb_last_bgsave_time_sec:-1\r\n", info, StringComparison.Ordinal);
        Assert.Contains("rdb_saves:1\r\n", info, StringComparison.Ordinal);
        Assert.True(long.Parse((await c.CommandAsync("LASTSAVE"))[1..].Trim(), CultureInfo.InvariantCulture)
            >= long.Parse(lastSaveBefore[1..].Trim(), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task FlushallKillsARunningBgsaveAndLeavesNoTempFile()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("rdb-key-save-delay", "100000"));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        for (int i = 0; i < 50; i++)
        {
            await c.CommandAsync("SET", "k" + i, "v");
        }

        Assert.Equal("+Background saving started\r\n", await c.CommandAsync("BGSAVE"));
        Assert.Equal("+OK\r\n", await c.CommandAsync("FLUSHALL"));
        await server.WaitForOutputAsync("Background saving terminated by signal 10", TimeSpan.FromSeconds(10));
        await WaitForInfoAsync(c, "rdb_bgsave_in_progress:0\r\n");
        var info = await c.CommandAsync("INFO", "persistence");
        Assert.Contains("rdb_last_bgsave_status:ok\r\n", info, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(server.Dir, "dump.rdb")));
        Assert.Empty(Directory.GetFiles(server.Dir, "temp-*.rdb"));
        Assert.Equal("+Background saving started\r\n", await c.CommandAsync("BGSAVE"));
        await WaitForInfoAsync(c, "rdb_bgsave_in_progress:0\r\n");
        Assert.True(File.Exists(Path.Combine(server.Dir, "dump.rdb")));
    }

    [Fact]
    public async Task WritesThatReachKeysBeforeTheTraversalShowAsCopyOnWriteBytes()
    {
        // 100k keys of 100 bytes: more than the traversal copies ahead of a slow encoder, so
        // keys written during the save are copied because of the write.
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar()
            .With("enable-debug-command", "yes").With("rdb-key-save-delay", "10"));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await c.CommandAsync("DEBUG", "POPULATE", "100000", "key", "100");
        Assert.Contains("rdb_last_cow_size:0\r\n", await c.CommandAsync("INFO", "persistence"), StringComparison.Ordinal);
        Assert.Equal("+Background saving started\r\n", await c.CommandAsync("BGSAVE"));
        long copied = 0;
        for (int i = 0; i < 100000 && copied == 0; i += 997)
        {
            await c.CommandAsync("SET", "key:" + i, "changed");
            var info = await c.CommandAsync("INFO", "persistence");
            if (!info.Contains("rdb_bgsave_in_progress:1\r\n", StringComparison.Ordinal))
            {
                break;
            }

            copied = long.Parse(info.Split("\r\n").Single(l => l.StartsWith("current_cow_size:", StringComparison.Ordinal))[17..], CultureInfo.InvariantCulture);
        }

        Assert.True(copied > 0, "no write was copied before the traversal reached it");
        await WaitForInfoAsync(c, "rdb_bgsave_in_progress:0\r\n");
        Assert.DoesNotContain("rdb_last_cow_size:0\r\n", await c.CommandAsync("INFO", "persistence"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BgsaveOfAnEmptyDatasetWritesAFileRedisLoads()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar());
        await using var c = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal("+Background saving started\r\n", await c.CommandAsync("BGSAVE"));
        await WaitForInfoAsync(c, "rdb_bgsave_in_progress:0\r\n");
        Assert.Contains("rdb_last_bgsave_status:ok\r\n", await c.CommandAsync("INFO", "persistence"), StringComparison.Ordinal);
        await AssertRedisCheckRdbAcceptsAsync(Path.Combine(server.Dir, "dump.rdb"));
    }

    [Fact]
    public async Task AFailedBgsaveIsLoggedReportedAndLeavesThePreviousDump()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar());
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await c.CommandAsync("SET", "k", "old");
        Assert.Equal("+OK\r\n", await c.CommandAsync("SAVE"));
        var dump = Path.Combine(server.Dir, "dump.rdb");
        var before = await File.ReadAllBytesAsync(dump);

        // A directory where the temp file goes makes the open fail even for root.
        Directory.CreateDirectory(Path.Combine(server.Dir, $"temp-{server.Pid}.rdb"));
        await c.CommandAsync("SET", "k", "new");
        Assert.Equal("+Background saving started\r\n", await c.CommandAsync("BGSAVE"));
        await WaitForInfoAsync(c, "rdb_last_bgsave_status:err\r\n");
        await server.WaitForOutputAsync("# Background saving error", TimeSpan.FromSeconds(10));
        Assert.Equal(before, await File.ReadAllBytesAsync(dump));
    }

    [Fact]
    public async Task ShutdownDuringABgsaveKillsItAndSavesTheCurrentDataset()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar()
            .With("rdb-key-save-delay", "100000").With("enable-debug-command", "yes"));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        for (int i = 0; i < 50; i++)
        {
            await c.CommandAsync("SET", "k" + i, "v");
        }

        Assert.Equal("+Background saving started\r\n", await c.CommandAsync("BGSAVE"));
        await c.CommandAsync("SET", "late", "write");
        var digest = await c.CommandAsync("DEBUG", "DIGEST");
        await c.SendRawAsync(RawConnection.Encode("SHUTDOWN"u8.ToArray(), "SAVE"u8.ToArray()));
        await WaitForExitAsync(server);
        Assert.Contains("There is a child saving an .rdb. Killing it!", server.Output, StringComparison.Ordinal);
        Assert.Contains("DB saved on disk", server.Output, StringComparison.Ordinal);

        var copy = Directory.CreateTempSubdirectory("cinnabar-bgsave-").FullName;
        try
        {
            File.Copy(Path.Combine(server.Dir, "dump.rdb"), Path.Combine(copy, "dump.rdb"));
            await using var reloaded = await ServerProcess.StartAsync(ServerOptions.Cinnabar()
                .With("enable-debug-command", "yes").With("dir", copy).With("dbfilename", "dump.rdb"));
            await using var l = await RawConnection.ConnectAsync(reloaded.Port);
            Assert.Equal(digest, await l.CommandAsync("DEBUG", "DIGEST"));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }
}
