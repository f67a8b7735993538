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
}
