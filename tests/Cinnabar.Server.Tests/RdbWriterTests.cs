using System.Text;

using Cinnabar.Server.Persistence.Rdb;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Tests;

public class RdbWriterTests
{
    [Fact]
    public void ASmallDatasetIsWrittenByteForByteAsRedisLaysItOut()
    {
        var db0 = new Database(0);
        db0.SetString("k"u8, "5"u8, 0, false);
        var db1 = new Database(1);
        var db2 = new Database(2);
        db2.SetString("e"u8, "x"u8, 1000, false);
        var bytes = Write([db0, db1, db2], [("redis-ver", "7.0.15"), ("redis-bits", "64")], checksum: false);

        var expected = new List<byte>();
        expected.AddRange("REDIS0010"u8.ToArray());
        expected.AddRange([0xFA, 9, .. "redis-ver"u8.ToArray(), 6, .. "7.0.15"u8.ToArray()]);
        expected.AddRange([0xFA, 10, .. "redis-bits"u8.ToArray(), 0xC0, 64]);
        expected.AddRange([0xFE, 0, 0xFB, 1, 0, 0, 1, (byte)'k', 0xC0, 5]);
        expected.AddRange([0xFE, 2, 0xFB, 1, 1, 0xFC, 0xE8, 0x03, 0, 0, 0, 0, 0, 0, 0, 1, (byte)'e', 1, (byte)'x']);
        expected.AddRange([0xFF, 0, 0, 0, 0, 0, 0, 0, 0]);
        Assert.Equal(expected.ToArray(), bytes);
    }

    [Fact]
    public void TheTrailerIsTheCrc64OfEverythingBeforeIt()
    {
        var db = new Database(0);
        db.SetString("key"u8, "value"u8, 0, false);
        var bytes = Write([db], RdbWriter.StandardAux(1_700_000_000_000, 123456), checksum: true);
        ulong crc = BitConverter.ToUInt64(bytes, bytes.Length - 8);
        Assert.Equal(Crc64.Update(0, bytes.AsSpan(0, bytes.Length - 8)), crc);
        Assert.NotEqual(0UL, crc);
    }

    [Theory]
    [InlineData("-128", new byte[] { 0xC0, 0x80 })]
    [InlineData("127", new byte[] { 0xC0, 0x7F })]
    [InlineData("-129", new byte[] { 0xC1, 0x7F, 0xFF })]
    [InlineData("32768", new byte[] { 0xC2, 0x00, 0x80, 0x00, 0x00 })]
    [InlineData("-2147483648", new byte[] { 0xC2, 0x00, 0x00, 0x00, 0x80 })]
    [InlineData("2147483648", new byte[] { 10, (byte)'2', (byte)'1', (byte)'4', (byte)'7', (byte)'4', (byte)'8', (byte)'3', (byte)'6', (byte)'4', (byte)'8' })]
    [InlineData("007", new byte[] { 3, (byte)'0', (byte)'0', (byte)'7' })]
    [InlineData("+1", new byte[] { 2, (byte)'+', (byte)'1' })]
    public void ValuesUseTheIntegerEncodingOnlyForCanonical32BitIntegers(string value, byte[] encoded)
    {
        Assert.Equal(encoded, ValueBytes(Encoding.ASCII.GetBytes(value), compress: true));
    }

    [Fact]
    public void CompressibleStringsLongerThanTwentyBytesAreLzfEncoded()
    {
        var value = Encoding.ASCII.GetBytes(new string('a', 60));
        var enc = ValueBytes(value, compress: true);
        Assert.Equal(0xC3, enc[0]);
        int clen = enc[1];
        Assert.Equal(60, enc[2]);
        Assert.Equal(3 + clen, enc.Length);
        Assert.Equal(value, LzfCompressorTests.Decompress(enc.AsSpan(3), 60));
    }

    [Fact]
    public void StringsStayRawWhenShortIncompressibleOrCompressionIsOff()
    {
        var twenty = Encoding.ASCII.GetBytes(new string('b', 20));
        Assert.Equal([20, .. twenty], ValueBytes(twenty, compress: true));
        var noise = new byte[40];
        new Random(3).NextBytes(noise);
        Assert.Equal([40, .. noise], ValueBytes(noise, compress: true));
        var long1 = Encoding.ASCII.GetBytes(new string('c', 60));
        Assert.Equal([60, .. long1], ValueBytes(long1, compress: false));
    }

    [Fact]
    public void LengthsUseTheSixFourteenAndThirtyTwoBitForms()
    {
        var v64 = new byte[64];
        var v20000 = new byte[20000];
        new Random(5).NextBytes(v64);
        new Random(6).NextBytes(v20000);
        Assert.Equal([0x40, 64], ValueBytes(v64, compress: false)[..2]);
        Assert.Equal([0x80, 0, 0, 0x4E, 0x20], ValueBytes(v20000, compress: false)[..5]);
    }

    [Fact]
    public void ReplicationInfoAddsItsAuxFieldsBetweenUsedMemAndAofBase()
    {
        var names = RdbWriter.StandardAux(1000, 1, new ReplSaveInfo(3, "abc", 77)).Select(a => a.Item1).ToArray();
        Assert.Equal(["redis-ver", "redis-bits", "ctime", "used-mem", "repl-stream-db", "repl-id", "repl-offset", "aof-base"], names);
        Assert.Equal(["redis-ver", "redis-bits", "ctime", "used-mem", "aof-base"], RdbWriter.StandardAux(1000, 1).Select(a => a.Item1).ToArray());
    }

    private static byte[] Write(Database[] dbs, IEnumerable<(string, string)> aux, bool checksum, bool compress = true)
    {
        using var ms = new MemoryStream();
        new RdbWriter(ms, compress, checksum).WriteSnapshot(dbs, aux, 0);
        return ms.ToArray();
    }

    // The bytes of the value of a single key "v" in db 0 with no AUX fields.
    private static byte[] ValueBytes(byte[] value, bool compress)
    {
        var db = new Database(0);
        db.SetString("v"u8, value, 0, false);
        var bytes = Write([db], [], checksum: false, compress);
        const int prefix = 9 + 5 + 1 + 2; // header, SELECTDB+RESIZEDB, type, key
        return bytes.AsSpan(prefix, bytes.Length - prefix - 9).ToArray();
    }
}
