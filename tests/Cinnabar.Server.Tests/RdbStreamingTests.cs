using System.Buffers.Binary;
using System.Text;

using Cinnabar.Server.Persistence.Rdb;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Tests;

/// <summary>The reader over streams: same results and errors as over bytes, bounded memory, large values across its window.</summary>
public class RdbStreamingTests
{
    private const long Now = 1_700_000_000_000;

    /// <summary>A stream that is not seekable (a socket's view) and hands out 1 to 3 bytes per read.</summary>
    private sealed class TrickleStream(byte[] data) : Stream
    {
        private int _pos;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _pos; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, 1 + (_pos % 3)), data.Length - _pos);
            Array.Copy(data, _pos, buffer, offset, n);
            _pos += n;
            return n;
        }

        public override void Flush() => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static RdbLoadOptions Options() => new() { FileName = "test.rdb", NowMs = Now };

    private static byte[] Snapshot(params (string Key, byte[] Value)[] keys)
    {
        var db = new Database(0);
        foreach (var (k, v) in keys)
        {
            db.SetString(Encoding.ASCII.GetBytes(k), v, 0, false);
        }

        using var ms = new MemoryStream();
        new RdbWriter(ms).WriteSnapshot([db], RdbWriter.StandardAux(Now, 1000), Now);
        return ms.ToArray();
    }

    private static string Outcome(Func<RdbLoadResult> load)
    {
        try
        {
            var r = load();
            return $"ok {r.KeysLoaded} {r.Length}";
        }
        catch (RdbLoadException e)
        {
            return $"error {e.Message} short={e.ShortRead}";
        }
    }

    [Fact]
    public void ValuesLargerThanTheWindowLoadFromAStreamWithTheirChecksum()
    {
        var big = new byte[300_000];
        new Random(7).NextBytes(big);
        var data = Snapshot(("big", big), ("small", "x"u8.ToArray()));
        var r = RdbReader.Load(new TrickleStream(data), Options());
        Assert.True(r.ChecksumVerified);
        Assert.Equal(big, Entry.StringValue(r.Databases[0].FindRaw("big"u8).Data!).ToArray());
        Assert.Equal(data.Length, r.Length);
    }

    [Fact]
    public void AFileStreamsToTheSameResultAsItsBytes()
    {
        var data = Snapshot(("a", "1"u8.ToArray()), ("b", Encoding.ASCII.GetBytes(new string('z', 100_000))));
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, data);
            Assert.Equal(Outcome(() => RdbReader.Load(data, Options())), Outcome(() => RdbReader.LoadFile(file, Options())));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void TruncatedAndMutatedImagesFailTheSameWayFromASeekableStream()
    {
        var rng = new Random(99);
        var good = Snapshot(("a", "hello"u8.ToArray()), ("n", "12345"u8.ToArray()), ("z", Encoding.ASCII.GetBytes(new string('q', 200))));
        for (int i = 0; i < 1500; i++)
        {
            var data = (byte[])good.Clone();
            if (i < good.Length)
            {
                data = data.AsSpan(0, i).ToArray();
            }
            else
            {
                data[rng.Next(data.Length)] = (byte)rng.Next(256);
            }

            Assert.Equal(Outcome(() => RdbReader.Load(data, Options())), Outcome(() => RdbReader.Load(new MemoryStream(data), Options())));
        }
    }

    [Fact]
    public void TruncatedAndMutatedImagesFailCleanlyFromAnUnseekableStream()
    {
        var rng = new Random(5);
        var good = Snapshot(("a", "hello"u8.ToArray()), ("z", Encoding.ASCII.GetBytes(new string('q', 200))));
        for (int i = 0; i < 1500; i++)
        {
            var data = (byte[])good.Clone();
            if (i < good.Length)
            {
                data = data.AsSpan(0, i).ToArray();
            }
            else
            {
                data[rng.Next(data.Length)] = (byte)rng.Next(256);
            }

            string expected = Outcome(() => RdbReader.Load(data, Options()));
            string actual = Outcome(() => RdbReader.Load(new TrickleStream(data), Options()));
            Assert.Equal(expected.Split(' ')[0], actual.Split(' ')[0]);
            if (expected.StartsWith("ok", StringComparison.Ordinal))
            {
                Assert.Equal(expected, actual);
            }
        }
    }

    [Fact]
    public void AnAbsurdLengthOverAnUnseekableStreamFailsWithoutAllocatingIt()
    {
        var b = new List<byte>("REDIS0010"u8.ToArray()) { 0, 1, (byte)'k', 0x81 };
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(len, 1L << 40);
        b.AddRange(len);
        b.AddRange(new byte[100]);
        var e = Assert.Throws<RdbLoadException>(() => RdbReader.Load(new TrickleStream([.. b]), Options()));
        Assert.Contains("too long", e.Message);
        BinaryPrimitives.WriteUInt64BigEndian(len, 1_500_000_000);
        var b2 = new List<byte>("REDIS0010"u8.ToArray()) { 0, 1, (byte)'k', 0x81 };
        b2.AddRange(len);
        b2.AddRange(new byte[100]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        e = Assert.Throws<RdbLoadException>(() => RdbReader.Load(new TrickleStream([.. b2]), Options()));
        Assert.True(e.ShortRead);
        Assert.Contains("only 100 bytes left", e.Message);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 16L << 20);
    }

    [Fact]
    public void ProgressIsReportedAtTheConfiguredInterval()
    {
        var data = Snapshot([.. Enumerable.Range(0, 200).Select(i => ($"key:{i}", Encoding.ASCII.GetBytes(new string('v', 100))))]);
        var seen = new List<long>();
        int keys = 0;
        RdbReader.Load(data, new RdbLoadOptions { FileName = "t", NowMs = Now, ProgressIntervalBytes = 1024, OnProgress = (pos, _) => seen.Add(pos), AfterKey = () => keys++ });
        Assert.Equal(200, keys);
        Assert.InRange(seen.Count, (data.Length / 1024) - 2, (data.Length / 1024) + 1);
        Assert.True(seen.SequenceEqual(seen.Order()));
    }

    [Fact]
    public void BytesAfterTheRdbInAStreamAreHandedBack()
    {
        var data = Snapshot(("a", "1"u8.ToArray()));
        var tail = "0123456789abcdef0123456789abcdef01234567+rest of the stream"u8.ToArray();
        var r = RdbReader.Load(new TrickleStream([.. data, .. tail]), Options());
        Assert.Equal(data.Length, r.Length);
        Assert.True(tail.AsSpan().StartsWith(r.Unconsumed));
        var whole = RdbReader.Load(new BufferedStream(new MemoryStream([.. data, .. tail])), Options());
        Assert.Equal(tail, whole.Unconsumed);
    }

    [Fact]
    public void MergeLetsALaterDuplicateWin()
    {
        var b = new List<byte>("REDIS0010"u8.ToArray()) { 0, 1, (byte)'k', 1, (byte)'1', 0, 1, (byte)'k', 1, (byte)'2', 0xFF };
        b.AddRange(new byte[8]);
        var r = RdbReader.Load([.. b], new RdbLoadOptions { FileName = "t", NowMs = Now, AllowDuplicates = true });
        Assert.Equal(1, r.KeysLoaded);
        Assert.Equal("2"u8.ToArray(), Entry.StringValue(r.Databases[0].FindRaw("k"u8).Data!).ToArray());
    }
}
