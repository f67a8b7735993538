using System.Text;

using Cinnabar.Server.Diagnostics;
using Cinnabar.Server.Persistence.Rdb;
using Cinnabar.Server.Storage.Types;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

/// <summary>Sets through the dispatcher: encodings, propagation of SPOP, RDB round trips.</summary>
public class SetCommandTests
{
    [Fact]
    public void SpopIsPropagatedAsSremOfWhatItPoppedOrDelWhenItTookEverything()
    {
        var h = new ServerHarness();
        var sink = RecordingSink.AttachTo(h);
        h.Run("SADD", "s", "a", "b", "c");
        var popped = h.Run("SPOP", "s");
        string member = popped.Split("\r\n")[1];
        Assert.Equal($"0|SREM s {member}", sink.Ops[^1]);
        h.Run("SPOP", "s", "1");
        Assert.Matches("^0\\|SREM s [abc]$", sink.Ops[^1]);
        h.Run("SPOP", "s", "5");
        Assert.Equal("0|DEL s", sink.Ops[^1]);
        Assert.Equal(":0\r\n", h.Run("EXISTS", "s"));
    }

    [Fact]
    public void ASetOfIntegersIsAnIntsetUntilANonIntegerOrTheEntryLimit()
    {
        var h = new ServerHarness(c => c.SetMaxIntsetEntries = 3);
        h.Run("SADD", "s", "3", "1", "2");
        Assert.Equal("$6\r\nintset\r\n", h.Run("OBJECT", "ENCODING", "s"));
        Assert.Equal("*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", h.Run("SMEMBERS", "s"));
        h.Run("SADD", "s", "4");
        Assert.Equal("$9\r\nhashtable\r\n", h.Run("OBJECT", "ENCODING", "s"));
        h.Run("SADD", "t", "1", "x");
        Assert.Equal("$9\r\nhashtable\r\n", h.Run("OBJECT", "ENCODING", "t"));
        h.Run("SADD", "u", "007");
        Assert.Equal("$9\r\nhashtable\r\n", h.Run("OBJECT", "ENCODING", "u"));
    }

    [Fact]
    public void SetsOfBothEncodingsSurviveAnRdbRoundTripWithTheSameDigest()
    {
        var h = new ServerHarness();
        h.Run("SADD", "small", "1", "-40000", "9223372036854775807");
        h.Run("SADD", "words", "a", "b", string.Empty);
        using var ms = new MemoryStream();
        new RdbWriter(ms).WriteSnapshot(h.Server.Databases, RdbWriter.StandardAux(0, 0), 0);
        var loaded = RdbReader.Load(ms.ToArray(), new RdbLoadOptions { DatabaseCount = 16 });
        Assert.Equal(Digest.Dataset(h.Server.Databases), Digest.Dataset(loaded.Databases));
        Assert.True(((SetValue)loaded.Databases[0].FindRaw("small"u8).Data!).IsIntset);
    }

    [Fact]
    public void RandomAddsAndRemovesMatchAHashSetAcrossTheConversion()
    {
        var rng = new Random(9);
        var set = new SetValue("s"u8.ToArray());
        var model = new HashSet<string>();
        for (int i = 0; i < 3000; i++)
        {
            string m = i > 2000 && rng.Next(10) == 0 ? "w" + rng.Next(50) : rng.Next(-300, 300).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (rng.Next(3) == 0)
            {
                Assert.Equal(model.Remove(m), set.Remove(Encoding.ASCII.GetBytes(m)));
            }
            else
            {
                Assert.Equal(model.Add(m), set.Add(Encoding.ASCII.GetBytes(m), 512));
            }

            Assert.Equal(model.Count, set.Count);
        }

        Assert.Equal(model.Order(StringComparer.Ordinal), set.Members().Select(Encoding.ASCII.GetString).Order(StringComparer.Ordinal));
    }
}
