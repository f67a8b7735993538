using System.Diagnostics;
using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;

using static Cinnabar.IntegrationTests.Infrastructure.PersistenceChecks;

namespace Cinnabar.IntegrationTests;

public class RdbSaveTests : IClassFixture<DifferentialPair>
{
    private const string Misconf = "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.\r\n";

    private readonly DifferentialPair _pair;

    public RdbSaveTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public async Task ADumpWrittenBySaveLoadsIntoRealRedisWithTheSameDigest()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("enable-debug-command", "yes"));
        var rng = new Random(11);
        var noise = new byte[3000];
        rng.NextBytes(noise);
        await using (var c = await RawConnection.ConnectAsync(server.Port))
        {
            await c.CommandAsync("SET", "small-int", "42");
            await c.CommandAsync("SET", "negative", "-70000");
            await c.CommandAsync("SET", "int64", "9223372036854775807");
            await c.CommandAsync("SET", "not-canonical", "007");
            await c.CommandAsync("SET", "word", "hello");
            await c.CommandAsync("SET", "empty", string.Empty);
            await c.CommandAsync("SET", "compressible", string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 400)));
            await c.CommandAsync("SET", "huge-run", new string('z', 100_000));
            await c.CommandAsync("SET", "ttl", "expiring", "EX", "5000");
            await c.CommandAsync("SET", "pttl", "12", "PX", "9000000");
            await c.CommandAsync("APPEND", "appended", "grown in place");
            await c.CommandAsync([Encoding.ASCII.GetBytes("SET"), [0, 1, 2, 0xFF], noise]);
            await c.CommandAsync([Encoding.ASCII.GetBytes("SET"), Encoding.ASCII.GetBytes("bin"), [0, (byte)'\r', (byte)'\n', 0xFE, 0xFF]]);
            await c.CommandAsync("SELECT", "5");
            await c.CommandAsync("SET", "in-db5", "1");
            await c.CommandAsync("SET", "ttl5", string.Concat(Enumerable.Repeat("abc", 30)), "EX", "100000");
            await c.CommandAsync("SELECT", "15");
            await c.CommandAsync("SET", "last-db", "x");
            Assert.Equal("+OK\r\n", await c.CommandAsync("SAVE"));
            var digest = await c.CommandAsync("DEBUG", "DIGEST");

            var file = Path.Combine(server.Dir, "dump.rdb");
            await AssertRedisCheckRdbAcceptsAsync(file, "16 keys read", "3 expires");

            var copy = Directory.CreateTempSubdirectory("cinnabar-rdb-").FullName;
            try
            {
                File.Copy(file, Path.Combine(copy, "dump.rdb"));
                await using var redis = await ServerProcess.StartAsync(ServerOptions.Redis()
                    .With("enable-debug-command", "yes").With("dir", copy).With("dbfilename", "dump.rdb"));
                await using var r = await RawConnection.ConnectAsync(redis.Port);
                Assert.Equal(digest, await r.CommandAsync("DEBUG", "DIGEST"));
                Assert.Equal(":13\r\n", await r.CommandAsync("DBSIZE"));
                var ttl = long.Parse((await r.CommandAsync("TTL", "ttl"))[1..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                Assert.InRange(ttl, 4000, 5000);
                Assert.Equal(await c.CommandAsync("DEBUG", "DIGEST-VALUE", "last-db"), await ValueDigestInAsync(r, 15, "last-db"));
            }
            finally
            {
                Directory.Delete(copy, recursive: true);
            }
        }
    }

    [Fact]
    public async Task RdbcompressionNoAndRdbchecksumNoStillGiveAFileRedisLoads()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar()
            .With("rdbcompression", "no").With("rdbchecksum", "no").With("enable-debug-command", "yes"));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await c.CommandAsync("SET", "long", new string('q', 5000));
        Assert.Equal("+OK\r\n", await c.CommandAsync("SAVE"));
        var bytes = await File.ReadAllBytesAsync(Path.Combine(server.Dir, "dump.rdb"));
        Assert.True(bytes.Length > 5000, "the value is stored raw");
        Assert.Equal(new byte[8], bytes[^8..]);
        await AssertRedisCheckRdbAcceptsAsync(Path.Combine(server.Dir, "dump.rdb"), "1 keys read", "0 expires");
    }

    [Fact]
    public async Task SaveReplyLastsaveAndRefusalInsideMultiMatchRedis()
    {
        await _pair.AssertSameRepliesAsync(
            ["SET", "k", "v"],
            ["SAVE"],
            ["SAVE", "extra"],
            ["MULTI"],
            ["SAVE"],
            ["EXEC"],
            ["COMMAND", "INFO", "SAVE"],
            ["COMMAND", "DOCS", "SAVE"]);
    }

    [Fact]
    public async Task SaveResetsTheChangeCounterAndMovesLastsave()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar());
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await c.CommandAsync("SET", "a", "1");
        await c.CommandAsync("SET", "b", "2");
        Assert.Contains("rdb_changes_since_last_save:2\r\n", await c.CommandAsync("INFO", "persistence"), StringComparison.Ordinal);
        Assert.Equal("+OK\r\n", await c.CommandAsync("SAVE"));
        var info = await c.CommandAsync("INFO", "persistence");
        Assert.Contains("rdb_changes_since_last_save:0\r\n", info, StringComparison.Ordinal);
        Assert.Contains("rdb_saves:1\r\n", info, StringComparison.Ordinal);
        Assert.Contains("rdb_last_bgsave_status:ok\r\n", info, StringComparison.Ordinal);
        var lastsave = long.Parse((await c.CommandAsync("LASTSAVE"))[1..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(lastsave, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Contains("rdb_last_save_time:" + lastsave + "\r\n", info, StringComparison.Ordinal);
        await server.WaitForOutputAsync("* DB saved on disk", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task ASavePointFiresFromTheCronWithRedisLogLine()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("save", "1 1"));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal("+OK\r\n", await c.CommandAsync("SET", "k", "v"));
        await WaitForInfoAsync(c, "rdb_changes_since_last_save:0\r\n");
        await server.WaitForOutputAsync("1 changes in 1 seconds. Saving...", TimeSpan.FromSeconds(10));
        await server.WaitForOutputAsync("DB saved on disk", TimeSpan.FromSeconds(10));
        await AssertRedisCheckRdbAcceptsAsync(Path.Combine(server.Dir, "dump.rdb"), "1 keys read", "0 expires");
    }

    [Fact]
    public async Task ShutdownSaveWritesTheFinalSnapshotEvenWithoutSavePoints()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar());
        await using (var c = await RawConnection.ConnectAsync(server.Port))
        {
            await c.CommandAsync("SET", "k", "v");
            await c.SendRawAsync(RawConnection.Encode(Encoding.ASCII.GetBytes("SHUTDOWN"), Encoding.ASCII.GetBytes("SAVE")));
            Assert.Equal(string.Empty, await c.ReadToEndAsync(TimeSpan.FromSeconds(30)));
        }

        await WaitForExitAsync(server);
        Assert.Contains("Saving the final RDB snapshot before exiting.", server.Output, StringComparison.Ordinal);
        Assert.Contains("DB saved on disk", server.Output, StringComparison.Ordinal);
        await AssertRedisCheckRdbAcceptsAsync(Path.Combine(server.Dir, "dump.rdb"), "1 keys read", "0 expires");
    }

    [Fact]
    public async Task ShutdownNosaveSkipsTheSnapshotAndSigtermSavesWhenSavePointsExist()
    {
        await using (var nosave = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("save", "3600 1")))
        {
            await using var c = await RawConnection.ConnectAsync(nosave.Port);
            await c.CommandAsync("SET", "k", "v");
            await c.SendRawAsync(RawConnection.Encode(Encoding.ASCII.GetBytes("SHUTDOWN"), Encoding.ASCII.GetBytes("NOSAVE")));
            await c.ReadToEndAsync(TimeSpan.FromSeconds(30));
            await WaitForExitAsync(nosave);
            Assert.False(File.Exists(Path.Combine(nosave.Dir, "dump.rdb")));
        }

        await using var term = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("save", "3600 1"));
        await using (var c = await RawConnection.ConnectAsync(term.Port))
        {
            await c.CommandAsync("SET", "k", "v");
        }

        Assert.Equal(0, await term.TerminateAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Saving the final RDB snapshot before exiting.", term.Output, StringComparison.Ordinal);
        await AssertRedisCheckRdbAcceptsAsync(Path.Combine(term.Dir, "dump.rdb"), "1 keys read", "0 expires");
    }

    [Fact]
    public async Task ShutdownOnSigtermFlagsChooseWhetherSigtermSaves()
    {
        await using (var save = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("shutdown-on-sigterm", "save")))
        {
            await using (var c = await RawConnection.ConnectAsync(save.Port))
            {
                await c.CommandAsync("SET", "k", "v");
            }

            Assert.Equal(0, await save.TerminateAsync(TimeSpan.FromSeconds(30)));
            await AssertRedisCheckRdbAcceptsAsync(Path.Combine(save.Dir, "dump.rdb"), "1 keys read", "0 expires");
        }

        await using var nosave = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("save", "3600 1").With("shutdown-on-sigterm", "nosave"));
        await using (var c = await RawConnection.ConnectAsync(nosave.Port))
        {
            await c.CommandAsync("SET", "k", "v");
        }

        Assert.Equal(0, await nosave.TerminateAsync(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain("Saving the final RDB snapshot", nosave.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(nosave.Dir, "dump.rdb")));
    }

    [Fact]
    public async Task WhenTheFinalSaveFailsShutdownIsRefusedAndSigtermKeepsTheServerUp()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("save", "3600 1"));
        Directory.CreateDirectory(Path.Combine(server.Dir, $"temp-{server.Pid}.rdb"));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await c.CommandAsync("SET", "k", "v");
        Assert.Equal("-ERR Errors trying to SHUTDOWN. Check logs.\r\n", await c.CommandAsync("SHUTDOWN"));

        // The log lines come through the server's stdout, which the reply can overtake.
        await server.WaitForOutputAsync("# Error trying to save the DB, can't exit.", TimeSpan.FromSeconds(30));
        const string failed = "# Errors trying to shut down the server. Check the logs for more information.";
        await server.WaitForOutputAsync(failed, TimeSpan.FromSeconds(30));
        Assert.Single(Occurrences(server.Output, failed));

        Process.Start("kill", ["-TERM", server.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        await server.WaitForOutputAsync("Received SIGTERM scheduling shutdown...", TimeSpan.FromSeconds(30));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Occurrences(server.Output, failed).Count() < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, server.Output);
            await Task.Delay(20);
        }

        Assert.Equal("+PONG\r\n", await c.CommandAsync("PING"));

        // SHUTDOWN FORCE exits even though the save fails.
        await c.SendRawAsync(RawConnection.Encode(Encoding.ASCII.GetBytes("SHUTDOWN"), Encoding.ASCII.GetBytes("FORCE")));
        await c.ReadToEndAsync(TimeSpan.FromSeconds(30));
        await WaitForExitAsync(server);
        Assert.Contains("# Error trying to save the DB. Exit anyway.", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFailedSavePointLeavesTheOldDumpAndTurnsWritesIntoMisconf()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("save", "1 1"));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await c.CommandAsync("SET", "k", "old");
        Assert.Equal("+OK\r\n", await c.CommandAsync("SAVE"));
        var dump = Path.Combine(server.Dir, "dump.rdb");
        var before = await File.ReadAllBytesAsync(dump);

        // A directory where the temp file goes makes fopen fail even for root.
        var tmp = $"temp-{server.Pid}.rdb";
        Directory.CreateDirectory(Path.Combine(server.Dir, tmp));
        Assert.Equal("+OK\r\n", await c.CommandAsync("SET", "k", "new"));
        await WaitForInfoAsync(c, "rdb_last_bgsave_status:err\r\n");

        Assert.Equal(Misconf, await c.CommandAsync("SET", "k", "newer"));
        Assert.Equal(Misconf, await c.CommandAsync("PING"));
        Assert.Equal("$3\r\nnew\r\n", await c.CommandAsync("GET", "k"));
        Assert.Equal(before, await File.ReadAllBytesAsync(dump));
        await server.WaitForOutputAsync($"# Failed opening the temp RDB file {tmp} (in server root dir {server.Dir}) for saving: Is a directory", TimeSpan.FromSeconds(30));

        // A later successful save clears the condition, as rdbSave sets lastbgsave_status to ok.
        Directory.Delete(Path.Combine(server.Dir, tmp));
        Assert.Equal("+OK\r\n", await c.CommandAsync("SAVE"));
        Assert.Equal("+OK\r\n", await c.CommandAsync("SET", "k", "newer"));
    }

    [Fact]
    public async Task AFailedSaveRepliesAsRedisAndLogsRedisLineWithoutArmingMisconf()
    {
        // /proc accepts chdir but no new files, even for root: fopen of the temp file fails.
        await using var redis = await ServerProcess.StartAsync(ServerOptions.Redis().With("dir", "/proc").With("save", "1 1"));
        await using var cinnabar = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("dir", "/proc").With("save", "1 1"));
        foreach (var server in new[] { redis, cinnabar })
        {
            await using var c = await RawConnection.ConnectAsync(server.Port);
            Assert.Equal("-ERR\r\n", await c.CommandAsync("SAVE"));
            var info = await c.CommandAsync("INFO", "persistence");
            Assert.Contains("rdb_last_bgsave_status:ok\r\n", info, StringComparison.Ordinal);
            Assert.Contains("rdb_saves:1\r\n", info, StringComparison.Ordinal);
            Assert.Equal("+PONG\r\n", await c.CommandAsync("PING"));
            await server.WaitForOutputAsync($"# Failed opening the temp RDB file temp-{server.Pid}.rdb (in server root dir /proc) for saving: No such file or directory", TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public async Task FlushallWithSavePointsSavesTheEmptyDatasetLikeRedis()
    {
        await using var redis = await ServerProcess.StartAsync(ServerOptions.Redis().With("save", "3600 1"));
        await using var cinnabar = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("save", "3600 1"));
        var lines = new List<string>();
        foreach (var server in new[] { redis, cinnabar })
        {
            await using var c = await RawConnection.ConnectAsync(server.Port);
            await c.CommandAsync("SET", "a", "1");
            await c.CommandAsync("SET", "b", "1");
            Assert.Equal("+OK\r\n", await c.CommandAsync("FLUSHALL"));
            var info = await c.CommandAsync("INFO", "persistence");
            lines.Add(info.Split("\r\n").Single(l => l.StartsWith("rdb_changes_since_last_save:", StringComparison.Ordinal)));
            await AssertRedisCheckRdbAcceptsAsync(Path.Combine(server.Dir, "dump.rdb"), "0 keys read", "0 expires");
            Assert.Equal("+OK\r\n", await c.CommandAsync("CONFIG", "SET", "save", string.Empty));
            await c.CommandAsync("SET", "a", "1");
            await c.CommandAsync("FLUSHALL");
            info = await c.CommandAsync("INFO", "persistence");
            lines.Add(info.Split("\r\n").Single(l => l.StartsWith("rdb_changes_since_last_save:", StringComparison.Ordinal)));
        }

        Assert.Equal("rdb_changes_since_last_save:0", lines[0]);
        Assert.Equal(lines[..2], lines[2..]);
    }

    [Fact]
    public async Task AfterAFailedSavePointWritesAndPingGetTheSameMisconfRepliesAsRedis()
    {
        // In /proc no file can be created: Redis's BGSAVE child and Cinnabar's save both fail.
        await using var redis = await ServerProcess.StartAsync(ServerOptions.Redis().With("dir", "/proc").With("save", "1 1"));
        await using var cinnabar = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("dir", "/proc").With("save", "1 1"));
        string[][] script = [["SET", "k", "2"], ["PING"], ["GET", "k"], ["INCR", "k"], ["DEL", "k"], ["EXISTS", "k"], ["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"], ["SET", "k", "3"], ["PING"]];
        var replies = new List<List<string>>();
        foreach (var server in new[] { redis, cinnabar })
        {
            await using var c = await RawConnection.ConnectAsync(server.Port);
            Assert.Equal("+OK\r\n", await c.CommandAsync("SET", "k", "1"));
            await WaitForInfoAsync(c, "rdb_last_bgsave_status:err\r\n");
            var got = new List<string>();
            foreach (var cmd in script)
            {
                got.Add(await c.CommandAsync(cmd));
            }

            replies.Add(got);
        }

        Assert.Equal(Misconf, replies[0][0]);
        Assert.Equal(replies[0], replies[1]);
    }

    [Fact]
    public async Task WithStopWritesOnBgsaveErrorOffAFailedSavePointDoesNotBlockWrites()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("save", "1 1").With("stop-writes-on-bgsave-error", "no"));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        Directory.CreateDirectory(Path.Combine(server.Dir, $"temp-{server.Pid}.rdb"));
        await c.CommandAsync("SET", "k", "v");
        await WaitForInfoAsync(c, "rdb_last_bgsave_status:err\r\n");
        Assert.Equal("+OK\r\n", await c.CommandAsync("SET", "k", "w"));
    }

    private static IEnumerable<int> Occurrences(string text, string part)
    {
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
        {
            yield return i;
        }
    }

    private static async Task<string> ValueDigestInAsync(RawConnection r, int db, string key)
    {
        await r.CommandAsync("SELECT", db.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return await r.CommandAsync("DEBUG", "DIGEST-VALUE", key);
    }
}
