// A sorted-set score range (t_zset.c zrangespec) and its parser (zslParseRange): strtod over the
// whole argument with an optional "(" for exclusive, so "" and "(" both read as 0, "1e999" as
// inf, and NaN is refused.
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
