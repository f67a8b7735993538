using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>Generic keyspace and expiry commands, reply for reply against redis-server 7.0.15.</summary>
public class KeyDifferentialTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public KeyDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public Task DelUnlinkExistsAndTypeMatchRedis() => _pair.AssertSameRepliesAsync(
        ["SET", "a", "1"],
        ["SET", "b", "2"],
        ["EXISTS", "a", "a", "nokey"],
        ["TYPE", "a"],
        ["TYPE", "nokey"],
        ["DEL", "a", "nokey", "a"],
        ["UNLINK", "b", "nokey"],
        ["DEL"],
        ["UNLINK"],
        ["EXISTS"],
        ["TYPE"],
        ["TYPE", "a", "b"]);

    [Fact]
    public Task RenameAndRenamenxMatchRedis() => _pair.AssertSameRepliesAsync(
        ["RENAME", "nokey", "x"],
        ["RENAMENX", "nokey", "x"],
        ["SET", "a", "1"],
        ["RENAME", "a", "a"],
        ["RENAMENX", "a", "a"],
        ["RENAME", "a", "b"],
        ["GET", "b"],
        ["EXISTS", "a"],
        ["SET", "c", "3"],
        ["RENAMENX", "b", "c"],
        ["RENAMENX", "b", "d"],
        ["EXPIRE", "d", "100"],
        ["RENAME", "d", "c"],
        ["TTL", "c"],
        ["SET", "e", "5"],
        ["RENAME", "e", "c"],
        ["TTL", "c"],
        ["RENAME", "c"]);

    [Fact]
    public Task ExpireOptionsAndErrorsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["EXPIRE", "nokey", "10"],
        ["SET", "k", "v"],
        ["EXPIRE", "k", "100", "NX", "XX"],
        ["EXPIRE", "k", "100", "GT", "LT"],
        ["EXPIRE", "k", "100", "NX", "GT"],
        ["EXPIRE", "k", "100", "nx", "lt"],
        ["EXPIRE", "k", "100", "bogus"],
        ["EXPIRE", "k", "abc", "bogus"],
        ["EXPIRE", "k", "abc"],
        ["EXPIRE", "k", ""],
        ["EXPIRE", "k", "9223372036854775807"],
        ["EXPIRE", "k", "-9223372036854775808"],
        ["EXPIRE", "k", "9223372036854775"],
        ["PEXPIRE", "k", "9223372036854775807"],
        ["EXPIREAT", "k", "9223372036854775807"],
        ["PEXPIREAT", "k", "9223372036854775807"],
        ["PERSIST", "k"],
        ["EXPIRE", "k", "100", "XX"],
        ["EXPIRE", "k", "100", "GT"],
        ["EXPIRE", "k", "100", "LT"],
        ["TTL", "k"],
        ["EXPIRE", "k", "100", "NX"],
        ["EXPIRE", "k", "100", "NX"],
        ["EXPIRE", "k", "50", "GT"],
        ["EXPIRE", "k", "200", "GT"],
        ["TTL", "k"],
        ["EXPIRE", "k", "300", "LT"],
        ["EXPIRE", "k", "20", "LT", "XX"],
        ["TTL", "k"],
        ["PERSIST", "k"],
        ["PERSIST", "k"],
        ["PERSIST", "nokey"],
        ["TTL", "k"],
        ["PTTL", "k"],
        ["EXPIRETIME", "k"],
        ["PEXPIRETIME", "k"],
        ["TTL", "nokey"],
        ["PTTL", "nokey"],
        ["EXPIRETIME", "nokey"],
        ["PEXPIRETIME", "nokey"],
        ["PEXPIREAT", "k", "1000000000000"],
        ["PEXPIRETIME", "k"],
        ["EXPIRE"],
        ["TTL"],
        ["PERSIST", "a", "b"]);

    [Fact]
    public Task ExpiresInThePastDeleteTheKey() => _pair.AssertSameRepliesAsync(
        ["SET", "a", "1"],
        ["EXPIRE", "a", "0"],
        ["EXISTS", "a"],
        ["SET", "b", "1"],
        ["PEXPIRE", "b", "-100"],
        ["EXISTS", "b"],
        ["SET", "c", "1"],
        ["EXPIREAT", "c", "1"],
        ["EXISTS", "c"],
        ["SET", "d", "1"],
        ["PEXPIREAT", "d", "-9223372036854775808"],
        ["EXISTS", "d"],
        ["DBSIZE"]);

    // Key order in KEYS replies follows each server's hash function (Redis seeds it per process),
    // so each key is probed alone.
    [Theory]
    [InlineData("hello")]
    [InlineData("h*llo")]
    [InlineData("hallo")]
    [InlineData("x[y")]
    [InlineData("x\\y")]
    public Task KeysPatternsMatchRedis(string key) => _pair.AssertSameRepliesAsync(
        ["SET", key, "1"],
        ["KEYS", "h?llo"],
        ["KEYS", "h\\*llo"],
        ["KEYS", "h[^e]llo"],
        ["KEYS", "h[a-f]llo"],
        ["KEYS", "h[f-a]llo"],
        ["KEYS", "h[\\a]llo"],
        ["KEYS", "x\\[y"],
        ["KEYS", "x[[]y"],
        ["KEYS", "x\\\\y"],
        ["KEYS", "x[\\\\]y"],
        ["KEYS", "x["],
        ["KEYS", "x[y"],
        ["KEYS", "nomatch*"],
        ["KEYS", "hel*o"],
        ["KEYS", "*[y"],
        ["KEYS", "**"],
        ["KEYS", "?*?"],
        ["KEYS"],
        ["DBSIZE"],
        ["DBSIZE", "x"]);

    [Fact]
    public Task PatternRangesCompareBytesAsSignedCharsLikeRedis() => _pair.AssertSameRepliesAsync(
        ["SET", "\u00e9", "1"],
        ["SET", "a", "1"],
        ["KEYS", "[a-\u00ff]"],
        ["KEYS", "[\u00ff-a]"],
        ["KEYS", "[\u0080-\u00ff]"],
        ["KEYS", "[^\u0080-\u00ff]"],
        ["KEYS", "[\u00e0-\u00f0]"],
        ["SCAN", "0", "MATCH", "[\u0080-\u00ff]"]);

    [Fact]
    public Task ScanArgumentsAndErrorsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["SCAN", "0"],
        ["SET", "k", "v"],
        ["SCAN", "0"],
        ["SCAN", "0", "COUNT", "100"],
        ["SCAN", "0", "MATCH", "k"],
        ["SCAN", "0", "MATCH", "x*"],
        ["SCAN", "0", "TYPE", "string"],
        ["SCAN", "0", "TYPE", "STRING"],
        ["SCAN", "0", "TYPE", "hash"],
        ["SCAN", "0", "TYPE", "nosuchtype"],
        ["SCAN", "0", "match", "*", "count", "5", "type", "string"],
        ["SCAN", ""],
        ["SCAN", "+0"],
        ["SCAN", "-0"],
        ["SCAN", "x"],
        ["SCAN", " 0"],
        ["SCAN", "0 "],
        ["SCAN", "-"],
        ["SCAN", "18446744073709551616"],
        ["SCAN", "0", "COUNT", "0"],
        ["SCAN", "0", "COUNT", "-1"],
        ["SCAN", "0", "COUNT", "x"],
        ["SCAN", "0", "COUNT"],
        ["SCAN", "0", "MATCH"],
        ["SCAN", "0", "TYPE"],
        ["SCAN", "0", "FOO", "bar"],
        ["SCAN"]);

    [Fact]
    public Task RandomkeyAndDbsizeMatchRedis() => _pair.AssertSameRepliesAsync(
        ["RANDOMKEY"],
        ["DBSIZE"],
        ["SET", "only", "1"],
        ["RANDOMKEY"],
        ["DBSIZE"],
        ["RANDOMKEY", "x"]);

    [Fact]
    public Task FlushVariantsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["SET", "a", "1"],
        ["FLUSHDB", "ASYNC"],
        ["DBSIZE"],
        ["SET", "a", "1"],
        ["FLUSHDB", "sync"],
        ["FLUSHDB", "foo"],
        ["FLUSHDB", "async", "sync"],
        ["FLUSHALL", "ASYNC"],
        ["FLUSHALL", "SYNC"],
        ["FLUSHALL", "bar"],
        ["FLUSHALL", "sync", "x"]);

    [Fact]
    public Task MoveCopyAndSwapdbMatchRedis() => _pair.AssertSameRepliesAsync(
        ["SET", "a", "hello"],
        ["EXPIRE", "a", "100"],
        ["MOVE", "a", "0"],
        ["MOVE", "a", "abc"],
        ["MOVE", "a", "16"],
        ["MOVE", "a", "-1"],
        ["MOVE", "a", "99999999999"],
        ["MOVE", "nokey", "1"],
        ["COPY", "a", "b"],
        ["COPY", "a", "b"],
        ["COPY", "a", "b", "REPLACE"],
        ["TTL", "b"],
        ["COPY", "a", "a"],
        ["COPY", "a", "a", "DB", "0"],
        ["COPY", "nokey", "x"],
        ["COPY", "a", "c", "DB", "1"],
        ["COPY", "a", "c", "DB", "1"],
        ["COPY", "a", "c", "db", "1", "replace"],
        ["COPY", "a", "c", "DB", "16"],
        ["COPY", "a", "c", "DB", "x"],
        ["COPY", "a", "c", "DB", "99999999999"],
        ["COPY", "a", "c", "DB"],
        ["COPY", "a", "c", "foo"],
        ["MOVE", "a", "1"],
        ["MOVE", "b", "1"],
        ["EXISTS", "a", "b"],
        ["SELECT", "1"],
        ["TTL", "a"],
        ["GET", "c"],
        ["SWAPDB", "0", "1"],
        ["DBSIZE"],
        ["SELECT", "0"],
        ["DBSIZE"],
        ["TTL", "a"],
        ["SWAPDB", "0", "0"],
        ["SWAPDB", "x", "0"],
        ["SWAPDB", "0", "x"],
        ["SWAPDB", "0", "16"],
        ["SWAPDB", "-1", "0"],
        ["SWAPDB", "99999999999", "0"],
        ["SWAPDB", "1", "0"],
        ["FLUSHALL"]);

    [Fact]
    public Task TouchAndObjectMatchRedis() => _pair.AssertSameRepliesAsync(
        ["SET", "int", "123"],
        ["SET", "bigint", "12345"],
        ["SET", "str", "hello"],
        ["SET", "long", new string('x', 45)],
        ["TOUCH", "int", "str", "nokey"],
        ["OBJECT", "ENCODING", "int"],
        ["OBJECT", "ENCODING", "str"],
        ["OBJECT", "ENCODING", "long"],
        ["OBJECT", "ENCODING", "nokey"],
        ["OBJECT", "REFCOUNT", "int"],
        ["OBJECT", "REFCOUNT", "bigint"],
        ["OBJECT", "REFCOUNT", "str"],
        ["OBJECT", "REFCOUNT", "nokey"],
        ["OBJECT", "IDLETIME", "str"],
        ["OBJECT", "IDLETIME", "nokey"],
        ["OBJECT", "FREQ", "str"],
        ["OBJECT", "FREQ", "nokey"],
        ["OBJECT", "HELP"],
        ["OBJECT", "help"],
        ["OBJECT", "HELP", "x"],
        ["OBJECT", "nosuch"],
        ["OBJECT", "nosuch", "k"],
        ["OBJECT"],
        ["OBJECT", "ENCODING"],
        ["OBJECT", "ENCODING", "a", "b"],
        ["TOUCH"]);

    [Fact]
    public Task EncodingAndRefcountFollowHowAValueWasMadeAsInRedis() => _pair.AssertSameRepliesAsync(
        ["FLUSHALL"],
        ["SET", "small", "7"],
        ["COPY", "small", "smallcopy"],
        ["OBJECT", "REFCOUNT", "smallcopy"],
        ["OBJECT", "ENCODING", "smallcopy"],
        ["COPY", "smallcopy", "copy2"],
        ["OBJECT", "REFCOUNT", "copy2"],
        ["APPEND", "smallcopy", "1"],
        ["OBJECT", "ENCODING", "smallcopy"],
        ["INCRBYFLOAT", "f", "3"],
        ["OBJECT", "ENCODING", "f"],
        ["OBJECT", "REFCOUNT", "f"],
        ["COPY", "f", "fcopy"],
        ["OBJECT", "ENCODING", "fcopy"],
        ["INCRBYFLOAT", "f", "0.5"],
        ["OBJECT", "ENCODING", "f"],
        ["SET", "g", "2"],
        ["INCRBYFLOAT", "g", "1"],
        ["OBJECT", "ENCODING", "g"],
        ["INCR", "g"],
        ["OBJECT", "ENCODING", "g"],
        ["OBJECT", "REFCOUNT", "g"],
        ["INCRBYFLOAT", "h", "3"],
        ["SETRANGE", "h", "0", "4"],
        ["OBJECT", "ENCODING", "h"],
        ["GET", "h"],
        ["FLUSHALL"]);

    [Theory]
    [InlineData("COUNT", "5", null, null)]
    [InlineData("COUNT", "100", "MATCH", "key:1*")]
    [InlineData("MATCH", "*9", "TYPE", "string")]
    [InlineData("TYPE", "list", null, null)]
    public async Task AFullScanReturnsTheSameKeysAsRedis(string opt1, string val1, string? opt2, string? val2)
    {
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        foreach (var conn in new[] { r, c })
        {
            await conn.CommandAsync("FLUSHALL");
            for (int i = 0; i < 1000; i++)
            {
                await conn.CommandAsync("SET", "key:" + i, "v");
            }
        }

        var extra = opt2 is null ? new[] { opt1, val1 } : new[] { opt1, val1, opt2, val2! };
        Assert.Equal(await FullScanAsync(r, extra), await FullScanAsync(c, extra));
    }

    private static async Task<SortedSet<string>> FullScanAsync(RawConnection conn, string[] extra)
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        string cursor = "0";
        int calls = 0;
        do
        {
            var reply = await conn.CommandAsync(["SCAN", cursor, .. extra]);
            var lines = reply.Split("\r\n");
            cursor = lines[2];
            for (int i = 5; i < lines.Length; i += 2)
            {
                keys.Add(lines[i]);
            }

            Assert.True(++calls < 10000, "SCAN did not terminate");
        }
        while (cursor != "0");

        return keys;
    }
}
