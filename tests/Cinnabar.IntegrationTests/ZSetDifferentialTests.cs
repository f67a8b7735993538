using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>The sorted-set family, reply by reply, against Debian's redis-server 7.0.15.</summary>
public class ZSetDifferentialTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public ZSetDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public Task ZaddOptionsScoresRanksAndCountsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["zadd", "z", "1", "a", "2", "b", "3", "c"],
        ["zadd", "z", "nx", "xx", "1", "a"],
        ["zadd", "z", "gt", "lt", "1", "a"],
        ["zadd", "z", "gt", "nx", "1", "a"],
        ["zadd", "z", "incr", "1", "a", "2", "b"],
        ["zadd", "z", "1"],
        ["zadd", "z", "abc", "a"],
        ["zadd", "z", "nan", "a"],
        ["zadd", "z", "1e400", "a"],
        ["zadd", "z", "inf", "a"],
        ["zadd", "z", "-0", "x"],
        ["zscore", "z", "x"],
        ["zscore", "z", "a"],
        ["zrange", "z", "0", "-1", "withscores"],
        ["zincrby", "z", "1.5", "a"],
        ["zincrby", "z", "-inf", "a"],
        ["zincrby", "z", "+inf", "a"],
        ["zadd", "z", "ch", "5", "a", "6", "b", "7", "d"],
        ["zadd", "z", "xx", "ch", "incr", "1", "a"],
        ["zadd", "z", "xx", "incr", "1", "nonexist"],
        ["zcard", "z"],
        ["zcard", "nokey"],
        ["zrank", "z", "a"],
        ["zrevrank", "z", "a"],
        ["zrank", "z", "nope"],
        ["zcount", "z", "-inf", "+inf"],
        ["zcount", "z", "(1", "3"],
        ["zcount", "z", "a", "b"],
        ["zlexcount", "z", "-", "+"],
        ["zlexcount", "z", "a", "b"],
        ["zrange", "z", "0", "-1"],
        ["zrange", "z", "2", "1"],
        ["zrange", "z", "-100", "100", "withscores"]);

    [Fact]
    public Task RangeQueriesAndRangeRemovalsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["zadd", "z", "1", "a", "2.5", "b", "3", "c", "5", "d", "6", "e", "7", "f"],
        ["zrange", "z", "0", "-1", "rev", "withscores"],
        ["zrange", "z", "-inf", "+inf", "byscore", "limit", "1", "2", "withscores"],
        ["zrange", "z", "+inf", "-inf", "byscore", "rev", "limit", "1", "2", "withscores"],
        ["zrange", "z", "0", "-1", "limit", "1", "2"],
        ["zrange", "z", "-", "+", "bylex", "withscores"],
        ["zrange", "z", "-", "+", "bylex", "limit", "0", "2"],
        ["zrangebyscore", "z", "1", "7", "withscores", "limit", "-1", "2"],
        ["zrangebyscore", "z", "1", "7", "withscores", "limit", "0", "-1"],
        ["zrangebyscore", "z", "(", "7"],
        ["zrangebyscore", "z", "", "7"],
        ["zrevrangebyscore", "z", "7", "1"],
        ["zrevrange", "z", "0", "1", "withscores"],
        ["zadd", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"],
        ["zrangebylex", "l", "[b", "(d"],
        ["zrevrangebylex", "l", "(d", "[b"],
        ["zrangebylex", "l", "-", "+", "limit", "1", "2"],
        ["zrangebylex", "l", "+", "-"],
        ["zrevrangebylex", "l", "+", "-", "limit", "1", "1"],
        ["zlexcount", "l", "[b", "[d"],
        ["zremrangebylex", "l", "[b", "[c"],
        ["zrange", "l", "0", "-1"],
        ["zremrangebyrank", "z", "0", "0"],
        ["zremrangebyscore", "z", "-inf", "(6"],
        ["zrange", "z", "0", "-1", "withscores"],
        ["zmscore", "z", "a", "b", "nope"],
        ["zmscore", "nokey", "a"]);

    [Fact]
    public Task PopsAndTypeErrorsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["zadd", "z", "1", "a", "2.5", "b", "3", "c", "5", "d", "6", "e", "7", "f"],
        ["zadd", "l", "0", "a", "0", "b", "0", "c"],
        ["zpopmin", "z"],
        ["zpopmax", "z", "2"],
        ["zpopmin", "z", "0"],
        ["zpopmin", "z", "-1"],
        ["zpopmin", "z", "a"],
        ["zpopmin", "z", "1", "2"],
        ["zmpop", "1", "l", "min"],
        ["zmpop", "2", "nokey", "l", "max", "count", "10"],
        ["zmpop", "0", "l", "min"],
        ["zmpop", "1", "l", "foo"],
        ["exists", "l"],
        ["set", "s", "str"],
        ["zadd", "s", "1", "a"],
        ["zrange", "s", "0", "-1"],
        ["zunionstore", "s", "1", "nokey"],
        ["exists", "s"]);

    [Fact]
    public Task UnionInterDiffStoreRandomMemberScanAndEncodingsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["config", "set", "zset-max-listpack-entries", "128"],
        ["zadd", "a", "1", "x", "2", "y", "3", "z"],
        ["zadd", "b", "10", "y", "20", "z", "30", "w"],
        ["sadd", "c", "y", "w", "q"],
        ["zunion", "2", "a", "b", "withscores"],
        ["zunion", "3", "a", "b", "c", "weights", "1", "2", "3", "aggregate", "max", "withscores"],
        ["zinter", "3", "a", "b", "c", "withscores"],
        ["zinter", "2", "a", "b", "aggregate", "min", "withscores"],
        ["zintercard", "2", "a", "b"],
        ["zintercard", "2", "a", "b", "limit", "1"],
        ["zintercard", "2", "a", "b", "limit", "-1"],
        ["zdiff", "2", "a", "b", "withscores"],
        ["zdiff", "2", "b", "c", "withscores"],
        ["zunionstore", "d", "2", "a", "b"],
        ["zrange", "d", "0", "-1", "withscores"],
        ["object", "encoding", "d"],
        ["zinterstore", "d", "2", "a", "nope"],
        ["exists", "d"],
        ["zdiffstore", "d", "1", "a"],
        ["zunion", "0", "a"],
        ["zunion", "3", "a", "b"],
        ["zunion", "2", "a", "b", "weights", "1"],
        ["zunion", "2", "a", "b", "weights", "1", "x"],
        ["zunion", "2", "a", "b", "aggregate", "foo"],
        ["zunionstore", "d", "2", "a", "b", "withscores"],
        ["zinter", "2", "a", "s"],
        ["zrangestore", "dst", "a", "0", "-1"],
        ["zrange", "dst", "0", "-1", "withscores"],
        ["zrangestore", "dst", "a", "0", "-1", "withscores"],
        ["zrangestore", "dst", "nokey", "0", "-1"],
        ["exists", "dst"],
        ["zrangestore", "dst", "a", "(1", "+inf", "byscore", "rev"],
        ["zrangestore", "dst", "a", "+inf", "(1", "byscore", "rev"],
        ["zrange", "dst", "0", "-1", "withscores"],
        ["zrandmember", "nokey"],
        ["zrandmember", "nokey", "5"],
        ["zrandmember", "a", "0"],
        ["zrandmember", "a", "3", "foo"],
        ["zrandmember", "a", "-9223372036854775808"],
        ["zscan", "a", "0"],
        ["zadd", "fl", "1.5", "a", "0.1", "b", "1e17", "c", "123456789012345678", "d", "-0", "e"],
        ["zscan", "fl", "0"],
        ["zrange", "fl", "0", "-1", "withscores"],
        ["zscore", "fl", "c"],
        ["zscore", "fl", "e"],
        ["object", "encoding", "fl"],
        ["zrange", "fl", "0", "-1", "withscores"],
        ["zscore", "fl", "a"],
        ["zpopmin", "fl", "2"],
        ["zpopmin", "fl"],
        ["zunion", "2", "a", "b", "withscores"],
        ["zmpop", "1", "a", "min", "count", "2"],
        ["zrange", "a", "0", "-1", "withscores", "bylex"],
        ["zadd", "z2", "1", "a"],
        ["zrange", "z2", "0", "-1", "byscore", "bylex"],
        ["zrange", "z2", "0", "-1", "rev", "rev"],
        ["zrangebyscore", "z2", "0", "1", "rev"],
        ["zrangebylex", "z2", "-", "+", "withscores"],
        ["zrangestore"],
        ["zcount", "z2", "1"],
        ["type", "z2"],
        ["object", "encoding", "z2"],
        ["config", "set", "zset-max-ziplist-entries", "2"],
        ["zadd", "z2", "2", "b", "3", "c"],
        ["object", "encoding", "z2"],
        ["config", "set", "zset-max-listpack-entries", "128"],
        ["zunionstore", "z3", "1", "z2"],
        ["object", "encoding", "z3"],
        ["debug", "digest-value", "z2", "z3"]);

    [Fact]
    public Task Resp3RepliesUseDoublesAndNestedPairsLikeRedis() => _pair.AssertSameResp3RepliesAsync(
        ["zadd", "z", "1.5", "a", "2", "b", "inf", "c", "-0", "d"],
        ["zscore", "z", "a"],
        ["zscore", "z", "nope"],
        ["zmscore", "z", "a", "nope", "c"],
        ["zrank", "z", "nope"],
        ["zrange", "z", "0", "-1", "withscores"],
        ["zrangebyscore", "z", "-inf", "+inf", "withscores", "limit", "0", "2"],
        ["zincrby", "z", "1", "a"],
        ["zadd", "z", "xx", "incr", "1", "nope"],
        ["zunion", "1", "z", "withscores"],
        ["zinter", "2", "z", "z", "withscores"],
        ["zdiff", "1", "z", "withscores"],
        ["zrandmember", "z", "10", "withscores"],
        ["zrandmember", "nokey"],
        ["zpopmin", "z"],
        ["zpopmin", "z", "1"],
        ["zpopmax", "z", "5"],
        ["zpopmax", "z", "5"],
        ["zadd", "m", "1", "a"],
        ["zmpop", "1", "m", "max"],
        ["zmpop", "1", "m", "max"],
        ["bzpopmin", "nokey", "0.01"]);

    [Fact]
    public Task EncodingsConvertAtTheLimitsLikeRedis() => _pair.AssertSameRepliesAsync(
        ["config", "set", "zset-max-ziplist-entries", "4"],
        ["config", "set", "zset-max-listpack-value", "8"],
        ["config", "get", "zset-max-ziplist-entries"],
        ["config", "get", "zset-max-listpack-value"],
        ["zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
        ["object", "encoding", "z"],
        ["zadd", "z", "5", "e"],
        ["object", "encoding", "z"],
        ["zrem", "z", "a", "b", "c"],
        ["object", "encoding", "z"],
        ["zadd", "long", "1", "abcdefghi"],
        ["object", "encoding", "long"],
        ["zadd", "short", "1", "abc"],
        ["zadd", "short", "2", "abcdefghi"],
        ["object", "encoding", "short"],
        ["zunionstore", "u", "1", "z"],
        ["object", "encoding", "u"],
        ["zinterstore", "i", "2", "short", "short"],
        ["object", "encoding", "i"],
        ["zdiffstore", "d", "1", "z"],
        ["object", "encoding", "d"],
        ["zrangestore", "r", "z", "0", "-1"],
        ["object", "encoding", "r"],
        ["zadd", "big", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"],
        ["zrangestore", "r2", "big", "0", "4"],
        ["object", "encoding", "r2"],
        ["zrangestore", "r3", "big", "-inf", "+inf", "byscore", "limit", "0", "3"],
        ["object", "encoding", "r3"],
        ["zadd", "neg", "-0", "a"],
        ["zscore", "neg", "a"],
        ["zscore", "big", "a"],
        ["zadd", "big", "-0", "zz"],
        ["zscore", "big", "zz"],
        ["zscan", "r3", "0"],
        ["zscan", "r3", "0", "count", "100", "match", "*"],
        ["zscan", "neg", "0", "match", "z*"],
        ["zscan", "big", "abc"],
        ["zscan", "nokey", "0"],
        ["debug", "digest-value", "big", "z", "u", "neg"],
        ["type", "big"],
        ["select", "5"],
        ["zadd", "only", "1", "a"],
        ["set", "str", "x"],
        ["scan", "0", "type", "zset"],
        ["flushdb"],
        ["select", "0"],
        ["config", "set", "zset-max-listpack-entries", "128"],
        ["config", "set", "zset-max-listpack-value", "64"]);

    // Lex ranges assume equal scores; over mixed scores Redis's answer is whatever its walks give,
    // and a listpack's walks are deterministic.
    [Fact]
    public Task LexRangesOverMixedScoresInAListpackWalkLikeRedis() => _pair.AssertSameRepliesAsync(
        ["zadd", "m", "1", "d", "2", "a", "3", "c", "4", "b", "5", "e", "6", "a1"],
        ["zrangebylex", "m", "[b", "[d"],
        ["zrangebylex", "m", "-", "[c"],
        ["zrangebylex", "m", "[b", "+", "limit", "1", "2"],
        ["zrevrangebylex", "m", "[d", "[b"],
        ["zrevrangebylex", "m", "+", "(a"],
        ["zlexcount", "m", "[b", "[d"],
        ["zlexcount", "m", "-", "+"],
        ["zlexcount", "m", "(c", "+"],
        ["zrange", "m", "[c", "-", "bylex", "rev"],
        ["zrangestore", "dst", "m", "[a", "[c", "bylex"],
        ["zrange", "dst", "0", "-1", "withscores"],
        ["zremrangebylex", "m", "[b", "[d"],
        ["zrange", "m", "0", "-1", "withscores"]);

    [Fact]
    public Task CommandInfoAndGetKeysOfTheSortedSetCommandsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["command", "info", "zadd", "zrangestore", "zunionstore", "zunion", "zintercard", "zmpop", "bzmpop", "bzpopmin", "zrandmember", "zscan", "zremrangebylex"],
        ["command", "getkeys", "zunionstore", "dst", "2", "a", "b", "weights", "1", "2"],
        ["command", "getkeys", "zinter", "2", "a", "b"],
        ["command", "getkeys", "zmpop", "2", "a", "b", "min"],
        ["command", "getkeys", "bzmpop", "0", "2", "a", "b", "min"],
        ["command", "getkeys", "zrangestore", "dst", "src", "0", "-1"],
        ["command", "getkeys", "bzpopmax", "a", "b", "0"]);

    [Fact]
    public async Task KeyspaceEventsOfEverySortedSetWriteMatchRedis()
    {
        var transcripts = new List<string>();
        foreach (var server in new[] { _pair.Redis, _pair.Cinnabar })
        {
            await using var sub = await RawConnection.ConnectAsync(server.Port);
            await using var c = await RawConnection.ConnectAsync(server.Port);
            await c.CommandAsync("FLUSHALL");
            await c.CommandAsync("CONFIG", "SET", "notify-keyspace-events", "KEA");
            var text = new System.Text.StringBuilder();
            text.Append(await sub.CommandAsync("PSUBSCRIBE", "__key*__:*"));
            string[][] writes =
            [
                ["zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
                ["zadd", "z", "1", "a"],
                ["zincrby", "z", "1", "a"],
                ["zrem", "z", "a"],
                ["zremrangebyscore", "z", "2", "2"],
                ["zremrangebyrank", "z", "0", "0"],
                ["zadd", "l", "0", "a", "0", "b"],
                ["zremrangebylex", "l", "-", "+"],
                ["zpopmin", "z"],
                ["zpopmax", "z"],
                ["zadd", "z", "1", "x", "2", "y"],
                ["zunionstore", "u", "1", "z"],
                ["zinterstore", "i", "1", "z"],
                ["zdiffstore", "d", "1", "z"],
                ["zrangestore", "r", "z", "0", "-1"],
                ["zunionstore", "u", "1", "nokey"],
                ["zmpop", "1", "z", "min", "count", "5"],
                ["zrem", "r", "x", "y"],
                ["bzpopmin", "i", "0"],
            ];
            foreach (var w in writes)
            {
                await c.CommandAsync(w);
                await c.CommandAsync("PING");
            }

            // Every event has arrived once our own marker does.
            await c.CommandAsync("SET", "marker", "1");
            while (true)
            {
                var msg = await sub.ReadReplyAsync();
                if (msg.Contains("marker", StringComparison.Ordinal))
                {
                    break;
                }

                text.Append(msg);
            }

            await c.CommandAsync("CONFIG", "SET", "notify-keyspace-events", string.Empty);
            transcripts.Add(text.ToString());
        }

        Assert.True(transcripts[0] == transcripts[1], $"redis:\n{DifferentialPair.Escape(transcripts[0])}\ncinnabar:\n{DifferentialPair.Escape(transcripts[1])}");
    }
}
