using System.Globalization;
using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;
using Cinnabar.Protocol;

namespace Cinnabar.IntegrationTests;

/// <summary>
/// ZSCAN, HSCAN and SSCAN against Debian's redis-server 7.0.15. Small encodings (listpack zsets
/// and hashes, intsets) are returned whole in one call with cursor 0, in their stored order, so
/// the replies match byte for byte. Large encodings are walked in hash order on Redis (seeded per
/// process), so there the comparison is of what a full iteration returns.
/// </summary>
public class ScanDifferentialTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public ScanDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public Task ZscanOfAListpackReturnsEverythingInListpackOrderWithCursorZero() => _pair.AssertSameRepliesAsync(
        ["ZADD", "z", "3", "c", "1.5", "b", "-inf", "lo", "1e20", "big", "0.1", "tenth", "7", "123", "2", "a"],
        ["OBJECT", "ENCODING", "z"],
        ["ZSCAN", "z", "0"],
        ["ZSCAN", "z", "0", "COUNT", "1"],
        ["ZSCAN", "z", "12345", "COUNT", "2"],
        ["ZSCAN", "z", "18446744073709551615"],
        ["ZSCAN", "z", "0", "MATCH", "*e*"],
        ["ZSCAN", "z", "0", "MATCH", "1*", "COUNT", "100"],
        ["ZSCAN", "z", "0", "MATCH", "nothing"],
        ["ZSCAN", "z", "-1"],
        ["ZSCAN", "z", "abc"],
        ["ZSCAN", "z", " 1"],
        ["ZSCAN", "z", "18446744073709551616"],
        ["ZSCAN", "z", "0", "COUNT", "0"],
        ["ZSCAN", "z", "0", "COUNT", "-1"],
        ["ZSCAN", "z", "0", "COUNT", "x"],
        ["ZSCAN", "z", "0", "MATCH"],
        ["ZSCAN", "z", "0", "TYPE", "string"],
        ["ZSCAN", "nokey", "0", "COUNT", "0"],
        ["ZSCAN", "nokey", "abc"],
        ["SET", "s", "v"],
        ["ZSCAN", "s", "0"]);

    [Fact]
    public Task HscanOfAListpackAndSscanOfAnIntsetReturnEverythingWithCursorZero() => _pair.AssertSameRepliesAsync(
        ["HSET", "h", "f3", "v3", "f1", "v1", "100", "200", "f2", "v2"],
        ["OBJECT", "ENCODING", "h"],
        ["HSCAN", "h", "0"],
        ["HSCAN", "h", "0", "COUNT", "1"],
        ["HSCAN", "h", "77", "MATCH", "f*"],
        ["HSCAN", "h", "0", "MATCH", "1??"],
        ["HSCAN", "h", "0", "COUNT", "0"],
        ["SADD", "i", "5", "-3", "100", "2", "70000", "9223372036854775807"],
        ["OBJECT", "ENCODING", "i"],
        ["SSCAN", "i", "0"],
        ["SSCAN", "i", "0", "COUNT", "1"],
        ["SSCAN", "i", "99", "MATCH", "*0*"],
        ["SSCAN", "i", "0", "MATCH", "-*"],
        ["SSCAN", "nokey", "0"],
        ["HSCAN", "i", "0"]);

    [Fact]
    public async Task AFullZscanOfASkiplistReturnsEveryMemberOnceWithRedissScoreText()
    {
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        var add = new List<string> { "ZADD", "zbig" };
        for (int i = 0; i < 300; i++)
        {
            add.Add((i * 1.1).ToString("R", CultureInfo.InvariantCulture));
            add.Add("m" + i.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var conn in new[] { r, c })
        {
            await conn.CommandAsync("DEL", "zbig");
            Assert.Equal(":300\r\n", await conn.CommandAsync([.. add]));
            Assert.Equal("$8\r\nskiplist\r\n", await conn.CommandAsync("OBJECT", "ENCODING", "zbig"));
        }

        var fromRedis = await FullScanAsync(r, "ZSCAN", "zbig", pairs: true);
        var fromCinnabar = await FullScanAsync(c, "ZSCAN", "zbig", pairs: true);
        Assert.Equal(300, fromRedis.Count);
        Assert.Equal(fromRedis.Order(StringComparer.Ordinal), fromCinnabar.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task FullHscanAndSscanOfHashtablesReturnEveryElementOnce()
    {
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        var hset = new List<string> { "HSET", "hbig" };
        var sadd = new List<string> { "SADD", "sbig" };
        var ssmall = new List<string> { "SADD", "ssmall", "x", "y", "z", "w", "v" };
        for (int i = 0; i < 700; i++)
        {
            hset.Add("f" + i.ToString(CultureInfo.InvariantCulture));
            hset.Add("v" + i.ToString(CultureInfo.InvariantCulture));
            sadd.Add("e" + i.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var conn in new[] { r, c })
        {
            await conn.CommandAsync("DEL", "hbig", "sbig", "ssmall");
            await conn.CommandAsync([.. hset]);
            await conn.CommandAsync([.. sadd]);
            await conn.CommandAsync([.. ssmall]);
            Assert.Equal("$9\r\nhashtable\r\n", await conn.CommandAsync("OBJECT", "ENCODING", "hbig"));
            Assert.Equal("$9\r\nhashtable\r\n", await conn.CommandAsync("OBJECT", "ENCODING", "ssmall"));
        }

        foreach (var (cmd, key, pairs, size) in new[] { ("HSCAN", "hbig", true, 700), ("SSCAN", "sbig", false, 700), ("SSCAN", "ssmall", false, 5) })
        {
            var fromRedis = await FullScanAsync(r, cmd, key, pairs);
            var fromCinnabar = await FullScanAsync(c, cmd, key, pairs);
            Assert.Equal(size, fromRedis.Count);
            Assert.Equal(fromRedis.Order(StringComparer.Ordinal), fromCinnabar.Order(StringComparer.Ordinal));
        }

        // A hashtable smaller than COUNT is returned whole by the first call on both.
        foreach (var conn in new[] { r, c })
        {
            var (cursor, items) = Parse(await conn.CommandAsync("SSCAN", "ssmall", "0"));
            Assert.Equal("0", cursor);
            Assert.Equal(5, items.Count);
        }
    }

    // Iterates from cursor 0 until the cursor is 0 again; each element (or "field=value") must come once.
    private static async Task<List<string>> FullScanAsync(RawConnection conn, string command, string key, bool pairs)
    {
        var seen = new List<string>();
        string cursor = "0";
        int calls = 0;
        do
        {
            (cursor, var items) = Parse(await conn.CommandAsync(command, key, cursor, "COUNT", "7"));
            for (int i = 0; i < items.Count; i += pairs ? 2 : 1)
            {
                seen.Add(pairs ? items[i] + "=" + items[i + 1] : items[i]);
            }

            Assert.True(++calls < 10_000, "the scan never returned cursor 0");
        }
        while (cursor != "0");

        Assert.Equal(seen.Count, seen.Distinct(StringComparer.Ordinal).Count());
        return seen;
    }

    private static (string Cursor, List<string> Items) Parse(string raw)
    {
        var parser = new RespReplyParser();
        Assert.Equal(ParseStatus.Complete, parser.TryParse(Encoding.Latin1.GetBytes(raw), out _, out var reply));
        var top = reply!.Elements;
        return (Encoding.Latin1.GetString(top[0].Bytes), [.. top[1].Elements.Select(i => Encoding.Latin1.GetString(i.Bytes))]);
    }
}
