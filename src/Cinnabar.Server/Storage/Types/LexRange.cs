// A sorted-set lexicographic range (t_zset.c zlexrangespec) and its parser (zslParseLexRange):
// each bound is "-", "+", "(member" or "[member".
namespace Cinnabar.Server.Storage.Types;

/// <summary>A lexicographic interval; '-' and '+' are the smallest and greatest strings.</summary>
internal sealed class LexRange
{
    private LexRange(Bound min, Bound max)
    {
        Min = min;
        Max = max;
    }

    public Bound Min { get; }

    public Bound Max { get; }

    /// <summary>True when no string can be inside (zslIsInLexRange's first test).</summary>
    public bool IsEmpty
    {
        get
        {
            int c = Compare(Min, Max);
            return c > 0 || (c == 0 && (Min.Exclusive || Max.Exclusive));
        }
    }

    /// <summary>zslParseLexRange.</summary>
    public static LexRange? TryParse(ReadOnlySpan<byte> min, ReadOnlySpan<byte> max) =>
        TryParseItem(min, out var lo) && TryParseItem(max, out var hi) ? new LexRange(lo, hi) : null;

    /// <summary>zslLexValueGteMin.</summary>
    public bool GteMin(ReadOnlySpan<byte> v)
    {
        int c = CompareValue(v, Min);
        return Min.Exclusive ? c > 0 : c >= 0;
    }

    /// <summary>zslLexValueLteMax.</summary>
    public bool LteMax(ReadOnlySpan<byte> v)
    {
        int c = CompareValue(v, Max);
        return Max.Exclusive ? c < 0 : c <= 0;
    }

    // sdscmplex with a real string on the left.
    private static int CompareValue(ReadOnlySpan<byte> v, Bound b) => b.Kind switch
    {
        BoundKind.MinusInf => 1,
        BoundKind.PlusInf => -1,
        _ => v.SequenceCompareTo(b.Value),
    };

    // sdscmplex between two bounds (the shared min/max strings compare by identity).
    private static int Compare(Bound a, Bound b)
    {
        if (a.Kind == b.Kind && a.Kind != BoundKind.Value)
        {
            return 0;
        }

        if (a.Kind == BoundKind.MinusInf || b.Kind == BoundKind.PlusInf)
        {
            return -1;
        }

        if (a.Kind == BoundKind.PlusInf || b.Kind == BoundKind.MinusInf)
        {
            return 1;
        }

        return a.Value.AsSpan().SequenceCompareTo(b.Value);
    }

    private static bool TryParseItem(ReadOnlySpan<byte> s, out Bound bound)
    {
        bound = default;
        if (s.Length == 0)
        {
            return false;
        }

        switch (s[0])
        {
            case (byte)'+' when s.Length == 1:
                bound = new Bound(BoundKind.PlusInf, [], true);
                return true;
            case (byte)'-' when s.Length == 1:
                bound = new Bound(BoundKind.MinusInf, [], true);
                return true;
            case (byte)'(':
                bound = new Bound(BoundKind.Value, s[1..].ToArray(), true);
                return true;
            case (byte)'[':
                bound = new Bound(BoundKind.Value, s[1..].ToArray(), false);
                return true;
            default:
                return false;
        }
    }

    /// <summary>What a bound is.</summary>
    internal enum BoundKind
    {
        Value,
        MinusInf,
        PlusInf,
    }

    /// <summary>One end of the interval.</summary>
    internal readonly record struct Bound(BoundKind Kind, byte[] Value, bool Exclusive);
}
