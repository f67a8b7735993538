using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>DUMP payloads move between redis-server 7.0.15 and Cinnabar both ways, and RESTORE's replies match.</summary>
public class DumpRestoreDifferentialTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public DumpRestoreDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    public static TheoryData<string, byte[]> Values() => new()
    {
        { "int8", "7"u8.ToArray() },
        { "negative int16", "-300"u8.ToArray() },
        { "int32", "123456"u8.ToArray() },
        { "integer beyond 32 bits", "12345678901"u8.ToArray() },
        { "non-canonical integer", "0123"u8.ToArray() },
        { "empty", [] },
        { "short", "bar"u8.ToArray() },
        { "long compressible", Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("abcdefgh", 2000))) },
        { "incompressible", Enumerable.Range(0, 300).Select(i => (byte)((i * 7919) ^ (i >> 3))).ToArray() },
        { "binary with CR LF and NUL", [0, 13, 10, 255, 0, 1, 2, 13, 10, 0, 128, 200] },
    };

    // LZF output is not byte-identical to liblzf's (LzfCompressor picks its own matches), so
    // compressed payloads are compared by what they restore to, not by their bytes.
    public static TheoryData<string, byte[]> UncompressedValues()
    {
        var data = new TheoryData<string, byte[]>();
        foreach (var row in Values())
        {
            if ((string)row[0] != "long compressible")
            {
                data.Add((string)row[0], (byte[])row[1]);
            }
        }

        return data;
    }

    private static byte[] Bytes(string reply)
    {
        Assert.StartsWith("$", reply);
        int nl = reply.IndexOf("\r\n", StringComparison.Ordinal);
        int len = int.Parse(reply[1..nl], System.Globalization.CultureInfo.InvariantCulture);
        return Encoding.Latin1.GetBytes(reply.Substring(nl + 2, len));
    }

    [Theory]
    [MemberData(nameof(UncompressedValues))]
    public async Task DumpWritesTheSamePayloadAsRedis(string name, byte[] value)
    {
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        foreach (var conn in new[] { r, c })
        {
            await conn.CommandAsync("SET"u8.ToArray(), "k"u8.ToArray(), value);
        }

        Assert.True(await r.CommandAsync("DUMP", "k") == await c.CommandAsync("DUMP", "k"), name);
    }

    [Theory]
    [MemberData(nameof(Values))]
    public async Task ARedisDumpRestoresInCinnabarAndTheReverse(string name, byte[] value)
    {
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        await r.CommandAsync("SET"u8.ToArray(), "src"u8.ToArray(), value);
        await c.CommandAsync("SET"u8.ToArray(), "src"u8.ToArray(), value);
        var fromRedis = Bytes(await r.CommandAsync("DUMP", "src"));
        var fromCinnabar = Bytes(await c.CommandAsync("DUMP", "src"));

        Assert.Equal("+OK\r\n", await c.CommandAsync("RESTORE"u8.ToArray(), "dst"u8.ToArray(), "0"u8.ToArray(), fromRedis, "REPLACE"u8.ToArray()));
        Assert.Equal("+OK\r\n", await r.CommandAsync("RESTORE"u8.ToArray(), "dst"u8.ToArray(), "0"u8.ToArray(), fromCinnabar, "REPLACE"u8.ToArray()));
        Assert.True(await r.CommandAsync("GET", "src") == await c.CommandAsync("GET", "dst"), name);
        Assert.True(await c.CommandAsync("GET", "src") == await r.CommandAsync("GET", "dst"), name);
        Assert.Equal(await r.CommandAsync("DEBUG", "DIGEST-VALUE", "dst"), await c.CommandAsync("DEBUG", "DIGEST-VALUE", "dst"));
    }

    [Fact]
    public Task ValuesBuiltByAppendSetrangeAndIncrDumpAsRedisDoes() => _pair.AssertSameRepliesAsync(
        ["SET", "s", "abc"],
        ["APPEND", "s", "def"],
        ["DUMP", "s"],
        ["SETRANGE", "r", "3", "xyz"],
        ["DUMP", "r"],
        ["INCRBY", "n", "-70000"],
        ["DUMP", "n"],
        ["INCRBYFLOAT", "f", "1.5"],
        ["DUMP", "f"],
        ["APPEND", "a", "12"],
        ["DUMP", "a"]);

    [Fact]
    public Task RestoreErrorsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["DUMP", "nokey"],
        ["DUMP"],
        ["RESTORE", "k", "0"],
        ["SET", "k", "v"],
        ["RESTORE", "k", "0", "..."],
        ["RESTORE", "k", "0", "...", "invalid-option"],
        ["RESTORE", "new", "-5", "..."],
        ["RESTORE", "new", "abc", "..."],
        ["RESTORE", "new", "0", "..."],
        ["RESTORE", "new", "0", "\0\u0003bar\n\0\0\0\0\0\0\0\0\0"],
        ["RESTORE", "new", "0", "\0\u0003bar\u000b\0\0\0\0\0\0\0\0\0"],
        ["RESTORE", "k", "0", "...", "IDLETIME", "-1"],
        ["RESTORE", "k", "0", "...", "IDLETIME", "x"],
        ["RESTORE", "k", "0", "...", "FREQ", "300"],
        ["RESTORE", "k", "0", "...", "FREQ", "1", "IDLETIME", "1"],
        ["RESTORE", "k", "0", "...", "IDLETIME", "1", "FREQ", "1"],
        ["RESTORE", "k", "0", "...", "REPLACE", "ABSTTL", "IDLETIME"],
        ["GET", "k"]);

    [Fact]
    public async Task RestoreWithTtlsAndReplaceMatchesRedis()
    {
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        await r.CommandAsync("SET", "src", "value");
        var payload = Bytes(await r.CommandAsync("DUMP", "src"));
        foreach (var conn in new[] { r, c })
        {
            await conn.CommandAsync("DEL", "a", "b", "old");
        }

        string[][] script =
        [
            ["RESTORE", "a", "100000", "P"],
            ["TTL", "a"],
            ["RESTORE", "b", "4102444800000", "P", "ABSTTL"],
            ["PEXPIRETIME", "b"],
            ["SET", "old", "x"],
            ["RESTORE", "old", "1000", "P", "ABSTTL", "REPLACE"],
            ["EXISTS", "old"],
            ["RESTORE", "a", "0", "P", "REPLACE"],
            ["TTL", "a"],
            ["GET", "a"],
        ];
        foreach (var cmd in script)
        {
            var args = cmd.Select(s => s == "P" ? payload : Encoding.Latin1.GetBytes(s)).ToArray();
            var expected = await r.CommandAsync(args);
            var actual = await c.CommandAsync(args);
            Assert.True(expected == actual, $"{string.Join(' ', cmd)}\n redis:    {DifferentialPair.Escape(expected)}\n cinnabar: {DifferentialPair.Escape(actual)}");
        }
    }
}
