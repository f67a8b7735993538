// "name:value\r\n" lines of INFO, appended without a string per value: monitoring polls INFO
// many times a second, and what each call allocates is what makes the collector pause the
// command thread (interpolated appends format straight into the builder).
using System.Globalization;
using System.Text;

namespace Cinnabar.Server.Diagnostics;

/// <summary>Appends INFO fields.</summary>
internal static class InfoText
{
    /// <summary>name:value with a text value.</summary>
    public static void Line(StringBuilder sb, string name, string value) =>
        sb.Append(name).Append(':').Append(value).Append("\r\n");

    /// <summary>name:value with an integer value.</summary>
    public static void Line(StringBuilder sb, string name, long value) =>
        sb.Append(name).Append(':').Append(CultureInfo.InvariantCulture, $"{value}").Append("\r\n");

    /// <summary>name:value with two decimals (Redis's "%.2f").</summary>
    public static void LineF2(StringBuilder sb, string name, double value) =>
        sb.Append(name).Append(':').Append(CultureInfo.InvariantCulture, $"{value:F2}").Append("\r\n");

    /// <summary>name:value followed by a percent sign, two decimals.</summary>
    public static void PercentLine(StringBuilder sb, string name, double value) =>
        sb.Append(name).Append(':').Append(CultureInfo.InvariantCulture, $"{value:F2}").Append("%\r\n");

    /// <summary>name:value in Redis's bytesToHuman form (1023B, 1.00K, 2.50M ...).</summary>
    public static void HumanLine(StringBuilder sb, string name, long bytes)
    {
        sb.Append(name).Append(':');
        if (bytes < 1024)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{bytes}B\r\n");
            return;
        }

        const string Units = "KMGTP";
        double d = bytes;
        for (int i = 0; i < Units.Length; i++)
        {
            d /= 1024;
            if (d < 1024 || i == Units.Length - 1)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{d:F2}").Append(Units[i]).Append("\r\n");
                return;
            }
        }
    }
}
