// Redis's sdscatrepr: a double-quoted rendering of binary data with C escapes (\\ \" \n \r \t
// \a \b) and \xHH for other non-printable bytes. Used by MONITOR lines, protocol-error log
// lines and CONFIG REWRITE, which must all print exactly what Redis prints.
using System.Globalization;
using System.Text;

namespace Cinnabar.Protocol;

/// <summary>sdscatrepr.</summary>
public static class Repr
{
    /// <summary>Appends the quoted form of <paramref name="s"/>.</summary>
    public static void Append(StringBuilder sb, ReadOnlySpan<byte> s)
    {
        sb.Append('"');
        foreach (byte b in s)
        {
            switch (b)
            {
                case (byte)'\\': sb.Append("\\\\"); break;
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case 7: sb.Append("\\a"); break;
                case 8: sb.Append("\\b"); break;
                default:
                    if (b >= 32 && b < 127)
                    {
                        sb.Append((char)b);
                    }
                    else
                    {
                        sb.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
                    }

                    break;
            }
        }

        sb.Append('"');
    }

    /// <summary>The quoted form of a UTF-8 string.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2);
        Append(sb, Encoding.UTF8.GetBytes(value));
        return sb.ToString();
    }
}
