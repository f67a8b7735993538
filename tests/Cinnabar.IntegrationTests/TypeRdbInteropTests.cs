using System.Diagnostics;
using System.Globalization;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>
/// Lists, hashes and sets cross the RDB boundary both ways: files Cinnabar writes pass
/// redis-check-rdb and load into redis-server with the same DEBUG DIGEST, and files redis-server
/// writes load into Cinnabar with the same digest.
/// </summary>
public class TypeRdbInteropTests
{
    [Fact]
    public async Task ListsHashesAndSetsSavedByCinnabarPassTheCheckerAndLoadIntoRedisWithTheSameDigest()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("enable-debug-command", "yes"));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await FillAsync(c);
        Assert.Equal("+OK\r\n", await c.CommandAsync("SAVE"));
        var digest = await c.CommandAsync("DEBUG", "DIGEST");
        var file = Path.Combine(server.Dir, "dump.rdb");

        var check = Process.Start(new ProcessStartInfo("redis-check-rdb", file) { RedirectStandardOutput = true })!;
        var report = await check.StandardOutput.ReadToEndAsync();
        await check.WaitForExitAsync();
        Assert.True(check.ExitCode == 0 && report.Contains("RDB looks OK!", StringComparison.Ordinal), report);

        await using var redis = await ServerProcess.StartAsync(ServerOptions.Redis().With("enable-debug-command", "yes")
            .With("sanitize-dump-payload", "yes").WithFile("dump.rdb", await File.ReadAllBytesAsync(file)));
        await using var r = await RawConnection.ConnectAsync(redis.Port);
        Assert.Equal(digest, await r.CommandAsync("DEBUG", "DIGEST"));
        Assert.Equal(await c.CommandAsync("DBSIZE"), await r.CommandAsync("DBSIZE"));
        Assert.Equal("$9\r\nquicklist\r\n", await r.CommandAsync("OBJECT", "ENCODING", "big-list"));
        Assert.Equal("$8\r\nlistpack\r\n", await r.CommandAsync("OBJECT", "ENCODING", "small-hash"));
        Assert.Equal("$9\r\nhashtable\r\n", await r.CommandAsync("OBJECT", "ENCODING", "big-hash"));
        Assert.Equal("$6\r\nintset\r\n", await r.CommandAsync("OBJECT", "ENCODING", "set64"));
        Assert.Equal(await c.CommandAsync("SMEMBERS", "set32"), await r.CommandAsync("SMEMBERS", "set32"));
    }

    [Fact]
    public async Task ListsHashesAndSetsSavedByRedisLoadIntoCinnabarWithTheSameDigestAndEncodings()
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
        foreach (var key in new[] { "big-list", "small-hash", "big-hash", "ints", "set16", "set64", "set-ht", "set-big-ints" })
        {
            Assert.Equal(await r.CommandAsync("OBJECT", "ENCODING", key), await c.CommandAsync("OBJECT", "ENCODING", key));
        }

        Assert.Equal(await r.CommandAsync("LRANGE", "ints", "0", "-1"), await c.CommandAsync("LRANGE", "ints", "0", "-1"));
        var pttl = long.Parse((await c.CommandAsync("PTTL", "ttl-list"))[1..].Trim(), CultureInfo.InvariantCulture);
        Assert.InRange(pttl, 49_000_000, 50_000_000);
    }

    // Lists with every listpack integer width, strings of every listpack string width, a list
    // of many nodes, a huge element, hashes in both encodings, TTLs and a second database.
    private static async Task FillAsync(RawConnection c)
    {
        var inv = CultureInfo.InvariantCulture;
        await c.CommandAsync("RPUSH", "ints", "0", "127", "128", "-1", "-4096", "4095", "4096", "-32768", "32767", "32768", "-8388608", "8388607", "8388608",
            "-2147483648", "2147483647", "2147483648", "-9223372036854775808", "9223372036854775807", "007", "+1", "-0", "1.5", string.Empty);
        await c.CommandAsync("RPUSH", "strings", new string('a', 63), new string('b', 64), new string('c', 4095), new string('d', 4096), new string('e', 70000));
        for (int i = 0; i < 40; i++)
        {
            var args = new List<string> { "RPUSH", "big-list" };
            for (int j = 0; j < 250; j++)
            {
                args.Add(((i * 250) + j).ToString(inv) + new string('x', j % 30));
            }

            await c.CommandAsync([.. args]);
        }

        await c.CommandAsync("LPUSH", "ttl-list", "a");
        await c.CommandAsync("PEXPIRE", "ttl-list", "50000000");
        await c.CommandAsync("HSET", "small-hash", "a", "1", "b", "-70000", "c", "hello", "d", string.Empty);
        var big = new List<string> { "HSET", "big-hash" };
        for (int i = 0; i < 1000; i++)
        {
            big.Add("field" + i.ToString(inv));
            big.Add(i % 3 == 0 ? i.ToString(inv) : new string('v', i % 100));
        }

        await c.CommandAsync([.. big]);
        await c.CommandAsync("SADD", "set16", "1", "-32768", "32767");
        await c.CommandAsync("SADD", "set32", "1", "-2147483648", "2147483647", "70000");
        await c.CommandAsync("SADD", "set64", "1", "-9223372036854775808", "9223372036854775807");
        await c.CommandAsync("SADD", "set-ht", "a", "1", string.Empty, new string('m', 300));
        var bigSet = new List<string> { "SADD", "set-big-ints" };
        for (int i = 0; i < 600; i++)
        {
            bigSet.Add((i * 7).ToString(inv));
        }

        await c.CommandAsync([.. bigSet]);
        await c.CommandAsync("SELECT", "9");
        await c.CommandAsync("HSET", "h9", "x", "y");
        await c.CommandAsync("RPUSH", "l9", "x");
        await c.CommandAsync("SELECT", "0");
    }
}
