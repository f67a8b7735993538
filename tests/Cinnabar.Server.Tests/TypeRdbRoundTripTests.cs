using System.Text;

using Cinnabar.Server.Diagnostics;
using Cinnabar.Server.Persistence.Rdb;
using Cinnabar.Server.Storage;
using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Tests;

/// <summary>Lists and hashes through RdbWriter and RdbReader, and the listpack codec against Redis's encodings.</summary>
public class TypeRdbRoundTripTests
{
    [Fact]
    public void ListsAndHashesSurviveAWriteAndReadWithTheSameDigest()
    {
        var db = new Database(0);
        var list = new ListValue("l"u8.ToArray(), -2);
        for (int i = 0; i < 5000; i++)
        {
            list.Push(Encoding.ASCII.GetBytes(i % 3 == 0 ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : "e" + new string('x', i % 90)), head: i % 2 == 0);
        }

        db.Add("l"u8, list, 0);
        var small = new HashValue("h"u8.ToArray());
        small.Set("a"u8, "1"u8, 512, 64);
        small.Set("b"u8, "-9223372036854775808"u8, 512, 64);
        db.Add("h"u8, small, 1_900_000_000_000);
        var big = new HashValue("H"u8.ToArray());
        for (int i = 0; i < 700; i++)
        {
            big.Set(Encoding.ASCII.GetBytes("f" + i), Encoding.ASCII.GetBytes("v" + i), 512, 64);
        }

        db.Add("H"u8, big, 0);
        using var ms = new MemoryStream();
        new RdbWriter(ms).WriteSnapshot([db], RdbWriter.StandardAux(0, 0), 0);
        var loaded = RdbReader.Load(ms.ToArray(), new RdbLoadOptions { DatabaseCount = 1, NowMs = 0 });
        Assert.Equal(Digest.Dataset([db]), Digest.Dataset(loaded.Databases));
        Assert.Equal("listpack", ((HashValue)loaded.Databases[0].FindRaw("h"u8).Data!).Encoding);
        Assert.Equal("hashtable", ((HashValue)loaded.Databases[0].FindRaw("H"u8).Data!).Encoding);
    }

    [Theory]
    [InlineData("HSET")]
    [InlineData("ZADD")]
    public void ARestoredListpackTakesNoMoreMemoryThanOneBuiltByOneCommand(string command)
    {
        var h = new Infrastructure.ServerHarness();
        var args = Enumerable.Range(0, 20).SelectMany(i => new[] { i.ToString(System.Globalization.CultureInfo.InvariantCulture), "element:" + i }).ToArray();
        h.Run([command, "a", .. args]);
        var dump = h.Run("DUMP", "a");
        var payload = Encoding.Latin1.GetBytes(dump[(dump.IndexOf('\n', StringComparison.Ordinal) + 1)..^2]);
        h.Client.Output.Clear();
        lock (h.Server.Gate)
        {
            h.Server.Dispatcher.Process(h.Client, Cinnabar.Protocol.CommandArgs.From("RESTORE"u8.ToArray(), "b"u8.ToArray(), "0"u8.ToArray(), payload));
        }

        Assert.Equal("+OK\r\n", Encoding.Latin1.GetString(h.Client.Output.WrittenSpan));
        Assert.Equal("$8\r\nlistpack\r\n", h.Run("OBJECT", "ENCODING", "b"));
        Assert.Equal(h.Run("MEMORY", "USAGE", "a"), h.Run("MEMORY", "USAGE", "b"));
        Assert.Equal(h.Run("DEBUG", "DIGEST-VALUE", "a"), h.Run("DEBUG", "DIGEST-VALUE", "b"));
        Assert.Equal("+OK\r\n", h.Run("RENAME", "b", "a-much-longer-name-than-before-" + new string('x', 200)));
        Assert.Equal(h.Run("DEBUG", "DIGEST-VALUE", "a"), h.Run("DEBUG", "DIGEST-VALUE", "a-much-longer-name-than-before-" + new string('x', 200)));
    }

    [Fact]
    public void ListpackEntriesUseRedisEncodingsAndBacklens()
    {
        var lp = new ListpackBuilder();
        lp.Append("7"u8);
        lp.Append("-1"u8);
        lp.Append("300"u8);
        lp.Append("ab"u8);
        lp.Append("007"u8);
        byte[] blob = lp.ToArray();
        byte[] expected =
        [
            30, 0, 0, 0, 5, 0,
            0x07, 1,
            0xDF, 0xFF, 2,
            0xC1, 0x2C, 2,
            0x82, (byte)'a', (byte)'b', 3,
            0x83, (byte)'0', (byte)'0', (byte)'7', 4,
            0xFF,
        ];
        expected[0] = (byte)expected.Length;
        Assert.Equal(expected, blob);
        var r = new ListpackReader(blob);
        Assert.Equal("7"u8.ToArray(), r.NextBytes());
        Assert.Equal("-1"u8.ToArray(), r.NextBytes());
        Assert.Equal("300"u8.ToArray(), r.NextBytes());
        Assert.Equal("ab"u8.ToArray(), r.NextBytes());
        Assert.Equal("007"u8.ToArray(), r.NextBytes());
        Assert.Null(r.NextBytes());
        Assert.True(r.Valid);
    }

    [Fact]
    public void ACorruptListpackIsALoadErrorNotACrash()
    {
        var lp = new ListpackBuilder();
        lp.Append("abc"u8);
        var blob = lp.ToArray();
        blob[6] = 0x8F; // claims 15 bytes of string
        using var ms = new MemoryStream();
        var w = new RdbWriter(ms);
        w.WriteHeader([]);
        w.WriteByte(RdbFormat.TypeListQuicklist2);
        w.String("k"u8);
        w.Length(1);
        w.Length(2);
        w.String(blob);
        w.WriteFooter();
        var e = Assert.Throws<RdbLoadException>(() => RdbReader.Load(ms.ToArray(), new RdbLoadOptions { DatabaseCount = 1 }));
        Assert.Contains("listpack integrity check failed", e.Problem, StringComparison.Ordinal);
    }
}
