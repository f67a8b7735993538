using System.Diagnostics;
using System.Text.RegularExpressions;

using Cinnabar.IntegrationTests.Infrastructure;

using StackExchange.Redis;

namespace Cinnabar.IntegrationTests;

public class IntrospectionDifferentialTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public IntrospectionDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    // Field names of an INFO reply, section by section ("# Name" headers kept), minus fields whose
    // presence depends on what ran before (per-command and per-error lines, keyspace lines).
    private static List<string> FieldNames(string reply) =>
        [.. reply.Split("\r\n")
            .Skip(1)
            .Where(l => l.Length > 0 && !l.StartsWith("txt:", StringComparison.Ordinal))
            .Select(l => l.StartsWith('#') ? l : l[..l.IndexOf(':', StringComparison.Ordinal)])
            .Where(n => !CinnabarExtras.Contains(n) && !Regex.IsMatch(n, "^(cmdstat_|errorstat_|latency_percentiles_usec_|db[0-9]+$)"))];

    // Fields Cinnabar adds beyond Redis's (docs/COMPATIBILITY.md lists them); every other field
    // must be Redis's, in Redis's order.
    private static readonly HashSet<string> CinnabarExtras = ["cinnabar_version", "current_save_buffered_bytes", "gc_gen0_collections", "gc_gen1_collections", "gc_gen2_collections", "gc_pause_total_usec"];

    [Theory]
    [InlineData("server")]
    [InlineData("clients")]
    [InlineData("memory")]
    [InlineData("persistence")]
    [InlineData("stats")]
    [InlineData("replication")]
    [InlineData("cpu")]
    [InlineData("modules")]
    [InlineData("commandstats")]
    [InlineData("errorstats")]
    [InlineData("latencystats")]
    [InlineData("cluster")]
    [InlineData("keyspace")]
    [InlineData("default")]
    [InlineData("everything")]
    public async Task InfoSectionHasRedisFieldNamesInRedisOrder(string section)
    {
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        var expected = FieldNames(await r.CommandAsync("INFO", section));
        var actual = FieldNames(await c.CommandAsync("INFO", section));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task InfoWithSeveralSectionsHasTheSameFieldNames()
    {
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        Assert.Equal(FieldNames(await r.CommandAsync("INFO", "cpu", "SERVER", "cpu", "nosuch")), FieldNames(await c.CommandAsync("INFO", "cpu", "SERVER", "cpu", "nosuch")));
    }

    [Theory]
    [InlineData("info")]
    [InlineData("time")]
    [InlineData("lastsave")]
    [InlineData("role")]
    [InlineData("shutdown")]
    [InlineData("monitor")]
    [InlineData("debug")]
    [InlineData("slowlog|get")]
    [InlineData("slowlog|len")]
    [InlineData("slowlog|reset")]
    [InlineData("slowlog|help")]
    [InlineData("latency|latest")]
    [InlineData("latency|history")]
    [InlineData("latency|reset")]
    [InlineData("latency|doctor")]
    [InlineData("latency|graph")]
    [InlineData("latency|histogram")]
    [InlineData("latency|help")]
    [InlineData("command|info")]
    [InlineData("command|docs")]
    [InlineData("command|count")]
    [InlineData("command|list")]
    [InlineData("command|getkeys")]
    [InlineData("command|getkeysandflags")]
    [InlineData("command|help")]
    [InlineData("get")]
    [InlineData("nosuchcommand")]
    public Task CommandInfoMatchesRedis(string name) => _pair.AssertSameRepliesAsync(["COMMAND", "INFO", name]);

    [Theory]
    [InlineData("slowlog")]
    [InlineData("latency")]
    [InlineData("command")]
    public async Task ContainerCommandInfoHasTheSameSubcommands(string name)
    {
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        static string[] Entries(string reply) =>
            [.. Regex.Matches(reply, @"\*10\r\n\$\d+\r\n([a-z|]+)\r\n").Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal)];
        Assert.Equal(Entries(await r.CommandAsync("COMMAND", "INFO", name)), Entries(await c.CommandAsync("COMMAND", "INFO", name)));
    }

    [Fact]
    public Task CommandDocsIncludesArgumentsAsRedisDoes() => _pair.AssertSameRepliesAsync(
        ["COMMAND", "DOCS", "get"],
        ["COMMAND", "DOCS", "set", "zadd"],
        ["COMMAND", "DOCS", "getset", "sort", "lpos", "zrange", "blmpop", "client|kill", "shutdown", "config|set"]);

    [Fact]
    public Task CommandDocsInResp3IsTheSameMapOfMaps() => _pair.AssertSameResp3RepliesAsync(
        ["COMMAND", "DOCS", "set", "zadd", "getset", "hset"]);

    [Fact]
    public async Task CommandDocsOfEveryCommandWithoutSubcommandsMatchesRedis()
    {
        // Every command both servers have (containers aside: Redis lists their subcommands in
        // its dict's order and has subcommands we lack) documents itself the same way.
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        static string[] Names(string reply) => [.. Regex.Matches(reply, @"\$\d+\r\n([^\r]+)\r\n").Select(m => m.Groups[1].Value)];
        var ours = Names(await c.CommandAsync("COMMAND", "LIST"));
        var theirs = Names(await r.CommandAsync("COMMAND", "LIST")).ToHashSet(StringComparer.Ordinal);
        var containers = Names(await c.CommandAsync("COMMAND", "LIST")).Where(n => n.Contains('|', StringComparison.Ordinal)).Select(n => n[..n.IndexOf('|', StringComparison.Ordinal)]).ToHashSet(StringComparer.Ordinal);
        var mismatched = new List<string>();
        int compared = 0;
        foreach (var name in ours.Where(n => theirs.Contains(n) && !containers.Contains(n)))
        {
            compared++;
            if (await r.CommandAsync("COMMAND", "DOCS", name) != await c.CommandAsync("COMMAND", "DOCS", name))
            {
                mismatched.Add(name);
            }
        }

        Assert.True(compared > 150, $"only {compared} commands compared");
        Assert.Empty(mismatched);
    }

    [Fact]
    public Task CommandRepliesMatchRedis() => _pair.AssertSameRepliesAsync(
        ["COMMAND", "DOCS", "time", "lastsave", "role", "info", "nosuch"],
        ["COMMAND", "DOCS", "slowlog|get", "latency|histogram"],
        ["COMMAND", "DOCS", "shutdown", "monitor", "debug", "latency|graph", "latency|history", "latency|reset", "latency|latest"],
        ["COMMAND", "DOCS", "command|info", "command|docs", "command|list", "command|getkeys", "command|count", "slowlog|len"],
        ["COMMAND", "HELP"],
        ["COMMAND", "HELP", "x"],
        ["COMMAND", "NOPE"],
        ["COMMAND", "COUNT", "x"],
        ["COMMAND", "GETKEYS", "get", "k"],
        ["COMMAND", "GETKEYS", "get"],
        ["COMMAND", "GETKEYS", "nosuch", "k"],
        ["COMMAND", "GETKEYS", "ping", "k"],
        ["COMMAND", "GETKEYSANDFLAGS", "get", "k"],
        ["COMMAND", "GETKEYS", "del", "a", "b", "c"],
        ["COMMAND", "LIST", "FILTERBY", "PATTERN", "slowlog|g*"],
        ["COMMAND", "LIST", "FILTERBY", "PATTERN", "[st]lowlog|[^g]e?"],
        ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuchcategory"],
        ["COMMAND", "LIST", "FILTERBY", "MODULE", "x"],
        ["COMMAND", "LIST", "FILTERBY", "bad", "x"],
        ["COMMAND", "LIST", "extra"]);

    [Fact]
    public Task SlowlogLatencyAndDebugErrorsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["SLOWLOG", "HELP"],
        ["SLOWLOG", "GET", "-2"],
        ["SLOWLOG", "GET", "x"],
        ["SLOWLOG", "GET", "1", "2"],
        ["SLOWLOG", "LEN", "x"],
        ["SLOWLOG", "nope"],
        ["LATENCY", "HELP"],
        ["LATENCY", "HELP", "xxx"],
        ["LATENCY", "HISTORY", "nosuch"],
        ["LATENCY", "RESET", "nosuch"],
        ["LATENCY", "GRAPH", "nosuch"],
        ["LATENCY", "DOCTOR"],
        ["LATENCY", "HISTOGRAM", "blabla"],
        ["DEBUG", "HELP"],
        ["DEBUG", "nope"],
        ["DEBUG", "OBJECT", "missing"],
        ["DEBUG", "POPULATE", "-1"],
        ["DEBUG", "POPULATE", "x"],
        ["DEBUG", "DIGEST-VALUE", "missing"],
        ["DEBUG", "ERROR", "CUSTOM message"],
        ["DEBUG", "PROTOCOL", "map"],
        ["DEBUG", "PROTOCOL", "attrib"],
        ["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
        ["ROLE"],
        ["SHUTDOWN", "ABORT"],
        ["SHUTDOWN", "SAVE", "NOSAVE"],
        ["SHUTDOWN", "bad"],
        ["MULTI"],
        ["SHUTDOWN"],
        ["DISCARD"]);

    [Fact]
    public Task DebugDigestEqualsRedisOnTheSameDataset() => _pair.AssertSameRepliesAsync(
        ["DEBUG", "DIGEST"],
        ["DEBUG", "POPULATE", "500"],
        ["DEBUG", "POPULATE", "20", "sized", "100"],
        ["SET", "bin", "a\r\n\0\u00ff"],
        ["SET", "num", "12345"],
        ["SELECT", "3"],
        ["SET", "other", "db"],
        ["DEBUG", "POPULATE", "5", "three"],
        ["DEBUG", "DIGEST"],
        ["DEBUG", "DIGEST-VALUE", "other", "three:0", "nosuch"],
        ["SELECT", "0"],
        ["DEBUG", "DIGEST-VALUE", "bin", "num", "key:7", "sized:3"],
        ["DEL", "key:9"],
        ["DEBUG", "DIGEST"],
        ["FLUSHALL"],
        ["DEBUG", "DIGEST"]);

    [Fact]
    public async Task SlowlogEntriesHaveRedisShape()
    {
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        static string Normalize(string s) => Regex.Replace(s, @"(\*6\r\n):\d+\r\n:\d+\r\n:\d+\r\n", "$1:ID\r\n:TIME\r\n:MICROS\r\n")
            .Replace("127.0.0.1", "IP", StringComparison.Ordinal);
        var replies = new List<(string, string)>();
        foreach (var conn in new[] { r, c })
        {
            await conn.CommandAsync("SLOWLOG", "RESET");
            await conn.CommandAsync("CLIENT", "SETNAME", "probe");
            await conn.CommandAsync("DEBUG", "SLEEP", "0.02");
        }

        var expected = Regex.Replace(Normalize(await r.CommandAsync("SLOWLOG", "GET", "1")), @"IP:\d+", "IP:PORT");
        var actual = Regex.Replace(Normalize(await c.CommandAsync("SLOWLOG", "GET", "1")), @"IP:\d+", "IP:PORT");
        Assert.Matches(@"^\*1\r\n\*6\r\n:ID\r\n:TIME\r\n:MICROS\r\n\*3\r\n\$5\r\nDEBUG\r\n\$5\r\nSLEEP\r\n\$4\r\n0\.02\r\n\$\d+\r\nIP:PORT\r\n", expected);

        // CLIENT SETNAME belongs to another family; compare everything but the client name.
        Assert.Equal(expected[..expected.LastIndexOf('$')], actual[..actual.LastIndexOf('$')]);
        Assert.Equal(await r.CommandAsync("SLOWLOG", "LEN"), await c.CommandAsync("SLOWLOG", "LEN"));
    }

    [Fact]
    public async Task MonitorLinesMatchRedisFormat()
    {
        static async Task<List<string>> Lines(int port)
        {
            await using var monitor = await RawConnection.ConnectAsync(port);
            await using var client = await RawConnection.ConnectAsync(port);
            Assert.Equal("+OK\r\n", await monitor.CommandAsync("MONITOR"));
            await client.CommandAsync("SET", "k", "a\"b\n\u0001");
            await client.CommandAsync("SELECT", "2");
            await client.CommandAsync("AUTH", "secret");
            await client.CommandAsync("AUTH", "user", "secret");
            await client.CommandAsync("GET", "12");
            await client.CommandAsync("CONFIG", "GET", "port");
            await client.CommandAsync("PING");
            await client.CommandAsync("MULTI");
            await client.CommandAsync("SET", "in", "multi");
            await client.CommandAsync("EXEC");
            var lines = new List<string>();
            for (int i = 0; i < 9; i++)
            {
                var line = await monitor.ReadReplyAsync(TimeSpan.FromSeconds(10));
                Assert.Matches(@"^\+\d{10}\.\d{6} \[\d+ 127\.0\.0\.1:\d+\] .*\r\n$", line);
                lines.Add(Regex.Replace(line, @"^\+\d+\.\d+ \[(\d+) 127\.0\.0\.1:\d+\]", "+TIME [$1 ADDR]"));
            }

            return lines;
        }

        Assert.Equal(await Lines(_pair.Redis.Port), await Lines(_pair.Cinnabar.Port));
    }

    [Fact]
    public async Task InfoCountersMatchRedisAfterTheSameCommands()
    {
        await using var redis = await ServerProcess.StartAsync(ServerOptions.Redis());
        await using var cinnabar = await ServerProcess.StartAsync(ServerOptions.Cinnabar());
        static async Task<List<string>> Counters(int port)
        {
            await using var c = await RawConnection.ConnectAsync(port);
            foreach (var cmd in new[] { new[] { "SET", "a", "1" }, ["GET", "a"], ["GET", "b"], ["GET"], ["nosuch"], ["SET", "x"], ["SELECT", "x"], ["DEL", "a", "b"], ["SET", "k", "v"], ["SELECT", "5"], ["SET", "k5", "v"] })
            {
                await c.CommandAsync(cmd);
            }

            var wanted = new HashSet<string>(StringComparer.Ordinal)
            {
                "keyspace_hits", "keyspace_misses", "total_error_replies", "total_commands_processed", "rdb_changes_since_last_save",
                "connected_clients", "role", "master_repl_offset", "aof_enabled", "loading",
            };
            var lines = new List<string>();
            foreach (var line in (await c.CommandAsync("INFO", "everything")).Split("\r\n"))
            {
                var name = line.Split(':')[0];
                if (wanted.Contains(name) || Regex.IsMatch(name, "^(errorstat_|db[0-9]+$)"))
                {
                    lines.Add(line);
                }
                else if (name.StartsWith("cmdstat_", StringComparison.Ordinal))
                {
                    lines.Add(Regex.Replace(line, @"usec=\d+,usec_per_call=[0-9.]+", "usec=*"));
                }
            }

            return [.. lines.Order(StringComparer.Ordinal)];
        }

        var expected = await Counters(redis.Port);
        Assert.Contains("keyspace_hits:1", expected);
        Assert.Contains("errorstat_ERR:count=4", expected);
        Assert.Contains("db5:keys=1,expires=0,avg_ttl=0", expected);
        Assert.Equal(expected, await Counters(cinnabar.Port));
    }

    [Fact]
    public async Task ShutdownClosesTheConnectionAndStopsTheServer()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar());
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await c.SendRawAsync(RawConnection.Encode("SHUTDOWN"u8.ToArray(), "NOSAVE"u8.ToArray()));
        Assert.Equal(string.Empty, await c.ReadToEndAsync(TimeSpan.FromSeconds(30)));
        await server.WaitForOutputAsync("ready to exit, bye bye", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task RedisCliRunsInfoAndCommandWithoutWarnings()
    {
        foreach (var args in new[] { new[] { "INFO", "server" }, ["COMMAND", "COUNT"], ["COMMAND", "DOCS", "get"] })
        {
            var psi = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-p", _pair.Cinnabar.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) }.Concat(args))
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi)!;
            var stdout = await p.StandardOutput.ReadToEndAsync();
            var stderr = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.Equal(0, p.ExitCode);
            Assert.Equal(string.Empty, stderr);
            Assert.DoesNotContain("ERR", stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task StackExchangeRedisSeesAStandalone7Server()
    {
        var log = new StringWriter();
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_pair.Cinnabar.Port},allowAdmin=true", log);
        var server = mux.GetServer("127.0.0.1", _pair.Cinnabar.Port);
        Assert.Equal(new Version(7, 0, 15), server.Version);
        Assert.Equal(ServerType.Standalone, server.ServerType);
        Assert.False(server.IsReplica);
        var info = await server.InfoAsync("server");
        Assert.Equal("7.0.15", info.SelectMany(g => g).First(p => p.Key == "redis_version").Value);
        Assert.True((await server.CommandCountAsync()) > 0);
        Assert.DoesNotContain("unknown command", log.ToString(), StringComparison.OrdinalIgnoreCase);
    }
}
