using System.Runtime.CompilerServices;

using Cinnabar.Server.Storage;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

public class StringCommandTests
{
    private static long ExpireOf(ServerHarness h, string key)
    {
        ref Slot s = ref h.Server.Databases[0].FindRaw(System.Text.Encoding.UTF8.GetBytes(key));
        Assert.False(Unsafe.IsNullRef(ref s), $"{key} should exist");
        return s.Expire;
    }

    private static object DataOf(ServerHarness h, string key)
    {
        ref Slot s = ref h.Server.Databases[0].FindRaw(System.Text.Encoding.UTF8.GetBytes(key));
        Assert.False(Unsafe.IsNullRef(ref s), $"{key} should exist");
        return s.Data!;
    }

    [Fact]
    public void SetWithNxKeepsTheExistingValue()
    {
        var h = new ServerHarness();
        Assert.Equal("+OK\r\n", h.Run("SET", "k", "v1"));
        Assert.Equal("$-1\r\n", h.Run("SET", "k", "v2", "NX"));
        Assert.Equal("$2\r\nv1\r\n", h.Run("GET", "k"));
        Assert.Equal("+OK\r\n", h.Run("SET", "new", "v", "nx"));
    }

    [Fact]
    public void SetWithXxOnlyOverwritesExistingKeys()
    {
        var h = new ServerHarness();
        Assert.Equal("$-1\r\n", h.Run("SET", "k", "v", "XX"));
        Assert.Equal("$-1\r\n", h.Run("GET", "k"));
        h.Run("SET", "k", "a");
        Assert.Equal("+OK\r\n", h.Run("SET", "k", "b", "XX"));
        Assert.Equal("$1\r\nb\r\n", h.Run("GET", "k"));
    }

    [Fact]
    public void SetWithGetRepliesWithTheOldValueEvenWhenNxAborts()
    {
        var h = new ServerHarness();
        Assert.Equal("$-1\r\n", h.Run("SET", "k", "v1", "GET"));
        Assert.Equal("$2\r\nv1\r\n", h.Run("SET", "k", "v2", "GET", "NX"));
        Assert.Equal("$2\r\nv1\r\n", h.Run("GET", "k"));
        Assert.Equal("$2\r\nv1\r\n", h.Run("SET", "k", "v3", "GET", "GET"));
        Assert.Equal("$2\r\nv3\r\n", h.Run("GET", "k"));
    }

    [Theory]
    [InlineData("NX", "XX")]
    [InlineData("XX", "NX")]
    [InlineData("EX", "10", "PX", "100")]
    [InlineData("PX", "100", "EXAT", "10")]
    [InlineData("EXAT", "10", "PXAT", "10")]
    [InlineData("KEEPTTL", "EX", "10")]
    [InlineData("EX", "10", "KEEPTTL")]
    [InlineData("EX")]
    [InlineData("PXAT")]
    [InlineData("PERSIST")]
    [InlineData("foo")]
    [InlineData("NX\0")]
    public void SetRejectsConflictingOrUnknownOptionsWithASyntaxError(params string[] options)
    {
        var h = new ServerHarness();
        var args = new List<string> { "SET", "k", "v" };
        args.AddRange(options);

        // "NX\0" is the one odd case: Redis reads options as C strings, so it means NX.
        var expected = options is ["NX\0"] ? "+OK\r\n" : "-ERR syntax error\r\n";
        Assert.Equal(expected, h.Run([.. args]));
    }

    [Fact]
    public void SetAcceptsARepeatedExpireOptionAndTheLastOneWins()
    {
        var h = new ServerHarness();
        Assert.Equal("+OK\r\n", h.Run("SET", "k", "v", "EX", "10", "EX", "20"));
        Assert.Equal(h.Time.NowMs + 20_000, ExpireOf(h, "k"));
    }

    [Theory]
    [InlineData("EX", "0")]
    [InlineData("EX", "-1")]
    [InlineData("PX", "0")]
    [InlineData("EXAT", "0")]
    [InlineData("PXAT", "-5")]
    [InlineData("EX", "9223372036854776")]
    [InlineData("PX", "9223372036854775807")]
    public void SetRejectsExpireTimesThatAreNotPositiveOrOverflow(string option, string value)
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR invalid expire time in 'set' command\r\n", h.Run("SET", "k", "v", option, value));
        Assert.Equal("$-1\r\n", h.Run("GET", "k"));
    }

    [Fact]
    public void SetRejectsANonIntegerExpire()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR value is not an integer or out of range\r\n", h.Run("SET", "k", "v", "EX", "1.5"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", h.Run("SET", "k", "v", "PX", " 1"));
    }

    [Fact]
    public void SetExpireOptionsStoreAnAbsoluteTime()
    {
        var h = new ServerHarness();
        long now = h.Time.NowMs;
        h.Run("SET", "ex", "v", "EX", "10");
        h.Run("SET", "px", "v", "PX", "1500");
        h.Run("SET", "exat", "v", "EXAT", "4000000000");
        h.Run("SET", "pxat", "v", "PXAT", "4000000000123");
        Assert.Equal(now + 10_000, ExpireOf(h, "ex"));
        Assert.Equal(now + 1500, ExpireOf(h, "px"));
        Assert.Equal(4_000_000_000_000, ExpireOf(h, "exat"));
        Assert.Equal(4_000_000_000_123, ExpireOf(h, "pxat"));
    }

    [Fact]
    public void AKeyWithATtlDisappearsOnceTheClockPassesIt()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v", "PX", "100");
        h.Time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Equal("$1\r\nv\r\n", h.Run("GET", "k"));

        // Redis's keyIsExpired is "now > when": at exactly the expire time the key still exists.
        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("$1\r\nv\r\n", h.Run("GET", "k"));
        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("$-1\r\n", h.Run("GET", "k"));
    }

    [Fact]
    public void SetKeepTtlKeepsTheTtlAndPlainSetClearsIt()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v", "EX", "100");
        long ttl = ExpireOf(h, "k");
        h.Run("SET", "k", "v2", "KEEPTTL");
        Assert.Equal(ttl, ExpireOf(h, "k"));
        h.Run("SET", "k", "v3");
        Assert.Equal(0, ExpireOf(h, "k"));
        Assert.Equal(0, h.Server.Databases[0].VolatileCount);
    }

    [Fact]
    public void SetNxSetExAndPSetExReplyLikeRedis()
    {
        var h = new ServerHarness();
        Assert.Equal(":1\r\n", h.Run("SETNX", "k", "v"));
        Assert.Equal(":0\r\n", h.Run("SETNX", "k", "w"));
        Assert.Equal("+OK\r\n", h.Run("SETEX", "e", "10", "v"));
        Assert.Equal(h.Time.NowMs + 10_000, ExpireOf(h, "e"));
        Assert.Equal("+OK\r\n", h.Run("PSETEX", "p", "10", "v"));
        Assert.Equal(h.Time.NowMs + 10, ExpireOf(h, "p"));
        Assert.Equal("-ERR invalid expire time in 'setex' command\r\n", h.Run("SETEX", "e", "0", "v"));
        Assert.Equal("-ERR invalid expire time in 'psetex' command\r\n", h.Run("PSETEX", "e", "-1", "v"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", h.Run("SETEX", "e", "x", "v"));
    }

    [Fact]
    public void GetExChangesOrRemovesTheTtl()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        Assert.Equal("$1\r\nv\r\n", h.Run("GETEX", "k", "EX", "10"));
        Assert.Equal(h.Time.NowMs + 10_000, ExpireOf(h, "k"));
        Assert.Equal("$1\r\nv\r\n", h.Run("GETEX", "k", "PXAT", "4000000000000"));
        Assert.Equal(4_000_000_000_000, ExpireOf(h, "k"));
        Assert.Equal("$1\r\nv\r\n", h.Run("GETEX", "k", "PERSIST"));
        Assert.Equal(0, ExpireOf(h, "k"));
        Assert.Equal("$1\r\nv\r\n", h.Run("GETEX", "k"));
        Assert.Equal("$1\r\nv\r\n", h.Run("GETEX", "k", "EXAT", "1"));
        Assert.Equal("$-1\r\n", h.Run("GET", "k"));
    }

    [Fact]
    public void GetExValidatesOptionsFirstButTheExpireOnlyForAnExistingKey()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR syntax error\r\n", h.Run("GETEX", "missing", "EX", "10", "PERSIST"));
        Assert.Equal("-ERR syntax error\r\n", h.Run("GETEX", "missing", "KEEPTTL"));
        Assert.Equal("-ERR syntax error\r\n", h.Run("GETEX", "missing", "NX"));
        Assert.Equal("$-1\r\n", h.Run("GETEX", "missing", "EX", "-1"));
        h.Run("SET", "k", "v");
        Assert.Equal("-ERR invalid expire time in 'getex' command\r\n", h.Run("GETEX", "k", "EX", "-1"));
    }

    [Fact]
    public void GetDelReturnsTheValueAndDeletesTheKey()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        Assert.Equal("$1\r\nv\r\n", h.Run("GETDEL", "k"));
        Assert.Equal("$-1\r\n", h.Run("GETDEL", "k"));
        Assert.Equal(0, h.Server.Databases[0].Count);
    }

    [Fact]
    public void GetSetReturnsTheOldValueAndClearsTheTtl()
    {
        var h = new ServerHarness();
        Assert.Equal("$-1\r\n", h.Run("GETSET", "k", "a"));
        h.Run("SET", "k", "a", "EX", "100");
        Assert.Equal("$1\r\na\r\n", h.Run("GETSET", "k", "b"));
        Assert.Equal(0, ExpireOf(h, "k"));
        Assert.Equal("$1\r\nb\r\n", h.Run("GET", "k"));
    }

    [Fact]
    public void MSetNeedsPairsAndMSetNxSetsNothingWhenAnyKeyExists()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR wrong number of arguments for 'mset' command\r\n", h.Run("MSET", "a", "1", "b"));
        Assert.Equal("-ERR wrong number of arguments for 'msetnx' command\r\n", h.Run("MSETNX", "a", "1", "b"));
        Assert.Equal("+OK\r\n", h.Run("MSET", "a", "1", "b", "2"));
        Assert.Equal(":0\r\n", h.Run("MSETNX", "c", "3", "a", "x"));
        Assert.Equal("$-1\r\n", h.Run("GET", "c"));
        Assert.Equal(":1\r\n", h.Run("MSETNX", "c", "3", "d", "4"));
        Assert.Equal("*5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$-1\r\n", h.Run("MGET", "a", "b", "c", "d", "e"));
    }

    [Fact]
    public void AppendGrowsOneRawStringInPlace()
    {
        var h = new ServerHarness();
        Assert.Equal(":3\r\n", h.Run("APPEND", "k", "123"));
        Assert.Equal("int", Entry.EncodingOf(DataOf(h, "k")));
        Assert.Equal(":6\r\n", h.Run("APPEND", "k", "abc"));
        var raw = Assert.IsType<RawString>(DataOf(h, "k"));
        for (int i = 0; i < 1000; i++)
        {
            h.Run("APPEND", "k", "x");
        }

        Assert.Same(raw, DataOf(h, "k"));
        Assert.Equal("raw", Entry.EncodingOf(raw));
        Assert.Equal(":1006\r\n", h.Run("STRLEN", "k"));
        Assert.StartsWith("$1006\r\n123abcxxx", h.Run("GET", "k"), StringComparison.Ordinal);
    }

    [Fact]
    public void AppendAndSetRangeRefuseToExceedProtoMaxBulkLen()
    {
        var h = new ServerHarness(c => c.ProtoMaxBulkLen = 10);
        h.Run("SET", "k", "12345");
        Assert.Equal("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", h.Run("APPEND", "k", "678901"));
        Assert.Equal(":10\r\n", h.Run("APPEND", "k", "67890"));
        Assert.Equal("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", h.Run("SETRANGE", "k", "10", "x"));
        Assert.Equal("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", h.Run("SETRANGE", "new", "9223372036854775807", "x"));
        Assert.Equal(":10\r\n", h.Run("SETRANGE", "new", "9", "x"));
    }

    [Fact]
    public void AppendAndSetRangeKeepTheTtl()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v", "EX", "100");
        long ttl = ExpireOf(h, "k");
        h.Run("APPEND", "k", "w");
        Assert.Equal(ttl, ExpireOf(h, "k"));
        h.Run("SETRANGE", "k", "5", "x");
        Assert.Equal(ttl, ExpireOf(h, "k"));
        Assert.Equal("$6\r\nvw\0\0\0x\r\n", h.Run("GET", "k"));
    }

    [Fact]
    public void SetRangePadsWithZeroBytesAndRejectsNegativeOffsets()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR offset is out of range\r\n", h.Run("SETRANGE", "k", "-1", "x"));
        Assert.Equal(":0\r\n", h.Run("SETRANGE", "k", "5", ""));
        Assert.Equal(0, h.Server.Databases[0].Count);
        Assert.Equal(":4\r\n", h.Run("SETRANGE", "k", "2", "ab"));
        Assert.Equal("$4\r\n\0\0ab\r\n", h.Run("GET", "k"));
        Assert.Equal("raw", Entry.EncodingOf(DataOf(h, "k")));
        h.Run("SET", "n", "1234");
        Assert.Equal(":4\r\n", h.Run("SETRANGE", "n", "1", ""));
        Assert.Equal("int", Entry.EncodingOf(DataOf(h, "n")));
        Assert.Equal(":4\r\n", h.Run("SETRANGE", "n", "1", "x"));
        Assert.Equal("$4\r\n1x34\r\n", h.Run("GET", "n"));
    }

    [Fact]
    public void IncrFamilyStoresIntegersAndChecksOverflow()
    {
        var h = new ServerHarness();
        Assert.Equal(":1\r\n", h.Run("INCR", "n"));
        Assert.Equal(":-9\r\n", h.Run("INCRBY", "n", "-10"));
        Assert.Equal(":-10\r\n", h.Run("DECR", "n"));
        Assert.Equal(":0\r\n", h.Run("DECRBY", "n", "-10"));
        Assert.Equal("int", Entry.EncodingOf(DataOf(h, "n")));
        h.Run("SET", "max", "9223372036854775807");
        Assert.Equal("-ERR increment or decrement would overflow\r\n", h.Run("INCR", "max"));
        h.Run("SET", "min", "-9223372036854775808");
        Assert.Equal("-ERR increment or decrement would overflow\r\n", h.Run("DECR", "min"));
        Assert.Equal("-ERR decrement would overflow\r\n", h.Run("DECRBY", "n", "-9223372036854775808"));
        h.Run("SET", "s", " 1");
        Assert.Equal("-ERR value is not an integer or out of range\r\n", h.Run("INCR", "s"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", h.Run("INCRBY", "n", "1x"));
    }

    [Fact]
    public void IncrKeepsTheTtlAndTurnsARawStringBackIntoAnInteger()
    {
        var h = new ServerHarness();
        h.Run("SET", "n", "1", "EX", "100");
        long ttl = ExpireOf(h, "n");
        h.Run("APPEND", "n", "0");
        Assert.IsType<RawString>(DataOf(h, "n"));
        Assert.Equal(":11\r\n", h.Run("INCR", "n"));
        Assert.Equal("int", Entry.EncodingOf(DataOf(h, "n")));
        Assert.Equal(ttl, ExpireOf(h, "n"));
    }

    [Theory]
    [InlineData("10.5", "0.1", "10.6")]
    [InlineData("5.0e3", "2.0e2", "5200")]
    [InlineData("1.5", "-1.5", "0")]
    [InlineData("0", "-0.000000000000000001", "0")]
    [InlineData("0", "0.00000000000000001", "0.00000000000000001")]
    [InlineData("1", "1e20", "100000000000000000000")]
    [InlineData("0", "0x10", "16")]
    [InlineData("0", "+.5", "0.5")]
    [InlineData("17179869184", "1.5", "17179869185.5")]
    [InlineData("0", "3.0000000000000000001", "3")]
    [InlineData("0", "-1.1", "-1.1")]
    [InlineData("0", "0.000003814697265625", "0.00000381469726562")]
    [InlineData("0", "0.000011444091796875", "0.00001144409179688")]
    [InlineData("0", "1e-4940", "0")]
    [InlineData("0", "0x1.8p1", "3")]
    public void IncrByFloatComputesInExtendedPrecisionAndTrimsZeros(string start, string by, string expected)
    {
        var h = new ServerHarness();
        h.Run("SET", "f", start);
        Assert.Equal($"${expected.Length}\r\n{expected}\r\n", h.Run("INCRBYFLOAT", "f", by));
    }

    [Fact]
    public void IncrByFloatRejectsBadNumbersAndInfiniteResults()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR value is not a valid float\r\n", h.Run("INCRBYFLOAT", "f", "x"));
        Assert.Equal("-ERR value is not a valid float\r\n", h.Run("INCRBYFLOAT", "f", " 1"));
        Assert.Equal("-ERR value is not a valid float\r\n", h.Run("INCRBYFLOAT", "f", "nan"));
        Assert.Equal("-ERR value is not a valid float\r\n", h.Run("INCRBYFLOAT", "f", "1e5000"));
        Assert.Equal("-ERR value is not a valid float\r\n", h.Run("INCRBYFLOAT", "f", "1e"));
        Assert.Equal("-ERR increment would produce NaN or Infinity\r\n", h.Run("INCRBYFLOAT", "f", "+inf"));
        Assert.Equal("$-1\r\n", h.Run("GET", "f"));
        h.Run("SET", "s", "abc");
        Assert.Equal("-ERR value is not a valid float\r\n", h.Run("INCRBYFLOAT", "s", "1"));
    }

    [Fact]
    public void IncrByFloatKeepsTheTtl()
    {
        var h = new ServerHarness();
        h.Run("SET", "f", "1", "EX", "100");
        long ttl = ExpireOf(h, "f");
        Assert.Equal("$3\r\n1.5\r\n", h.Run("INCRBYFLOAT", "f", "0.5"));
        Assert.Equal(ttl, ExpireOf(h, "f"));
    }

    [Theory]
    [InlineData("0", "3", "This")]
    [InlineData("-3", "-1", "ing")]
    [InlineData("0", "-1", "This is a string")]
    [InlineData("10", "100", "string")]
    [InlineData("5", "3", "")]
    [InlineData("-1", "-5", "")]
    [InlineData("-100", "-50", "T")]
    [InlineData("-100", "2", "Thi")]
    public void GetRangeClampsIndexesLikeRedis(string start, string end, string expected)
    {
        var h = new ServerHarness();
        h.Run("SET", "s", "This is a string");
        Assert.Equal($"${expected.Length}\r\n{expected}\r\n", h.Run("GETRANGE", "s", start, end));
        Assert.Equal($"${expected.Length}\r\n{expected}\r\n", h.Run("SUBSTR", "s", start, end));
    }

    [Fact]
    public void GetRangeOnAMissingKeyIsEmptyAndBadIndexesAreErrors()
    {
        var h = new ServerHarness();
        Assert.Equal("$0\r\n\r\n", h.Run("GETRANGE", "missing", "0", "-1"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", h.Run("GETRANGE", "missing", "a", "-1"));
        Assert.Equal(":0\r\n", h.Run("STRLEN", "missing"));
    }

    [Fact]
    public void LcsFindsTheStringItsLengthAndTheMatchingRanges()
    {
        var h = new ServerHarness();
        h.Run("MSET", "key1", "ohmytext", "key2", "mynewtext");
        Assert.Equal("$6\r\nmytext\r\n", h.Run("LCS", "key1", "key2"));
        Assert.Equal(":6\r\n", h.Run("LCS", "key1", "key2", "LEN"));
        Assert.Equal(
            "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n",
            h.Run("LCS", "key1", "key2", "IDX"));
        Assert.Equal(
            "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n",
            h.Run("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"));
        Assert.Equal("-ERR If you want both the length and indexes, please just use IDX.\r\n", h.Run("LCS", "key1", "key2", "LEN", "IDX"));
        Assert.Equal("-ERR syntax error\r\n", h.Run("LCS", "key1", "key2", "MINMATCHLEN"));
        Assert.Equal("$0\r\n\r\n", h.Run("LCS", "key1", "missing"));
    }

    [Fact]
    public void LcsUsesAMapAndNullsInResp3()
    {
        var h = new ServerHarness();
        h.Client.Protocol = 3;
        h.Run("MSET", "key1", "ohmytext", "key2", "mynewtext");
        Assert.Equal(
            "%2\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n",
            h.Run("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"));
        Assert.Equal("_\r\n", h.Run("GET", "missing"));
        Assert.Equal("_\r\n", h.Run("SET", "key1", "x", "NX"));
        Assert.Equal("*2\r\n$8\r\nohmytext\r\n_\r\n", h.Run("MGET", "key1", "missing"));
        Assert.Equal("_\r\n", h.Run("GETEX", "missing"));
    }

    [Fact]
    public void LcsRefusesATableLargerThanProtoMaxBulkLen()
    {
        var h = new ServerHarness(c => c.ProtoMaxBulkLen = 100);
        h.Run("MSET", "a", "0123456789", "b", "0123456789");
        Assert.Equal("-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n", h.Run("LCS", "a", "b"));
    }

    [Fact]
    public void BinaryValuesRoundTrip()
    {
        var h = new ServerHarness();
        h.Run("SET", "b", "a\0b\r\nc");
        Assert.Equal("$6\r\na\0b\r\nc\r\n", h.Run("GET", "b"));
        Assert.Equal(":8\r\n", h.Run("APPEND", "b", "\r\n"));
        Assert.Equal("$4\r\n\0b\r\n\r\n", h.Run("GETRANGE", "b", "1", "4"));
    }

    [Fact]
    public void StringWritesCountAsDirtyAndInvalidateWatch()
    {
        var h = new ServerHarness();
        long before = h.Server.Dirty;
        h.Run("MSET", "a", "1", "b", "2");
        Assert.Equal(before + 2, h.Server.Dirty);
        h.Run("WATCH", "a");
        h.Run(h.NewClient(), "INCR", "a");
        h.Run("MULTI");
        h.Run("GET", "a");
        Assert.Equal("*-1\r\n", h.Run("EXEC"));
    }
}
