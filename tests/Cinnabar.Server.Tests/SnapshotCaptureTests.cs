using System.Runtime.CompilerServices;
using System.Text;

using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Tests;

/// <summary>
/// Serialize-before-mutate on the key table: whatever happens to the table after a capture
/// begins (writes, deletes, resizes, rehash steps, clears), every key that existed at that moment
/// reaches the sink exactly once with the value it had then, and nothing else does.
/// </summary>
public class SnapshotCaptureTests
{
    [Fact]
    public void UntouchedTableIsSerializedByTheTraversalAlone()
    {
        var table = Fill(1000, "v");
        var sink = new RecordingSink();
        var capture = table.BeginCapture(sink, 3);
        while (!capture.SerializeNext(64))
        {
        }

        Assert.Equal(1000, sink.Keys.Count);
        Assert.All(sink.Keys, kv => Assert.Equal(3, kv.Value.Db));
        Assert.Equal("v17", sink.Keys["k17"].Value);
    }

    [Fact]
    public void OverwrittenKeyIsSerializedWithItsOldValueBeforeTheWrite()
    {
        var table = Fill(100, "old");
        var sink = new RecordingSink();
        var capture = table.BeginCapture(sink, 0);
        Set(table, "k5", "new");
        Assert.Equal("old5", sink.Keys["k5"].Value);
        while (!capture.SerializeNext(10))
        {
        }

        Assert.Equal("old5", sink.Keys["k5"].Value);
        Assert.Equal(100, sink.Keys.Count);
    }

    [Fact]
    public void ASameLengthOverwriteInPlaceStillLeavesTheOldValueToTheSnapshot()
    {
        // Database.SetString writes a value of the same length into the existing entry.
        var db = new Database(0);
        for (int i = 0; i < 200; i++)
        {
            db.SetString(Encoding.UTF8.GetBytes("k" + i), Encoding.UTF8.GetBytes($"old{i:000}"), 0, keepTtl: false);
        }

        var sink = new RecordingSink();
        var capture = db.Table.BeginCapture(sink, 0);
        var entryBefore = db.FindRaw("k42"u8).Data;
        db.SetString("k42"u8, "new042"u8, 0, keepTtl: false);
        Assert.Same(entryBefore, db.FindRaw("k42"u8).Data);
        Assert.Equal("new042", Encoding.UTF8.GetString(Entry.StringValue(db.FindRaw("k42"u8).Data!)));
        while (!capture.SerializeNext(16))
        {
        }

        Assert.Equal("old042", sink.Keys["k42"].Value);
        Assert.Equal(200, sink.Keys.Count);
    }

    [Fact]
    public void KeysAddedAfterTheCaptureAreNotInTheSnapshot()
    {
        var table = Fill(10, "v");
        var sink = new RecordingSink();
        var capture = table.BeginCapture(sink, 0);
        for (int i = 10; i < 5000; i++)
        {
            Set(table, "k" + i, "late");
        }

        while (!capture.SerializeNext(7))
        {
        }

        Assert.Equal(10, sink.Keys.Count);
        Assert.DoesNotContain(sink.Keys.Values, v => v.Value == "late");
    }

    [Fact]
    public void AClearedTableStillYieldsItsCapturedContents()
    {
        var table = Fill(300, "v");
        var sink = new RecordingSink();
        var capture = table.BeginCapture(sink, 0);
        capture.SerializeNext(5);
        table.Clear();
        Set(table, "k1", "after");
        while (!capture.SerializeNext(5))
        {
        }

        Assert.Equal(300, sink.Keys.Count);
        Assert.Equal("v1", sink.Keys["k1"].Value);
    }

    [Fact]
    public void AReleasedCaptureStopsSerializing()
    {
        var table = Fill(50, "v");
        var sink = new RecordingSink();
        var capture = table.BeginCapture(sink, 0);
        capture.Release();
        Set(table, "k1", "x");
        Assert.True(table.Remove("k2"u8, out _));
        Assert.Empty(sink.Keys);
        Assert.True(capture.Done);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void RandomWorkloadDuringCaptureYieldsExactlyThePointInTimeDataset(int seed)
    {
        var random = new Random(seed);
        var table = new KeyTable();
        var model = new Dictionary<string, (string Value, long Expire)>();
        int fill = random.Next(500, 3000);
        for (int i = 0; i < fill; i++)
        {
            Apply(table, model, random);
        }

        // Start in the middle of a rehash sometimes: both tables are captured then.
        if (seed % 2 == 0)
        {
            for (int i = 0; i < 3000; i++)
            {
                Set(table, "grow" + i, "g");
                model["grow" + i] = ("g", 0);
                if (table.IsRehashing && random.Next(4) == 0)
                {
                    break;
                }
            }
        }

        var expected = new Dictionary<string, (string Value, long Expire)>(model);
        var sink = new RecordingSink();
        var capture = table.BeginCapture(sink, 1);

        while (!capture.Done)
        {
            for (int i = random.Next(0, 60); i > 0; i--)
            {
                Apply(table, model, random);
            }

            capture.SerializeNext(random.Next(1, 40));

        }

        Assert.Equal(expected.Count, sink.Keys.Count);
        foreach (var (key, (value, expire)) in expected)
        {
            Assert.True(sink.Keys.TryGetValue(key, out var got), key);
            Assert.Equal(value, got.Value);
            Assert.Equal(expire, got.Expire);
        }

        // The table itself holds the model's current state.
        Assert.Equal(model.Count, table.Count);
        foreach (var (key, (value, _)) in model)
        {
            ref Slot s = ref table.Find(Encoding.UTF8.GetBytes(key));
            Assert.False(Unsafe.IsNullRef(ref s));
            Assert.Equal(value, Encoding.UTF8.GetString(Entry.StringValue(s.Data!)));
        }
    }

    private static void Apply(KeyTable table, Dictionary<string, (string Value, long Expire)> model, Random random)
    {
        string key = "k" + random.Next(0, 4000);
        switch (random.Next(0, 20))
        {
            case < 9:
                string value = "v" + random.Next();
                Set(table, key, value);
                model[key] = (value, model.TryGetValue(key, out var old) ? old.Expire : 0);
                break;
            case < 14:
                bool removed = table.Remove(Encoding.UTF8.GetBytes(key), out _);
                Assert.Equal(model.Remove(key), removed);
                break;
            case < 17:
                ref Slot s = ref table.Find(Encoding.UTF8.GetBytes(key));
                if (!Unsafe.IsNullRef(ref s))
                {
                    s.Expire = random.Next(1, 1000);
                    model[key] = (model[key].Value, s.Expire);
                }

                break;
            case 17:
                table.RehashStep(random.Next(1, 50));
                break;
            case 18:
                table.ShrinkIfNeeded();
                break;
            default:
                if (random.Next(0, 40) == 0)
                {
                    table.Clear();
                    model.Clear();
                }

                break;
        }
    }

    private static KeyTable Fill(int n, string prefix)
    {
        var table = new KeyTable();
        for (int i = 0; i < n; i++)
        {
            Set(table, "k" + i, prefix + i);
        }

        return table;
    }

    private static void Set(KeyTable table, string key, string value)
    {
        var k = Encoding.UTF8.GetBytes(key);
        var data = Entry.MakeString(k, Encoding.UTF8.GetBytes(value));
        ref Slot s = ref table.Find(k);
        if (Unsafe.IsNullRef(ref s))
        {
            table.Insert(k, data);
        }
        else
        {
            s.Data = data;
        }
    }

    private sealed class RecordingSink : ISnapshotSink
    {
        public Dictionary<string, (int Db, string Value, long Expire)> Keys { get; } = [];

        public void Add(int db, object data, long expire)
        {
            string key = Encoding.UTF8.GetString(Entry.KeyOf(data));
            Assert.True(Keys.TryAdd(key, (db, Encoding.UTF8.GetString(Entry.StringValue(data)), expire)), $"{key} serialized twice");
        }
    }
}
