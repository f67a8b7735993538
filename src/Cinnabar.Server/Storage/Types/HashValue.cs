// A hash value with Redis 7.0's two encodings:
// - "listpack" while small (at most hash-max-listpack-entries fields, every field and value at
//   most hash-max-listpack-value bytes): one packed byte[] of [varint length][bytes] pairs in
//   insertion order, searched linearly like Redis's listpack, with the key at the end of the same
//   array (see PackedKey). A hash of ten short fields is one object plus one array, no per-field
//   allocation;
// - "hashtable" once a limit is crossed (never converted back, as in Redis): a Dictionary over
//   byte[] with span lookups.
// HSCAN over a hashtable uses the enumeration position as its cursor: elements never move in a
// .NET Dictionary except through removals before them, so a scan without concurrent HDELs
// returns every element exactly once (Redis's dictScan guarantee is stronger; see COMPATIBILITY).
using System.Runtime.InteropServices;

using Cinnabar.Server.Diagnostics;

namespace Cinnabar.Server.Storage.Types;

/// <summary>A Redis hash.</summary>
internal sealed class HashValue : RedisObject, IDigestValue
{
    // The listpack form's byte[] (with the key at its end) or the hashtable form's Table (which
    // holds the key): one field, so a small hash's object is 32 bytes (header, this, used, count).
    private object _data;
    private int _used;
    private int _packedCount;

    /// <summary>An empty hash in the listpack encoding, with room for <paramref name="capacity"/> packed bytes (see <see cref="PackedSize"/>).</summary>
    public HashValue(ReadOnlySpan<byte> key, int capacity = 0)
    {
        _data = PackedKey.Allocate(capacity, key);
    }

    private byte[]? Packed => _data as byte[];

    private Table? Dict => _data as Table;

    public override ReadOnlySpan<byte> Key => _data is Table t ? t.Key : PackedKey.KeyOf((byte[])_data);

    public override ObjectType Type => ObjectType.Hash;

    public override string Encoding => Dict is null ? "listpack" : "hashtable";

    /// <summary>Bytes held (MEMORY USAGE): the packed buffer, or an estimate of the dictionary's entries.</summary>
    public long ApproximateBytes
    {
        get
        {
            if (Dict is null)
            {
                return 24 + Packed!.Length;
            }

            long n = 24 + Dict.Key.Length + 80 + (Dict.Count * 24L);
            foreach (var (f, v) in Dict)
            {
                n += 48 + f.Length + v.Length;
            }

            return n;
        }
    }

    /// <summary>True in the listpack encoding.</summary>
    public bool IsListpack => Dict is null;

    /// <summary>Number of fields.</summary>
    public int Count => Dict?.Count ?? _packedCount;

    public override void ChangeKey(byte[] key)
    {
        if (Dict is { } t)
        {
            t.Key = key;
            return;
        }

        _data = PackedKey.WithKey(Packed!, _used, key);
    }

    public override RedisObject CloneWithKey(byte[] key)
    {
        var copy = new HashValue(key, Dict is null ? _used : 0);
        if (Dict is null)
        {
            Buffer.BlockCopy(Packed!, 0, (byte[])copy._data, 0, _used);
            copy._used = _used;
            copy._packedCount = _packedCount;
        }
        else
        {
            var t = new Table(key, Dict.Count);
            foreach (var (f, v) in Dict)
            {
                t.Add(f, v);
            }

            copy._data = t;
        }

        return copy;
    }

    /// <summary>debug.c: each field/value pair mixed into its own digest, XORed in (order-free).</summary>
    public void AddToDigest(Span<byte> digest)
    {
        Span<byte> ele = stackalloc byte[20];
        var it = Iterate();
        while (it.Next(out var f, out var v))
        {
            ele.Clear();
            Digest.Mix(ele, f);
            Digest.Mix(ele, v);
            Digest.Xor(digest, ele);
        }
    }

    /// <summary>Finds a field's value.</summary>
    public bool TryGet(ReadOnlySpan<byte> field, out ReadOnlySpan<byte> value)
    {
        if (Dict is not null)
        {
            bool found = Dict.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(field, out var v);
            value = v;
            return found;
        }

        int p = FindPacked(field, out int valuePos, out _);
        if (p < 0)
        {
            value = default;
            return false;
        }

        value = Read(valuePos, out _);
        return true;
    }

    /// <summary>
    /// Sets a field (hashTypeSet), converting to a hashtable when a length exceeds
    /// <paramref name="maxValue"/> or the count exceeds <paramref name="maxEntries"/>; true when the field is new.
    /// </summary>
    public bool Set(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value, long maxEntries, long maxValue)
    {
        if (Dict is null && (field.Length > maxValue || value.Length > maxValue))
        {
            ConvertToHashtable();
        }

        if (Dict is not null)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(Dict.GetAlternateLookup<ReadOnlySpan<byte>>(), field, out bool exists);
            slot = value.ToArray();
            return !exists;
        }

        int p = FindPacked(field, out int valuePos, out int end);
        if (p >= 0)
        {
            ReplacePacked(valuePos, end, value);
            return false;
        }

        AppendPacked(field);
        AppendPacked(value);
        _packedCount++;
        if (_packedCount > maxEntries)
        {
            ConvertToHashtable();
        }

        return true;
    }

    /// <summary>Makes room for <paramref name="bytes"/> more packed bytes at once (HSET of many fields), so the buffer fits exactly.</summary>
    public void Reserve(int bytes)
    {
        if (Dict is null)
        {
            EnsureRoomExact(bytes);
        }
    }

    /// <summary>Bytes a field/value pair takes in the listpack encoding.</summary>
    public static int PackedSize(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value) =>
        VarintSize(field.Length) + field.Length + VarintSize(value.Length) + value.Length;

    /// <summary>Removes a field; false when absent.</summary>
    public bool Remove(ReadOnlySpan<byte> field)
    {
        if (Dict is not null)
        {
            return Dict.GetAlternateLookup<ReadOnlySpan<byte>>().Remove(field);
        }

        int p = FindPacked(field, out _, out int end);
        if (p < 0)
        {
            return false;
        }

        Buffer.BlockCopy(Packed!, end, Packed!, p, _used - end);
        _used -= end - p;
        _packedCount--;
        return true;
    }

    /// <summary>Visits pairs in storage order.</summary>
    public Iterator Iterate() => new(this);

    /// <summary>Copies every pair (HRANDFIELD, HSCAN on a hashtable).</summary>
    public (byte[] Field, byte[] Value)[] ToArray()
    {
        var all = new (byte[], byte[])[Count];
        int i = 0;
        var it = Iterate();
        while (it.Next(out var f, out var v))
        {
            all[i++] = (f.ToArray(), v.ToArray());
        }

        return all;
    }

    /// <summary>Converts to the hashtable encoding (hashTypeConvert).</summary>
    public void ConvertToHashtable()
    {
        if (Dict is not null)
        {
            return;
        }

        var d = new Table(PackedKey.KeyOf(Packed!).ToArray(), _packedCount);
        var it = Iterate();
        while (it.Next(out var f, out var v))
        {
            d[f.ToArray()] = v.ToArray();
        }

        _data = d;
        _used = 0;
        _packedCount = 0;
    }

    private ReadOnlySpan<byte> Read(int pos, out int next)
    {
        var packed = (byte[])_data;
        int len = 0;
        int shift = 0;
        byte b;
        do
        {
            b = packed[pos++];
            len |= (b & 0x7F) << shift;
            shift += 7;
        }
        while (b >= 0x80);

        next = pos + len;
        return new ReadOnlySpan<byte>(packed, pos, len);
    }

    // Returns the field's position (or -1), its value's position and the end of the pair.
    private int FindPacked(ReadOnlySpan<byte> field, out int valuePos, out int end)
    {
        int p = 0;
        while (p < _used)
        {
            var f = Read(p, out int vp);
            Read(vp, out int e);
            if (f.SequenceEqual(field))
            {
                valuePos = vp;
                end = e;
                return p;
            }

            p = e;
        }

        valuePos = end = -1;
        return -1;
    }

    private static int VarintSize(int v)
    {
        int n = 1;
        while (v >= 0x80)
        {
            v >>= 7;
            n++;
        }

        return n;
    }

    private void EnsureRoom(int extra)
    {
        int capacity = PackedKey.Capacity(Packed!);
        if (capacity - _used < extra)
        {
            // A quarter more each time, as jemalloc's size classes give Redis's realloc'ed
            // listpack about that much room.
            _data = PackedKey.Resize(Packed!, _used, Math.Max(_used + extra, capacity + (capacity / 4) + 16));
        }
    }

    private void EnsureRoomExact(int extra)
    {
        if (PackedKey.Capacity(Packed!) - _used < extra)
        {
            _data = PackedKey.Resize(Packed!, _used, _used + extra);
        }
    }

    private void AppendPacked(ReadOnlySpan<byte> s)
    {
        EnsureRoom(VarintSize(s.Length) + s.Length);
        _used += WriteAt(_used, s);
    }

    private int WriteAt(int at, ReadOnlySpan<byte> s)
    {
        var packed = (byte[])_data;
        int start = at;
        uint v = (uint)s.Length;
        while (v >= 0x80)
        {
            packed[at++] = (byte)(v | 0x80);
            v >>= 7;
        }

        packed[at++] = (byte)v;
        s.CopyTo(packed.AsSpan(at));
        return at + s.Length - start;
    }

    private void ReplacePacked(int valuePos, int end, ReadOnlySpan<byte> value)
    {
        int oldSize = end - valuePos;
        int newSize = VarintSize(value.Length) + value.Length;
        if (newSize > oldSize)
        {
            EnsureRoom(newSize - oldSize);
        }

        Buffer.BlockCopy(Packed!, end, Packed!, valuePos + newSize, _used - end);
        WriteAt(valuePos, value);
        _used += newSize - oldSize;
    }

    /// <summary>
    /// Gives back the listpack form's spare room (after an RDB load, which adds fields one at a
    /// time), as Redis's listpack is exactly the size of its entries.
    /// </summary>
    public void TrimExcess()
    {
        if (Dict is null && PackedKey.Capacity(Packed!) != _used)
        {
            _data = PackedKey.Resize(Packed!, _used, _used);
        }
    }

    /// <summary>Walks field/value pairs.</summary>
    internal struct Iterator
    {
        private readonly HashValue _hash;
        private Dictionary<byte[], byte[]>.Enumerator _e;
        private int _pos;

        public Iterator(HashValue hash)
        {
            _hash = hash;
            if (hash.Dict is not null)
            {
                _e = hash.Dict.GetEnumerator();
            }
        }

        public bool Next(out ReadOnlySpan<byte> field, out ReadOnlySpan<byte> value)
        {
            if (_hash.Dict is not null)
            {
                if (_e.MoveNext())
                {
                    field = _e.Current.Key;
                    value = _e.Current.Value;
                    return true;
                }
            }
            else if (_pos < _hash._used)
            {
                field = _hash.Read(_pos, out int vp);
                value = _hash.Read(vp, out _pos);
                return true;
            }

            field = value = default;
            return false;
        }
    }

    // The hashtable form: the dictionary, which also holds the key.
    private sealed class Table(byte[] key, int capacity) : Dictionary<byte[], byte[]>(capacity, ByteArrayComparer.Instance)
    {
        public byte[] Key { get; set; } = key;
    }
}
