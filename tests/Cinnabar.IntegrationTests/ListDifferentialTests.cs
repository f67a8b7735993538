using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>The list family, reply by reply, against Debian's redis-server 7.0.15.</summary>
public class ListDifferentialTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public ListDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public Task EveryListCommandAndErrorPathMatchesRedis() => _pair.AssertSameRepliesAsync(
        ["lpush", "l", "a", "b", "c"],
        ["rpush", "l", "d", "e", "f", "1", "2", "300", "-5"],
        ["llen", "l"],
        ["lrange", "l", "0", "-1"],
        ["lrange", "l", "-100", "100"],
        ["lrange", "l", "5", "2"],
        ["lrange", "l", "x", "2"],
        ["lindex", "l", "0"],
        ["lindex", "l", "-1"],
        ["lindex", "l", "100"],
        ["lindex", "l", "x"],
        ["lset", "l", "0", "zz"],
        ["lset", "l", "100", "zz"],
        ["lset", "nokey", "0", "zz"],
        ["lset", "l", "x", "y"],
        ["linsert", "l", "before", "zz", "yy"],
        ["linsert", "l", "after", "f", "ff"],
        ["linsert", "l", "after", "nope", "ff"],
        ["linsert", "l", "middle", "f", "ff"],
        ["linsert", "nokey", "after", "f", "ff"],
        ["lrange", "l", "0", "-1"],
        ["lrem", "l", "0", "a"],
        ["lrem", "l", "1", "b"],
        ["lrem", "l", "-1", "c"],
        ["lrem", "l", "x", "c"],
        ["lpos", "l", "d"],
        ["lpos", "l", "d", "rank", "0"],
        ["lpos", "l", "d", "count", "-1"],
        ["lpos", "l", "d", "maxlen", "-1"],
        ["lpos", "l", "d", "rank", "1", "count", "0", "maxlen", "0"],
        ["lpos", "l", "d", "foo"],
        ["lpos", "l", "nope"],
        ["lpos", "l", "nope", "count", "1"],
        ["lpos", "nokey", "a"],
        ["lpos", "nokey", "a", "count", "0"],
        ["rpush", "m", "a", "b", "a", "c", "a", "d", "a"],
        ["lpos", "m", "a", "rank", "-1", "count", "0"],
        ["lpos", "m", "a", "rank", "2", "count", "2"],
        ["lpos", "m", "a", "maxlen", "2", "count", "0"],
        ["lpos", "m", "a", "rank", "-2"],
        ["lrem", "m", "-2", "a"],
        ["lrange", "m", "0", "-1"],
        ["ltrim", "m", "1", "-2"],
        ["lrange", "m", "0", "-1"],
        ["ltrim", "m", "5", "1"],
        ["exists", "m"],
        ["ltrim", "nokey", "0", "1"],
        ["lpop", "l"],
        ["rpop", "l"],
        ["lpop", "l", "2"],
        ["rpop", "l", "2"],
        ["lpop", "l", "0"],
        ["lpop", "l", "-1"],
        ["lpop", "l", "x"],
        ["lpop", "nokey"],
        ["lpop", "nokey", "2"],
        ["lpop", "l", "1", "2"],
        ["lpushx", "nokey", "a"],
        ["rpushx", "l", "q"],
        ["set", "s", "v"],
        ["lpush", "s", "a"],
        ["lpop", "s"],
        ["llen", "s"],
        ["lrange", "s", "0", "1"],
        ["blpop", "s", "0"],
        ["get", "l"],
        ["type", "l"],
        ["object", "encoding", "l"],
        ["lmove", "l", "l2", "left", "right"],
        ["lmove", "l", "l2", "left", "middle"],
        ["lmove", "nokey", "l2", "left", "left"],
        ["lmove", "l", "s", "left", "left"],
        ["rpoplpush", "l", "l2"],
        ["lrange", "l2", "0", "-1"],
        ["rpush", "src", "1", "2", "3"],
        ["rpoplpush", "src", "src"],
        ["lrange", "src", "0", "-1"],
        ["lmpop", "0", "src", "left"],
        ["lmpop", "1", "src", "middle"],
        ["lmpop", "2", "src", "nokey", "left", "count", "0"],
        ["lmpop", "2", "src", "nokey", "left", "count", "2", "count", "3"],
        ["lmpop", "2", "nokey", "src", "right", "count", "2"],
        ["lmpop", "2", "nokey", "src", "right", "count", "10"],
        ["lmpop", "1", "nokey", "left"],
        ["lmpop", "1", "s", "left"],
        ["lmpop", "x", "src", "left"],
        ["exists", "src"],
        ["rpush", "l2", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
        ["blpop", "l2", "0"],
        ["brpop", "l2", "0.1"],
        ["blpop", "l2", "-1"],
        ["blpop", "l2", "abc"],
        ["blmove", "l2", "l3", "right", "left", "0"],
        ["brpoplpush", "l2", "l3", "0"],
        ["blmpop", "0", "1", "l2", "left", "count", "5"],
        ["blmpop", "0", "1", "l2", "left", "count", "0"],
        ["blmpop", "-1", "1", "l2", "left"],
        ["blmpop", "x", "1", "l2", "left"],
        ["lrange", "l3", "0", "-1"],
        ["debug", "digest"],
        ["debug", "digest-value", "l3"],
        ["multi"],
        ["blpop", "empty", "0"],
        ["brpoplpush", "empty", "x", "0"],
        ["blmpop", "0", "1", "empty", "left"],
        ["exec"]);

    [Fact]
    public Task LargeListsSpanningManyNodesMatchRedisIncludingTheirDigest()
    {
        var script = new List<string[]>();
        for (int i = 0; i < 30; i++)
        {
            var push = new List<string> { i % 2 == 0 ? "RPUSH" : "LPUSH", "big" };
            for (int j = 0; j < 300; j++)
            {
                push.Add(new string((char)('a' + (j % 26)), (i + j) % 40) + j.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            script.Add([.. push]);
        }

        script.Add(["LLEN", "big"]);
        script.Add(["LINDEX", "big", "4500"]);
        script.Add(["LINDEX", "big", "-4500"]);
        script.Add(["LSET", "big", "4000", new string('x', 5000)]);
        script.Add(["LINSERT", "big", "BEFORE", "a0", "pivot"]);
        script.Add(["LRANGE", "big", "4490", "4510"]);
        script.Add(["LRANGE", "big", "-20", "-1"]);
        script.Add(["LREM", "big", "-3", "a0"]);
        script.Add(["LPOS", "big", "a0", "RANK", "-1", "COUNT", "0"]);
        script.Add(["LTRIM", "big", "100", "-100"]);
        script.Add(["LPOP", "big", "250"]);
        script.Add(["RPOP", "big", "250"]);
        script.Add(["OBJECT", "ENCODING", "big"]);
        script.Add(["DEBUG", "DIGEST-VALUE", "big"]);
        script.Add(["DEBUG", "DIGEST"]);
        return _pair.AssertSameRepliesAsync([.. script]);
    }

    [Fact]
    public Task StringCommandsOnListsAndListCommandsOnStringsAnswerWrongTypeLikeRedis() => _pair.AssertSameRepliesAsync(
        ["RPUSH", "l", "a"],
        ["SET", "s", "v"],
        ["GET", "l"],
        ["APPEND", "l", "x"],
        ["INCR", "l"],
        ["STRLEN", "l"],
        ["SETRANGE", "l", "0", "x"],
        ["GETRANGE", "l", "0", "1"],
        ["LPUSH", "s", "a"],
        ["RPUSHX", "s", "a"],
        ["LINSERT", "s", "BEFORE", "a", "b"],
        ["LSET", "s", "0", "a"],
        ["LREM", "s", "0", "a"],
        ["LTRIM", "s", "0", "1"],
        ["LPOS", "s", "a"],
        ["LMOVE", "s", "l", "LEFT", "LEFT"],
        ["LMOVE", "l", "s", "LEFT", "LEFT"],
        ["BLPOP", "s", "0"],
        ["BLMOVE", "l", "s", "LEFT", "LEFT", "0"],
        ["LRANGE", "l", "0", "-1"],
        ["TYPE", "l"],
        ["SCAN", "0", "TYPE", "list"],
        ["RENAME", "l", "l2"],
        ["LRANGE", "l2", "0", "-1"],
        ["COPY", "l2", "l3"],
        ["RPUSH", "l3", "b"],
        ["LRANGE", "l2", "0", "-1"],
        ["LRANGE", "l3", "0", "-1"],
        ["MOVE", "l3", "1"],
        ["SELECT", "1"],
        ["LRANGE", "l3", "0", "-1"],
        ["SELECT", "0"],
        ["EXPIRE", "l2", "100"],
        ["TTL", "l2"],
        ["DEL", "l2"],
        ["EXISTS", "l2"]);

    [Fact]
    public async Task DebugObjectReportsTheSameEncodingSerializedLengthAndQuicklistFieldsAsRedis()
    {
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        foreach (var conn in new[] { r, c })
        {
            await conn.CommandAsync("FLUSHALL");
            await conn.CommandAsync("RPUSH", "l", "a", "b", "c", "1", "200", "-70000", "hello world");
            await conn.CommandAsync("HSET", "h", "a", "1", "b", "two");
            await conn.CommandAsync("SADD", "s", "1", "-2", "300000");
            await conn.CommandAsync("SADD", "t", "x", "y");
        }

        foreach (var key in new[] { "l", "h", "s", "t" })
        {
            Assert.Equal(Strip(await r.CommandAsync("DEBUG", "OBJECT", key)), Strip(await c.CommandAsync("DEBUG", "OBJECT", key)));
        }

        foreach (var cmd in new[] { new[] { "MEMORY", "USAGE", "nokey" }, ["MEMORY", "USAGE", "l", "SAMPLES", "-1"], ["MEMORY", "USAGE", "l", "SAMPLES", "x"], ["MEMORY", "USAGE", "l", "FOO"], ["MEMORY", "USAGE"], ["MEMORY", "PURGE"], ["MEMORY", "PURGE", "x"] })
        {
            Assert.Equal(await r.CommandAsync(cmd), await c.CommandAsync(cmd));
        }

        Assert.StartsWith(":", await c.CommandAsync("MEMORY", "USAGE", "l"), StringComparison.Ordinal);

        // The address and the LRU clock are per process, and the idle seconds differ when the two
        // servers are asked on either side of a second boundary; the field must still be there.
        static string Strip(string reply) =>
            System.Text.RegularExpressions.Regex.Replace(
                System.Text.RegularExpressions.Regex.Replace(reply, "Value at:0x[0-9a-f]+ |lru:[0-9]+ ", string.Empty),
                "lru_seconds_idle:[0-9]+",
                "lru_seconds_idle:N");
    }
}
