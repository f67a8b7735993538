// Score parsing and formatting as Redis does them for sorted sets: getDoubleFromObject's strict
// strtod for ZADD and WEIGHTS, zslParseRange's looser one, "%.17g" replies (addReplyDouble) and
// d2string (listpack score text, ZSCAN of a listpack).
using Cinnabar.Protocol;

namespace Cinnabar.Server.Storage.Types;

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
