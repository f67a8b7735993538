using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>SORT and SORT_RO, reply by reply, against Debian's redis-server 7.0.15.</summary>
public class SortDifferentialTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public SortDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public Task SortConvertsAListpackSortedSetToASkiplistAsRedisDoes() => _pair.AssertSameRepliesAsync(
        ["zadd", "z", "1", "a", "2", "b"],
        ["sort", "z", "limit", "x", "1"],
        ["object", "encoding", "z"],
        ["sort_ro", "z", "by", "nosort"],
        ["object", "encoding", "z"],
        ["zadd", "z2", "1", "a"],
        ["sort", "z2", "alpha", "store", "d"],
        ["object", "encoding", "z2"],
        ["zadd", "z3", "1", "a"],
        ["sort", "z3"],
        ["object", "encoding", "z3"]);

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(41)]
    [InlineData(300)]
    public Task AlphaByWithALimitOrdersTiesAsRedissPartialQuicksort(int length)
    {
        // Weights "a"/"b"/"c" or missing: many equal ALPHA weights, whose order in a LIMIT
        // window is whatever Redis's pqsort leaves (without LIMIT: the stable input order).
        var script = new List<string[]> { (string[])["rpush", "l", .. Enumerable.Range(0, length).Select(i => "e" + i)] };
        for (int i = 0; i < length; i++)
        {
            if (i % 4 != 0)
            {
                script.Add(["set", "w_e" + i, ((i * 7 / 3) % 3) switch { 0 => "a", 1 => "b", _ => "c" }]);
            }
        }

        foreach (var (first, count) in new[] { (0, 3), (1, 5), (length / 2, 4), (length - 3, 10), (0, length - 1), (2, -1), (length + 5, 2), (0, 0) })
        {
            foreach (var order in new[] { "asc", "desc" })
            {
                script.Add(["sort", "l", "by", "w_*", "alpha", order, "limit", first.ToString(System.Globalization.CultureInfo.InvariantCulture), count.ToString(System.Globalization.CultureInfo.InvariantCulture), "get", "#", "get", "w_*"]);
            }
        }

        script.Add(["sort", "l", "by", "w_*", "alpha", "limit", "1", "4", "store", "dst"]);
        script.Add(["lrange", "dst", "0", "-1"]);
        script.Add(["sort", "l", "by", "w_*", "alpha"]);
        return _pair.AssertSameRepliesAsync([.. script]);
    }

    [Fact]
    public Task NumericAndAlphaSortsOfListsAndSetsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["rpush", "l", "3", "10", "-2", "2.5", "10", "0x10", " 7", "1e2", "-0", "0"],
        ["sort", "l"],
        ["sort", "l", "desc"],
        ["sort", "l", "asc"],
        ["sort", "l", "alpha"],
        ["sort", "l", "alpha", "desc"],
        ["sort", "l", "limit", "2", "3"],
        ["sort", "l", "limit", "-5", "2"],
        ["sort", "l", "limit", "0", "-1"],
        ["sort", "l", "limit", "3", "0"],
        ["sort", "l", "limit", "100", "5"],
        ["sort", "l", "limit", "8", "100"],
        ["sort", "l", "desc", "limit", "1", "4"],
        ["sort_ro", "l", "desc", "limit", "1", "4"],
        ["rpush", "words", "banana", "Apple", "cherry", "apple", "", "b\u00e9", "10", "9"],
        ["sort", "words", "alpha"],
        ["sort", "words", "alpha", "desc", "limit", "1", "3"],
        ["sort", "words"],
        ["sadd", "ints", "5", "-3", "100", "42", "0"],
        ["sort", "ints"],
        ["sort", "ints", "desc"],
        ["sort", "ints", "alpha"],
        ["sort", "ints", "by", "nosort"],
        ["sort", "ints", "by", "nosort", "limit", "1", "2"],
        ["sadd", "strs", "pear", "fig", "apple", "kiwi", "date", "lime", "plum"],
        ["sort", "strs", "alpha"],
        ["sort", "strs", "alpha", "desc", "limit", "2", "2"],
        ["sort", "strs"],
        ["sort", "nokey"],
        ["sort", "nokey", "alpha", "limit", "0", "3"],
        ["sort_ro", "nokey"]);

    [Fact]
    public Task ScoresThatAreNotDoublesGiveRedisError() => _pair.AssertSameRepliesAsync(
        ["rpush", "bad", "1", "2 ", "3"],
        ["sort", "bad"],
        ["sort", "bad", "alpha"],
        ["rpush", "nan", "1", "nan"],
        ["sort", "nan"],
        ["rpush", "inf", "inf", "-inf", "1", "+inf", "-infinity", "INF"],
        ["sort", "inf"],
        ["rpush", "hex", "0x1p3", "0x.8", "0X1A", "1"],
        ["sort", "hex"],
        ["rpush", "blank", "", "1", "-1"],
        ["sort", "blank"],
        ["rpush", "sp", "1", "   "],
        ["sort", "sp"],
        ["rpush", "st", "x", "1"],
        ["sort", "st", "store", "dst"],
        ["exists", "dst"],

        // Redis never clears errno before strtod, so after an ERANGE the next numeric SORT on
        // the same connection may fail too: these come last.
        ["rpush", "range", "1e400", "1"],
        ["sort", "range"],
        ["rpush", "tiny", "1e-400", "1"],
        ["sort", "tiny"],
        ["rpush", "sub", "4.9e-324", "1"],
        ["sort", "sub"]);

    [Fact]
    public Task ByAndGetPatternsWithStringsAndHashFieldsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["rpush", "ids", "1", "2", "3", "4"],
        ["mset", "w_1", "30", "w_2", "10", "w_3", "20", "name_1", "one", "name_2", "two", "name_3", "three", "name_4", "four"],
        ["hset", "h_1", "age", "40", "nick", "a"],
        ["hset", "h_2", "age", "5", "nick", "b"],
        ["hset", "h_3", "age", "5", "nick", "c"],
        ["hset", "h_4", "age", "x", "nick", "d"],
        ["sort", "ids", "by", "w_*"],
        ["sort", "ids", "by", "w_*", "desc"],
        ["sort", "ids", "by", "w_*", "get", "name_*"],
        ["sort", "ids", "by", "w_*", "get", "#", "get", "name_*", "get", "missing_*", "get", "h_*->nick"],
        ["sort", "ids", "by", "w_*", "get", "nostar"],
        ["sort", "ids", "by", "w_*", "alpha"],
        ["sort", "ids", "by", "name_*", "alpha"],
        ["sort", "ids", "by", "name_*", "alpha", "desc", "get", "name_*"],
        ["sort", "ids", "by", "name_*"],
        ["sort", "ids", "by", "h_*->age"],
        ["lpop", "ids"],
        ["rpop", "ids"],
        ["sort", "ids", "by", "h_*->age"],
        ["sort", "ids", "by", "h_*->age", "get", "h_*->nick", "get", "h_*->"],
        ["sort", "ids", "by", "h_*->nope", "get", "h_*->nick"],
        ["sort", "ids", "by", "h_*->nope", "alpha", "get", "h_*->nick"],
        ["sort", "ids", "by", "name_*->age", "get", "#"],
        ["sort", "ids", "get", "w_*", "get", "name_*", "limit", "1", "1"],
        ["sort", "ids", "get", "name_*", "alpha"],
        ["sort", "ids", "by", "nosort"],
        ["sort", "ids", "by", "nosort", "desc"],
        ["sort", "ids", "by", "nosort", "desc", "limit", "1", "5"],
        ["sort", "ids", "by", "nosort", "get", "name_*"],
        ["sort", "ids", "by", "w_1"],
        ["sort", "ids", "by", "w_*", "by", "nosort"],
        ["rpush", "stars", "a", "b"],
        ["mset", "k_a_x", "2", "k_b_x", "1"],
        ["sort", "stars", "by", "k_*_x", "get", "k_*_x", "get", "#"],
        ["sort", "stars", "by", "*", "alpha", "get", "*"]);

    [Fact]
    public Task StoreWritesAListAndReplacesOrDeletesTheDestination() => _pair.AssertSameRepliesAsync(
        ["rpush", "src", "3", "1", "2"],
        ["set", "dst", "string"],
        ["expire", "dst", "100"],
        ["sort", "src", "store", "dst"],
        ["type", "dst"],
        ["ttl", "dst"],
        ["lrange", "dst", "0", "-1"],
        ["object", "encoding", "dst"],
        ["sort", "src", "desc", "get", "#", "get", "nope_*", "store", "dst"],
        ["lrange", "dst", "0", "-1"],
        ["sort", "src", "limit", "0", "0", "store", "dst"],
        ["exists", "dst"],
        ["sort", "nokey", "store", "dst"],
        ["sadd", "set", "b", "a", "c", "10", "9"],
        ["sort", "set", "by", "nosort", "store", "dst"],
        ["lrange", "dst", "0", "-1"],
        ["sort", "src", "store", "a", "store", "b"],
        ["exists", "a"],
        ["lrange", "b", "0", "-1"],
        ["sort", "src", "store", "src"],
        ["lrange", "src", "0", "-1"],
        ["sort", "src", "alpha", "store"],
        ["sort_ro", "src", "store", "dst"],
        ["sort", "src", "by"],
        ["sort", "src", "get"],
        ["sort", "src", "limit", "1"],
        ["sort", "src", "limit", "a", "1"],
        ["sort", "src", "limit", "1", "b"],
        ["sort", "src", "nosuch"],
        ["sort", "src", "store", "dst", "nosuch"],
        ["set", "s", "x"],
        ["sort", "s"],
        ["sort", "s", "nosuch"],
        ["sort_ro", "s"],
        ["hset", "h", "f", "v"],
        ["sort", "h"],
        ["sort"]);

    [Fact]
    public Task SortKeyPositionsAndCommandInfoMatchRedis() => _pair.AssertSameRepliesAsync(
        ["command", "info", "sort", "sort_ro"],
        ["command", "getkeys", "sort", "abc", "store", "def"],
        ["command", "getkeys", "sort", "abc", "limit", "store", "x", "store", "def", "get", "store"],
        ["command", "getkeys", "sort", "abc", "by", "store", "get", "store", "store"],
        ["command", "getkeysandflags", "sort", "abc", "store", "def"],
        ["command", "getkeysandflags", "sort_ro", "abc", "get", "x"],
        ["command", "getkeys", "sort_ro", "abc", "store", "def"],
        ["command", "getkeysandflags", "lmove", "k1", "k2", "left", "right"],
        ["command", "getkeysandflags", "set", "k1", "v1"],
        ["command", "getkeysandflags", "set", "k1", "v1", "nx", "get"],
        ["command", "getkeysandflags", "mset", "k1", "v1", "k2", "v2"],
        ["command", "info", "set", "mset"]);
}
