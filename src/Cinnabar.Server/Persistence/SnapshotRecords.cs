// The hand-off between the executor and a snapshot's encoder thread. On the executor, a captured
// key is copied into a record (database, expiry, key, value) in a chunk; full chunks are queued
// for the encoder, which turns records into RDB (integer and LZF encodings, CRC64) off the
// executor. Copying is the only per-key cost a write pays for a snapshot in progress; strings are
// copied as they are, other types as their RDB type byte and payload (RdbWriter.WriteValue).
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

using Cinnabar.Server.Persistence.Rdb;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Persistence;

/// <summary>Record chunks queued from the executor to the encoder.</summary>
internal sealed class SnapshotRecords
{
    public const byte KindString = 0;
    public const byte KindEncoded = 1;
    private const int ChunkSize = 16 * 1024;

    private const int MaxFreeChunks = 48;

    // Shared by every snapshot of the process (one runs at a time, plus a replica sync's): a
    // finished snapshot's chunks serve the next one instead of becoming garbage.
    private static readonly Stack<Chunk> s_free = new();

    private readonly Queue<Chunk> _queue = new();
    private readonly object _lock = new();
    private readonly bool _compress;
    private MemoryStream? _valueBytes;
    private RdbWriter? _valueWriter;
    private Chunk _current = Rent();
    private long _queuedBytes;
    private bool _completed;

    /// <param name="compress">rdbcompression, for the strings inside other types' payloads.</param>
    public SnapshotRecords(bool compress)
    {
        _compress = compress;
    }

    /// <summary>Bytes of records waiting for the encoder (the snapshot's extra memory).</summary>
    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>Records added so far (keys captured).</summary>
    public long Count { get; private set; }

    /// <summary>Appends one key's record and returns its size in bytes. Executor only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Add(int db, object data, long expire)
    {
        int size;
        if (Entry.IsString(data))
        {
            size = Append(db, expire, KindString, Entry.KeyOf(data), Entry.StringValue(data));
        }
        else
        {
            // One payload writer per snapshot: a write load must not cost a writer and its
            // buffer per copied key (garbage the GC would turn into peak memory).
            _valueBytes ??= new MemoryStream();
            _valueWriter ??= new RdbWriter(_valueBytes, _compress, checksum: false);
            _valueBytes.SetLength(0);
            _valueWriter.WriteValue(data);
            size = Append(db, expire, KindEncoded, Entry.KeyOf(data), _valueBytes.GetBuffer().AsSpan(0, (int)_valueBytes.Length));
            if (_valueBytes.Capacity > ChunkSize)
            {
                _valueBytes = null;
                _valueWriter = null;
            }
        }

        Count++;
        return size;
    }

    /// <summary>Queues the chunk being filled so the encoder can start on it. Executor only.</summary>
    public void Flush()
    {
        if (_current.Length == 0)
        {
            return;
        }

        lock (_lock)
        {
            _queue.Enqueue(_current);
            _queuedBytes += _current.Length;
            Monitor.PulseAll(_lock);
        }

        _current = Rent();
    }

    /// <summary>Hands an encoded chunk back for reuse. Encoder only.</summary>
    public static void Return(Chunk chunk)
    {
        if (chunk.Data.Length != ChunkSize)
        {
            return;
        }

        lock (s_free)
        {
            if (s_free.Count < MaxFreeChunks)
            {
                chunk.Length = 0;
                s_free.Push(chunk);
            }
        }
    }

    // Chunks are reused rather than left to the GC: under a heavy write load a chunk can wait in
    // the queue long enough to be promoted, and dead promoted chunks would grow the old
    // generation (the process's peak memory) until a full collection.
    private static Chunk Rent()
    {
        lock (s_free)
        {
            if (s_free.TryPop(out var c))
            {
                return c;
            }
        }

        return new Chunk(ChunkSize);
    }

    /// <summary>Flushes and marks the end: the encoder finishes once the queue drains.</summary>
    public void Complete()
    {
        Flush();
        lock (_lock)
        {
            _completed = true;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>The next chunk for the encoder, waiting for one; null at the end (all taken) or when cancelled.</summary>
    public Chunk? Take(Func<bool> cancelled)
    {
        lock (_lock)
        {
            while (_queue.Count == 0 || cancelled())
            {
                if (_completed || cancelled())
                {
                    return null;
                }

                Monitor.Wait(_lock, 50);
            }

            var c = _queue.Dequeue();
            _queuedBytes -= c.Length;
            Monitor.PulseAll(_lock);
            return c;
        }
    }

    /// <summary>The next queued chunk, or null when none is queued now. Encoder only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Chunk? TryTake()
    {
        lock (_lock)
        {
            if (_queue.Count == 0)
            {
                return null;
            }

            var c = _queue.Dequeue();
            _queuedBytes -= c.Length;
            return c;
        }
    }

    /// <summary>Wakes waiters (cancellation).</summary>
    public void Wake()
    {
        lock (_lock)
        {
            Monitor.PulseAll(_lock);
        }
    }

    // Record: [db u16][expire i64][kind u8][key length i32][key][value length i32][value].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Append(int db, long expire, byte kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int size = 2 + 8 + 1 + 4 + key.Length + 4 + value.Length;
        if (_current.Length + size > _current.Data.Length)
        {
            Flush();
            if (size > _current.Data.Length)
            {
                _current = new Chunk(size);
            }
        }

        var span = _current.Data.AsSpan(_current.Length, size);
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)db);
        BinaryPrimitives.WriteInt64LittleEndian(span[2..], expire);
        span[10] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(span[11..], key.Length);
        key.CopyTo(span[15..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[(15 + key.Length)..], value.Length);
        value.CopyTo(span[(19 + key.Length)..]);
        _current.Length += size;
        return size;
    }

    /// <summary>A block of records.</summary>
    internal sealed class Chunk(int capacity)
    {
        public byte[] Data { get; } = GC.AllocateUninitializedArray<byte>(capacity, pinned: true);

        public int Length { get; set; }
    }

    /// <summary>Reads the records of a chunk in order.</summary>
    internal ref struct Reader(Chunk chunk)
    {
        private readonly ReadOnlySpan<byte> _data = chunk.Data.AsSpan(0, chunk.Length);
        private int _at;

        public int Db { get; private set; }

        public long Expire { get; private set; }

        public byte Kind { get; private set; }

        public ReadOnlySpan<byte> Key { get; private set; }

        public ReadOnlySpan<byte> Value { get; private set; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Next()
        {
            if (_at >= _data.Length)
            {
                return false;
            }

            var span = _data[_at..];
            Db = BinaryPrimitives.ReadUInt16LittleEndian(span);
            Expire = BinaryPrimitives.ReadInt64LittleEndian(span[2..]);
            Kind = span[10];
            int keyLength = BinaryPrimitives.ReadInt32LittleEndian(span[11..]);
            Key = span.Slice(15, keyLength);
            int valueLength = BinaryPrimitives.ReadInt32LittleEndian(span[(15 + keyLength)..]);
            Value = span.Slice(19 + keyLength, valueLength);
            _at += 19 + keyLength + valueLength;
            return true;
        }
    }
}
