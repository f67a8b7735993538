using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>
/// Numbers Redis parses with glibc's strtod/strtold (string2d, string2ld, zslParseRange, SORT
/// weights, blocking timeouts): hex floats, "infinity", subnormals, ERANGE and blank rules,
/// reply by reply against Debian's redis-server 7.0.15.
/// </summary>
public class StrtodDifferentialTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public StrtodDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public Task ZaddAndZincrbyScoresAcceptWhatString2dAccepts() => _pair.AssertSameRepliesAsync(
        ["ZADD", "z", "0x1p3", "a"],
        ["ZADD", "z", "0X1P-2", "b"],
        ["ZADD", "z", "0x.8", "c"],
        ["ZADD", "z", "0x10", "d"],
        ["ZADD", "z", "-0x1.8p1", "e"],
        ["ZADD", "z", "0x", "x"],
        ["ZADD", "z", "0x1p", "x"],
        ["ZADD", "z", "0xg", "x"],
        ["ZADD", "z", "1e-320", "f"],
        ["ZADD", "z", "1e-400", "x"],
        ["ZADD", "z", "1e400", "x"],
        ["ZADD", "z", "0x1p-1074", "g"],
        ["ZADD", "z", "0x1p-1080", "x"],
        ["ZADD", "z", "0x1p2000", "x"],
        ["ZADD", "z", "0x1.fffffffffffff8p1023", "x"],
        ["ZADD", "z", "0x1.0000000000000000000001p0", "h"],
        ["ZADD", "z", "0xffffffffffffffffffffp0", "i"],
        ["ZADD", "z", " 1", "x"],
        ["ZADD", "z", "1 ", "x"],
        ["ZADD", "z", "1\0", "x"],
        ["ZADD", "z", "infinity", "j"],
        ["ZADD", "z", "-Infinity", "k"],
        ["ZADD", "z", "infinit", "x"],
        ["ZADD", "z", "nan", "x"],
        ["ZADD", "z", "-nan", "x"],
        ["ZADD", "z", "nan(1)", "x"],
        ["ZADD", "z", "+.5", "l"],
        ["ZADD", "z", "5.", "m"],
        ["ZADD", "z", ".", "x"],
        ["ZADD", "z", "1e", "x"],
        ["ZADD", "z", "1e+", "x"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["ZINCRBY", "z", "0x1p1", "a"],
        ["ZINCRBY", "z", "0x1p2000", "a"],
        ["ZINCRBY", "z", "\t1", "a"],
        ["ZUNIONSTORE", "u", "1", "z", "WEIGHTS", "0x1p1"],
        ["ZUNIONSTORE", "u", "1", "z", "WEIGHTS", " 1"],
        ["ZUNIONSTORE", "u", "1", "z", "WEIGHTS", "1e400"],
        ["ZRANGE", "u", "0", "-1", "WITHSCORES"]);

    [Fact]
    public Task ScoreRangeBoundsUseStrtodWithoutItsErangeCheck() => _pair.AssertSameRepliesAsync(
        ["ZADD", "z", "-3", "a", "0", "b", "1e-320", "c", "0.5", "d", "8", "e", "16", "f", "inf", "g"],
        ["ZRANGEBYSCORE", "z", "(0x1p3", "0x1p4"],
        ["ZRANGEBYSCORE", "z", " ", "10"],
        ["ZRANGEBYSCORE", "z", "", "10"],
        ["ZRANGEBYSCORE", "z", "(", "10"],
        ["ZRANGEBYSCORE", "z", "( 1", "10"],
        ["ZRANGEBYSCORE", "z", "\t1", "10"],
        ["ZRANGEBYSCORE", "z", "1e400", "inf"],
        ["ZRANGEBYSCORE", "z", "-1e-400", "inf"],
        ["ZRANGEBYSCORE", "z", "0x1p3\0zz", "inf"],
        ["ZRANGEBYSCORE", "z", "nan", "1"],
        ["ZRANGEBYSCORE", "z", "(nan", "1"],
        ["ZRANGEBYSCORE", "z", "1e", "1"],
        ["ZRANGEBYSCORE", "z", "-INFINITY", "(0x.8"],
        ["ZCOUNT", "z", "0x1p1", "+inf"],
        ["ZREMRANGEBYSCORE", "z", "0x1p4", "0x1p4"]);

    [Fact]
    public Task IncrbyfloatAndHincrbyfloatAcceptWhatString2ldAccepts() => _pair.AssertSameRepliesAsync(
        ["SET", "n", "1"],
        ["INCRBYFLOAT", "n", "0x1p3"],
        ["INCRBYFLOAT", "n", " 1"],
        ["INCRBYFLOAT", "n", "0x1p-2"],
        ["INCRBYFLOAT", "n", "1e-4950"],
        ["INCRBYFLOAT", "n", "nan"],
        ["INCRBYFLOAT", "n", "infinity"],
        ["SET", "n", "0x10"],
        ["INCRBYFLOAT", "n", "1"],
        ["SET", "n", " 1"],
        ["INCRBYFLOAT", "n", "1"],
        ["HSET", "h", "f", "0x1p4"],
        ["HINCRBYFLOAT", "h", "f", "0x.8"],
        ["HINCRBYFLOAT", "h", "f", "1e"],
        ["HINCRBYFLOAT", "h", "f", "  1"],
        ["HINCRBYFLOAT", "h", "f", "-0X1P0"]);

    [Fact]
    public Task SortWeightsAndBlockingTimeoutsParseLikeRedis() => _pair.AssertSameRepliesAsync(
        ["RPUSH", "l", "0x10", "1e-320", " 3", "\t0x2", "inf", "-0x1p-3"],
        ["SORT", "l"],
        ["RPUSH", "l2", "0x10", "0x1p-1080"],
        ["SORT", "l2"],
        ["RPUSH", "l3", "1e400"],
        ["SORT", "l3"],
        ["BLPOP", "nolist", "0x1p-4"],
        ["BLPOP", "nolist", "1e-4950"],
        ["BLPOP", "nolist", "0x"],
        ["BLPOP", "nolist", " 1"],
        ["BLPOP", "nolist", "nan"],
        ["BLPOP", "nolist", "-0x1p0"]);
}
