// Redis's sdssplitargs: the tokenizer shared by the inline protocol and redis.conf lines.
// Double quotes understand \xHH, \n, \r, \t, \b, \a and \<any>; single quotes only \'.
// A closing quote must be followed by a blank or the end of the line, else the line is
// rejected (Redis: "unbalanced quotes"). A NUL byte ends the line, as in the C original.
namespace Cinnabar.Protocol;

/// <summary>Splits a line into arguments exactly as Redis's <c>sdssplitargs</c> does.</summary>
public static class SplitArgs
{
    /// <summary>Returns the arguments, or null when quotes are unbalanced.</summary>
    public static List<byte[]>? Split(ReadOnlySpan<byte> line)
    {
        var result = new List<byte[]>();
        var current = new List<byte>();
        int p = 0;
        int end = line.IndexOf((byte)0);
        if (end < 0)
        {
            end = line.Length;
        }

        line = line[..end];
        while (true)
        {
            while (p < line.Length && IsSpace(line[p]))
            {
                p++;
            }

            if (p >= line.Length)
            {
                return result;
            }

            bool inq = false, insq = false, done = false;
            current.Clear();
            while (!done)
            {
                byte c = p < line.Length ? line[p] : (byte)0;
                byte next = p + 1 < line.Length ? line[p + 1] : (byte)0;
                if (inq)
                {
                    if (c == '\\' && next == 'x' && p + 3 < line.Length && IsHex(line[p + 2]) && IsHex(line[p + 3]))
                    {
                        current.Add((byte)((HexValue(line[p + 2]) * 16) + HexValue(line[p + 3])));
                        p += 3;
                    }
                    else if (c == '\\' && next != 0)
                    {
                        p++;
                        current.Add(next switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b',
                            (byte)'a' => (byte)'\a',
                            _ => next,
                        });
                    }
                    else if (c == '"')
                    {
                        if (next != 0 && !IsSpace(next))
                        {
                            return null;
                        }

                        done = true;
                    }
                    else if (c == 0)
                    {
                        return null;
                    }
                    else
                    {
                        current.Add(c);
                    }
                }
                else if (insq)
                {
                    if (c == '\\' && next == '\'')
                    {
                        p++;
                        current.Add((byte)'\'');
                    }
                    else if (c == '\'')
                    {
                        if (next != 0 && !IsSpace(next))
                        {
                            return null;
                        }

                        done = true;
                    }
                    else if (c == 0)
                    {
                        return null;
                    }
                    else
                    {
                        current.Add(c);
                    }
                }
                else
                {
                    switch (c)
                    {
                        case (byte)' ':
                        case (byte)'\n':
                        case (byte)'\r':
                        case (byte)'\t':
                        case 0:
                            done = true;
                            break;
                        case (byte)'"':
                            inq = true;
                            break;
                        case (byte)'\'':
                            insq = true;
                            break;
                        default:
                            current.Add(c);
                            break;
                    }
                }

                if (p < line.Length)
                {
                    p++;
                }
            }

            result.Add([.. current]);
        }
    }

    /// <summary>C's isspace in the "C" locale.</summary>
    public static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    private static bool IsHex(byte c) => c is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => c - 'A' + 10,
    };
}
