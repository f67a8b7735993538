// Reading fields out of INFO text. redis-cli's getInfoField finds "field:" anywhere (strstr)
// and stops at '\r' or ','; the --status view needs exact lines, so both are here.
using System.Globalization;

namespace Cinnabar.Cli;

/// <summary>INFO text helpers.</summary>
internal static class InfoFields
{
    /// <summary>getInfoField: the value after the first occurrence of <paramref name="field"/>, up to '\r' or ','.</summary>
    public static string? Get(string info, string field)
    {
        int p = info.IndexOf(field, StringComparison.Ordinal);
        if (p < 0)
        {
            return null;
        }

        p += field.Length + 1;
        if (p > info.Length)
        {
            return null;
        }

        int end = info.IndexOf('\r', p);
        int comma = info.IndexOf(',', p);
        if (end < 0)
        {
            end = info.Length;
        }

        if (comma >= 0 && comma < end)
        {
            end = comma;
        }

        return info[p..end];
    }

    /// <summary>getLongInfoField: strtol of the field, long.MinValue when absent.</summary>
    public static long GetLong(string info, string field) => Get(info, field) is { } v ? CNumbers.StrToLL(v) : long.MinValue;

    /// <summary>Every "name:value" line of INFO as a dictionary (exact names).</summary>
    public static Dictionary<string, string> Parse(string info)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in info.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                fields[line[..colon]] = line[(colon + 1)..];
            }
        }

        return fields;
    }

    /// <summary>"k1=v1,k2=v2" (slaveN lines) as a dictionary.</summary>
    public static Dictionary<string, string> ParseList(string value)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in value.Split(','))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                result[part[..eq]] = part[(eq + 1)..];
            }
        }

        return result;
    }

    /// <summary>A field as a long, or null.</summary>
    public static long? Long(Dictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var v) && long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) ? n : null;
}
