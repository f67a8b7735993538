// The ordered half of a large sorted set: a skiplist whose links carry spans (how many
// elements a link jumps over), as in William Pugh's paper and Redis's t_zset.c.
// Why a skiplist and not a balanced order-statistic tree: the same O(log n) rank, by-rank and
// range operations, but range scans in both directions are plain pointer walks (level 0 forward
// links plus one backward link), updates touch only the nodes on the search path without
// rebalancing, and the shape (p = 1/4, at most 32 levels) matches Redis's, so performance
// characteristics carry over. Order: score, then member bytes compared like memcmp with the
// shorter string first on a common prefix (sdscmp). Ranks here are 1-based, as in Redis.
namespace Cinnabar.Server.Storage.Types;

/// <summary>A skiplist with spans over (score, member).</summary>
internal sealed class ZSkipList
{
    private const int MaxLevel = 32;

    // The search path of one insert or delete; per thread because RDB loads build sets off the executor.
    [ThreadStatic]
    private static Node[]? t_update;

    private readonly Node _header = new(MaxLevel, 0, []);
    private int _level = 1;

    /// <summary>Elements.</summary>
    public long Length { get; private set; }

    /// <summary>The first (lowest) node, or null.</summary>
    public Node? First => _header.Levels[0].Forward;

    /// <summary>The last (highest) node, or null.</summary>
    public Node? Last { get; private set; }

    /// <summary>Creates a node of a random level (zslRandomLevel: each level with probability 1/4).</summary>
    public static Node NewNode(double score, byte[] member)
    {
        int level = 1;
        while (level < MaxLevel && (Random.Shared.Next() & 0xFFFF) < (0.25 * 0xFFFF))
        {
            level++;
        }

        return new Node(level, score, member);
    }

    /// <summary>Inserts a new element (the caller guarantees the member is absent).</summary>
    public Node Insert(double score, byte[] member)
    {
        var x = NewNode(score, member);
        LinkNode(x);
        return x;
    }

    /// <summary>Removes <paramref name="node"/>, which must be in this list.</summary>
    public void Delete(Node node)
    {
        var update = t_update ??= new Node[MaxLevel];
        FindUpdate(node.Score, node.Member, update);
        Unlink(node, update);
        Array.Clear(update);
    }

    /// <summary>Changes a node's score, moving it only when its neighbours no longer bracket it (zslUpdateScore).</summary>
    public void UpdateScore(Node node, double newScore)
    {
        var back = node.Backward;
        var next = node.Levels[0].Forward;
        if ((back is null || back.Score < newScore) && (next is null || next.Score > newScore))
        {
            node.Score = newScore;
            return;
        }

        Delete(node);
        node.Score = newScore;
        LinkNode(node);
    }

    /// <summary>1-based rank of an element known to be present (zslGetRank).</summary>
    public long Rank(Node node)
    {
        long rank = 0;
        var x = _header;
        for (int i = _level - 1; i >= 0; i--)
        {
            while (x.Levels[i].Forward is { } f && Compare(f, node.Score, node.Member) <= 0)
            {
                rank += x.Levels[i].Span;
                x = f;
            }

            if (ReferenceEquals(x, node))
            {
                return rank;
            }
        }

        return 0;
    }

    /// <summary>The node at a 1-based rank, or null (zslGetElementByRank).</summary>
    public Node? ByRank(long rank)
    {
        long traversed = 0;
        var x = _header;
        for (int i = _level - 1; i >= 0; i--)
        {
            while (x.Levels[i].Forward is { } f && traversed + x.Levels[i].Span <= rank)
            {
                traversed += x.Levels[i].Span;
                x = f;
            }

            if (traversed == rank)
            {
                return ReferenceEquals(x, _header) ? null : x;
            }
        }

        return null;
    }

    /// <summary>How many elements come before the first one for which <paramref name="atOrPast"/> holds (the predicate must be monotonic over the order).</summary>
    public long CountBefore<TPredicate>(TPredicate atOrPast)
        where TPredicate : struct, INodePredicate
    {
        long rank = 0;
        var x = _header;
        for (int i = _level - 1; i >= 0; i--)
        {
            while (x.Levels[i].Forward is { } f && !atOrPast.Holds(f))
            {
                rank += x.Levels[i].Span;
                x = f;
            }
        }

        return rank;
    }

    /// <summary>Compares a node with (score, member) in the set's order.</summary>
    public static int Compare(Node n, double score, ReadOnlySpan<byte> member)
    {
        if (n.Score < score)
        {
            return -1;
        }

        if (n.Score > score)
        {
            return 1;
        }

        return n.Member.AsSpan().SequenceCompareTo(member);
    }

    private void FindUpdate(double score, ReadOnlySpan<byte> member, Node[] update)
    {
        var x = _header;
        for (int i = _level - 1; i >= 0; i--)
        {
            while (x.Levels[i].Forward is { } f && Compare(f, score, member) < 0)
            {
                x = f;
            }

            update[i] = x;
        }
    }

    private void LinkNode(Node x)
    {
        var update = t_update ??= new Node[MaxLevel];
        Span<long> rank = stackalloc long[MaxLevel];
        var p = _header;
        for (int i = _level - 1; i >= 0; i--)
        {
            rank[i] = i == _level - 1 ? 0 : rank[i + 1];
            while (p.Levels[i].Forward is { } f && Compare(f, x.Score, x.Member) < 0)
            {
                rank[i] += p.Levels[i].Span;
                p = f;
            }

            update[i] = p;
        }

        int level = x.Levels.Length;
        if (level > _level)
        {
            for (int i = _level; i < level; i++)
            {
                rank[i] = 0;
                update[i] = _header;
                _header.Levels[i].Span = Length;
            }

            _level = level;
        }

        for (int i = 0; i < level; i++)
        {
            x.Levels[i].Forward = update[i].Levels[i].Forward;
            update[i].Levels[i].Forward = x;
            x.Levels[i].Span = update[i].Levels[i].Span - (rank[0] - rank[i]);
            update[i].Levels[i].Span = rank[0] - rank[i] + 1;
        }

        for (int i = level; i < _level; i++)
        {
            update[i].Levels[i].Span++;
        }

        x.Backward = ReferenceEquals(update[0], _header) ? null : update[0];
        if (x.Levels[0].Forward is { } next)
        {
            next.Backward = x;
        }
        else
        {
            Last = x;
        }

        Array.Clear(update);
        Length++;
    }

    private void Unlink(Node x, Node[] update)
    {
        for (int i = 0; i < _level; i++)
        {
            if (ReferenceEquals(update[i].Levels[i].Forward, x))
            {
                update[i].Levels[i].Span += x.Levels[i].Span - 1;
                update[i].Levels[i].Forward = x.Levels[i].Forward;
            }
            else
            {
                update[i].Levels[i].Span--;
            }
        }

        if (x.Levels[0].Forward is { } next)
        {
            next.Backward = x.Backward;
        }
        else
        {
            Last = x.Backward;
        }

        while (_level > 1 && _header.Levels[_level - 1].Forward is null)
        {
            _level--;
        }

        for (int i = 0; i < x.Levels.Length; i++)
        {
            x.Levels[i] = default;
        }

        x.Backward = null;
        Length--;
    }

    /// <summary>A monotonic test over the order (false for a prefix of the elements, true after).</summary>
    internal interface INodePredicate
    {
        bool Holds(Node n);
    }

    /// <summary>One element: member, score, backward link and its forward links with spans.</summary>
    internal sealed class Node(int level, double score, byte[] member)
    {
        public byte[] Member { get; } = member;

        public double Score { get; set; } = score;

        public Node? Backward { get; set; }

        public Link[] Levels { get; } = new Link[level];
    }

    /// <summary>A forward link and how many elements it spans.</summary>
    internal struct Link
    {
        public Node? Forward;
        public long Span;
    }
}
