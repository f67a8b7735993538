// The two kinds of sorted-set range (t_zset.c's zrangespec and zlexrangespec) and their
// parsers, with Redis's exact acceptance rules: a score bound is strtod over the whole argument
// with an optional "(" for exclusive (so "" and "(" both read as 0, "1e999" as inf, NaN refused);
// a lex bound is "-", "+", "(member" or "[member".
using Cinnabar.Protocol;

namespace Cinnabar.Server.Storage.Types;

/// <summary>A score interval with open or closed ends.</summary>
internal readonly record struct ScoreRange(double Min, double Max, bool MinEx, bool MaxEx)
{
    /// <summary>zslValueGteMin.</summary>
    public bool GteMin(double v) => MinEx ? v > Min : v >= Min;

    /// <summary>zslValueLteMax.</summary>
    public bool LteMax(double v) => MaxEx ? v < Max : v <= Max;

    /// <summary>True when no score can be inside (zslIsInRange's first test).</summary>
    public bool IsEmpty => Min > Max || (Min == Max && (MinEx || MaxEx));

    /// <summary>zslParseRange.</summary>
    public static bool TryParse(ReadOnlySpan<byte> min, ReadOnlySpan<byte> max, out ScoreRange range)
    {
        range = default;
        if (!TryParseBound(min, out double lo, out bool loEx) || !TryParseBound(max, out double hi, out bool hiEx))
        {
            return false;
        }

        range = new ScoreRange(lo, hi, loEx, hiEx);
        return true;
    }

    private static bool TryParseBound(ReadOnlySpan<byte> s, out double value, out bool exclusive)
    {
        exclusive = s.Length > 0 && s[0] == (byte)'(';
        return ZDouble.TryStrtodWhole(exclusive ? s[1..] : s, out value);
    }
}

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

/// <summary>Score parsing and formatting as Redis does them for sorted sets.</summary>
internal static class ZDouble
{
    /// <summary>
    /// strtod that must consume the whole string (zslParseRange): leading blanks allowed, "" is 0,
    /// overflow is inf and underflow 0 (no ERANGE check there), NaN refused.
    /// </summary>
    public static bool TryStrtodWhole(ReadOnlySpan<byte> s, out double value)
    {
        int i = 0;
        while (i < s.Length && SplitArgs.IsSpace(s[i]))
        {
            i++;
        }

        s = s[i..];
        if (s.Length == 0)
        {
            value = 0;
            return true;
        }

        return TryParseLoose(s, out value, out _);
    }

    /// <summary>
    /// getDoubleFromObject (ZADD scores, WEIGHTS): no leading blank, whole string, NaN refused,
    /// and an overflow or underflow to zero (ERANGE) refused too.
    /// </summary>
    public static bool TryParseStrict(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        if (s.Length == 0 || SplitArgs.IsSpace(s[0]))
        {
            return false;
        }

        return TryParseLoose(s, out value, out bool range) && !range;
    }

    /// <summary>printf("%.17g"), with inf/-inf spelled as Redis spells them (addReplyDouble).</summary>
    public static byte[] Format(double d)
    {
        if (d == Math.Floor(d) && Math.Abs(d) < 1e15)
        {
            if (d == 0)
            {
                return double.IsNegative(d) ? "-0"u8.ToArray() : "0"u8.ToArray();
            }

            return Number.ToBytes((long)d);
        }

        return System.Text.Encoding.ASCII.GetBytes(Diagnostics.Digest.FormatG17(d));
    }

    /// <summary>d2string (ZSCAN's scores, listpack score text): integers that double2ll accepts as plain digits, else "%.17g".</summary>
    public static byte[] D2String(double d)
    {
        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf"u8.ToArray() : "-inf"u8.ToArray();
        }

        if (d == 0)
        {
            return double.IsNegative(d) ? "-0"u8.ToArray() : "0"u8.ToArray();
        }

        return ZSetValue.IsLongScore(d, out long l) ? Number.ToBytes(l) : System.Text.Encoding.ASCII.GetBytes(Diagnostics.Digest.FormatG17(d));
    }

    // strtod's syntax: [sign] (digits [. digits] | . digits) [e [sign] digits], or inf/infinity;
    // range is true when the value overflowed to inf or underflowed to zero from nonzero digits.
    private static bool TryParseLoose(ReadOnlySpan<byte> s, out double value, out bool range)
    {
        range = false;
        value = 0;
        int i = 0;
        if (i < s.Length && (s[i] == (byte)'+' || s[i] == (byte)'-'))
        {
            i++;
        }

        var rest = s[i..];
        if (Ascii.EqualsIgnoreCase(rest, "inf"u8) || Ascii.EqualsIgnoreCase(rest, "infinity"u8))
        {
            value = s[0] == (byte)'-' ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }

        int digits = 0;
        bool nonZero = false;
        while (i < s.Length && IsDigit(s[i]))
        {
            nonZero |= s[i] != (byte)'0';
            i++;
            digits++;
        }

        if (i < s.Length && s[i] == (byte)'.')
        {
            i++;
            while (i < s.Length && IsDigit(s[i]))
            {
                nonZero |= s[i] != (byte)'0';
                i++;
                digits++;
            }
        }

        if (digits == 0)
        {
            return false;
        }

        if (i < s.Length && (s[i] == (byte)'e' || s[i] == (byte)'E'))
        {
            int j = i + 1;
            if (j < s.Length && (s[j] == (byte)'+' || s[j] == (byte)'-'))
            {
                j++;
            }

            int expDigits = 0;
            while (j < s.Length && IsDigit(s[j]))
            {
                j++;
                expDigits++;
            }

            if (expDigits == 0)
            {
                return false;
            }

            i = j;
        }

        if (i != s.Length)
        {
            return false;
        }

        Span<char> chars = s.Length <= 256 ? stackalloc char[s.Length] : new char[s.Length];
        for (int k = 0; k < s.Length; k++)
        {
            chars[k] = (char)s[k];
        }

        if (!double.TryParse(chars, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out value))
        {
            return false;
        }

        range = double.IsInfinity(value) || (value == 0 && nonZero);
        return true;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';
}
