using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>The hash family, reply by reply, against Debian's redis-server 7.0.15.</summary>
public class HashDifferentialTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public HashDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public Task EveryHashCommandAndErrorPathMatchesRedis() => _pair.AssertSameRepliesAsync(
        ["hset", "h", "a", "1", "b", "2", "c", "3"],
        ["hset", "h", "a", "10"],
        ["hset", "h", "a"],
        ["hmset", "h", "x", "1", "y", "2"],
        ["hmset", "h", "x"],
        ["hsetnx", "h", "a", "5"],
        ["hsetnx", "h", "new", "5"],
        ["hget", "h", "a"],
        ["hget", "h", "nope"],
        ["hget", "nokey", "a"],
        ["hmget", "h", "a", "nope", "b"],
        ["hmget", "nokey", "a", "b"],
        ["hdel", "h", "nope"],
        ["hdel", "h", "a", "b"],
        ["hdel", "nokey", "a"],
        ["hlen", "h"],
        ["hlen", "nokey"],
        ["hstrlen", "h", "c"],
        ["hstrlen", "h", "nope"],
        ["hexists", "h", "c"],
        ["hexists", "h", "nope"],
        ["hkeys", "h"],
        ["hvals", "h"],
        ["hgetall", "h"],
        ["hgetall", "nokey"],
        ["hkeys", "nokey"],
        ["object", "encoding", "h"],
        ["hincrby", "h", "c", "5"],
        ["hincrby", "h", "c", "x"],
        ["hincrby", "h", "new2", "-5"],
        ["hincrby", "h", "c", "9223372036854775807"],
        ["hset", "h", "s", "abc"],
        ["hincrby", "h", "s", "1"],
        ["hincrbyfloat", "h", "f", "1.5"],
        ["hincrbyfloat", "h", "f", "0.1"],
        ["hincrbyfloat", "h", "f", "inf"],
        ["hincrbyfloat", "h", "f", "x"],
        ["hincrbyfloat", "h", "s", "1"],
        ["hincrbyfloat", "h", "c", "1e3"],
        ["hset", "h", "big", "1.7976931348623157e308"],
        ["hincrbyfloat", "h", "big", "1.7976931348623157e308"],
        ["hrandfield", "nokey"],
        ["hrandfield", "nokey", "5"],
        ["hrandfield", "h", "0"],
        ["hrandfield", "h", "x"],
        ["hrandfield", "h", "5", "foo"],
        ["hrandfield", "h", "5", "withvalues", "x"],
        ["hrandfield", "h", "-9223372036854775808"],
        ["hrandfield", "h", "9223372036854775807", "withvalues"],
        ["hscan", "h", "x"],
        ["hscan", "nokey", "0"],
        ["hscan", "nokey", "0", "count", "0"],
        ["hscan", "h", "0", "count", "0"],
        ["hscan", "h", "0", "match", "b*"],
        ["hscan", "h", "0", "type", "string"],
        ["set", "s", "v"],
        ["hget", "s", "a"],
        ["hset", "s", "a", "b"],
        ["hgetall", "s"],
        ["hscan", "s", "0"],
        ["lpush", "l", "a"],
        ["hlen", "l"],
        ["get", "h"],
        ["type", "h"],
        ["object", "encoding", "h"],
        ["hset", "h", "long", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"],
        ["object", "encoding", "h"],
        ["debug", "digest-value", "h"],
        ["hdel", "h", "long"],
        ["object", "encoding", "h"],
        ["hset", "h2", "a", "1"],
        ["config", "set", "hash-max-listpack-entries", "2"],
        ["hset", "h2", "b", "2"],
        ["object", "encoding", "h2"],
        ["hset", "h2", "c", "3"],
        ["object", "encoding", "h2"],
        ["config", "set", "hash-max-listpack-entries", "512"],
        ["debug", "digest"],
        ["del", "h2", "h"],
        ["exists", "h"]);

    [Fact]
    public Task HashesConvertToHashtableAtRedisThresholdsAndKeepTheirDigest()
    {
        var script = new List<string[]>();
        var fields = new List<string> { "HSET", "big" };
        for (int i = 0; i < 600; i++)
        {
            fields.Add("f" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            fields.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        script.Add(["HSET", "small", "a", "1"]);
        script.Add(["OBJECT", "ENCODING", "small"]);
        script.Add(["HSET", "small", "b", new string('v', 64)]);
        script.Add(["OBJECT", "ENCODING", "small"]);
        script.Add(["HSET", "small", "c", new string('v', 65)]);
        script.Add(["OBJECT", "ENCODING", "small"]);
        script.Add(["HSET", "longfield", new string('f', 65), "1"]);
        script.Add(["OBJECT", "ENCODING", "longfield"]);
        script.Add(["HSETNX", "nx", "a", new string('v', 65)]);
        script.Add(["OBJECT", "ENCODING", "nx"]);
        script.Add(["HINCRBYFLOAT", "fl", "a", "1e60"]);
        script.Add(["OBJECT", "ENCODING", "fl"]);
        script.Add([.. fields]);
        script.Add(["OBJECT", "ENCODING", "big"]);
        script.Add(["HLEN", "big"]);
        script.Add(["HGET", "big", "f599"]);
        script.Add(["HDEL", "big", "f1", "f2", "nope"]);
        script.Add(["HRANDFIELD", "big", "-3", "WITHVALUES"]);
        script.Add(["DEBUG", "DIGEST-VALUE", "big"]);
        script.Add(["DEBUG", "DIGEST-VALUE", "small"]);
        script.Add(["DEBUG", "DIGEST"]);
        return _pair.AssertSameRepliesAsync(script.Where(s => s[0] != "HRANDFIELD").ToArray());
    }

    [Fact]
    public Task CommandInfoOfEveryListHashAndSetCommandMatchesRedis()
    {
        var script = "lpush rpush lpushx rpushx lpop rpop llen lrange lindex lset linsert lrem ltrim lpos lmove rpoplpush lmpop blpop brpop brpoplpush blmove blmpop hset hmset hsetnx hget hmget hdel hlen hstrlen hexists hkeys hvals hgetall hincrby hincrbyfloat hrandfield hscan sadd srem scard sismember smismember smembers spop srandmember smove sinter sintercard sinterstore sunion sunionstore sdiff sdiffstore sscan memory|usage memory|purge"
            .Split(' ')
            .Select(c => new[] { "COMMAND", "INFO", c })
            .ToList();
        script.Add(["COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT"]);
        script.Add(["COMMAND", "GETKEYS", "BLMPOP", "0", "2", "a", "b", "LEFT"]);
        script.Add(["COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b"]);
        script.Add(["COMMAND", "GETKEYSANDFLAGS", "LMOVE", "k1", "k2", "LEFT", "RIGHT"]);
        script.Add(["COMMAND", "GETKEYSANDFLAGS", "SUNIONSTORE", "d", "a", "b"]);
        return _pair.AssertSameRepliesAsync([.. script]);
    }
}
