// Redis's strict integer parsing (util.c string2ll/string2l) and its number formatting.
// string2ll accepts an optional '-', no '+', no leading zeros, no blanks, and at most 20 characters.
using System.Buffers.Text;
using System.Globalization;

namespace Cinnabar.Protocol;

/// <summary>Number parsing and formatting with Redis's rules.</summary>
public static class Number
{
    /// <summary>Parses like Redis's string2ll.</summary>
    public static bool TryParseInt64(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        if (s.Length == 0 || s.Length > 20)
        {
            return false;
        }

        if (s.Length == 1 && s[0] == (byte)'0')
        {
            return true;
        }

        int p = 0;
        bool negative = false;
        if (s[0] == (byte)'-')
        {
            negative = true;
            p++;
            if (p == s.Length)
            {
                return false;
            }
        }

        if (s[p] < (byte)'1' || s[p] > (byte)'9')
        {
            return false;
        }

        ulong v = 0;
        for (; p < s.Length; p++)
        {
            uint d = (uint)(s[p] - '0');
            if (d > 9)
            {
                return false;
            }

            if (v > (ulong.MaxValue - d) / 10)
            {
                return false;
            }

            v = (v * 10) + d;
        }

        if (negative)
        {
            if (v > (ulong)long.MaxValue + 1)
            {
                return false;
            }

            value = (long)(0 - v);
        }
        else
        {
            if (v > long.MaxValue)
            {
                return false;
            }

            value = (long)v;
        }

        return true;
    }

    /// <summary>Formats an integer as ASCII into <paramref name="destination"/>; returns bytes written.</summary>
    public static int Format(long value, Span<byte> destination)
    {
        Utf8Formatter.TryFormat(value, destination, out int written);
        return written;
    }

    /// <summary>ASCII bytes of an integer.</summary>
    public static byte[] ToBytes(long value)
    {
        Span<byte> tmp = stackalloc byte[24];
        int n = Format(value, tmp);
        return tmp[..n].ToArray();
    }

    /// <summary>Parses a double like Redis's string2d/strtod (no blanks, no NaN).</summary>
    public static bool TryParseDouble(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        if (s.Length == 0 || s.Length > 5000 || SplitArgs.IsSpace(s[0]) || SplitArgs.IsSpace(s[^1]))
        {
            return false;
        }

        Span<char> chars = s.Length <= 256 ? stackalloc char[s.Length] : new char[s.Length];
        for (int i = 0; i < s.Length; i++)
        {
            chars[i] = (char)s[i];
        }

        var text = chars.ToString().ToLowerInvariant();
        switch (text)
        {
            case "inf" or "+inf" or "infinity" or "+infinity":
                value = double.PositiveInfinity;
                return true;
            case "-inf" or "-infinity":
                value = double.NegativeInfinity;
                return true;
        }

        if (text.Contains("nan", StringComparison.Ordinal))
        {
            return false;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && !double.IsNaN(value);
    }
}
