using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>The string family, reply by reply, against Debian's redis-server 7.0.15.</summary>
public class StringDifferentialTests : IClassFixture<DifferentialPair>
{
    private const string Binary = "a\0b\r\nc\r\n\0";

    private readonly DifferentialPair _pair;

    public StringDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public Task GetAndSetWithEveryConditionalOptionMatchRedis() => _pair.AssertSameRepliesAsync(
        ["SET", "k", "v"],
        ["GET", "k"],
        ["SET", "k", "v2", "NX"],
        ["SET", "k", "v2", "nx", "GET"],
        ["SET", "k", "v3", "XX", "GET"],
        ["SET", "missing", "v", "XX"],
        ["SET", "missing", "v", "XX", "GET"],
        ["SET", "k", "v4", "GET", "get", "GET"],
        ["GET", "k"],
        ["SET", "k", "v5", "KEEPTTL"],
        ["SET", "k", "v5", "keepttl", "GET"],
        ["SET", "k", "v", "NX", "NX"],
        ["SET", Binary, Binary],
        ["GET", Binary],
        ["SET", "empty", ""],
        ["GET", "empty"],
        ["GET"],
        ["GET", "a", "b"],
        ["SET", "k"]);

    [Fact]
    public Task SetOptionConflictsAndSyntaxErrorsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["SET", "k", "v", "NX", "XX"],
        ["SET", "k", "v", "XX", "NX"],
        ["SET", "k", "v", "EX", "10", "PX", "100"],
        ["SET", "k", "v", "PX", "100", "EX", "10"],
        ["SET", "k", "v", "EX", "10", "EXAT", "10"],
        ["SET", "k", "v", "EXAT", "10", "PXAT", "10"],
        ["SET", "k", "v", "PXAT", "10", "KEEPTTL"],
        ["SET", "k", "v", "KEEPTTL", "PX", "10"],
        ["SET", "k", "v", "EX"],
        ["SET", "k", "v", "PX"],
        ["SET", "k", "v", "EXAT"],
        ["SET", "k", "v", "PXAT"],
        ["SET", "k", "v", "PERSIST"],
        ["SET", "k", "v", "EX", "10", "EX", "20"],
        ["SET", "k", "v", "foo"],
        ["SET", "k", "v", "NX\0junk"],
        ["SET", "k", "v", "G"],
        ["SET", "k", "v", "GETX"],
        ["SET", "k", "v", ""],
        ["GET", "k"]);

    [Fact]
    public Task SetExpireValidationMatchesRedis() => _pair.AssertSameRepliesAsync(
        ["SET", "k", "v", "EX", "0"],
        ["SET", "k", "v", "EX", "-1"],
        ["SET", "k", "v", "PX", "0"],
        ["SET", "k", "v", "PX", "-100"],
        ["SET", "k", "v", "EXAT", "0"],
        ["SET", "k", "v", "PXAT", "-1"],
        ["SET", "k", "v", "EX", "9223372036854775"],
        ["SET", "k", "v", "EX", "9223372036854776"],
        ["SET", "k", "v", "PX", "9223372036854775807"],
        ["SET", "k", "v", "EXAT", "9223372036854775"],
        ["SET", "k", "v", "PXAT", "9223372036854775807"],
        ["SET", "k", "v", "EX", "9223372036854775808"],
        ["SET", "k", "v", "EX", "1.5"],
        ["SET", "k", "v", "EX", "abc"],
        ["SET", "k", "v", "EX", " 10"],
        ["SET", "k", "v", "EX", "10", "GET"],
        ["SET", "k", "v", "GET", "EX", "0"],
        ["SET", "k", "v", "EX", "100"],
        ["SET", "k", "v2", "PX", "100000", "GET"],
        ["SET", "k", "v3", "EXAT", "4000000000", "XX"],
        ["SET", "k", "v4", "PXAT", "4000000000000", "NX"],
        ["GET", "k"]);

    [Fact]
    public Task SetNxSetExAndPSetExMatchRedis() => _pair.AssertSameRepliesAsync(
        ["SETNX", "k", "v"],
        ["SETNX", "k", "v2"],
        ["GET", "k"],
        ["SETNX", "k"],
        ["SETEX", "e", "100", "v"],
        ["SETEX", "e", "0", "v"],
        ["SETEX", "e", "-5", "v"],
        ["SETEX", "e", "x", "v"],
        ["SETEX", "e", "9223372036854776", "v"],
        ["SETEX", "e", "100"],
        ["PSETEX", "p", "100000", "v"],
        ["PSETEX", "p", "0", "v"],
        ["PSETEX", "p", "9223372036854775807", "v"],
        ["PSETEX", "p", "1.5", "v"],
        ["GET", "e"],
        ["GET", "p"]);

    [Fact]
    public Task MultiKeyCommandsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["MSET", "a", "1", "b", "2", "c", Binary],
        ["MGET", "a", "b", "c", "missing", "a"],
        ["MSET", "a", "1", "b"],
        ["MSET", "a"],
        ["MSETNX", "a", "x", "d", "4"],
        ["MSETNX", "d", "4", "e", "5"],
        ["MSETNX", "d", "4", "e"],
        ["MGET", "a", "d", "e"],
        ["MGET"],
        ["MSET", "a", "1", "a", "2"],
        ["GET", "a"]);

    [Fact]
    public Task GetSetGetDelAndGetExMatchRedis() => _pair.AssertSameRepliesAsync(
        ["GETSET", "k", "v"],
        ["GETSET", "k", "w"],
        ["GETSET", "k"],
        ["GETDEL", "k"],
        ["GETDEL", "k"],
        ["GETDEL", "k", "x"],
        ["SET", "k", Binary],
        ["GETEX", "k"],
        ["GETEX", "k", "EX", "100"],
        ["GETEX", "k", "PX", "100000"],
        ["GETEX", "k", "EXAT", "4000000000"],
        ["GETEX", "k", "PXAT", "4000000000000"],
        ["GETEX", "k", "PERSIST"],
        ["GETEX", "k", "PERSIST"],
        ["GETEX", "k", "EX", "0"],
        ["GETEX", "k", "EX", "-1"],
        ["GETEX", "k", "PX", "9223372036854775807"],
        ["GETEX", "k", "EX", "abc"],
        ["GETEX", "k", "EX"],
        ["GETEX", "k", "EX", "10", "PX", "10"],
        ["GETEX", "k", "PERSIST", "EX", "10"],
        ["GETEX", "k", "EX", "10", "PERSIST"],
        ["GETEX", "k", "KEEPTTL"],
        ["GETEX", "k", "NX"],
        ["GETEX", "k", "GET"],
        ["GETEX", "k", "EX", "10", "EX", "20"],
        ["GETEX", "missing", "EX", "-1"],
        ["GETEX", "missing", "FOO"],
        ["GETEX", "k", "EXAT", "1"],
        ["GET", "k"],
        ["GETEX"]);

    [Fact]
    public Task AppendStrlenAndSetRangeMatchRedis() => _pair.AssertSameRepliesAsync(
        ["APPEND", "k", "12"],
        ["APPEND", "k", "34"],
        ["APPEND", "k", Binary],
        ["GET", "k"],
        ["STRLEN", "k"],
        ["STRLEN", "missing"],
        ["APPEND", "k", ""],
        ["APPEND", "e", ""],
        ["GET", "e"],
        ["SETRANGE", "k", "0", "xy"],
        ["SETRANGE", "k", "20", "tail"],
        ["GET", "k"],
        ["SETRANGE", "k", "-1", "x"],
        ["SETRANGE", "k", "abc", "x"],
        ["SETRANGE", "k", "5", ""],
        ["SETRANGE", "new", "3", ""],
        ["GET", "new"],
        ["SETRANGE", "new", "3", "abc"],
        ["GET", "new"],
        ["SETRANGE", "big", "536870912", "x"],
        ["SETRANGE", "big", "9223372036854775807", "x"],
        ["SETRANGE", "big", "9223372036854775808", "x"],
        ["SETRANGE", "big", "-9223372036854775808", "x"],
        ["SETRANGE", "k", "536870911", "xy"],
        ["APPEND", "k", "x"],
        ["GET", "big"]);

    [Fact]
    public Task GetRangeAndSubstrMatchRedis()
    {
        List<string[]> script =
        [
            ["SET", "s", "Hello, World"],
            ["SET", "n", "1234567890"],
            ["SET", "e", string.Empty],
            ["SET", "b", Binary],
            ["GETRANGE", "missing", "0", "-1"],
            ["GETRANGE", "s", "x", "1"],
            ["GETRANGE", "s", "1", "9223372036854775808"],
            ["SUBSTR", "s", "0", "4"],
            ["GETRANGE", "s"],
        ];
        string[] indexes = ["0", "1", "-1", "-2", "5", "11", "12", "100", "-12", "-13", "-100", "9223372036854775807", "-9223372036854775808"];
        foreach (var key in new[] { "s", "n", "e", "b" })
        {
            foreach (var start in indexes)
            {
                foreach (var end in indexes)
                {
                    script.Add(["GETRANGE", key, start, end]);
                }
            }
        }

        return _pair.AssertSameRepliesAsync([.. script]);
    }

    [Fact]
    public Task IncrementsAndTheirOverflowChecksMatchRedis() => _pair.AssertSameRepliesAsync(
        ["INCR", "n"],
        ["INCRBY", "n", "100"],
        ["DECR", "n"],
        ["DECRBY", "n", "50"],
        ["INCRBY", "n", "-9223372036854775808"],
        ["DECRBY", "n", "-9223372036854775808"],
        ["DECRBY", "n", "9223372036854775807"],
        ["DECRBY", "n", "9223372036854775807"],
        ["SET", "max", "9223372036854775807"],
        ["INCR", "max"],
        ["INCRBY", "max", "0"],
        ["DECRBY", "max", "-1"],
        ["SET", "min", "-9223372036854775808"],
        ["DECR", "min"],
        ["INCRBY", "min", "-1"],
        ["INCRBY", "min", "9223372036854775807"],
        ["INCRBY", "n", "1.5"],
        ["INCRBY", "n", "9223372036854775808"],
        ["INCRBY", "n", ""],
        ["INCRBY", "n", "+1"],
        ["INCRBY", "n", "01"],
        ["SET", "s", "abc"],
        ["INCR", "s"],
        ["SET", "s", " 1"],
        ["INCR", "s"],
        ["SET", "s", "1 "],
        ["INCR", "s"],
        ["SET", "s", "-0"],
        ["INCR", "s"],
        ["SET", "s", "99999999999999999999"],
        ["INCR", "s"],
        ["SET", "s", "0x10"],
        ["INCR", "s"],
        ["SET", "s", "1\0"],
        ["INCR", "s"],
        ["APPEND", "app", "1"],
        ["APPEND", "app", "0"],
        ["INCR", "app"],
        ["GET", "app"],
        ["INCR"],
        ["INCRBY", "n"]);

    [Fact]
    public Task IncrByFloatFormattingMatchesRedisLongDouble()
    {
        string[][] cases =
        [
            ["0", "0.1"], ["10.5", "0.1"], ["5.0e3", "2.0e2"], ["1.5", "-1.5"], ["0", "-1.1"], ["0", "3.0000000000000000001"],
            ["1", "1e20"], ["1", "1e30"], ["0", "1e308"], ["1e308", "1e308"], ["0", "1e4000"], ["0", "-1e4931"],
            ["0", "0.00000000000000001"], ["0", "0.000000000000000005"], ["0", "0.000000000000000015"], ["0", "0.000000000000000025"],
            ["0", "1e-17"], ["0", "-1e-18"], ["0", "1e-4940"], ["0", "1e-4960"], ["0", "3.6451995318824746e-4951"],
            ["0", "0x10"], ["0", "0x1.8p1"], ["0", "0X.8"], ["0", "0x"], ["0", "0x1p"], ["0", "+.5"], ["0", "-.5"], ["0", "5."], ["0", "."],
            ["0", "1e"], ["0", "1e+"], ["0", "1E+2"], ["0", "+inf"], ["0", "-inf"], ["0", "inf"], ["0", "Infinity"], ["0", "infin"],
            ["0", "nan"], ["0", "-nan"], ["0", " 1"], ["0", "1 "], ["0", ""], ["0", "1\0"], ["0", "abc"], ["0", "1e5000"],
            ["17179869184", "1.5"], ["9223372036854775807", "1"], ["-9223372036854775808", "-0.5"], ["0.1", "0.2"], ["1.1", "2.2"],
            ["123456789012345678", "0.5"], ["1234567890.123456789", "0"], ["0.3", "-0.1"], ["100", "-99.99"],
            ["0", "0.000003814697265625"], ["0", "0.000011444091796875"], ["0", "-0.000011444091796875"], ["0", "0.0000019073486328125"],
            ["abc", "1"], ["1.5e", "1"], ["inf", "1"], ["-0", "0"], ["0", "-0"], ["1e-20", "0"],
        ];
        var script = new List<string[]>();
        foreach (var c in cases)
        {
            script.Add(["SET", "f", c[0]]);
            script.Add(["INCRBYFLOAT", "f", c[1]]);
            script.Add(["GET", "f"]);
        }

        script.Add(["DEL", "f"]);
        script.Add(["INCRBYFLOAT", "f", "1.25"]);
        script.Add(["INCRBYFLOAT", "f"]);
        script.Add(["INCRBYFLOAT", "f", new string('1', 5119)]);
        script.Add(["INCRBYFLOAT", "f", new string('1', 5120)]);
        return _pair.AssertSameRepliesAsync([.. script]);
    }

    [Fact]
    public Task LcsMatchesRedisInEveryForm() => _pair.AssertSameRepliesAsync(
        ["MSET", "key1", "ohmytext", "key2", "mynewtext"],
        ["LCS", "key1", "key2"],
        ["LCS", "key1", "key2", "LEN"],
        ["LCS", "key1", "key2", "IDX"],
        ["LCS", "key1", "key2", "IDX", "WITHMATCHLEN"],
        ["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"],
        ["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "-4", "WITHMATCHLEN"],
        ["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "x"],
        ["LCS", "key1", "key2", "MINMATCHLEN"],
        ["LCS", "key1", "key2", "LEN", "IDX"],
        ["LCS", "key1", "key2", "IDX", "LEN"],
        ["LCS", "key1", "key2", "LEN", "MINMATCHLEN", "1"],
        ["LCS", "key1", "key2", "FOO"],
        ["LCS", "key1", "missing"],
        ["LCS", "missing", "missing", "IDX"],
        ["LCS", "key1", "key1", "IDX", "WITHMATCHLEN"],
        ["MSET", "b1", Binary + "xyz", "b2", "zy" + Binary],
        ["LCS", "b1", "b2"],
        ["LCS", "b1", "b2", "IDX", "WITHMATCHLEN"],
        ["MSET", "x", "ABCBDAB", "y", "BDCABA"],
        ["LCS", "x", "y", "IDX", "WITHMATCHLEN"],
        ["LCS", "key1"]);

    [Fact]
    public Task WrongArityForEveryStringCommandMatchesRedis() => _pair.AssertSameRepliesAsync(
        ["SET"], ["SETNX", "k"], ["SETEX", "k", "1"], ["PSETEX", "k"], ["MGET"], ["MSET"], ["MSETNX"], ["GETSET", "k"],
        ["GETDEL"], ["GETEX"], ["APPEND", "k"], ["STRLEN"], ["INCR"], ["DECR", "a", "b"], ["INCRBY", "k"], ["DECRBY", "k"],
        ["INCRBYFLOAT", "k"], ["GETRANGE", "k", "0"], ["SETRANGE", "k", "0"], ["SUBSTR", "k"], ["LCS", "k"]);
}
