using System.Text;

using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Tests;

public class KeyTableTests
{
    private static byte[] K(int i) => Encoding.ASCII.GetBytes("key:" + i);

    [Fact]
    public void KeysSurviveGrowthAndIncrementalRehash()
    {
        var t = new KeyTable();
        for (int i = 0; i < 10000; i++)
        {
            t.Insert(K(i), Entry.MakeString(K(i), Encoding.ASCII.GetBytes("v" + i)));
        }

        Assert.Equal(10000, t.Count);
        for (int i = 0; i < 10000; i++)
        {
            ref Slot s = ref t.Find(K(i));
            Assert.False(System.Runtime.CompilerServices.Unsafe.IsNullRef(ref s));
            Assert.Equal("v" + i, Encoding.ASCII.GetString(Entry.StringValue(s.Data!)));
        }
    }

    [Fact]
    public void ScanReturnsEveryKeyPresentForTheWholeScanEvenWhileTheTableGrowsAndShrinks()
    {
        var t = new KeyTable();
        for (int i = 0; i < 500; i++)
        {
            t.Insert(K(i), Entry.MakeString(K(i), []));
        }

        var seen = new HashSet<string>();
        ulong cursor = 0;
        int step = 0;
        do
        {
            cursor = t.Scan(cursor, (data, _) => seen.Add(Encoding.ASCII.GetString(Entry.KeyOf(data))));
            step++;
            if (step == 20)
            {
                for (int i = 500; i < 3000; i++)
                {
                    t.Insert(K(i), Entry.MakeString(K(i), []));
                }
            }

            if (step == 60)
            {
                for (int i = 500; i < 3000; i++)
                {
                    t.Remove(K(i), out _);
                }

                t.ShrinkIfNeeded();
            }
        }
        while (cursor != 0);

        for (int i = 0; i < 500; i++)
        {
            Assert.Contains("key:" + i, seen);
        }
    }

    [Fact]
    public void RemovedKeysAreGoneAndOthersRemain()
    {
        var t = new KeyTable();
        for (int i = 0; i < 1000; i++)
        {
            t.Insert(K(i), Entry.MakeString(K(i), []));
        }

        for (int i = 0; i < 1000; i += 2)
        {
            Assert.True(t.Remove(K(i), out _));
        }

        Assert.Equal(500, t.Count);
        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(i % 2 == 1, !System.Runtime.CompilerServices.Unsafe.IsNullRef(ref t.Find(K(i))));
        }
    }
}
