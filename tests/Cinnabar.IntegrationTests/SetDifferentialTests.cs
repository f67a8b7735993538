using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>The set family, reply by reply, against Debian's redis-server 7.0.15.</summary>
public class SetDifferentialTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public SetDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public Task EverySetCommandAndErrorPathMatchesRedis() => _pair.AssertSameRepliesAsync(
        ["sadd", "s", "3", "1", "2"],
        ["sadd", "s", "2", "4"],
        ["smembers", "s"],
        ["object", "encoding", "s"],
        ["sadd", "s", "a"],
        ["object", "encoding", "s"],
        ["scard", "s"],
        ["scard", "nokey"],
        ["sismember", "s", "a"],
        ["sismember", "s", "z"],
        ["sismember", "nokey", "a"],
        ["smismember", "s", "a", "z", "1"],
        ["smismember", "nokey", "a"],
        ["srem", "s", "a", "z"],
        ["srem", "nokey", "a"],
        ["sadd", "i", "5", "-1", "100000", "-9223372036854775808", "9223372036854775807", "007"],
        ["object", "encoding", "i"],
        ["sadd", "i2", "1", "2", "3"],
        ["smembers", "nokey"],
        ["sinter", "i", "i2"],
        ["sinter", "i", "nokey"],
        ["sinter", "i2", "s"],
        ["sintercard", "2", "i2", "s"],
        ["sintercard", "2", "i2", "s", "limit", "1"],
        ["sintercard", "0", "s"],
        ["sintercard", "3", "s", "i"],
        ["sintercard", "1", "s", "limit", "-1"],
        ["sintercard", "1", "s", "foo"],
        ["sinterstore", "dst", "i2", "s"],
        ["smembers", "dst"],
        ["sinterstore", "dst", "i2", "nokey"],
        ["exists", "dst"],
        ["sunion", "i2", "s"],
        ["sunionstore", "u", "i2", "s"],
        ["smembers", "u"],
        ["sdiff", "s", "i2"],
        ["sdiff", "s", "s"],
        ["sdiffstore", "d", "s", "i2"],
        ["smembers", "d"],
        ["sdiffstore", "d", "nokey"],
        ["exists", "d"],
        ["smove", "i2", "s2", "1"],
        ["smove", "i2", "s2", "99"],
        ["smove", "nokey", "s2", "1"],
        ["smove", "i2", "i2", "2"],
        ["set", "str", "v"],
        ["smove", "i2", "str", "2"],
        ["smove", "str", "i2", "2"],
        ["sadd", "str", "a"],
        ["smembers", "str"],
        ["sinter", "i2", "str"],
        ["sunion", "str"],
        ["spop", "nokey"],
        ["spop", "nokey", "3"],
        ["spop", "s", "0"],
        ["spop", "s", "-1"],
        ["spop", "s", "1", "2"],
        ["srandmember", "nokey"],
        ["srandmember", "nokey", "3"],
        ["srandmember", "s", "0"],
        ["srandmember", "s", "x"],
        ["srandmember", "s", "1", "2"],
        ["sscan", "i", "0", "match", "1*"],
        ["sscan", "nokey", "0"],
        ["sscan", "s", "x"],
        ["sadd", "one", "1"],
        ["spop", "one"],
        ["exists", "one"],
        ["sadd", "two", "a", "b"],
        ["exists", "two"],
        ["debug", "digest-value", "i"],
        ["debug", "digest-value", "u"],
        ["type", "s"],
        ["sadd", "big", "a"],
        ["config", "set", "set-max-intset-entries", "3"],
        ["sadd", "ints", "1", "2", "3"],
        ["object", "encoding", "ints"],
        ["sadd", "ints", "4"],
        ["object", "encoding", "ints"],
        ["config", "set", "set-max-intset-entries", "512"],
        ["debug", "digest"]);

    [Fact]
    public Task IntsetsListMembersInAscendingOrderAndConvertLikeRedis() => _pair.AssertSameRepliesAsync(
        ["SADD", "i", "5", "-1", "100000", "-9223372036854775808", "9223372036854775807", "0", "-0", "+1"],
        ["OBJECT", "ENCODING", "i"],
        ["SADD", "j", "5", "-1", "100000", "-9223372036854775808", "9223372036854775807", "0"],
        ["OBJECT", "ENCODING", "j"],
        ["SMEMBERS", "j"],
        ["SSCAN", "j", "0"],
        ["SRANDMEMBER", "j", "100"],
        ["SUNION", "j", "j"],
        ["SINTER", "j", "j"],
        ["SDIFF", "j", "nokey"],
        ["SPOP", "j", "100"],
        ["EXISTS", "j"]);
}
