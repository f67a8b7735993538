// Reply rendering byte for byte as redis-cli 7.0.15 prints it (cliFormatReplyTTY, Raw, CSV):
// the human form numbers aggregate elements right-aligned to the width of the largest index,
// nests with that width plus two spaces, marks sets with '~' and maps with '#' and "k => v",
// and quotes strings like sdscatrepr; the raw form prints bare bytes joined by -d; CSV quotes.
using System.Globalization;
using System.Text;

using Cinnabar.Protocol;

namespace Cinnabar.Cli;

/// <summary>Renders replies in redis-cli's output modes.</summary>
internal static class ReplyFormatter
{
    /// <summary>cliFormatReply: the text printed for one reply.</summary>
    public static byte[] Format(RespReply reply, OutputMode mode, bool rawStrings, CliOptions options)
    {
        var sb = new ByteBuilder();
        if (rawStrings)
        {
            Raw(sb, reply, options.MultiBulkDelimiter);
        }
        else if (mode == OutputMode.Standard)
        {
            Tty(sb, reply, string.Empty);
        }
        else if (mode == OutputMode.Raw)
        {
            Raw(sb, reply, options.MultiBulkDelimiter);
            sb.Append(options.CommandDelimiter);
        }
        else
        {
            Csv(sb, reply);
            sb.Append("\n");
        }

        return sb.ToArray();
    }

    /// <summary>True for RESP3 client-tracking invalidation pushes (shown specially on a terminal).</summary>
    public static bool IsInvalidate(RespReply r) =>
        r.Type == RespType.Push && r.Elements.Count == 2 && r.Elements[0].Type == RespType.BulkString &&
        r.Elements[0].Bytes.AsSpan().StartsWith("invalidate"u8) && r.Elements[1].Type == RespType.Array;

    /// <summary>cliFormatInvalidateTTY: "-> invalidate: 'k1', 'k2'".</summary>
    public static byte[] FormatInvalidate(RespReply r)
    {
        var sb = new ByteBuilder();
        sb.Append("-> invalidate: ");
        var keys = r.Elements[1].Elements;
        for (int i = 0; i < keys.Count; i++)
        {
            sb.Append("'");
            sb.Append(keys[i].Bytes);
            sb.Append("'");
            if (i < keys.Count - 1)
            {
                sb.Append(", ");
            }
        }

        sb.Append("\n");
        return sb.ToArray();
    }

    private static bool IsMultilineTty(RespReply r)
    {
        switch (r.Type)
        {
            case RespType.Array:
            case RespType.Set:
            case RespType.Push:
                return r.Elements.Count != 0 && (r.Elements.Count > 1 || IsMultilineTty(r.Elements[0]));
            case RespType.Map:
                return r.Elements.Count != 0 && (r.Elements.Count > 2 || IsMultilineTty(r.Elements[1]));
            default:
                return false;
        }
    }

    private static void Tty(ByteBuilder sb, RespReply r, string prefix)
    {
        switch (r.Type)
        {
            case RespType.Error:
                sb.Append("(error) ");
                sb.Append(CString(r.Bytes));
                sb.Append("\n");
                break;
            case RespType.SimpleString:
                sb.Append(CString(r.Bytes));
                sb.Append("\n");
                break;
            case RespType.Integer:
                sb.Append("(integer) " + r.Integer.ToString(CultureInfo.InvariantCulture) + "\n");
                break;
            case RespType.Double:
                sb.Append("(double) ");
                sb.Append(CString(r.Bytes));
                sb.Append("\n");
                break;
            case RespType.BigNumber:
                sb.Append("(big number) ");
                sb.Append(r.Bytes);
                sb.Append("\n");
                break;
            case RespType.BulkString:
                sb.AppendRepr(r.Bytes);
                sb.Append("\n");
                break;
            case RespType.Verbatim:
                sb.Append(r.Bytes);
                sb.Append("\n");
                break;
            case RespType.Nil:
                sb.Append("(nil)\n");
                break;
            case RespType.Boolean:
                sb.Append(r.Integer != 0 ? "(true)\n" : "(false)\n");
                break;
            default:
                TtyAggregate(sb, r, prefix);
                break;
        }
    }

    private static void TtyAggregate(ByteBuilder sb, RespReply r, string prefix)
    {
        var elements = r.Elements;
        if (elements.Count == 0)
        {
            sb.Append(r.Type switch
            {
                RespType.Array => "(empty array)\n",
                RespType.Map => "(empty hash)\n",
                RespType.Set => "(empty set)\n",
                _ => "(empty push)\n",
            });
            return;
        }

        int entries = r.Type == RespType.Map ? elements.Count / 2 : elements.Count;
        int width = entries.ToString(CultureInfo.InvariantCulture).Length;
        string childPrefix = prefix + new string(' ', width + 2);
        char separator = r.Type switch
        {
            RespType.Set => '~',
            RespType.Map => '#',
            _ => ')',
        };
        for (int i = 0; i < elements.Count; i++)
        {
            int humanIndex = (r.Type == RespType.Map ? i / 2 : i) + 1;

            // The first entry's prefix was already written by the caller (after its own index).
            sb.Append((i == 0 ? string.Empty : prefix) + humanIndex.ToString(CultureInfo.InvariantCulture).PadLeft(width) + separator + " ");
            Tty(sb, elements[i], childPrefix);
            if (r.Type == RespType.Map)
            {
                i++;
                sb.RemoveLast();
                sb.Append(" => ");
                if (IsMultilineTty(elements[i]))
                {
                    // A line break before a multi-line value keeps its numbering aligned.
                    sb.Append("\n" + childPrefix);
                }

                Tty(sb, elements[i], childPrefix);
            }
        }
    }

    private static void Raw(ByteBuilder sb, RespReply r, string delimiter)
    {
        switch (r.Type)
        {
            case RespType.Nil:
                break;
            case RespType.Error:
                sb.Append(r.Bytes);
                sb.Append("\n");
                break;
            case RespType.SimpleString:
            case RespType.BulkString:
            case RespType.Verbatim:
            case RespType.Double:
            case RespType.BigNumber:
                sb.Append(r.Bytes);
                break;
            case RespType.Boolean:
                sb.Append(r.Integer != 0 ? "(true)" : "(false)");
                break;
            case RespType.Integer:
                sb.Append(r.Integer.ToString(CultureInfo.InvariantCulture));
                break;
            case RespType.Map:
                for (int i = 0; i < r.Elements.Count; i += 2)
                {
                    if (i > 0)
                    {
                        sb.Append(delimiter);
                    }

                    Raw(sb, r.Elements[i], delimiter);
                    sb.Append(" ");
                    Raw(sb, r.Elements[i + 1], delimiter);
                }

                break;
            default:
                for (int i = 0; i < r.Elements.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(delimiter);
                    }

                    Raw(sb, r.Elements[i], delimiter);
                }

                break;
        }
    }

    /// <summary>cliFormatReplyCSV (also the --replica stream's format).</summary>
    public static void Csv(ByteBuilder sb, RespReply r)
    {
        switch (r.Type)
        {
            case RespType.Error:
                sb.Append("ERROR,");
                sb.AppendRepr(CString(r.Bytes));
                break;
            case RespType.SimpleString:
            case RespType.BulkString:
            case RespType.Verbatim:
                sb.AppendRepr(r.Bytes);
                break;
            case RespType.Integer:
                sb.Append(r.Integer.ToString(CultureInfo.InvariantCulture));
                break;
            case RespType.Double:
            case RespType.BigNumber:
                sb.Append(CString(r.Bytes));
                break;
            case RespType.Nil:
                sb.Append("NULL");
                break;
            case RespType.Boolean:
                sb.Append(r.Integer != 0 ? "true" : "false");
                break;
            default:
                for (int i = 0; i < r.Elements.Count; i++)
                {
                    Csv(sb, r.Elements[i]);
                    if (i != r.Elements.Count - 1)
                    {
                        sb.Append(",");
                    }
                }

                break;
        }
    }

    // printf("%s") and strlen stop at the first NUL byte; redis-cli prints these through them.
    private static byte[] CString(byte[] bytes)
    {
        int nul = Array.IndexOf(bytes, (byte)0);
        return nul < 0 ? bytes : bytes[..nul];
    }
}
