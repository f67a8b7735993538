using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>The LOADING state while a startup load runs: -LOADING replies, INFO's loading fields, log order, shutdown mid-load.</summary>
public class RdbLoadingStateTests
{
    private const int Keys = 20000;

    // A dump.rdb written by real Redis (DEBUG POPULATE), big enough that key-load-delay stretches its load.
    private static async Task<byte[]> RedisDumpAsync()
    {
        await using var redis = await ServerProcess.StartAsync(ServerOptions.Redis().With("enable-debug-command", "yes"));
        await using var c = await RawConnection.ConnectAsync(redis.Port);
        Assert.Equal("+OK\r\n", await c.CommandAsync("DEBUG", "POPULATE", Keys.ToString(System.Globalization.CultureInfo.InvariantCulture), "key", "100"));
        Assert.Equal("+OK\r\n", await c.CommandAsync("SAVE"));
        return await File.ReadAllBytesAsync(Path.Combine(redis.Dir, "dump.rdb"));
    }

    // Slow enough that the test sees the load (20000 keys x 500 us = 10 s), and CONFIG SET
    // key-load-delay 0 (allowed while loading) ends it early.
    private static ServerOptions Slow(ServerOptions o, byte[] rdb) => o
        .With("key-load-delay", "500")
        .With("loading-process-events-interval-bytes", "1024")
        .With("enable-debug-command", "yes")
        .WithFile("dump.rdb", rdb)
        .WhileLoading();

    private static async Task WaitLoadedAsync(RawConnection c)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (await c.CommandAsync("PING") != "+PONG\r\n")
        {
            Assert.True(DateTime.UtcNow < deadline, "the load did not finish");
            await Task.Delay(20);
        }
    }

    private static string Field(string info, string name)
    {
        foreach (var line in info.Split("\r\n"))
        {
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
            {
                return line[(name.Length + 1)..];
            }
        }

        return "(missing)";
    }

    [Fact]
    public async Task ClientsGetLoadingErrorsAndInfoShowsProgressUntilTheLoadEnds()
    {
        var rdb = await RedisDumpAsync();
        await using var server = await ServerProcess.StartAsync(Slow(ServerOptions.Cinnabar(), rdb));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal("-LOADING Redis is loading the dataset in memory\r\n", await c.CommandAsync("GET", "key:1"));
        Assert.Equal("-LOADING Redis is loading the dataset in memory\r\n", await c.CommandAsync("PING"));
        // Connections are served from the start of the load, so the used-mem AUX field may not
        // have been read yet on a busy machine: poll for it (Redis shows 0 until then too).
        string info = await c.CommandAsync("INFO", "persistence");
        var auxDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Field(info, "loading_rdb_used_mem") == "0" && DateTime.UtcNow < auxDeadline)
        {
            await Task.Delay(20);
            info = await c.CommandAsync("INFO", "persistence");
        }

        Assert.Equal("1", Field(info, "loading"));
        Assert.Equal("0", Field(info, "async_loading"));
        Assert.Equal(rdb.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Field(info, "loading_total_bytes"));
        Assert.NotEqual("0", Field(info, "loading_rdb_used_mem"));
        Assert.InRange(long.Parse(Field(info, "loading_start_time"), System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 120, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Matches(@"^\d+\.\d\d$", Field(info, "loading_loaded_perc"));
        Assert.Matches(@"^\d+$", Field(info, "loading_eta_seconds"));
        Assert.Matches(@"^\d+$", Field(info, "loading_loaded_bytes"));
        Assert.DoesNotContain("Ready to accept connections", server.Output, StringComparison.Ordinal);

        Assert.Equal("+OK\r\n", await c.CommandAsync("CONFIG", "SET", "key-load-delay", "0"));
        await WaitLoadedAsync(c);
        Assert.Equal($":{Keys}\r\n", await c.CommandAsync("DBSIZE"));
        info = await c.CommandAsync("INFO", "persistence");
        Assert.Equal("0", Field(info, "loading"));
        Assert.Equal("(missing)", Field(info, "loading_total_bytes"));
        Assert.Equal(Keys.ToString(System.Globalization.CultureInfo.InvariantCulture), Field(info, "rdb_last_load_keys_loaded"));

        // Redis's order: the load's lines, then readiness.
        await server.WaitForOutputAsync("Ready to accept connections", TimeSpan.FromSeconds(30));
        string log = server.Output;
        int loadingAt = log.IndexOf("Loading RDB produced by version 7.0.15", StringComparison.Ordinal);
        int doneAt = log.IndexOf($"Done loading RDB, keys loaded: {Keys}, keys expired: 0.", StringComparison.Ordinal);
        int diskAt = log.IndexOf("DB loaded from disk: ", StringComparison.Ordinal);
        int readyAt = log.IndexOf("Ready to accept connections", StringComparison.Ordinal);
        Assert.True(loadingAt >= 0 && loadingAt < doneAt && doneAt < diskAt && diskAt < readyAt, log);
    }

    [Fact]
    public async Task CommandsAllowedWhileLoadingMatchRedis()
    {
        var rdb = await RedisDumpAsync();
        await using var redis = await ServerProcess.StartAsync(Slow(ServerOptions.Redis(), rdb));
        await using var cinnabar = await ServerProcess.StartAsync(Slow(ServerOptions.Cinnabar(), rdb));
        await using var r = await RawConnection.ConnectAsync(redis.Port);
        await using var c = await RawConnection.ConnectAsync(cinnabar.Port);
        string[][] script =
        [
            ["PING"], ["GET", "key:1"], ["SET", "x", "1"], ["DBSIZE"], ["DUMP", "key:1"], ["KEYS", "*"],
            ["ECHO", "hello"], ["SELECT", "3"], ["SELECT", "0"], ["CONFIG", "GET", "key-load-delay"],
            ["MULTI"], ["GET", "key:1"], ["EXEC"], ["MULTI"], ["ECHO", "in multi"], ["EXEC"],
            ["DEBUG", "LOG", "while loading"], ["FLUSHALL"], ["RESTORE", "k", "0", "x"], ["NOSUCHCOMMAND"],
        ];
        foreach (var cmd in script)
        {
            var expected = await r.CommandAsync(cmd);
            var actual = await c.CommandAsync(cmd);
            Assert.True(expected == actual, $"{string.Join(' ', cmd)}\n redis:    {DifferentialPair.Escape(expected)}\n cinnabar: {DifferentialPair.Escape(actual)}");
        }

        await r.CommandAsync("CONFIG", "SET", "key-load-delay", "0");
        await c.CommandAsync("CONFIG", "SET", "key-load-delay", "0");
        await WaitLoadedAsync(r);
        await WaitLoadedAsync(c);
        Assert.Equal(await r.CommandAsync("DEBUG", "DIGEST"), await c.CommandAsync("DEBUG", "DIGEST"));
    }

    [Fact]
    public async Task ADaemonizingParentReturnsOnceListeningWithoutWaitingForTheLoad()
    {
        var rdb = await RedisDumpAsync();
        var dir = Directory.CreateTempSubdirectory("cinnabar-daemon-load-").FullName;
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(dir, "dump.rdb"), rdb);
            int port = ServerProcess.FreePort();
            var psi = new System.Diagnostics.ProcessStartInfo(Path.Combine(ServerProcess.RepoRoot, "cinnabar-server"))
            {
                WorkingDirectory = dir,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            // 20000 keys x 5 ms: the load would take 100 s; the test ends it with CONFIG SET.
            foreach (var a in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--daemonize", "yes", "--save", string.Empty, "--dir", dir, "--pidfile", Path.Combine(dir, "d.pid"), "--logfile", Path.Combine(dir, "d.log"), "--key-load-delay", "5000", "--loading-process-events-interval-bytes", "1024" })
            {
                psi.ArgumentList.Add(a);
            }

            using (var parent = System.Diagnostics.Process.Start(psi)!)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                await parent.WaitForExitAsync(cts.Token);
                Assert.Equal(0, parent.ExitCode);
            }

            int pid = int.Parse((await File.ReadAllTextAsync(Path.Combine(dir, "d.pid"))).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            using var daemon = System.Diagnostics.Process.GetProcessById(pid);
            try
            {
                await using var c = await RawConnection.ConnectAsync(port);
                Assert.Equal("-LOADING Redis is loading the dataset in memory\r\n", await c.CommandAsync("PING"));
                Assert.Equal("+OK\r\n", await c.CommandAsync("CONFIG", "SET", "key-load-delay", "0"));
                await WaitLoadedAsync(c);
                Assert.Equal($":{Keys}\r\n", await c.CommandAsync("DBSIZE"));
            }
            finally
            {
                daemon.Kill();
                await daemon.WaitForExitAsync();
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ATermSignalDuringALoadExitsWithoutSavingOverTheFile()
    {
        var rdb = await RedisDumpAsync();
        await using var server = await ServerProcess.StartAsync(Slow(ServerOptions.Cinnabar(), rdb).With("save", "900 1"));
        await using (var c = await RawConnection.ConnectAsync(server.Port))
        {
            Assert.Equal("1", Field(await c.CommandAsync("INFO", "persistence"), "loading"));
        }

        Assert.Equal(0, await server.TerminateAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Received shutdown signal during loading, scheduling shutdown.", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Saving the final RDB snapshot", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Ready to accept connections", server.Output, StringComparison.Ordinal);
        Assert.Equal(rdb, await File.ReadAllBytesAsync(Path.Combine(server.Dir, "dump.rdb")));
    }

    [Fact]
    public async Task ShutdownSaveDuringALoadDoesNotSaveTheIncompleteDataset()
    {
        var rdb = await RedisDumpAsync();
        await using var server = await ServerProcess.StartAsync(Slow(ServerOptions.Cinnabar(), rdb));
        await using (var c = await RawConnection.ConnectAsync(server.Port))
        {
            await c.SendRawAsync(RawConnection.Encode(Encoding.ASCII.GetBytes("SHUTDOWN"), Encoding.ASCII.GetBytes("SAVE")));
            Assert.Equal(string.Empty, await c.ReadToEndAsync(TimeSpan.FromSeconds(30)));
        }

        await server.WaitForOutputAsync("ready to exit, bye bye", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain("DB saved on disk", server.Output, StringComparison.Ordinal);
        Assert.Equal(rdb, await File.ReadAllBytesAsync(Path.Combine(server.Dir, "dump.rdb")));
    }
}
