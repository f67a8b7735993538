// C's strtod as glibc implements it, for the places Redis parses numbers with it: string2d
// (ZADD/ZINCRBY scores, WEIGHTS), zslParseRange (ZRANGEBYSCORE/ZCOUNT bounds) and SORT's
// weights. Each caller applies its own acceptance rule on top (whole string consumed, leading
// blanks, which ERANGE results count), so this reports what strtod would: the value, how many
// bytes it consumed (0 = no conversion), and whether errno would be ERANGE.
//
// Accepted forms: leading isspace blanks, an optional sign, then "inf"/"infinity" or
// "nan"/"nan(chars)" in any case, a hex float ("0x" hex digits [. hex digits] [p [sign]
// digits]) or a decimal ([digits] [. digits] with at least one digit, [e [sign] digits]). An
// exponent marker without digits is not consumed ("1e" consumes "1").
using System.Globalization;

namespace Cinnabar.Server.Storage;

/// <summary>glibc's strtod over bytes.</summary>
internal static class CStrtod
{
    // DBL_MIN: glibc sets ERANGE for results below the normal range that are inexact.
    private const double MinNormal = 2.2250738585072014e-308;

    /// <summary>Parses a prefix of <paramref name="s"/> as strtod does.</summary>
    public static double Parse(ReadOnlySpan<byte> s, out int consumed, out bool range)
    {
        consumed = 0;
        range = false;
        int i = 0;
        while (i < s.Length && IsSpace(s[i]))
        {
            i++;
        }

        bool negative = false;
        if (i < s.Length && s[i] is (byte)'+' or (byte)'-')
        {
            negative = s[i] == (byte)'-';
            i++;
        }

        var rest = s[i..];
        double magnitude;
        int used;
        if (StartsWithIgnoreCase(rest, "inf"u8))
        {
            used = StartsWithIgnoreCase(rest, "infinity"u8) ? 8 : 3;
            magnitude = double.PositiveInfinity;
        }
        else if (StartsWithIgnoreCase(rest, "nan"u8))
        {
            used = 3;
            if (used < rest.Length && rest[used] == (byte)'(')
            {
                int k = used + 1;
                while (k < rest.Length && (IsAlnum(rest[k]) || rest[k] == (byte)'_'))
                {
                    k++;
                }

                if (k < rest.Length && rest[k] == (byte)')')
                {
                    used = k + 1;
                }
            }

            magnitude = double.NaN;
        }
        else if (rest.Length >= 3 && rest[0] == (byte)'0' && (rest[1] | 0x20) == (byte)'x'
            && (IsHex(rest[2]) || (rest[2] == (byte)'.' && rest.Length >= 4 && IsHex(rest[3]))))
        {
            used = 2 + ParseHex(rest[2..], out magnitude, out range);
        }
        else
        {
            used = ParseDecimal(rest, out magnitude, out range);
            if (used == 0)
            {
                return 0;
            }
        }

        consumed = i + used;
        return negative ? -magnitude : magnitude;
    }

    /// <summary>The part of a binary string C's string functions see: up to the first NUL.</summary>
    public static ReadOnlySpan<byte> CString(ReadOnlySpan<byte> s)
    {
        int nul = s.IndexOf((byte)0);
        return nul < 0 ? s : s[..nul];
    }

    /// <summary>isspace in the C locale.</summary>
    public static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    // digits [. digits] [e [sign] digits]; returns the bytes consumed, 0 without a digit.
    private static int ParseDecimal(ReadOnlySpan<byte> s, out double value, out bool range)
    {
        value = 0;
        range = false;
        int k = 0, digits = 0;
        bool nonZero = false;
        while (k < s.Length && IsDigit(s[k]))
        {
            nonZero |= s[k] != (byte)'0';
            k++;
            digits++;
        }

        if (k < s.Length && s[k] == (byte)'.')
        {
            k++;
            while (k < s.Length && IsDigit(s[k]))
            {
                nonZero |= s[k] != (byte)'0';
                k++;
                digits++;
            }
        }

        if (digits == 0)
        {
            return 0;
        }

        if (k < s.Length && (s[k] | 0x20) == (byte)'e')
        {
            int e = k + 1;
            if (e < s.Length && s[e] is (byte)'+' or (byte)'-')
            {
                e++;
            }

            if (e < s.Length && IsDigit(s[e]))
            {
                while (e < s.Length && IsDigit(s[e]))
                {
                    e++;
                }

                k = e;
            }
        }

        Span<char> chars = k <= 256 ? stackalloc char[k] : new char[k];
        for (int j = 0; j < k; j++)
        {
            chars[j] = (char)s[j];
        }

        // .NET parses any length of digits and exponent, rounding correctly as glibc does.
        value = double.Parse(chars, NumberStyles.Float, CultureInfo.InvariantCulture);
        range = double.IsInfinity(value) || (value == 0 && nonZero) || (value != 0 && value < MinNormal);
        return k;
    }

    // hex digits [. hex digits] [p [sign] digits] after "0x"; returns the bytes consumed.
    private static int ParseHex(ReadOnlySpan<byte> s, out double value, out bool range)
    {
        ulong mantissa = 0;
        long exponent = 0;
        int k = 0;
        bool sticky = false, point = false;
        for (; k < s.Length; k++)
        {
            byte c = s[k];
            if (c == (byte)'.' && !point)
            {
                point = true;
                continue;
            }

            if (!IsHex(c))
            {
                break;
            }

            int d = IsDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
            if (mantissa >> 58 == 0)
            {
                mantissa = (mantissa << 4) | (uint)d;
                if (point)
                {
                    exponent -= 4;
                }
            }
            else
            {
                sticky |= d != 0;
                if (!point)
                {
                    exponent += 4;
                }
            }
        }

        if (k < s.Length && (s[k] | 0x20) == (byte)'p')
        {
            int e = k + 1;
            bool negative = false;
            if (e < s.Length && s[e] is (byte)'+' or (byte)'-')
            {
                negative = s[e] == (byte)'-';
                e++;
            }

            if (e < s.Length && IsDigit(s[e]))
            {
                long exp = 0;
                while (e < s.Length && IsDigit(s[e]))
                {
                    exp = Math.Min((exp * 10) + (s[e] - '0'), 100000);
                    e++;
                }

                exponent += negative ? -exp : exp;
                k = e;
            }
        }

        if (sticky)
        {
            mantissa |= 1;
        }

        int scale = (int)Math.Clamp(exponent, -200000, 200000);
        value = Math.ScaleB(mantissa, scale);
        bool tiny = value < MinNormal;
        bool inexactTiny = tiny && mantissa != 0 && (value == 0 || Math.ScaleB(value, -scale) != mantissa);
        range = double.IsInfinity(value) || inexactTiny;
        return k;
    }

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> s, ReadOnlySpan<byte> lower) =>
        s.Length >= lower.Length && System.Text.Ascii.EqualsIgnoreCase(s[..lower.Length], lower);

    private static bool IsDigit(byte c) => c is >= (byte)'0' and <= (byte)'9';

    private static bool IsHex(byte c) => IsDigit(c) || (c | 0x20) is >= (byte)'a' and <= (byte)'f';

    private static bool IsAlnum(byte c) => IsDigit(c) || (c | 0x20) is >= (byte)'a' and <= (byte)'z';
}
