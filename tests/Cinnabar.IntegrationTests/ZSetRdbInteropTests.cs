using System.Globalization;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>
/// Sorted sets cross the RDB boundary both ways: a file Cinnabar writes (ZSET_LISTPACK and
/// ZSET_2) passes redis-check-rdb and loads into redis-server with the same DEBUG DIGEST and
/// encodings, and a file redis-server writes loads into Cinnabar the same way.
/// </summary>
public class ZSetRdbInteropTests
{
    private static readonly string[] Keys = ["small", "scores", "long-member", "big", "big-floats", "ttl-zset", "lex"];

    [Fact]
    public async Task SortedSetsSavedByCinnabarPassTheCheckerAndLoadIntoRedisWithTheSameDigest()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("enable-debug-command", "yes"));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await FillAsync(c);
        Assert.Equal("+OK\r\n", await c.CommandAsync("SAVE"));
        var digest = await c.CommandAsync("DEBUG", "DIGEST");
        var file = Path.Combine(server.Dir, "dump.rdb");
        await PersistenceChecks.AssertRedisCheckRdbAcceptsAsync(file);

        await using var redis = await ServerProcess.StartAsync(ServerOptions.Redis().With("enable-debug-command", "yes")
            .With("sanitize-dump-payload", "yes").WithFile("dump.rdb", await File.ReadAllBytesAsync(file)));
        await using var r = await RawConnection.ConnectAsync(redis.Port);
        Assert.Equal(digest, await r.CommandAsync("DEBUG", "DIGEST"));
        await AssertSameViewAsync(c, r);
    }

    [Fact]
    public async Task SortedSetsSavedByRedisLoadIntoCinnabarWithTheSameDigestAndEncodings()
    {
        await using var redis = await ServerProcess.StartAsync(ServerOptions.Redis().With("enable-debug-command", "yes"));
        await using var r = await RawConnection.ConnectAsync(redis.Port);
        await FillAsync(r);
        Assert.Equal("+OK\r\n", await r.CommandAsync("SAVE"));
        var digest = await r.CommandAsync("DEBUG", "DIGEST");

        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("enable-debug-command", "yes")
            .WithFile("dump.rdb", await File.ReadAllBytesAsync(Path.Combine(redis.Dir, "dump.rdb"))));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal(digest, await c.CommandAsync("DEBUG", "DIGEST"));
        await AssertSameViewAsync(r, c);
        var pttl = long.Parse((await c.CommandAsync("PTTL", "ttl-zset"))[1..].Trim(), CultureInfo.InvariantCulture);
        Assert.InRange(pttl, 49_000_000, 50_000_000);
    }

    [Fact]
    public async Task DumpPayloadsAreByteIdenticalAndRestoreAcrossBothServers()
    {
        await using var redis = await ServerProcess.StartAsync(ServerOptions.Redis());
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar());
        await using var r = await RawConnection.ConnectAsync(redis.Port);
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await FillAsync(r);
        await FillAsync(c);

        // Uncompressed, so the comparison is of the listpacks themselves (LZF output may differ).
        await r.CommandAsync("CONFIG", "SET", "rdbcompression", "no");
        await c.CommandAsync("CONFIG", "SET", "rdbcompression", "no");
        foreach (var key in new[] { "small", "scores", "long-member", "lex" })
        {
            Assert.Equal(await r.CommandAsync("DUMP", key), await c.CommandAsync("DUMP", key));
        }

        // A skiplist's payload depends on nothing but the order, so it matches too.
        Assert.Equal(await r.CommandAsync("DUMP", "big-floats"), await c.CommandAsync("DUMP", "big-floats"));
        foreach (var (from, to) in new[] { (r, c), (c, r) })
        {
            foreach (var key in Keys)
            {
                var payload = BulkBytes(await from.CommandAsync("DUMP", key));
                Assert.Equal("+OK\r\n", await to.CommandAsync("RESTORE"u8.ToArray(), System.Text.Encoding.ASCII.GetBytes(key + "-copy"), "0"u8.ToArray(), payload));
                Assert.Equal(await from.CommandAsync("ZRANGE", key, "0", "-1", "WITHSCORES"), await to.CommandAsync("ZRANGE", key + "-copy", "0", "-1", "WITHSCORES"));
                Assert.Equal(await from.CommandAsync("OBJECT", "ENCODING", key), await to.CommandAsync("OBJECT", "ENCODING", key + "-copy"));
            }
        }
    }

    private static byte[] BulkBytes(string reply)
    {
        Assert.StartsWith("$", reply);
        int nl = reply.IndexOf("\r\n", StringComparison.Ordinal);
        int len = int.Parse(reply[1..nl], CultureInfo.InvariantCulture);
        return System.Text.Encoding.Latin1.GetBytes(reply.Substring(nl + 2, len));
    }

    private static async Task AssertSameViewAsync(RawConnection expected, RawConnection actual)
    {
        Assert.Equal(await expected.CommandAsync("DBSIZE"), await actual.CommandAsync("DBSIZE"));
        foreach (var key in Keys)
        {
            Assert.Equal(await expected.CommandAsync("OBJECT", "ENCODING", key), await actual.CommandAsync("OBJECT", "ENCODING", key));
            Assert.Equal(await expected.CommandAsync("ZRANGE", key, "0", "-1", "WITHSCORES"), await actual.CommandAsync("ZRANGE", key, "0", "-1", "WITHSCORES"));
        }
    }

    // Listpack scores of every kind (small and large integers, -0, fractions, infinities,
    // integral values past 2^62), a member past the listpack value limit, skiplists of integer
    // and fractional scores, a TTL and a second database.
    private static async Task FillAsync(RawConnection c)
    {
        var inv = CultureInfo.InvariantCulture;
        await c.CommandAsync("ZADD", "small", "1", "a", "2", "b", "3", "c");
        await c.CommandAsync("ZADD", "scores", "0", "zero", "-0", "negzero", "127", "i7", "-4096", "i13", "32767", "i16", "8388607", "i24", "2147483647", "i32",
            "4611686018427387904", "p62", "9223372036854775807", "big", "1.5", "f", "0.1", "tenth", "-2.5e-300", "tiny", "inf", "pinf", "-inf", "ninf", "1e17", "e17",
            "123456789012345678", "i64", "7", "007", "8", string.Empty);
        await c.CommandAsync("ZADD", "long-member", "1", new string('m', 65));
        var big = new List<string> { "ZADD", "big" };
        var floats = new List<string> { "ZADD", "big-floats" };
        for (int i = 0; i < 300; i++)
        {
            big.Add(i.ToString(inv));
            big.Add("member" + i.ToString(inv));
            floats.Add((i / 7.0).ToString("R", inv));
            floats.Add(i.ToString(inv));
        }

        await c.CommandAsync([.. big]);
        await c.CommandAsync([.. floats]);
        await c.CommandAsync("ZADD", "ttl-zset", "1", "x");
        await c.CommandAsync("PEXPIRE", "ttl-zset", "50000000");
        await c.CommandAsync("ZADD", "lex", "0", "alpha", "0", "beta", "0", "gamma");
        await c.CommandAsync("SELECT", "3");
        await c.CommandAsync("ZADD", "z3", "2", "y");
        await c.CommandAsync("SELECT", "0");
    }
}
