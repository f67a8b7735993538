// A sorted set with Redis 7.0's two encodings (t_zset.c):
// - "listpack" while small (at most zset-max-listpack-entries members, each at most
//   zset-max-listpack-value bytes): one packed byte[] of entries sorted by (score, member), each
//   [varint member length][member][score]. A score that Redis's double2ll accepts (an integer
//   within +-2^62, -0 included) is stored as varint(zigzag(n) + 1), anything else as a 0 byte and
//   the 8-byte double: a ten-member set of small integer scores is one object plus one array of
//   a few bytes per member, no per-member allocation. Storing integral scores as integers also
//   reproduces Redis's listpack quirk that -0 reads back as 0 there (but stays -0 in a skiplist).
//   Operations walk the array linearly, as Redis walks its listpack. The key lives at the end of
//   the same array, after the spare room (see PackedKey), so a small set is one object and one
//   array.
// - "skiplist" once a limit is crossed: a ZSkipList (spans give O(log n) rank and by-rank
//   lookups) plus a Dictionary member -> node for O(1) score lookups. Never converted back on
//   writes; only the paths Redis converts on (ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE results and RDB
//   loads) call ConvertToListpackIfNeeded.
// Ranks in this API are 0-based positions in ascending order.
using System.Buffers.Binary;

using Cinnabar.Protocol;
using Cinnabar.Server.Diagnostics;

namespace Cinnabar.Server.Storage.Types;

/// <summary>A Redis sorted set.</summary>
internal sealed class ZSetValue : RedisObject, IDigestValue
{
    // The listpack form's byte[] (with the key at its end) or the skiplist form's Large (which
    // holds the key): one field, so a small set's object is 32 bytes (header, this, used, count).
    private object _data;
    private int _used;
    private int _packedCount;

    private byte[]? Packed => _data as byte[];

    private Large? LargeForm => _data as Large;

    /// <summary>
    /// An empty set, compact unless <paramref name="skiplist"/>; a compact one has room for
    /// <paramref name="capacity"/> packed bytes (see <see cref="PackedSize"/>).
    /// </summary>
    public ZSetValue(ReadOnlySpan<byte> key, bool skiplist = false, int capacity = 0)
    {
        _data = skiplist ? new Large(0, key.ToArray()) : PackedKey.Allocate(capacity, key);
    }

    public override ReadOnlySpan<byte> Key => _data is Large large ? large.Key : PackedKey.KeyOf((byte[])_data);

    public override ObjectType Type => ObjectType.ZSet;

    public override string Encoding => LargeForm is null ? "listpack" : "skiplist";

    /// <summary>True in the listpack encoding.</summary>
    public bool IsListpack => LargeForm is null;

    /// <summary>Number of members.</summary>
    public long Count => LargeForm?.List.Length ?? _packedCount;

    /// <summary>Bytes held (MEMORY USAGE).</summary>
    public long ApproximateBytes
    {
        get
        {
            if (LargeForm is null)
            {
                return 24 + Packed!.Length;
            }

            long n = 24 + LargeForm.Key.Length + 160 + (LargeForm.Dict.Count * 24L);
            for (var x = LargeForm.List.First; x is not null; x = x.Levels[0].Forward)
            {
                n += 48 + 24 + (16 * x.Levels.Length) + 24 + x.Member.Length;
            }

            return n;
        }
    }

    public override void ChangeKey(byte[] key)
    {
        if (LargeForm is not null)
        {
            LargeForm.Key = key;
            return;
        }

        _data = PackedKey.WithKey(Packed!, _used, key);
    }

    public override RedisObject CloneWithKey(byte[] key)
    {
        var copy = new ZSetValue(key, skiplist: LargeForm is not null, LargeForm is null ? _used : 0);
        if (LargeForm is null)
        {
            Buffer.BlockCopy(Packed!, 0, (byte[])copy._data, 0, _used);
            copy._used = _used;
            copy._packedCount = _packedCount;
        }
        else
        {
            for (var x = LargeForm.List.Last; x is not null; x = x.Backward)
            {
                copy.InsertLarge(x.Member, x.Score);
            }
        }

        return copy;
    }

    /// <summary>debug.c: per member, mix(member) then mix("%.17g" score) into a fresh digest, XORed in.</summary>
    public void AddToDigest(Span<byte> digest)
    {
        Span<byte> ele = stackalloc byte[20];
        var w = Walk(0, reverse: false);
        while (w.Next(out var member, out double score))
        {
            ele.Clear();
            Digest.Mix(ele, member);
            Digest.Mix(ele, System.Text.Encoding.ASCII.GetBytes(Digest.FormatG17(score)));
            Digest.Xor(digest, ele);
        }
    }

    /// <summary>A member's score (zsetScore).</summary>
    public bool TryGetScore(ReadOnlySpan<byte> member, out double score)
    {
        if (LargeForm is not null)
        {
            if (LargeForm.Dict.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(member, out var node))
            {
                score = node.Score;
                return true;
            }

            score = 0;
            return false;
        }

        return FindPacked(member, out _, out _, out score);
    }

    /// <summary>
    /// zsetAdd: adds or updates a member under ZADD's options; converts to a skiplist before
    /// inserting when the compact limits would be crossed. <paramref name="newScore"/> is the
    /// score the member ends with when the outcome is not Nop/NaN.
    /// </summary>
    public ZAddOutcome Add(ReadOnlySpan<byte> member, double score, ZAddFlags flags, long maxEntries, long maxValue, out double newScore)
    {
        newScore = score;
        if (double.IsNaN(score))
        {
            return ZAddOutcome.NaN;
        }

        bool exists;
        double current;
        ZSkipList.Node? node = null;
        int pos = 0, end = 0;
        if (LargeForm is not null)
        {
            exists = LargeForm.Dict.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(member, out node);
            current = node?.Score ?? 0;
        }
        else
        {
            exists = FindPacked(member, out pos, out end, out current);
        }

        if (exists)
        {
            if ((flags & ZAddFlags.Nx) != 0)
            {
                return ZAddOutcome.Nop;
            }

            if ((flags & ZAddFlags.Incr) != 0)
            {
                score += current;
                if (double.IsNaN(score))
                {
                    return ZAddOutcome.NaN;
                }
            }

            if (((flags & ZAddFlags.Lt) != 0 && score >= current) || ((flags & ZAddFlags.Gt) != 0 && score <= current))
            {
                return ZAddOutcome.Nop;
            }

            newScore = score;
            if (score == current)
            {
                return ZAddOutcome.Unchanged;
            }

            if (LargeForm is not null)
            {
                LargeForm.List.UpdateScore(node!, score);
            }
            else
            {
                var copy = member.ToArray();
                DeletePacked(pos, end);
                InsertPacked(copy, score);
            }

            return ZAddOutcome.Updated;
        }

        if ((flags & ZAddFlags.Xx) != 0)
        {
            return ZAddOutcome.Nop;
        }

        if (LargeForm is null && (_packedCount + 1 > maxEntries || member.Length > maxValue))
        {
            ConvertToSkiplist();
        }

        if (LargeForm is not null)
        {
            InsertLarge(member.ToArray(), score);
        }
        else
        {
            InsertPacked(member, score);
        }

        return ZAddOutcome.Added;
    }

    /// <summary>Removes a member (zsetDel); false when absent.</summary>
    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (LargeForm is not null)
        {
            if (!LargeForm.Dict.GetAlternateLookup<ReadOnlySpan<byte>>().Remove(member, out _, out var node))
            {
                return false;
            }

            LargeForm.List.Delete(node);
            return true;
        }

        if (!FindPacked(member, out int pos, out int end, out _))
        {
            return false;
        }

        DeletePacked(pos, end);
        return true;
    }

    /// <summary>0-based rank of a member, counted from the highest when <paramref name="reverse"/>; -1 when absent (zsetRank).</summary>
    public long Rank(ReadOnlySpan<byte> member, bool reverse)
    {
        long rank;
        if (LargeForm is not null)
        {
            if (!LargeForm.Dict.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(member, out var node))
            {
                return -1;
            }

            rank = LargeForm.List.Rank(node) - 1;
        }
        else
        {
            rank = -1;
            int p = 0;
            for (int i = 0; i < _packedCount; i++)
            {
                p = ReadEntry(p, out var m, out _);
                if (m.SequenceEqual(member))
                {
                    rank = i;
                    break;
                }
            }

            if (rank < 0)
            {
                return -1;
            }
        }

        return reverse ? Count - 1 - rank : rank;
    }

    /// <summary>The member and score at a 0-based rank (which must exist).</summary>
    public (byte[] Member, double Score) At(long rank)
    {
        var w = Walk(rank, reverse: false);
        w.Next(out var member, out double score);
        return (member.ToArray(), score);
    }

    /// <summary>Walks members from the 0-based rank <paramref name="rank"/> upwards, or downwards when <paramref name="reverse"/>.</summary>
    public Walker Walk(long rank, bool reverse) => new(this, rank, reverse);

    /// <summary>How many members score below the range (the rank of the first one inside it if any).</summary>
    public long CountBelow(in ScoreRange range)
    {
        if (LargeForm is not null)
        {
            return LargeForm.List.CountBefore(new ScoreAtLeastMin(range));
        }

        return CountPackedWhile(range, static (r, _, s) => !r.GteMin(s));
    }

    /// <summary>How many members score at most the range's maximum.</summary>
    public long CountAtMost(in ScoreRange range)
    {
        if (LargeForm is not null)
        {
            return LargeForm.List.CountBefore(new ScoreAboveMax(range));
        }

        return CountPackedWhile(range, static (r, _, s) => r.LteMax(s));
    }

    /// <summary>How many members sort before the lex range.</summary>
    public long CountBelow(LexRange range)
    {
        if (LargeForm is not null)
        {
            return LargeForm.List.CountBefore(new LexAtLeastMin(range));
        }

        return CountPackedWhile(range, static (r, m, _) => !r.GteMin(m));
    }

    /// <summary>How many members sort at most at the lex range's maximum.</summary>
    public long CountAtMost(LexRange range)
    {
        if (LargeForm is not null)
        {
            return LargeForm.List.CountBefore(new LexAboveMax(range));
        }

        return CountPackedWhile(range, static (r, m, _) => r.LteMax(m));
    }

    /// <summary>
    /// zslFirstInLexRange / zzlFirstInLexRange: the rank of the first member at or past the
    /// minimum (a skiplist descent, a listpack scan from the head), if it is also within the
    /// maximum; -1 otherwise. Lex ranges assume equal scores; these follow Redis's walks exactly
    /// so that sets of mixed scores answer as Redis's do.
    /// </summary>
    public long FirstInLexRange(LexRange range)
    {
        if (!IsInLexRange(range))
        {
            return -1;
        }

        long rank = CountBelow(range);
        return rank < Count && range.LteMax(At(rank).Member) ? rank : -1;
    }

    /// <summary>zslLastInLexRange / zzlLastInLexRange (a listpack is scanned from the tail): the last member within the maximum if also at or past the minimum; -1 otherwise.</summary>
    public long LastInLexRange(LexRange range)
    {
        if (!IsInLexRange(range))
        {
            return -1;
        }

        long rank = -1;
        if (LargeForm is not null)
        {
            rank = LargeForm.List.CountBefore(new LexAboveMax(range)) - 1;
        }
        else
        {
            var offsets = Offsets();
            for (int i = offsets.Length - 1; i >= 0; i--)
            {
                ReadEntry(offsets[i], out var m, out _);
                if (range.LteMax(m))
                {
                    rank = i;
                    break;
                }
            }
        }

        return rank >= 0 && range.GteMin(At(rank).Member) ? rank : -1;
    }

    /// <summary>How many members from rank <paramref name="start"/> upwards are within the lex maximum (stops at the first that is not).</summary>
    public long CountWithinMaxFrom(long start, LexRange range)
    {
        long n = 0;
        var w = Walk(start, reverse: false);
        while (w.Next(out var m, out _) && range.LteMax(m))
        {
            n++;
        }

        return n;
    }

    /// <summary>Removes the members of 0-based ranks <paramref name="start"/>..<paramref name="end"/> inclusive; returns how many.</summary>
    public long RemoveRanks(long start, long end)
    {
        if (start > end || start >= Count)
        {
            return 0;
        }

        end = Math.Min(end, Count - 1);
        long n = end - start + 1;
        if (LargeForm is not null)
        {
            var x = LargeForm.List.ByRank(start + 1);
            for (long i = 0; i < n && x is not null; i++)
            {
                var next = x.Levels[0].Forward;
                LargeForm.Dict.Remove(x.Member);
                LargeForm.List.Delete(x);
                x = next;
            }

            return n;
        }

        int from = 0;
        for (long i = 0; i < start; i++)
        {
            from = SkipEntry(from);
        }

        int to = from;
        for (long i = 0; i < n; i++)
        {
            to = SkipEntry(to);
        }

        Buffer.BlockCopy(Packed!, to, Packed!, from, _used - to);
        _used -= to - from;
        _packedCount -= (int)n;
        return n;
    }

    /// <summary>Members with scores, ascending (ZSCAN, SORT, random picks).</summary>
    public (byte[] Member, double Score)[] ToArray()
    {
        var all = new (byte[], double)[Count];
        int i = 0;
        var w = Walk(0, reverse: false);
        while (w.Next(out var m, out double s))
        {
            all[i++] = (m.ToArray(), s);
        }

        return all;
    }

    /// <summary>
    /// Gives back the compact form's spare room (after an RDB load, which adds members one at a
    /// time), as Redis's listpack is exactly the size of its entries.
    /// </summary>
    public void TrimExcess()
    {
        if (LargeForm is null && PackedKey.Capacity(Packed!) != _used)
        {
            ResizePacked(_used);
        }
    }

    /// <summary>Bytes a member/score pair takes in the compact encoding.</summary>
    public static int PackedSize(ReadOnlySpan<byte> member, double score) =>
        VarintSize((ulong)member.Length) + member.Length + ScoreSize(score);

    /// <summary>Converts to the skiplist encoding (zsetConvert).</summary>
    public void ConvertToSkiplist()
    {
        if (LargeForm is not null)
        {
            return;
        }

        // Inserted from the highest down, so each insert stops at the head (O(1) per member).
        var offsets = Offsets();
        var packed = Packed!;
        _data = new Large(_packedCount, PackedKey.KeyOf(packed).ToArray());
        for (int i = offsets.Length - 1; i >= 0; i--)
        {
            ReadEntryFrom(packed, offsets[i], out var m, out double s);
            InsertLarge(m.ToArray(), s);
        }

        _used = 0;
        _packedCount = 0;
    }

    /// <summary>zsetConvertToListpackIfNeeded: back to compact when within both limits.</summary>
    public void ConvertToListpackIfNeeded(long maxEntries, long maxValue)
    {
        if (LargeForm is null || LargeForm.List.Length > maxEntries)
        {
            return;
        }

        int bytes = 0;
        for (var x = LargeForm.List.First; x is not null; x = x.Levels[0].Forward)
        {
            if (x.Member.Length > maxValue)
            {
                return;
            }

            bytes += PackedSize(x.Member, x.Score);
        }

        var first = LargeForm.List.First;
        var packed = PackedKey.Allocate(bytes, LargeForm.Key);
        _data = packed;
        _used = 0;
        _packedCount = 0;
        for (var x = first; x is not null; x = x.Levels[0].Forward)
        {
            _used += WriteEntry(packed.AsSpan(_used), x.Member, x.Score);
            _packedCount++;
        }
    }

    // zslIsInLexRange: a non-empty range, the highest member at or past the minimum and the
    // lowest within the maximum.
    private bool IsInLexRange(LexRange range)
    {
        if (range.IsEmpty || Count == 0)
        {
            return false;
        }

        return range.GteMin(At(Count - 1).Member) && range.LteMax(At(0).Member);
    }

    /// <summary>Redis's double2ll: an integer within +-2^62 that a long holds exactly (-0 included).</summary>
    public static bool IsLongScore(double d, out long l)
    {
        l = 0;
        if (!(d >= -4611686018427387904.0 && d <= 4611686018427387904.0))
        {
            return false;
        }

        l = (long)d;
        return l == d;
    }

    private static int ScoreSize(double score) => IsLongScore(score, out long l) ? VarintSize(ZigZag(l) + 1) : 9;

    private static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));

    private static int VarintSize(ulong v)
    {
        int n = 1;
        while (v >= 0x80)
        {
            v >>= 7;
            n++;
        }

        return n;
    }

    private static int WriteVarint(Span<byte> to, ulong v)
    {
        int i = 0;
        while (v >= 0x80)
        {
            to[i++] = (byte)(v | 0x80);
            v >>= 7;
        }

        to[i++] = (byte)v;
        return i;
    }

    private static ulong ReadVarint(byte[] buf, ref int pos)
    {
        ulong v = 0;
        int shift = 0;
        byte b;
        do
        {
            b = buf[pos++];
            v |= (ulong)(b & 0x7F) << shift;
            shift += 7;
        }
        while (b >= 0x80);
        return v;
    }

    private static int WriteEntry(Span<byte> to, ReadOnlySpan<byte> member, double score)
    {
        int n = WriteVarint(to, (ulong)member.Length);
        member.CopyTo(to[n..]);
        n += member.Length;
        if (IsLongScore(score, out long l))
        {
            n += WriteVarint(to[n..], ZigZag(l) + 1);
        }
        else
        {
            to[n++] = 0;
            BinaryPrimitives.WriteDoubleLittleEndian(to[n..], score);
            n += 8;
        }

        return n;
    }

    private static int ReadEntryFrom(byte[] buf, int pos, out ReadOnlySpan<byte> member, out double score)
    {
        int len = (int)ReadVarint(buf, ref pos);
        member = new ReadOnlySpan<byte>(buf, pos, len);
        pos += len;
        ulong v = ReadVarint(buf, ref pos);
        if (v == 0)
        {
            score = BinaryPrimitives.ReadDoubleLittleEndian(buf.AsSpan(pos));
            pos += 8;
        }
        else
        {
            v--;
            score = (long)(v >> 1) ^ -(long)(v & 1);
        }

        return pos;
    }

    private int ReadEntry(int pos, out ReadOnlySpan<byte> member, out double score) => ReadEntryFrom(Packed!, pos, out member, out score);

    private int SkipEntry(int pos) => ReadEntry(pos, out _, out _);

    private int[] Offsets()
    {
        var offsets = new int[_packedCount];
        int p = 0;
        for (int i = 0; i < _packedCount; i++)
        {
            offsets[i] = p;
            p = SkipEntry(p);
        }

        return offsets;
    }

    private bool FindPacked(ReadOnlySpan<byte> member, out int pos, out int end, out double score)
    {
        int p = 0;
        while (p < _used)
        {
            int next = ReadEntry(p, out var m, out score);
            if (m.SequenceEqual(member))
            {
                pos = p;
                end = next;
                return true;
            }

            p = next;
        }

        pos = end = -1;
        score = 0;
        return false;
    }

    private void DeletePacked(int pos, int end)
    {
        Buffer.BlockCopy(Packed!, end, Packed!, pos, _used - end);
        _used -= end - pos;
        _packedCount--;
    }

    // zzlInsert: before the first entry ordered after (score, member).
    private void InsertPacked(ReadOnlySpan<byte> member, double score)
    {
        int p = 0;
        while (p < _used)
        {
            int next = ReadEntry(p, out var m, out double s);
            if (s > score || (s == score && m.SequenceCompareTo(member) > 0))
            {
                break;
            }

            p = next;
        }

        int size = PackedSize(member, score);
        int capacity = PackedKey.Capacity(Packed!);
        if (capacity - _used < size)
        {
            // A quarter more each time, as jemalloc's size classes give Redis's realloc'ed
            // listpack about that much room.
            ResizePacked(Math.Max(_used + size, capacity + (capacity / 4) + 16));
        }

        Buffer.BlockCopy(Packed!, p, Packed!, p + size, _used - p);
        WriteEntry(Packed.AsSpan(p), member, score);
        _used += size;
        _packedCount++;
    }

    private void ResizePacked(int capacity) => _data = PackedKey.Resize(Packed!, _used, capacity);

    private void InsertLarge(byte[] member, double score)
    {
        var node = LargeForm!.List.Insert(score, member);
        LargeForm.Dict.Add(member, node);
    }

    private long CountPackedWhile<TRange>(TRange range, Func<TRange, ReadOnlySpan<byte>, double, bool> before)
    {
        long n = 0;
        int p = 0;
        while (p < _used)
        {
            p = ReadEntry(p, out var m, out double s);
            if (!before(range, m, s))
            {
                break;
            }

            n++;
        }

        return n;
    }

    /// <summary>A walk over members in either direction.</summary>
    internal struct Walker
    {
        private readonly ZSetValue _z;
        private readonly bool _reverse;
        private readonly int[]? _offsets;
        private int _pos;
        private int _index;
        private ZSkipList.Node? _node;

        public Walker(ZSetValue z, long rank, bool reverse)
        {
            _z = z;
            _reverse = reverse;
            if (rank < 0 || rank >= z.Count)
            {
                _index = -1;
                _pos = int.MaxValue;
                return;
            }

            if (z.LargeForm is not null)
            {
                _node = rank == 0 ? z.LargeForm.List.First : rank == z.Count - 1 ? z.LargeForm.List.Last : z.LargeForm.List.ByRank(rank + 1);
                return;
            }

            if (reverse)
            {
                _offsets = z.Offsets();
                _index = (int)rank;
                return;
            }

            _pos = 0;
            for (long i = 0; i < rank; i++)
            {
                _pos = z.SkipEntry(_pos);
            }
        }

        public bool Next(out ReadOnlySpan<byte> member, out double score)
        {
            if (_z.LargeForm is not null)
            {
                if (_node is null)
                {
                    member = default;
                    score = 0;
                    return false;
                }

                member = _node.Member;
                score = _node.Score;
                _node = _reverse ? _node.Backward : _node.Levels[0].Forward;
                return true;
            }

            if (_reverse)
            {
                if (_offsets is null || _index < 0)
                {
                    member = default;
                    score = 0;
                    return false;
                }

                _z.ReadEntry(_offsets[_index--], out member, out score);
                return true;
            }

            if (_pos >= _z._used)
            {
                member = default;
                score = 0;
                return false;
            }

            _pos = _z.ReadEntry(_pos, out member, out score);
            return true;
        }
    }

    private readonly struct ScoreAtLeastMin(ScoreRange r) : ZSkipList.INodePredicate
    {
        public bool Holds(ZSkipList.Node n) => r.GteMin(n.Score);
    }

    private readonly struct ScoreAboveMax(ScoreRange r) : ZSkipList.INodePredicate
    {
        public bool Holds(ZSkipList.Node n) => !r.LteMax(n.Score);
    }

    private readonly struct LexAtLeastMin(LexRange r) : ZSkipList.INodePredicate
    {
        public bool Holds(ZSkipList.Node n) => r.GteMin(n.Member);
    }

    private readonly struct LexAboveMax(LexRange r) : ZSkipList.INodePredicate
    {
        public bool Holds(ZSkipList.Node n) => !r.LteMax(n.Member);
    }

    // The skiplist encoding's two structures, in one object so a compact set pays one field.
    private sealed class Large(int capacity, byte[] key)
    {
        public byte[] Key { get; set; } = key;

        public ZSkipList List { get; } = new();

        public Dictionary<byte[], ZSkipList.Node> Dict { get; } = new(capacity, ByteArrayComparer.Instance);
    }
}
