// Score parsing and formatting as Redis does them for sorted sets: getDoubleFromObject's strict
// strtod for ZADD and WEIGHTS, zslParseRange's looser one (both glibc strtod, see CStrtod: hex
// floats and "infinity" included), "%.17g" replies (addReplyDouble) and
// d2string (listpack score text, ZSCAN of a listpack).
using Cinnabar.Protocol;

namespace Cinnabar.Server.Storage.Types;

/// <summary>Score parsing and formatting as Redis does them for sorted sets.</summary>
internal static class ZDouble
{
    /// <summary>
    /// zslParseRange's strtod: the C string (up to a NUL) must be consumed whole, leading blanks
    /// allowed, "" is 0, overflow is inf and underflow 0 (no ERANGE check there), NaN refused.
    /// </summary>
    public static bool TryStrtodWhole(ReadOnlySpan<byte> s, out double value)
    {
        s = CStrtod.CString(s);
        value = CStrtod.Parse(s, out int consumed, out _);
        return consumed == s.Length && !double.IsNaN(value);
    }

    /// <summary>
    /// string2d (ZADD/ZINCRBY scores, WEIGHTS): no leading blank, the whole string, NaN refused,
    /// and an ERANGE result refused when it overflowed to inf or underflowed to zero.
    /// </summary>
    public static bool TryParseStrict(ReadOnlySpan<byte> s, out double value)
    {
        if (s.Length == 0 || CStrtod.IsSpace(s[0]))
        {
            value = 0;
            return false;
        }

        value = CStrtod.Parse(s, out int consumed, out bool range);
        return consumed == s.Length && !double.IsNaN(value) && !(range && (double.IsInfinity(value) || value == 0));
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

}
