using System.Buffers.Binary;
using System.Text;

using Cinnabar.Server.Persistence.Rdb;
using Cinnabar.Server.Storage;
using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Tests;

public class RdbReaderTests
{
    private const long Now = 1_700_000_000_000;

    /// <summary>Builds RDB images byte by byte, with a correct CRC64 trailer on Finish.</summary>
    private sealed class Builder
    {
        private readonly List<byte> _b = [];

        public Builder(string version = "0010") => Raw(Encoding.ASCII.GetBytes("REDIS" + version));

        public Builder Raw(params byte[] bytes)
        {
            _b.AddRange(bytes);
            return this;
        }

        public Builder Str(string s)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            return bytes.Length switch
            {
                < 64 => Len6((byte)bytes.Length).Raw(bytes),
                < 16384 => Raw((byte)(0x40 | (bytes.Length >> 8)), (byte)bytes.Length).Raw(bytes),
                _ => Raw(0x80, (byte)(bytes.Length >> 24), (byte)(bytes.Length >> 16), (byte)(bytes.Length >> 8), (byte)bytes.Length).Raw(bytes),
            };
        }

        public Builder Len6(byte n) => Raw(n);

        public Builder Aux(string k, string v) => Raw(0xFA).Str(k).Str(v);

        public Builder Key(string k, string v) => Raw(0).Str(k).Str(v);

        public Builder ExpireMs(long ms)
        {
            var b = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(b, ms);
            return Raw(0xFC).Raw(b);
        }

        public byte[] Finish(bool checksum = true)
        {
            _b.Add(0xFF);
            var body = _b.ToArray();
            var crc = new byte[8];
            if (checksum)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(crc, Crc64.Update(0, body));
            }

            return [.. body, .. crc];
        }
    }

    private static RdbLoadResult Load(byte[] data, bool dropExpired = true, bool verify = true) =>
        RdbReader.Load(data, new RdbLoadOptions { FileName = "test.rdb", NowMs = Now, DropExpired = dropExpired, VerifyChecksum = verify });

    private static string? Get(RdbLoadResult r, int db, string key)
    {
        ref var s = ref r.Databases[db].FindRaw(Encoding.UTF8.GetBytes(key));
        return System.Runtime.CompilerServices.Unsafe.IsNullRef(ref s) ? null : Encoding.UTF8.GetString(Entry.StringValue(s.Data!));
    }

    private static long ExpireOf(RdbLoadResult r, int db, string key) => r.Databases[db].FindRaw(Encoding.UTF8.GetBytes(key)).Expire;

    private static byte[] SmallFile() => new Builder()
        .Aux("redis-ver", "7.0.15").Aux("ctime", "1700000000")
        .Raw(0xFE, 0).Raw(0xFB, 2, 1)
        .Key("a", "hello")
        .ExpireMs(Now + 5000).Key("b", "world")
        .Finish();

    [Fact]
    public void AValidFileLoadsKeysValuesTtlsAndAuxFields()
    {
        var r = Load(SmallFile());
        Assert.Equal(10, r.Version);
        Assert.Equal("hello", Get(r, 0, "a"));
        Assert.Equal("world", Get(r, 0, "b"));
        Assert.Equal(Now + 5000, ExpireOf(r, 0, "b"));
        Assert.Equal(0, ExpireOf(r, 0, "a"));
        Assert.Equal(1, r.Databases[0].VolatileCount);
        Assert.Equal("7.0.15", r.Aux["redis-ver"]);
        Assert.Equal(2, r.KeysLoaded);
        Assert.Equal(1, r.Expires);
        Assert.True(r.ChecksumVerified);
    }

    [Theory]
    [InlineData("0005")]
    [InlineData("0008")]
    [InlineData("0009")]
    [InlineData("0010")]
    [InlineData("0011")]
    [InlineData("0012")]
    public void VersionsFiveToTwelveAreAccepted(string version)
    {
        var r = Load(new Builder(version).Key("k", "v").Finish());
        Assert.Equal(int.Parse(version, System.Globalization.CultureInfo.InvariantCulture), r.Version);
        Assert.True(r.ChecksumVerified);
    }

    [Theory]
    [InlineData("0001")]
    [InlineData("0004")]
    public void VersionsBeforeFiveLoadWithoutAChecksumTrailer(string version)
    {
        var r = Load(new Builder(version).Key("k", "v").Finish()[..^8]);
        Assert.Equal("v", Get(r, 0, "k"));
        Assert.False(r.ChecksumVerified);
    }

    [Theory]
    [InlineData("0000")]
    [InlineData("0013")]
    public void OtherVersionsAreRefusedClearly(string version)
    {
        var e = Assert.Throws<RdbLoadException>(() => Load(new Builder(version).Finish()));
        Assert.Contains("can't handle RDB format version", e.Message);
        Assert.Contains("test.rdb", e.Message);
        Assert.Equal(5, e.Offset);
    }

    [Fact]
    public void AWrongSignatureIsRefused()
    {
        var data = SmallFile();
        data[0] = (byte)'X';
        var e = Assert.Throws<RdbLoadException>(() => Load(data));
        Assert.Contains("wrong signature", e.Message);
    }

    [Fact]
    public void IntegerEncodingsDecodeToDecimalText()
    {
        var data = new Builder()
            .Raw(0).Str("i8").Raw(0xC0, 0xF6) // -10
            .Raw(0).Str("i16").Raw(0xC1, 0x39, 0x30) // 12345
            .Raw(0).Str("i32").Raw(0xC2, 0x00, 0x00, 0x00, 0x80) // int.MinValue
            .Raw(0).Raw(0xC0, 7).Str("intkey") // an integer-encoded key
            .Finish();
        var r = Load(data);
        Assert.Equal("-10", Get(r, 0, "i8"));
        Assert.Equal("12345", Get(r, 0, "i16"));
        Assert.Equal("-2147483648", Get(r, 0, "i32"));
        Assert.Equal("intkey", Get(r, 0, "7"));
    }

    [Fact]
    public void LzfCompressedStringsAreDecompressed()
    {
        // Literal 'a', then a back-reference of distance 1 and length 9: ten 'a's.
        var data = new Builder().Raw(0).Str("z").Raw(0xC3, 5, 10, 0x00, 0x61, 0xE0, 0x00, 0x00).Finish();
        Assert.Equal(new string('a', 10), Get(Load(data), 0, "z"));
    }

    [Fact]
    public void MalformedLzfDataIsAnError()
    {
        var data = new Builder().Raw(0).Str("z").Raw(0xC3, 5, 10, 0x00, 0x61, 0xE0, 0x00, 0x05).Finish();
        var e = Assert.Throws<RdbLoadException>(() => Load(data));
        Assert.Contains("LZF", e.Message);
    }

    [Fact]
    public void FourteenThirtyTwoAndSixtyFourBitLengthsAreRead()
    {
        string v100 = new('x', 100);
        var b = new Builder()
            .Raw(0).Str("l14").Raw(0x40, 100).Raw(Encoding.ASCII.GetBytes(v100))
            .Raw(0).Str("l32").Raw(0x80, 0, 0, 0, 3).Raw("abc"u8.ToArray())
            .Raw(0).Str("l64").Raw(0x81, 0, 0, 0, 0, 0, 0, 0, 2).Raw("de"u8.ToArray());
        var r = Load(b.Finish());
        Assert.Equal(v100, Get(r, 0, "l14"));
        Assert.Equal("abc", Get(r, 0, "l32"));
        Assert.Equal("de", Get(r, 0, "l64"));
    }

    [Fact]
    public void EmptyStringsLoad()
    {
        var r = Load(new Builder().Key("e", string.Empty).Finish());
        Assert.Equal(string.Empty, Get(r, 0, "e"));
    }

    [Fact]
    public void SelectDbPutsKeysInTheirDatabase()
    {
        var r = Load(new Builder().Raw(0xFE, 3).Key("k", "three").Raw(0xFE, 15).Key("k", "fifteen").Finish());
        Assert.Equal("three", Get(r, 3, "k"));
        Assert.Equal("fifteen", Get(r, 15, "k"));
        Assert.Null(Get(r, 0, "k"));
    }

    [Fact]
    public void SelectingADatabaseBeyondTheConfiguredCountIsAnError()
    {
        var e = Assert.Throws<RdbLoadException>(() => Load(new Builder().Raw(0xFE, 16).Finish()));
        Assert.Contains("database 16", e.Message);
    }

    [Fact]
    public void ExpireTimeInSecondsIsConverted()
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, (int)(Now / 1000) + 100);
        var r = Load(new Builder().Raw(0xFD).Raw(b).Key("s", "v").Finish());
        Assert.Equal(Now + 100_000, ExpireOf(r, 0, "s"));
    }

    [Fact]
    public void IdleAndFreqAreReadAndIgnored()
    {
        var r = Load(new Builder().Raw(0xF8, 0x40, 0x10).Key("a", "1").Raw(0xF9, 7).Key("b", "2").Finish());
        Assert.Equal("1", Get(r, 0, "a"));
        Assert.Equal("2", Get(r, 0, "b"));
    }

    [Fact]
    public void AlreadyExpiredKeysAreDroppedAndCountedOnAPrimary()
    {
        var data = new Builder().ExpireMs(Now - 1).Key("old", "v").ExpireMs(Now + 1).Key("new", "v").Finish();
        var r = Load(data);
        Assert.Null(Get(r, 0, "old"));
        Assert.Equal("v", Get(r, 0, "new"));
        Assert.Equal(1, r.KeysLoaded);
        Assert.Equal(1, r.KeysExpired);
        Assert.Equal(1, r.AlreadyExpired);
        Assert.Equal(2, r.Expires);
    }

    [Fact]
    public void AlreadyExpiredKeysAreKeptWhenNotDropping()
    {
        var r = Load(new Builder().ExpireMs(Now - 1).Key("old", "v").Finish(), dropExpired: false);
        Assert.Equal("v", Get(r, 0, "old"));
        Assert.Equal(0, r.KeysExpired);
        Assert.Equal(1, r.AlreadyExpired);
    }

    [Fact]
    public void AZeroChecksumMeansChecksumDisabled()
    {
        var r = Load(new Builder().Key("k", "v").Finish(checksum: false));
        Assert.True(r.ChecksumDisabled);
        Assert.Equal("v", Get(r, 0, "k"));
    }

    [Fact]
    public void AFlippedByteIsAChecksumError()
    {
        var data = SmallFile();
        int i = Array.IndexOf(data, (byte)'h'); // inside "hello"
        data[i] = (byte)'j';
        var e = Assert.Throws<RdbLoadException>(() => Load(data));
        Assert.Contains("RDB CRC error", e.Message);
        Assert.Equal(data.Length - 8, e.Offset);
    }

    [Fact]
    public void AFlippedByteLoadsWhenChecksumVerificationIsOff()
    {
        var data = SmallFile();
        data[Array.IndexOf(data, (byte)'h')] = (byte)'j';
        Assert.Equal("jello", Get(Load(data, verify: false), 0, "a"));
    }

    [Fact]
    public void TruncationAtEveryByteOffsetIsAClearError()
    {
        var data = SmallFile();
        for (int n = 0; n < data.Length; n++)
        {
            var cut = data.AsSpan(0, n).ToArray();
            var e = Assert.Throws<RdbLoadException>(() => Load(cut));
            Assert.Contains("test.rdb", e.Message);
            Assert.True(e.Offset <= n, $"offset {e.Offset} beyond the {n} bytes of the file");
            if (n >= 9)
            {
                Assert.True(e.ShortRead, $"cut at {n}: {e.Message}");
            }
        }
    }

    [Theory]
    [InlineData(15, "stream")]
    [InlineData(19, "stream-v2")]
    [InlineData(100, "unknown")]
    public void UnsupportedTypesAreNamedWithTheirOffset(int type, string name)
    {
        var e = Assert.Throws<RdbLoadException>(() => Load(new Builder().Raw((byte)type).Str("k").Finish()));
        Assert.Equal($"test.rdb: unsupported type {type} ({name}) at offset 9", e.Message);
    }

    [Fact]
    public void Function2IsReportedAsUnsupported()
    {
        var e = Assert.Throws<RdbLoadException>(() => Load(new Builder().Raw(0xF5).Str("code").Finish()));
        Assert.Contains("FUNCTION2", e.Message);
        Assert.Equal(9, e.Offset);
    }

    [Fact]
    public void ModuleAuxIsRefused()
    {
        var e = Assert.Throws<RdbLoadException>(() => Load(new Builder().Raw(0xF7, 1).Finish()));
        Assert.Contains("MODULE_AUX", e.Message);
    }

    [Fact]
    public void AnAbsurdLengthIsAnErrorNotAnAllocation()
    {
        var data = new Builder().Raw(0).Str("k").Raw(0x81, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF).Finish();
        var e = Assert.Throws<RdbLoadException>(() => Load(data));
        Assert.Contains("length", e.Message);
        var lzf = new Builder().Raw(0).Str("k").Raw(0xC3, 2, 0x80, 0x7F, 0xFF, 0xFF, 0xFF, 0x00, 0x61).Finish();
        Assert.Contains("LZF", Assert.Throws<RdbLoadException>(() => Load(lzf)).Message);
    }

    [Fact]
    public void ErrorsCarryTheCountsReadSoFar()
    {
        var data = new Builder().Key("a", "1").ExpireMs(Now - 1).Key("b", "2").Raw(7).Finish();
        var e = Assert.Throws<RdbLoadException>(() => Load(data));
        Assert.Equal(2, e.KeysRead);
        Assert.Equal(1, e.Expires);
        Assert.Equal(1, e.AlreadyExpired);
    }

    [Fact]
    public void TheCheckerReportsCorruptionWithTheCountsReadSoFar()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, new Builder().Key("a", "1").Key("b", "2").Raw(15).Finish());
            var o = new StringWriter();
            Assert.Equal(1, RdbChecker.Run([file], o, TextWriter.Null));
            Assert.Equal(
                $"[offset 0] Checking RDB file {file}\n--- RDB ERROR DETECTED ---\n[offset 19] unsupported type 15 (stream)\n[additional info] In file: {file}\n[info] 2 keys read\n[info] 0 expires\n[info] 0 already expired\n",
                o.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void TheCheckerNeedsExactlyOneFile()
    {
        var err = new StringWriter();
        Assert.Equal(1, RdbChecker.Run([], TextWriter.Null, err));
        Assert.Contains("Usage", err.ToString());
    }

    [Fact]
    public void KeysOfEveryLengthAndEncodingLoadWithTheirOwnValues()
    {
        // String keys go through one reused scratch buffer: keys longer than it, shorter ones
        // after them, an LZF-compressed key and an integer-encoded key must each keep their bytes.
        var b = new Builder();
        var expected = new Dictionary<string, string>();
        foreach (int len in new[] { 1, 70, 3, 300, 64, 65, 2, 5000, 10 })
        {
            string k = new string((char)('a' + (len % 26)), len);
            b.Key(k, "v" + len);
            expected[k] = "v" + len;
        }

        b.Raw(0).Raw(0xC3, 5, 10, 0x00, 0x61, 0xE0, 0x00, 0x00).Str("lzf-key-value");
        b.Raw(0).Raw(0xC1, 0x39, 0x30).Str("int16-key-value");
        var r = Load(b.Finish());
        foreach (var (k, v) in expected)
        {
            Assert.Equal(v, Get(r, 0, k));
        }

        Assert.Equal("lzf-key-value", Get(r, 0, "aaaaaaaaaa"));
        Assert.Equal("int16-key-value", Get(r, 0, "12345"));
        Assert.Equal(expected.Count + 2, r.Databases[0].Count);
    }

    [Fact]
    public void WithDuplicatesAllowedTheLaterRecordWinsWithItsTtl()
    {
        var data = new Builder().ExpireMs(Now + 5000).Key("k", "first").Key("k", "second").Key("other", "x").Finish();
        var r = RdbReader.Load(data, new RdbLoadOptions { FileName = "test.rdb", NowMs = Now, AllowDuplicates = true });
        Assert.Equal("second", Get(r, 0, "k"));
        Assert.Equal(0, ExpireOf(r, 0, "k"));
        Assert.Equal(0, r.Databases[0].VolatileCount);
        Assert.Equal(2, r.Databases[0].Count);
        Assert.Equal(2, r.KeysLoaded);
    }

    [Fact]
    public void AVersion3FileWithAZipmapHashLoads()
    {
        // zipmap: count, then <len>field <len><free>value <free bytes>..., 0xFF. The second
        // value has 2 free bytes after it; the third field's length takes the 254 + u32 form.
        string longField = new('f', 300);
        var zm = new List<byte> { 3 };
        zm.AddRange([1, (byte)'a', 1, 0, (byte)'1']);
        zm.AddRange([2, (byte)'b', (byte)'b', 3, 2, (byte)'2', (byte)'2', (byte)'2', 0, 0]);
        zm.AddRange([254, 44, 1, 0, 0]);
        zm.AddRange(Encoding.ASCII.GetBytes(longField));
        zm.AddRange([0, 0]);
        zm.Add(0xFF);
        var b = new Builder("0003").Raw(9).Str("h");
        b.Raw((byte)(0x40 | (zm.Count >> 8)), (byte)zm.Count).Raw([.. zm]);
        var r = Load(b.Finish()[..^8]); // no checksum before version 5
        Assert.False(r.ChecksumVerified);
        var h = Assert.IsType<HashValue>(r.Databases[0].FindRaw("h"u8).Data);
        Assert.Equal(3, h.Count);
        Assert.True(h.TryGet("a"u8, out var v1));
        Assert.Equal("1", Encoding.ASCII.GetString(v1));
        Assert.True(h.TryGet("bb"u8, out var v2));
        Assert.Equal("222", Encoding.ASCII.GetString(v2));
        Assert.True(h.TryGet(Encoding.ASCII.GetBytes(longField), out var v3));
        Assert.Equal(0, v3.Length);
    }

    [Fact]
    public void ACorruptZipmapIsAnError()
    {
        // The count says 2 pairs, the map holds 1.
        byte[] zm = [2, 1, (byte)'a', 1, 0, (byte)'1', 0xFF];
        var data = new Builder("0003").Raw(9).Str("h").Raw((byte)zm.Length).Raw(zm).Finish()[..^8];
        var e = Assert.Throws<RdbLoadException>(() => Load(data));
        Assert.Contains("zipmap integrity check failed", e.Message);
    }

    [Fact]
    public void KeysInsertedInBatchesLandInTheirDatabasesAndADuplicateFarBackIsStillFound()
    {
        // String keys are inserted in batches; a SELECTDB and a non-string key end a batch.
        var b = new Builder();
        for (int i = 0; i < 21; i++)
        {
            b.Key("a" + i, "v" + i);
        }

        b.Raw(0xFE, 3);
        for (int i = 0; i < 5; i++)
        {
            b.Key("b" + i, "w" + i);
        }

        b.Raw(0xFE, 0).Key("c", "x");
        var r = Load(b.Finish());
        Assert.Equal(22, r.Databases[0].Count);
        Assert.Equal(5, r.Databases[3].Count);
        Assert.Equal("v20", Get(r, 0, "a20"));
        Assert.Equal("w4", Get(r, 3, "b4"));
        Assert.Null(Get(r, 3, "a1"));

        var dup = new Builder();
        for (int i = 0; i < 40; i++)
        {
            dup.Key("k" + i, "v");
        }

        dup.Key("k3", "again");
        var e = Assert.Throws<RdbLoadException>(() => Load(dup.Finish()));
        Assert.Contains("duplicated key 'k3' in DB 0", e.Message);
    }

    [Fact]
    public void DuplicatedKeysAreAnError()
    {
        var e = Assert.Throws<RdbLoadException>(() => Load(new Builder().Key("k", "1").Key("k", "2").Finish()));
        Assert.Contains("duplicated key 'k'", e.Message);
    }

    [Fact]
    public void WhatRdbWriterWritesLoadsBack()
    {
        var db = new Database(2);
        db.SetString("s"u8, "text"u8, 0, false);
        db.SetString("n"u8, "-300"u8, Now + 10, false);
        db.SetString("big"u8, Encoding.ASCII.GetBytes(new string('q', 20000)), 0, false);
        using var ms = new MemoryStream();
        new RdbWriter(ms).WriteSnapshot([new Database(0), new Database(1), db], RdbWriter.StandardAux(Now, 1000), Now);
        var r = Load(ms.ToArray());
        Assert.Equal("text", Get(r, 2, "s"));
        Assert.Equal("-300", Get(r, 2, "n"));
        Assert.Equal(Now + 10, ExpireOf(r, 2, "n"));
        Assert.Equal(20000, Get(r, 2, "big")!.Length);
    }

    [Fact]
    public void RandomlyMutatedFilesEitherLoadOrFailCleanly()
    {
        var rng = new Random(12345);
        var b = new Builder().Aux("redis-ver", "7.0.15").Raw(0xFE, 1).Raw(0xFB, 3, 1)
            .Key("a", "hello").ExpireMs(Now + 5000).Key("b", "world").Raw(0).Str("n").Raw(0xC1, 0x39, 0x30)
            .Raw(0).Str("z").Raw(0xC3, 5, 10, 0x00, 0x61, 0xE0, 0x00, 0x00);
        var good = b.Finish();
        int loaded = 0, failed = 0;
        for (int i = 0; i < 3000; i++)
        {
            var data = (byte[])good.Clone();
            int flips = rng.Next(1, 4);
            for (int f = 0; f < flips; f++)
            {
                data[rng.Next(data.Length)] = (byte)rng.Next(256);
            }

            if (rng.Next(4) == 0)
            {
                data = data.AsSpan(0, rng.Next(data.Length)).ToArray();
            }

            try
            {
                Load(data, verify: rng.Next(2) == 0);
                loaded++;
            }
            catch (RdbLoadException e)
            {
                Assert.StartsWith("test.rdb: ", e.Message);
                Assert.InRange(e.Offset, 0, data.Length);
                failed++;
            }
        }

        Assert.True(failed > 0);
        Assert.True(loaded > 0);
    }

    [Fact]
    public void OpcodeAndTypeIdsMatchRedis()
    {
        Assert.Equal(
            [245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255, 0],
            new[]
            {
                RdbFormat.Function2, RdbFormat.FunctionPreGa, RdbFormat.ModuleAux, RdbFormat.Idle, RdbFormat.Freq, RdbFormat.Aux,
                RdbFormat.ResizeDb, RdbFormat.ExpireTimeMs, RdbFormat.ExpireTime, RdbFormat.SelectDb, RdbFormat.Eof, RdbFormat.TypeString,
            });
        string[] names = ["string", "list-linked", "set-hashtable", "zset-v1", "hash-hashtable", "zset-v2", "module-pre-release", "module-value", "unknown", "hash-zipmap", "list-ziplist", "set-intset", "zset-ziplist", "hash-ziplist", "quicklist", "stream", "hash-listpack", "zset-listpack", "quicklist-v2"];
        for (int i = 0; i < names.Length; i++)
        {
            Assert.Equal(names[i], RdbFormat.TypeName(i));
        }
    }
}
