using System.Diagnostics;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>RDB files written by Debian's real redis-server 7.0.15, loaded and checked by Cinnabar.</summary>
public class RdbLoadingTests
{
    private static readonly string LongValue = string.Concat(Enumerable.Repeat("compressible-", 400));

    // Writes a dataset with real Redis (strings, integers, TTLs, several dbs, LZF-compressed and
    // empty values), SAVEs it, and returns the file and Redis's DEBUG DIGEST of it.
    private static async Task<(byte[] Rdb, string Digest)> RedisDumpAsync()
    {
        await using var redis = await ServerProcess.StartAsync(ServerOptions.Redis().With("enable-debug-command", "yes"));
        await using var c = await RawConnection.ConnectAsync(redis.Port);
        await c.CommandAsync("SET", "plain", "hello");
        await c.CommandAsync("SET", "int8", "-12");
        await c.CommandAsync("SET", "int16", "30000");
        await c.CommandAsync("SET", "int32", "-2000000000");
        await c.CommandAsync("SET", "bigint", "123456789012345");
        await c.CommandAsync("SET", "empty", string.Empty);
        await c.CommandAsync("SET", "long", LongValue);
        await c.CommandAsync("SET", "ttl", "soon", "EX", "100000");
        await c.CommandAsync("SET", "pttl", "later", "PX", "900000000");
        await c.CommandAsync("SELECT", "5");
        await c.CommandAsync("SET", "in5", "five");
        await c.CommandAsync("SET", "long5", LongValue + "x");
        await c.CommandAsync("SELECT", "15");
        await c.CommandAsync("SET", "in15", "fifteen");
        await c.CommandAsync("SET", "ttl15", "v", "EX", "5000");
        string digest = await c.CommandAsync("DEBUG", "DIGEST");
        Assert.Equal("+OK\r\n", await c.CommandAsync("SAVE"));
        return (await File.ReadAllBytesAsync(Path.Combine(redis.Dir, "dump.rdb")), digest);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task AnRdbWrittenByRedisLoadsWithTheSameDigestAndValues()
    {
        var (rdb, digest) = await RedisDumpAsync();
        Assert.Contains((byte)0xC3, rdb); // LZF was used
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("enable-debug-command", "yes").WithFile("dump.rdb", rdb));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        Assert.StartsWith("+", digest, StringComparison.Ordinal);
        Assert.Equal(digest, await c.CommandAsync("DEBUG", "DIGEST"));
        Assert.Equal("$5\r\nhello", (await c.CommandAsync("GET", "plain")).TrimEnd());
        Assert.Equal("$0\r\n", (await c.CommandAsync("GET", "empty")).TrimEnd() + "\r\n");
        Assert.Equal("$3\r\n-12", (await c.CommandAsync("GET", "int8")).TrimEnd());
        Assert.Equal($"${LongValue.Length}\r\n{LongValue}", (await c.CommandAsync("GET", "long")).TrimEnd());
        string ttl = await c.CommandAsync("TTL", "ttl");
        Assert.InRange(long.Parse(ttl[1..], System.Globalization.CultureInfo.InvariantCulture), 99000, 100000);
        await c.CommandAsync("SELECT", "15");
        Assert.Equal("$7\r\nfifteen", (await c.CommandAsync("GET", "in15")).TrimEnd());
        Assert.Equal(":2", (await c.CommandAsync("DBSIZE")).TrimEnd());
        Assert.Equal(rdb, await File.ReadAllBytesAsync(Path.Combine(server.Dir, "dump.rdb")));
    }

    [Fact]
    public async Task StartupLogsRedisLoadingLines()
    {
        var (rdb, _) = await RedisDumpAsync();
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().WithFile("dump.rdb", rdb));
        await server.WaitForOutputAsync("DB loaded from disk: ", TimeSpan.FromSeconds(30));
        string log = server.Output;
        Assert.Contains("* Loading RDB produced by version 7.0.15", log);
        Assert.Matches(@"\* RDB age \d+ seconds", log);
        Assert.Matches(@"\* RDB memory usage when created \d+\.\d\d Mb", log);
        Assert.Contains("* Done loading RDB, keys loaded: 13, keys expired: 0.", log);
        Assert.Matches(@"\* DB loaded from disk: \d+\.\d{3} seconds", log);
        Assert.True(log.IndexOf("Server initialized", StringComparison.Ordinal) < log.IndexOf("Loading RDB", StringComparison.Ordinal));
        Assert.True(log.IndexOf("DB loaded from disk", StringComparison.Ordinal) < log.IndexOf("Ready to accept connections", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACustomDbfilenameIsLoadedAndRdbchecksumNoSkipsVerification()
    {
        var (rdb, digest) = await RedisDumpAsync();
        rdb[^1] ^= 0xFF; // wrong checksum
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar()
            .With("enable-debug-command", "yes").With("dbfilename", "other.rdb").With("rdbchecksum", "no").WithFile("other.rdb", rdb));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal(digest, await c.CommandAsync("DEBUG", "DIGEST"));
    }

    [Theory]
    [InlineData("truncated", "Short read or OOM loading DB. Unrecoverable error, aborting now.")]
    [InlineData("checksum", "RDB CRC error")]
    [InlineData("version", "Can't handle RDB format version 13")]
    public async Task ABadFileStopsStartupWithExitCodeOneAndIsLeftUntouched(string damage, string expected)
    {
        var (rdb, _) = await RedisDumpAsync();
        byte[] bad = damage switch
        {
            "truncated" => rdb[..(rdb.Length / 2)],
            "checksum" => Flip(rdb, IndexOfHello(rdb)),
            _ => [.. "REDIS0013"u8, .. rdb[9..]],
        };
        var dir = Directory.CreateTempSubdirectory("cinnabar-test-").FullName;
        try
        {
            string file = Path.Combine(dir, "dump.rdb");
            await File.WriteAllBytesAsync(file, bad);
            int port = ServerProcess.FreePort();
            var (code, output) = await RunAsync(Path.Combine(ServerProcess.RepoRoot, "cinnabar-server"), "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", string.Empty, "--dir", dir);
            Assert.Equal(1, code);
            Assert.Contains(expected, output);
            if (damage == "checksum")
            {
                Assert.Matches(@"# Wrong RDB checksum expected: \([0-9a-f]+\) but got \([0-9a-f]+\)\. Aborting now\.", output);
            }

            Assert.Matches(@"Internal error in RDB reading offset \d+, file .*dump\.rdb -> ", output);
            Assert.DoesNotContain("Ready to accept connections", output);
            Assert.Equal(bad, await File.ReadAllBytesAsync(file));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // Inside the value "hello": a flipped bit there can only be caught by the checksum.
    private static int IndexOfHello(byte[] rdb) => rdb.AsSpan().IndexOf("hello"u8) + 1;

    // A Redis dump whose key "past" expired long ago (its EXPIRETIME_MS rewritten to 2001) and
    // whose checksum is 0 ("saved with checksum disabled"), since the bytes changed.
    private static async Task<byte[]> RedisDumpWithExpiredKeyAsync()
    {
        const long Year2100 = 4102444800000, Year2001 = 1000000000000;
        byte[] rdb;
        await using (var redis = await ServerProcess.StartAsync(ServerOptions.Redis()))
        {
            await using var c = await RawConnection.ConnectAsync(redis.Port);
            await c.CommandAsync("SET", "kept", "v");
            await c.CommandAsync("SET", "past", "v", "PXAT", Year2100.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal("+OK\r\n", await c.CommandAsync("SAVE"));
            rdb = await File.ReadAllBytesAsync(Path.Combine(redis.Dir, "dump.rdb"));
        }

        var find = BitConverter.GetBytes(Year2100);
        int at = rdb.AsSpan().IndexOf(find);
        Assert.True(at > 0);
        BitConverter.GetBytes(Year2001).CopyTo(rdb, at);
        Array.Clear(rdb, rdb.Length - 8, 8);
        return rdb;
    }

    [Fact]
    public async Task KeysAlreadyExpiredAreDroppedOnLoadAndCountedInInfo()
    {
        var rdb = await RedisDumpWithExpiredKeyAsync();
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().WithFile("dump.rdb", rdb));
        await server.WaitForOutputAsync("DB loaded from disk: ", TimeSpan.FromSeconds(30));
        Assert.Contains("# RDB file was saved with checksum disabled: no check performed.", server.Output);
        Assert.Contains("* Done loading RDB, keys loaded: 1, keys expired: 1.", server.Output);
        await using var c = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal(":1\r\n", await c.CommandAsync("DBSIZE"));
        string info = await c.CommandAsync("INFO", "persistence");
        Assert.Contains("rdb_last_load_keys_expired:1\r\n", info);
        Assert.Contains("rdb_last_load_keys_loaded:1\r\n", info);
        Assert.Contains("loading:0\r\n", info);
    }

    [Fact]
    public async Task CheckRdbReportsExpiredKeysAndDisabledChecksumsAsRedisCheckRdbDoes()
    {
        var rdb = await RedisDumpWithExpiredKeyAsync();
        var dir = Directory.CreateTempSubdirectory("cinnabar-test-").FullName;
        try
        {
            string file = Path.Combine(dir, "dump.rdb");
            await File.WriteAllBytesAsync(file, rdb);
            var (redisCode, redisOut) = await RunAsync("/usr/bin/redis-check-rdb", file);
            var (code, output) = await RunAsync(Path.Combine(ServerProcess.RepoRoot, "cinnabar-check-rdb"), file);
            Assert.Equal(redisCode, code);
            Assert.Equal(redisOut, output);
            Assert.Contains("[info] 1 already expired", output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static byte[] Flip(byte[] data, int at)
    {
        var copy = (byte[])data.Clone();
        copy[at] ^= 0x01;
        return copy;
    }

    [Fact]
    public async Task CheckRdbReportsAGoodFileExactlyAsRedisCheckRdbDoes()
    {
        var (rdb, _) = await RedisDumpAsync();
        var dir = Directory.CreateTempSubdirectory("cinnabar-test-").FullName;
        try
        {
            string file = Path.Combine(dir, "dump.rdb");
            await File.WriteAllBytesAsync(file, rdb);
            var (redisCode, redisOut) = await RunAsync("/usr/bin/redis-check-rdb", file);
            var (code, output) = await RunAsync(Path.Combine(ServerProcess.RepoRoot, "cinnabar-check-rdb"), file);
            Assert.Equal(0, redisCode);
            Assert.Equal(0, code);
            Assert.Equal(redisOut, output);
            Assert.Contains("\\o/ RDB looks OK! \\o/", output);
            Assert.Contains("[info] 13 keys read", output);
            Assert.Contains("[info] 3 expires", output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task CheckRdbReportsCorruptionWithExitCodeOne()
    {
        var (rdb, _) = await RedisDumpAsync();
        var dir = Directory.CreateTempSubdirectory("cinnabar-test-").FullName;
        try
        {
            string file = Path.Combine(dir, "dump.rdb");
            await File.WriteAllBytesAsync(file, Flip(rdb, IndexOfHello(rdb)));
            var (code, output) = await RunAsync(Path.Combine(ServerProcess.RepoRoot, "cinnabar-check-rdb"), file);
            Assert.Equal(1, code);
            Assert.Contains("--- RDB ERROR DETECTED ---", output);
            Assert.Matches(@"\[offset \d+\] ", output);
            Assert.Contains("RDB CRC error", output);
            var (redisCode, redisOut) = await RunAsync("/usr/bin/redis-check-rdb", file);
            Assert.Equal(redisCode, code);
            static string Infos(string o) => string.Join("\n", o.Split('\n').Where(l => l.StartsWith("[info]", StringComparison.Ordinal)));
            Assert.Equal(Infos(redisOut), Infos(output));
            Assert.Contains("[info] 13 keys read", output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
