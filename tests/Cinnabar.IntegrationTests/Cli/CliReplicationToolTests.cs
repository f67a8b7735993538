// --replica and --rdb speak the replication protocol to a real redis-server master and to a
// Cinnabar master: --replica prints the write stream in redis-cli's CSV lines (with the same
// progress lines on stderr as redis-cli), --rdb writes a snapshot a fresh server then loads.
using System.Globalization;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests.Cli;

public sealed class CliReplicationToolTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static ServerOptions Master(ServerKind kind) =>
        kind == ServerKind.Redis
            ? ServerOptions.Redis().With("repl-diskless-sync-delay", "0")
            : ServerOptions.Cinnabar();

    private static string P(ServerProcess s) => s.Port.ToString(CultureInfo.InvariantCulture);

    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task ReplicaModePrintsTheMastersWriteStream(ServerKind kind)
    {
        await using var master = await ServerProcess.StartAsync(Master(kind));
        await using var cli = CliProcess.Start(CliKind.Cinnabar, ["-p", P(master), "--replica"]);
        await cli.WaitForOutputAsync("Logging commands from master.\n", Deadline, stderr: true);
        Assert.StartsWith("sending REPLCONF capa eof\n", cli.Err, StringComparison.Ordinal);
        Assert.Contains("sending REPLCONF rdb-filter-only \n", cli.Err, StringComparison.Ordinal);

        // A diskless master starts streaming once our REPLCONF ACK arrives; retry the write until it shows.
        await using var c = await RawConnection.ConnectAsync(master.Port);
        var deadline = DateTime.UtcNow + Deadline;
        while (!cli.Out.Contains("\"set\",\"greeting\",\"hello\"\n", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, cli.Out + cli.Err);
            await c.CommandAsync("set", "greeting", "hello");
            await Task.Delay(100);
        }

        await c.CommandAsync("incr", "counter");
        await cli.WaitForOutputAsync("\"incr\",\"counter\"\n", Deadline);
        Assert.Contains("\"SELECT\",\"0\"\n", cli.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplicaModeReportsTheTransferAsRedisCliDoes()
    {
        await using var master = await ServerProcess.StartAsync(Master(ServerKind.Redis));
        await using var ours = CliProcess.Start(CliKind.Cinnabar, ["-p", P(master), "--replica"]);
        await ours.WaitForOutputAsync("sending REPLCONF ACK 0\n", Deadline, stderr: true);
        await using var theirs = CliProcess.Start(CliKind.Redis, ["-p", P(master), "--replica"]);
        await theirs.WaitForOutputAsync("sending REPLCONF ACK 0\n", Deadline, stderr: true);
        Assert.Equal(theirs.Err, ours.Err);
    }

    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task RdbModeFetchesASnapshotThatAServerLoads(ServerKind kind)
    {
        await using var master = await ServerProcess.StartAsync(Master(kind));
        await using (var c = await RawConnection.ConnectAsync(master.Port))
        {
            await c.CommandAsync("SET", "greeting", "hello");
            await c.CommandAsync("SELECT", "2");
            await c.CommandAsync("SET", "n", "42");
        }

        var file = Path.Combine(master.Dir, "fetched.rdb");
        var result = await CliProcess.RunAsync(CliKind.Cinnabar, ["-p", P(master), "--rdb", file]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("sending REPLCONF capa eof\n", result.Err, StringComparison.Ordinal);
        Assert.Contains("sending REPLCONF rdb-only 1\n", result.Err, StringComparison.Ordinal);
        Assert.Contains("SYNC sent to master, writing ", result.Err, StringComparison.Ordinal);
        Assert.Contains($"to '{file}'\nTransfer finished with success", result.Err, StringComparison.Ordinal);
        var rdb = await File.ReadAllBytesAsync(file);
        Assert.Equal("REDIS"u8.ToArray(), rdb[..5]);

        // Both redis-server and Cinnabar load it.
        foreach (var loader in new[] { ServerKind.Redis, ServerKind.Cinnabar })
        {
            await using var copy = await ServerProcess.StartAsync(new ServerOptions { Kind = loader }.WithFile("dump.rdb", rdb));
            await using var c = await RawConnection.ConnectAsync(copy.Port);
            Assert.Equal("$5\r\nhello\r\n", await c.CommandAsync("GET", "greeting"));
            await c.CommandAsync("SELECT", "2");
            Assert.Equal("$2\r\n42\r\n", await c.CommandAsync("GET", "n"));
        }
    }

    [Fact]
    public async Task RdbModeReportsTheTransferAsRedisCliDoes()
    {
        await using var master = await ServerProcess.StartAsync(ServerOptions.Cinnabar());
        await using (var c = await RawConnection.ConnectAsync(master.Port))
        {
            await c.CommandAsync("SET", "greeting", "hello");
        }

        var ours = Path.Combine(master.Dir, "ours.rdb");
        var theirs = Path.Combine(master.Dir, "theirs.rdb");
        var a = await CliProcess.RunAsync(CliKind.Cinnabar, ["-p", P(master), "--rdb", ours]);
        var b = await CliProcess.RunAsync(CliKind.Redis, ["-p", P(master), "--rdb", theirs]);
        Assert.Equal(b.Err.Replace(theirs, "FILE", StringComparison.Ordinal), a.Err.Replace(ours, "FILE", StringComparison.Ordinal));
        Assert.Equal(b.ExitCode, a.ExitCode);

        // The snapshots differ only in their creation time (an aux field), not in size.
        Assert.Equal(new FileInfo(theirs).Length, new FileInfo(ours).Length);
    }
}
