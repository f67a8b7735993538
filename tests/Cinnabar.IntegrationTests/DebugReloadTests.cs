using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>DEBUG RELOAD against redis-server 7.0.15, and where Cinnabar keeps data that Redis would lose.</summary>
public class DebugReloadTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public DebugReloadTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public Task DebugReloadKeepsTheDigestAndRepliesAsRedis() => _pair.AssertSameRepliesAsync(
        ["SET", "plain", "hello"],
        ["SET", "int", "-12345"],
        ["SET", "long", string.Concat(Enumerable.Repeat("compressible ", 100))],
        ["SET", "ttl", "v", "EX", "100000"],
        ["SELECT", "7"],
        ["SET", "in7", "seven"],
        ["SELECT", "0"],
        ["DEBUG", "DIGEST"],
        ["DEBUG", "RELOAD"],
        ["DEBUG", "DIGEST"],
        ["TTL", "ttl"],
        ["DEBUG", "RELOAD", "NOSAVE"],
        ["DEBUG", "DIGEST"],
        ["INFO", "NOSUCHSECTION"],
        ["DEBUG", "RELOAD", "BOGUS"],
        ["DEBUG", "RELOAD", "merge", "noflush", "nosave", "x"]);

    [Fact]
    public Task NoflushMergeAddsTheFilesKeysOverTheDataset() => _pair.AssertSameRepliesAsync(
        ["SET", "a", "from-file"],
        ["SET", "c", "only-in-file"],
        ["DEBUG", "RELOAD"],
        ["SET", "a", "in-memory"],
        ["SET", "b", "only-in-memory"],
        ["DEL", "c"],
        ["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"],
        ["GET", "a"],
        ["GET", "b"],
        ["GET", "c"],
        ["DEBUG", "RELOAD", "NOSAVE", "MERGE"],
        ["GET", "b"],
        ["DBSIZE"]);

    [Fact]
    public async Task DebugReloadResetsTheChangeCounterAndRecordsTheLoad()
    {
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        foreach (var conn in new[] { r, c })
        {
            await conn.CommandAsync("FLUSHALL");
            await conn.CommandAsync("SET", "k1", "v");
            await conn.CommandAsync("SET", "k2", "v");
            Assert.Equal("+OK\r\n", await conn.CommandAsync("DEBUG", "RELOAD"));
        }

        foreach (var field in new[] { "rdb_changes_since_last_save", "rdb_last_load_keys_loaded", "rdb_last_load_keys_expired", "loading" })
        {
            Assert.Equal(Line(await r.CommandAsync("INFO", "persistence"), field), Line(await c.CommandAsync("INFO", "persistence"), field));
        }

        Assert.Contains("DB reloaded by DEBUG RELOAD", _pair.Cinnabar.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AConflictingKeyWithoutMergeIsAnErrorThatChangesNothing()
    {
        // Redis exits on the duplicate key; Cinnabar refuses before touching the dataset.
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("enable-debug-command", "yes"));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await c.CommandAsync("SET", "a", "1");
        await c.CommandAsync("SAVE");
        await c.CommandAsync("SET", "a", "2");
        await c.CommandAsync("SET", "b", "3");
        Assert.Equal("-ERR Error trying to load the RDB dump\r\n", await c.CommandAsync("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"));
        Assert.Equal("$1\r\n2\r\n", await c.CommandAsync("GET", "a"));
        Assert.Equal(":2\r\n", await c.CommandAsync("DBSIZE"));
        Assert.Contains("RDB has duplicated key 'a' in DB 0", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingOrCorruptFileIsAnErrorThatKeepsTheDataset()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("enable-debug-command", "yes"));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await c.CommandAsync("SET", "a", "1");
        Assert.Equal("-ERR Error trying to load the RDB dump\r\n", await c.CommandAsync("DEBUG", "RELOAD", "NOSAVE"));
        Assert.Equal(":1\r\n", await c.CommandAsync("DBSIZE"));

        await c.CommandAsync("SAVE");
        string file = Path.Combine(server.Dir, "dump.rdb");
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[^1] ^= 0xFF;
        await File.WriteAllBytesAsync(file, bytes);
        await c.CommandAsync("SET", "b", "2");
        Assert.Equal("-ERR Error trying to load the RDB dump\r\n", await c.CommandAsync("DEBUG", "RELOAD", "NOSAVE"));
        Assert.Equal(":2\r\n", await c.CommandAsync("DBSIZE"));
        Assert.Contains("RDB CRC error", server.Output, StringComparison.Ordinal);
        Assert.Equal(":0\r\n", await c.CommandAsync("EXISTS", "loading"));
        Assert.Contains("loading:0", await c.CommandAsync("INFO", "persistence"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DebugLoadaofIsRefusedWithoutTouchingTheDataset()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("enable-debug-command", "yes"));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await c.CommandAsync("SET", "a", "1");
        Assert.StartsWith("-ERR DEBUG LOADAOF", await c.CommandAsync("DEBUG", "LOADAOF"), StringComparison.Ordinal);
        Assert.Equal(":1\r\n", await c.CommandAsync("DBSIZE"));
    }

    private static string Line(string info, string field) =>
        info.Split("\r\n").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal)) ?? "(missing " + field + ")";
}
