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
    public void InsertOrFindAddsOnlyAbsentKeysAndHandsBackTheExistingSlot()
    {
        var t = new KeyTable();
        for (int i = 0; i < 5000; i++)
        {
            ref Slot s = ref t.InsertOrFind(K(i), Entry.MakeString(K(i), Encoding.ASCII.GetBytes("v" + i)), out bool added);
            Assert.True(added);
            s.Expire = i;
        }

        for (int i = 0; i < 5000; i += 7)
        {
            ref Slot s = ref t.InsertOrFind(K(i), Entry.MakeString(K(i), "other"u8), out bool added);
            Assert.False(added);
            Assert.Equal(i, s.Expire);
            Assert.Equal("v" + i, Encoding.ASCII.GetString(Entry.StringValue(s.Data!)));
        }

        Assert.Equal(5000, t.Count);
    }

    [Fact]
    public void WritingTheLruClockOfEverySlotDoesNotHideKeys()
    {
        // The LRU field shares its int with the hash tag used by lookups.
        var t = new KeyTable();
        for (int i = 0; i < 3000; i++)
        {
            t.Insert(K(i), Entry.MakeString(K(i), []));
        }

        for (int i = 0; i < 3000; i++)
        {
            ref Slot s = ref t.Find(K(i));
            s.Lru = -1;
            Assert.Equal(0xFFFFFF, s.Lru);
            s.Lru = i;
        }

        t.RehashFor(100);
        for (int i = 0; i < 3000; i++)
        {
            ref Slot s = ref t.Find(K(i));
            Assert.False(System.Runtime.CompilerServices.Unsafe.IsNullRef(ref s));
            Assert.Equal(i, s.Lru);
            Assert.True(t.Remove(K(i), out _));
        }

        Assert.Equal(0, t.Count);
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
