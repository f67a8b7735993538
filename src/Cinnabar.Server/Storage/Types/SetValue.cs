// A set value with Redis 7.0's two encodings:
// - "intset" while every member is a canonical 64-bit integer and there are at most
//   set-max-intset-entries of them: a sorted long[] (Redis's intset, minus its adaptive width),
//   binary-searched, no per-member object;
// - "hashtable" otherwise (a HashSet over byte[] with span lookups), never converted back.
// An intset lists its members in ascending order, as Redis's does (SMEMBERS, SSCAN, RDB).
using Cinnabar.Protocol;
using Cinnabar.Server.Diagnostics;

namespace Cinnabar.Server.Storage.Types;

/// <summary>A Redis set.</summary>
internal sealed class SetValue : KeyedObject, IDigestValue
{
    // A hint comes from a client's argument count or a file's length field: never trust it for more.
    private const int MaxSizeHint = 1 << 16;

    private long[]? _ints = [];
    private int _intCount;
    private HashSet<byte[]>? _set;

    public SetValue(byte[] key)
        : base(key)
    {
    }

    /// <summary>
    /// A set that can hold <paramref name="first"/> in the cheapest encoding (setTypeCreate).
    /// <paramref name="sizeHint"/>: members about to be added (SADD's count), so a hashtable is
    /// sized once instead of growing through a prime larger than it needs.
    /// </summary>
    public static SetValue For(byte[] key, ReadOnlySpan<byte> first, int sizeHint = 0)
    {
        var s = new SetValue(key);
        if (!IsInteger(first, out _))
        {
            s.ConvertToHashtable(sizeHint);
        }

        return s;
    }

    public override ObjectType Type => ObjectType.Set;

    public override string Encoding => _set is null ? "intset" : "hashtable";

    /// <summary>Bytes held (MEMORY USAGE).</summary>
    public long ApproximateBytes
    {
        get
        {
            if (_set is null)
            {
                return 24 + (8L * _ints!.Length);
            }

            long n = 80 + (_set.Count * 20L);
            foreach (var m in _set)
            {
                n += 24 + m.Length;
            }

            return n;
        }
    }

    /// <summary>True in the intset encoding.</summary>
    public bool IsIntset => _set is null;

    public int Count => _set?.Count ?? _intCount;

    public override RedisObject CloneWithKey(byte[] key)
    {
        var copy = new SetValue(key);
        if (_set is null)
        {
            copy._ints = _ints.AsSpan(0, _intCount).ToArray();
            copy._intCount = _intCount;
        }
        else
        {
            copy._ints = null;
            copy._set = new HashSet<byte[]>(_set, ByteArrayComparer.Instance);
        }

        return copy;
    }

    /// <summary>debug.c: each member's SHA1 XORed in (order-free).</summary>
    public void AddToDigest(Span<byte> digest)
    {
        foreach (var m in Members())
        {
            Digest.Xor(digest, m);
        }
    }

    /// <summary>The intset members in ascending order (intset encoding only).</summary>
    public ReadOnlySpan<long> Integers => _ints.AsSpan(0, _intCount);

    /// <summary>Membership test.</summary>
    public bool Contains(ReadOnlySpan<byte> member)
    {
        if (_set is not null)
        {
            return _set.GetAlternateLookup<ReadOnlySpan<byte>>().Contains(member);
        }

        return IsInteger(member, out long v) && Array.BinarySearch(_ints!, 0, _intCount, v) >= 0;
    }

    /// <summary>Adds a member (setTypeAdd); true when it was not there.</summary>
    public bool Add(ReadOnlySpan<byte> member, long maxIntsetEntries)
    {
        if (_set is null)
        {
            if (IsInteger(member, out long v))
            {
                int at = Array.BinarySearch(_ints!, 0, _intCount, v);
                if (at >= 0)
                {
                    return false;
                }

                at = ~at;
                if (_intCount == _ints!.Length)
                {
                    Array.Resize(ref _ints, Math.Max(4, _intCount + (_intCount / 2)));
                }

                Array.Copy(_ints, at, _ints, at + 1, _intCount - at);
                _ints[at] = v;
                _intCount++;
                if (_intCount > maxIntsetEntries)
                {
                    ConvertToHashtable();
                }

                return true;
            }

            ConvertToHashtable();
        }

        return _set!.GetAlternateLookup<ReadOnlySpan<byte>>().Add(member);
    }

    /// <summary>Removes a member; false when absent.</summary>
    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (_set is not null)
        {
            return _set.GetAlternateLookup<ReadOnlySpan<byte>>().Remove(member);
        }

        if (!IsInteger(member, out long v))
        {
            return false;
        }

        int at = Array.BinarySearch(_ints!, 0, _intCount, v);
        if (at < 0)
        {
            return false;
        }

        Array.Copy(_ints!, at + 1, _ints!, at, _intCount - at - 1);
        _intCount--;
        return true;
    }

    /// <summary>Every member as bytes (intset: ascending).</summary>
    public IEnumerable<byte[]> Members()
    {
        if (_set is not null)
        {
            foreach (var m in _set)
            {
                yield return m;
            }

            yield break;
        }

        for (int i = 0; i < _intCount; i++)
        {
            yield return Number.ToBytes(_ints![i]);
        }
    }

    /// <summary>Members copied into an array (random picks, SSCAN).</summary>
    public byte[][] ToArray() => [.. Members()];

    /// <summary>Converts to the hashtable encoding (setTypeConvert), with room for <paramref name="sizeHint"/> members.</summary>
    public void ConvertToHashtable(int sizeHint = 0)
    {
        if (_set is not null)
        {
            return;
        }

        var s = new HashSet<byte[]>(Math.Max(_intCount, Math.Min(sizeHint, MaxSizeHint)), ByteArrayComparer.Instance);
        for (int i = 0; i < _intCount; i++)
        {
            s.Add(Number.ToBytes(_ints![i]));
        }

        _set = s;
        _ints = null;
        _intCount = 0;
    }

    /// <summary>isSdsRepresentableAsLongLong: a canonical 64-bit integer.</summary>
    public static bool IsInteger(ReadOnlySpan<byte> s, out long v) => Number.TryParseInt64(s, out v);
}
