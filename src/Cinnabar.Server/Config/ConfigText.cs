// Redis's text forms of config values, shared by the store, the rewriter and the command line:
// memtoull memory units, rewriteConfigFormatMemory, keyspace-event class letters, strtoll-style
// integers and %f percentiles.
using System.Globalization;
using System.Text;

namespace Cinnabar.Server.Config;

/// <summary>Parsing and printing of config value text.</summary>
internal static class ConfigText
{
    private const int NotifyAll = (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 13);


    /// <summary>Redis's keyspaceEventsStringToFlags; -1 for an unknown class character.</summary>
    public static int NotifyFlagsFromString(string classes)
    {
        int flags = 0;
        foreach (char c in classes)
        {
            flags |= c switch
            {
                'A' => NotifyAll,
                'g' => 1 << 2,
                '$' => 1 << 3,
                'l' => 1 << 4,
                's' => 1 << 5,
                'h' => 1 << 6,
                'z' => 1 << 7,
                'x' => 1 << 8,
                'e' => 1 << 9,
                'K' => 1 << 0,
                'E' => 1 << 1,
                't' => 1 << 10,
                'm' => 1 << 11,
                'd' => 1 << 13,
                'n' => 1 << 14,
                _ => -1,
            };
            if (flags < 0)
            {
                return -1;
            }
        }

        return flags;
    }

    /// <summary>Redis's keyspaceEventsFlagsToString.</summary>
    public static string NotifyFlagsToString(int flags)
    {
        var sb = new StringBuilder();
        if ((flags & NotifyAll) == NotifyAll)
        {
            sb.Append('A');
        }
        else
        {
            (int Bit, char C)[] order = [(1 << 2, 'g'), (1 << 3, '$'), (1 << 4, 'l'), (1 << 5, 's'), (1 << 6, 'h'), (1 << 7, 'z'), (1 << 8, 'x'), (1 << 9, 'e'), (1 << 10, 't'), (1 << 13, 'd'), (1 << 14, 'n')];
            foreach (var (bit, c) in order)
            {
                if ((flags & bit) != 0)
                {
                    sb.Append(c);
                }
            }
        }

        if ((flags & 1) != 0)
        {
            sb.Append('K');
        }

        if ((flags & 2) != 0)
        {
            sb.Append('E');
        }

        if ((flags & (1 << 11)) != 0)
        {
            sb.Append('m');
        }

        return sb.ToString();
    }

    /// <summary>Redis's memtoull: digits with an optional b/k/kb/m/mb/g/gb unit.</summary>
    public static bool TryParseMemory(string p, out ulong value)
    {
        value = 0;
        if (p.StartsWith('-'))
        {
            return false;
        }

        int u = 0;
        while (u < p.Length && char.IsAsciiDigit(p[u]))
        {
            u++;
        }

        ulong mul = p[u..].ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "k" => 1000,
            "kb" => 1024,
            "m" => 1000 * 1000,
            "mb" => 1024 * 1024,
            "g" => 1000UL * 1000 * 1000,
            "gb" => 1024UL * 1024 * 1024,
            _ => 0,
        };
        if (mul == 0)
        {
            return false;
        }

        // strtoull of an empty digit run yields 0 without an error, as in Redis.
        ulong digits = 0;
        if (u > 0 && !ulong.TryParse(p.AsSpan(0, u), NumberStyles.None, CultureInfo.InvariantCulture, out digits))
        {
            digits = ulong.MaxValue;
        }

        value = unchecked(digits * mul);
        return true;
    }

    /// <summary>Formats bytes as Redis's rewriteConfigFormatMemory (1gb, 64mb, 3kb or plain).</summary>
    public static string FormatMemory(long bytes)
    {
        const long Gb = 1024L * 1024 * 1024;
        const long Mb = 1024L * 1024;
        const long Kb = 1024;
        if (bytes != 0 && bytes % Gb == 0)
        {
            return $"{bytes / Gb}gb";
        }

        if (bytes != 0 && bytes % Mb == 0)
        {
            return $"{bytes / Mb}mb";
        }

        if (bytes != 0 && bytes % Kb == 0)
        {
            return $"{bytes / Kb}kb";
        }

        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    public static string FormatPercentile(double p)
    {
        // "%f" then trimDoubleString: six decimals with trailing zeros (and a bare '.') removed.
        var s = p.ToString("F6", CultureInfo.InvariantCulture);
        return s.Contains('.', StringComparison.Ordinal) ? s.TrimEnd('0').TrimEnd('.') : s;
    }

    /// <summary>strtoll(value, &amp;end, 8) with no trailing characters and no overflow.</summary>
    public static bool TryParseOctal(string value, out long result)
    {
        result = 0;
        int i = 0;
        while (i < value.Length && char.IsWhiteSpace(value[i]))
        {
            i++;
        }

        bool negative = false;
        if (i < value.Length && value[i] is '+' or '-')
        {
            negative = value[i] == '-';
            i++;
        }

        int start = i;
        Int128 acc = 0;
        while (i < value.Length && value[i] is >= '0' and <= '7')
        {
            acc = (acc * 8) + (value[i] - '0');
            if (acc > long.MaxValue)
            {
                return false;
            }

            i++;
        }

        if (i == start)
        {
            // No digits: strtoll leaves end at the start, so only an empty string passes.
            return value.Length == 0;
        }

        if (i != value.Length)
        {
            return false;
        }

        result = (long)(negative ? -acc : acc);
        return true;
    }

    /// <summary>strtoll(arg, &amp;end, 10) that must consume everything (an empty string gives 0).</summary>
    public static bool TryParseSaveNumber(string s, out long value)
    {
        value = 0;
        var t = s.TrimStart();
        if (t.Length == 0)
        {
            return s.Length == 0;
        }

        return long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }
}
