using System.Text;

using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Tests;

/// <summary>The hash value in both encodings against a Dictionary model.</summary>
public class HashValueTests
{
    [Fact]
    public void RandomSetsAndRemovesMatchADictionaryAcrossTheEncodingConversion()
    {
        var rng = new Random(5);
        var hash = new HashValue("h"u8.ToArray());
        var model = new Dictionary<string, string>();
        for (int step = 0; step < 3000; step++)
        {
            var field = "f" + rng.Next(300);
            if (rng.Next(3) == 0)
            {
                Assert.Equal(model.Remove(field), hash.Remove(Encoding.ASCII.GetBytes(field)));
            }
            else
            {
                var value = new string('v', rng.Next(step > 2000 ? 80 : 40));
                Assert.Equal(!model.ContainsKey(field), hash.Set(Encoding.ASCII.GetBytes(field), Encoding.ASCII.GetBytes(value), 128, 64));
                model[field] = value;
            }

            Assert.Equal(model.Count, hash.Count);
        }

        Assert.False(hash.IsListpack);
        foreach (var (f, v) in model)
        {
            Assert.True(hash.TryGet(Encoding.ASCII.GetBytes(f), out var got));
            Assert.Equal(v, Encoding.ASCII.GetString(got));
        }
    }

    [Fact]
    public void ASmallHashStaysListpackUntilTheEntryLimitIsPassed()
    {
        var hash = new HashValue("h"u8.ToArray());
        hash.Set("a"u8, "1"u8, 2, 64);
        hash.Set("b"u8, "2"u8, 2, 64);
        Assert.Equal("listpack", hash.Encoding);
        hash.Set("b"u8, "3"u8, 2, 64);
        Assert.Equal("listpack", hash.Encoding);
        hash.Set("c"u8, "3"u8, 2, 64);
        Assert.Equal("hashtable", hash.Encoding);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(16384)]
    public void TheKeyKeptInTheListpackArraySurvivesGrowthRenamesTrimmingAndConversion(int keyLength)
    {
        var key = new byte[keyLength];
        Random.Shared.NextBytes(key);
        var hash = new HashValue(key, capacity: 3);
        Assert.True(hash.Key.SequenceEqual(key));
        for (int i = 0; i < 30; i++)
        {
            hash.Set(Encoding.ASCII.GetBytes("field-" + i), Encoding.ASCII.GetBytes("value-" + i), 64, 64);
            hash.Set(Encoding.ASCII.GetBytes("field-" + i), Encoding.ASCII.GetBytes("a longer value-" + i), 64, 64);
            Assert.True(hash.Key.SequenceEqual(key));
        }

        hash.TrimExcess();
        Assert.True(hash.Key.SequenceEqual(key));
        Assert.True(hash.Remove("field-0"u8));
        Assert.True(hash.TryGet("field-29"u8, out var last));
        Assert.Equal("a longer value-29", Encoding.ASCII.GetString(last));
        var renamed = Encoding.ASCII.GetBytes("renamed");
        hash.ChangeKey(renamed);
        Assert.True(hash.Key.SequenceEqual(renamed));
        var copy = (HashValue)hash.CloneWithKey(key);
        Assert.True(copy.Key.SequenceEqual(key));
        Assert.Equal(29, copy.Count);
        hash.ConvertToHashtable();
        Assert.True(hash.Key.SequenceEqual(renamed));
        hash.ChangeKey(key);
        Assert.True(hash.Key.SequenceEqual(key));
        var bigCopy = (HashValue)hash.CloneWithKey(renamed);
        Assert.Equal("hashtable", bigCopy.Encoding);
        Assert.True(bigCopy.Key.SequenceEqual(renamed));
        Assert.True(bigCopy.TryGet("field-29"u8, out last));
        Assert.Equal("a longer value-29", Encoding.ASCII.GetString(last));
        Assert.True(copy.TryGet("field-1"u8, out var first));
        Assert.Equal("a longer value-1", Encoding.ASCII.GetString(first));
    }
}
