// A list value, after Redis 7.0's quicklist: a sequence of nodes, each a packed byte buffer of
// elements, so an element costs its bytes plus two or three bytes of framing and never a heap
// object. A node is bounded by list-max-listpack-size (negative: bytes per node, -2 = 8 KB;
// positive: elements per node), which keeps every in-node edit (insert, set, remove: a copy of at
// most one node) cheap however long the list grows.
//
// Entry layout inside a node: [length as 7-bit varint][bytes][length again, reversed], the second
// copy read right to left like a listpack backlen, so a node is walkable from both ends and
// pushes/pops at either end are O(1). Each node keeps free room at both ends (Start..End is
// used), so LPUSH does not move the node's contents.
//
// Redis 7.0 reports every list as "quicklist" (the "listpack" list encoding arrived in 7.2);
// list-compress-depth only changes memory in Redis and is not modelled. RDB writing turns each
// node into a real listpack (ListValueRdb).
using System.Buffers;

using Cinnabar.Server.Diagnostics;

namespace Cinnabar.Server.Storage.Types;

/// <summary>A Redis list.</summary>
internal sealed class ListValue : KeyedObject, IDigestValue
{
    private const int SafetyBytes = 8192;

    // null (no node), the only Node, or a Node[] once there are two: a small list (one node,
    // the common case) pays for no array of node references.
    private object? _nodes;
    private int _nodeCount;

    public ListValue(byte[] key, int fill)
        : base(key)
    {
        Fill = fill;
    }

    /// <summary>list-max-listpack-size in force when the list was created or last changed.</summary>
    public int Fill { get; set; }

    /// <summary>Number of elements.</summary>
    public long Count { get; private set; }

    /// <summary>Bytes held by the nodes (MEMORY USAGE).</summary>
    public long ApproximateBytes
    {
        get
        {
            long n = _nodes is Node[] all ? 24 + (8L * all.Length) : 0;
            for (int i = 0; i < _nodeCount; i++)
            {
                n += 40 + 24 + NodeAt(i).Buffer.Length;
            }

            return n;
        }
    }

    /// <summary>Number of nodes (DEBUG introspection).</summary>
    public int NodeCount => _nodeCount;

    public override ObjectType Type => ObjectType.List;

    public override string Encoding => "quicklist";

    public override RedisObject CloneWithKey(byte[] key)
    {
        var copy = new ListValue(key, Fill) { Count = Count };
        for (int i = 0; i < _nodeCount; i++)
        {
            copy.InsertNode(i, NodeAt(i).Clone());
        }

        return copy;
    }

    /// <summary>Mixes every element in order (debug.c xorObjectDigest for lists).</summary>
    public void AddToDigest(Span<byte> digest)
    {
        for (int n = 0; n < _nodeCount; n++)
        {
            var node = NodeAt(n);
            for (int p = node.Start; p < node.End;)
            {
                var e = node.EntryAt(p, out p);
                Digest.Mix(digest, e);
            }
        }
    }

    /// <summary>
    /// Sizes the first node of an empty list for <paramref name="bytes"/> of entries (a push of
    /// many elements creating the list), so a small list's buffer fits its contents instead of
    /// carrying doubling slack; bounded by the node byte limit.
    /// </summary>
    public void Reserve(int bytes, bool head)
    {
        if (_nodeCount != 0 || Fill >= 0)
        {
            return;
        }

        int capacity = Math.Min(bytes, ByteLimit());
        InsertNode(0, new Node(capacity, head ? capacity : 0));
    }

    /// <summary>Adds an element at the head or the tail.</summary>
    public void Push(ReadOnlySpan<byte> value, bool head)
    {
        if (_nodeCount == 0 || !Fits(head ? NodeAt(0) : NodeAt(_nodeCount - 1), value.Length))
        {
            InsertNode(head ? 0 : _nodeCount, new Node(EntrySize(value.Length) * 2));
        }

        var node = head ? NodeAt(0) : NodeAt(_nodeCount - 1);
        if (head)
        {
            node.Prepend(value);
        }
        else
        {
            node.Append(value);
        }

        Count++;
    }

    /// <summary>Removes and returns the head or tail element; null when empty.</summary>
    public byte[]? Pop(bool head)
    {
        if (Count == 0)
        {
            return null;
        }

        int ni = head ? 0 : _nodeCount - 1;
        var node = NodeAt(ni);
        byte[] value;
        if (head)
        {
            value = node.EntryAt(node.Start, out int next).ToArray();
            node.Start = next;
        }
        else
        {
            int start = node.LastStart();
            value = node.EntryAt(start, out _).ToArray();
            node.End = start;
        }

        node.Count--;
        Count--;
        if (node.Count == 0)
        {
            RemoveNode(ni);
        }

        return value;
    }

    /// <summary>The element at a zero-based index (caller checks the range).</summary>
    public ReadOnlySpan<byte> Get(long index)
    {
        var (n, p) = Locate(index);
        return NodeAt(n).EntryAt(p, out _);
    }

    /// <summary>Replaces the element at a zero-based index (caller checks the range).</summary>
    public void Set(long index, ReadOnlySpan<byte> value)
    {
        var (n, p) = Locate(index);
        var node = NodeAt(n);
        node.EntryAt(p, out int after);
        var rebuilt = new Node(node.End - node.Start + EntrySize(value.Length));
        rebuilt.AppendRaw(node.Buffer.AsSpan(node.Start, p - node.Start), node.CountBetween(node.Start, p));
        rebuilt.Append(value);
        rebuilt.AppendRaw(node.Buffer.AsSpan(after, node.End - after), node.Count - node.CountBetween(node.Start, after));
        SetNodeAt(n, rebuilt);
        SplitIfNeeded(n);
    }

    /// <summary>Inserts an element before (or after) the element at a zero-based index.</summary>
    public void InsertAt(long index, ReadOnlySpan<byte> value, bool after)
    {
        var (n, p) = Locate(index);
        var node = NodeAt(n);
        int at = p;
        if (after)
        {
            node.EntryAt(p, out at);
        }

        int before = node.CountBetween(node.Start, at);
        var rebuilt = new Node(node.End - node.Start + EntrySize(value.Length));
        rebuilt.AppendRaw(node.Buffer.AsSpan(node.Start, at - node.Start), before);
        rebuilt.Append(value);
        rebuilt.AppendRaw(node.Buffer.AsSpan(at, node.End - at), node.Count - before);
        SetNodeAt(n, rebuilt);
        Count++;
        SplitIfNeeded(n);
    }

    /// <summary>Removes the elements at zero-based indexes [start, start+count).</summary>
    public void RemoveRange(long start, long count)
    {
        if (count <= 0)
        {
            return;
        }

        long idx = 0;
        for (int n = 0; n < _nodeCount && count > 0;)
        {
            var node = NodeAt(n);
            if (idx + node.Count <= start)
            {
                idx += node.Count;
                n++;
                continue;
            }

            int from = (int)(start - idx);
            int take = (int)Math.Min(count, node.Count - from);
            if (from == 0 && take == node.Count)
            {
                RemoveNode(n);
            }
            else
            {
                int pFrom = node.Skip(node.Start, from);
                int pTo = node.Skip(pFrom, take);
                var rebuilt = new Node(node.End - node.Start);
                rebuilt.AppendRaw(node.Buffer.AsSpan(node.Start, pFrom - node.Start), from);
                rebuilt.AppendRaw(node.Buffer.AsSpan(pTo, node.End - pTo), node.Count - from - take);
                SetNodeAt(n, rebuilt);
                idx += rebuilt.Count;
                start = idx;
                n++;
            }

            count -= take;
            Count -= take;
        }
    }

    /// <summary>Removes every element equal to <paramref name="value"/>, at most <paramref name="limit"/> (0 = all), from the head or the tail; returns how many.</summary>
    public long RemoveMatching(ReadOnlySpan<byte> value, long limit, bool fromTail)
    {
        // Collect indexes first (cheap: no element copies), then remove from the back so
        // earlier indexes stay valid.
        var found = new List<long>();
        if (!fromTail)
        {
            var it = Iterate(0);
            while (it.Next(out var e))
            {
                if (e.SequenceEqual(value))
                {
                    found.Add(it.Index - 1);
                    if (limit != 0 && found.Count >= limit)
                    {
                        break;
                    }
                }
            }
        }
        else
        {
            var it = IterateBackward(Count - 1);
            while (it.Next(out var e))
            {
                if (e.SequenceEqual(value))
                {
                    found.Add(it.Index + 1);
                    if (limit != 0 && found.Count >= limit)
                    {
                        break;
                    }
                }
            }
        }

        found.Sort();
        for (int i = found.Count - 1; i >= 0; i--)
        {
            RemoveRange(found[i], 1);
        }

        return found.Count;
    }

    /// <summary>A forward iterator from a zero-based index.</summary>
    public Iterator Iterate(long index) => new(this, index, forward: true);

    /// <summary>A backward iterator from a zero-based index.</summary>
    public Iterator IterateBackward(long index) => new(this, index, forward: false);

    /// <summary>An iterator over node <paramref name="node"/> only (RDB writes one listpack per node).</summary>
    public Iterator IterateNode(int node, out int count)
    {
        count = NodeAt(node).Count;
        return new Iterator(this, node, NodeAt(node).Start, count);
    }

    internal static int EntrySize(int len) => (2 * VarintSize(len)) + len;

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

    // quicklist's _quicklistNodeAllowInsert: a positive fill limits entries, a negative one bytes;
    // a single huge element always gets a node of its own.
    private bool Fits(Node node, int valueLength)
    {
        int size = EntrySize(valueLength);
        if (Fill >= 0)
        {
            return node.Count < Math.Max(1, Fill) && (node.Used + size <= SafetyBytes || node.Count == 0);
        }

        return node.Used + size <= ByteLimit() || node.Count == 0;
    }

    private bool InBounds(Node node) =>
        Fill >= 0 ? node.Count <= Math.Max(1, Fill) && node.Used <= SafetyBytes : node.Used <= ByteLimit();

    private int ByteLimit() => Fill switch
    {
        -1 => 4096,
        -2 => 8192,
        -3 => 16384,
        -4 => 32768,
        _ => 65536,
    };

    private (int Node, int Pos) Locate(long index)
    {
        if (index < Count / 2)
        {
            for (int n = 0; n < _nodeCount; n++)
            {
                var node = NodeAt(n);
                if (index < node.Count)
                {
                    return (n, node.Skip(node.Start, (int)index));
                }

                index -= node.Count;
            }
        }
        else
        {
            long fromEnd = Count - 1 - index;
            for (int n = _nodeCount - 1; n >= 0; n--)
            {
                var node = NodeAt(n);
                if (fromEnd < node.Count)
                {
                    int p = node.End;
                    for (long k = 0; k <= fromEnd; k++)
                    {
                        p = node.PrevStart(p);
                    }

                    return (n, p);
                }

                fromEnd -= node.Count;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(index));
    }

    private void SplitIfNeeded(int n)
    {
        var node = NodeAt(n);
        if (node.Count < 2 || InBounds(node))
        {
            return;
        }

        int half = node.Count / 2;
        int mid = node.Skip(node.Start, half);
        var a = new Node(mid - node.Start);
        a.AppendRaw(node.Buffer.AsSpan(node.Start, mid - node.Start), half);
        var b = new Node(node.End - mid);
        b.AppendRaw(node.Buffer.AsSpan(mid, node.End - mid), node.Count - half);
        SetNodeAt(n, a);
        InsertNode(n + 1, b);
    }

    private Node NodeAt(int i) => _nodes is Node only ? only : ((Node[])_nodes!)[i];

    private void SetNodeAt(int i, Node node)
    {
        if (_nodes is Node[] all)
        {
            all[i] = node;
        }
        else
        {
            _nodes = node;
        }
    }

    private void InsertNode(int at, Node node)
    {
        if (_nodeCount == 0)
        {
            _nodes = node;
            _nodeCount = 1;
            return;
        }

        if (_nodes is not Node[] all)
        {
            all = new Node[4];
            all[0] = (Node)_nodes!;
            _nodes = all;
        }
        else if (_nodeCount == all.Length)
        {
            Array.Resize(ref all, all.Length * 2);
            _nodes = all;
        }

        Array.Copy(all, at, all, at + 1, _nodeCount - at);
        all[at] = node;
        _nodeCount++;
    }

    private void RemoveNode(int at)
    {
        if (_nodes is not Node[] all)
        {
            _nodes = null;
            _nodeCount = 0;
            return;
        }

        Array.Copy(all, at + 1, all, at, _nodeCount - at - 1);
        all[--_nodeCount] = null!;
        if (_nodeCount == 1)
        {
            _nodes = all[0];
        }
    }

    /// <summary>Walks elements forward or backward without copying them.</summary>
    internal struct Iterator
    {
        private readonly ListValue _list;
        private readonly bool _forward;
        private long _limit = long.MaxValue;
        private int _node;
        private int _pos;

        public Iterator(ListValue list, int node, int pos, long limit)
        {
            _list = list;
            _forward = true;
            _node = node;
            _pos = pos;
            _limit = limit;
        }

        public Iterator(ListValue list, long index, bool forward)
        {
            _list = list;
            _forward = forward;
            Index = index;
            if (index < 0 || index >= list.Count)
            {
                _node = -1;
                return;
            }

            (_node, _pos) = list.Locate(index);
        }

        /// <summary>The index of the element the next call returns.</summary>
        public long Index { get; private set; }

        /// <summary>The next element; false at the end.</summary>
        public bool Next(out ReadOnlySpan<byte> element)
        {
            if (_node < 0 || _node >= _list._nodeCount || _limit-- <= 0)
            {
                element = default;
                return false;
            }

            var node = _list.NodeAt(_node);
            element = node.EntryAt(_pos, out int next);
            if (_forward)
            {
                Index++;
                _pos = next;
                if (_pos >= node.End)
                {
                    _node++;
                    if (_node < _list._nodeCount)
                    {
                        _pos = _list.NodeAt(_node).Start;
                    }
                }
            }
            else
            {
                Index--;
                if (_pos == node.Start)
                {
                    _node--;
                    if (_node >= 0)
                    {
                        _pos = _list.NodeAt(_node).LastStart();
                    }
                }
                else
                {
                    _pos = node.PrevStart(_pos);
                }
            }

            return true;
        }
    }

    private sealed class Node
    {
        public Node(int capacity)
        {
            Buffer = new byte[Math.Max(16, capacity)];
            Start = End = Buffer.Length / 2;
        }

        // A node whose free room starts at <paramref name="start"/> (0: all room at the tail).
        public Node(int capacity, int start)
        {
            Buffer = new byte[capacity];
            Start = End = Math.Min(start, capacity);
        }

        public byte[] Buffer { get; private set; }

        public int Start { get; set; }

        public int End { get; set; }

        public int Count { get; set; }

        public int Used => End - Start;

        public Node Clone()
        {
            var n = new Node(Used);
            n.AppendRaw(Buffer.AsSpan(Start, Used), Count);
            return n;
        }

        public void Append(ReadOnlySpan<byte> value)
        {
            int size = EntrySize(value.Length);
            if (Buffer.Length - End < size)
            {
                Grow(size, atHead: false);
            }

            Write(End, value);
            End += size;
            Count++;
        }

        public void Prepend(ReadOnlySpan<byte> value)
        {
            int size = EntrySize(value.Length);
            if (Start < size)
            {
                Grow(size, atHead: true);
            }

            Start -= size;
            Write(Start, value);
            Count++;
        }

        public void AppendRaw(ReadOnlySpan<byte> entries, int count)
        {
            if (Buffer.Length - End < entries.Length)
            {
                Grow(entries.Length, atHead: false);
            }

            entries.CopyTo(Buffer.AsSpan(End));
            End += entries.Length;
            Count += count;
        }

        public ReadOnlySpan<byte> EntryAt(int pos, out int next)
        {
            int len = 0;
            int shift = 0;
            int p = pos;
            byte b;
            do
            {
                b = Buffer[p++];
                len |= (b & 0x7F) << shift;
                shift += 7;
            }
            while (b >= 0x80);

            next = p + len + VarintSize(len);
            return new ReadOnlySpan<byte>(Buffer, p, len);
        }

        // The start of the entry that ends at position p (reads the reversed length).
        public int PrevStart(int p)
        {
            int q = p - 1;
            byte b = Buffer[q];
            int len = b & 0x7F;
            int shift = 7;
            while (b >= 0x80)
            {
                b = Buffer[--q];
                len |= (b & 0x7F) << shift;
                shift += 7;
            }

            return q - len - VarintSize(len);
        }

        public int LastStart() => PrevStart(End);

        public int Skip(int pos, int n)
        {
            for (int i = 0; i < n; i++)
            {
                EntryAt(pos, out pos);
            }

            return pos;
        }

        public int CountBetween(int from, int to)
        {
            int n = 0;
            while (from < to)
            {
                EntryAt(from, out from);
                n++;
            }

            return n;
        }

        private void Write(int at, ReadOnlySpan<byte> value)
        {
            uint v = (uint)value.Length;
            while (v >= 0x80)
            {
                Buffer[at++] = (byte)(v | 0x80);
                v >>= 7;
            }

            Buffer[at++] = (byte)v;
            value.CopyTo(Buffer.AsSpan(at));
            at += value.Length;

            // The reversed copy: the low group last, each earlier byte flagged "more to the left".
            int k = VarintSize(value.Length);
            v = (uint)value.Length;
            for (int i = k - 1; i >= 0; i--)
            {
                // Every byte but the leftmost says "more to the left" for right-to-left reading.
                Buffer[at + i] = (byte)((v & 0x7F) | (i > 0 ? 0x80u : 0u));
                v >>= 7;
            }
        }

        private void Grow(int needed, bool atHead)
        {
            int used = Used;
            int size = Math.Max(Buffer.Length * 2, used + (needed * 2) + 16);
            var nb = new byte[size];
            int room = size - used;
            int start = atHead ? Math.Max(needed, room / 2) : Math.Min(room / 2, room - needed);

            Buffer.AsSpan(Start, used).CopyTo(nb.AsSpan(start));
            Buffer = nb;
            Start = start;
            End = start + used;
        }
    }
}
