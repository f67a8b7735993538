// C library number parsing as redis-cli uses it on its command line: atoi/strtoll take the
// longest numeric prefix and yield 0 when there is none ("-p abc" connects to port 0, as
// redis-cli does), atof likewise for doubles.
using System.Globalization;

namespace Cinnabar.Cli;

/// <summary>atoi, strtoll and atof semantics.</summary>
internal static class CNumbers
{
    /// <summary>strtoll(s, NULL, 10), saturating like glibc.</summary>
    public static long StrToLL(string s)
    {
        int i = 0;
        while (i < s.Length && char.IsWhiteSpace(s[i]))
        {
            i++;
        }

        bool negative = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-'))
        {
            negative = s[i] == '-';
            i++;
        }

        long value = 0;
        for (; i < s.Length && s[i] is >= '0' and <= '9'; i++)
        {
            int digit = s[i] - '0';
            if (value > (long.MaxValue - digit) / 10)
            {
                return negative ? long.MinValue : long.MaxValue;
            }

            value = (value * 10) + digit;
        }

        return negative ? -value : value;
    }

    /// <summary>atoi(s): the low 32 bits of strtol, as glibc does.</summary>
    public static int Atoi(string s) => unchecked((int)StrToLL(s));

    /// <summary>atof(s): the longest prefix that parses as a double, else 0.</summary>
    public static double Atof(string s)
    {
        s = s.TrimStart();
        for (int len = s.Length; len > 0; len--)
        {
            if (double.TryParse(s.AsSpan(0, len), NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            {
                return d;
            }
        }

        return 0;
    }
}
