// Client-side RESP2/RESP3 reply parser (what hiredis's reader does for redis-cli). It is
// resumable: elements of an aggregate that arrived whole are kept on a stack between calls, so
// a huge KEYS or SCAN reply arriving in many reads is parsed once, not from its start each
// time. "Need more data" (Incomplete) is kept apart from malformed input (Error).
using System.Globalization;

namespace Cinnabar.Protocol;

/// <summary>Parses replies out of a receive buffer.</summary>
public sealed class RespReplyParser
{
    private readonly Stack<Frame> _open = new();

    /// <summary>A description of the last <see cref="ParseStatus.Error"/>.</summary>
    public string? Error { get; private set; }

    /// <summary>Forgets any partially parsed reply.</summary>
    public void Reset()
    {
        _open.Clear();
        Error = null;
    }

    /// <summary>
    /// Parses at most one reply from <paramref name="data"/>. <paramref name="consumed"/> counts the bytes the
    /// parser is done with (even on Incomplete: whole elements of an unfinished aggregate are kept), so the
    /// caller drops them and calls again with the rest followed by new data.
    /// </summary>
    public ParseStatus TryParse(ReadOnlySpan<byte> data, out int consumed, out RespReply? reply)
    {
        consumed = 0;
        reply = null;
        while (true)
        {
            var status = ParseOne(data[consumed..], out int used, out var item, out var aggregate, out int count);
            if (status != ParseStatus.Complete)
            {
                return status;
            }

            consumed += used;
            if (aggregate is not null)
            {
                _open.Push(new Frame(aggregate.Value, count));
                continue;
            }

            while (true)
            {
                if (_open.Count == 0)
                {
                    reply = item;
                    return ParseStatus.Complete;
                }

                var top = _open.Peek();
                top.Items.Add(item!);
                if (top.Items.Count < top.Expected)
                {
                    break;
                }

                _open.Pop();
                item = RespReply.FromElements(top.Type, top.Items);
            }
        }
    }

    private ParseStatus ParseOne(ReadOnlySpan<byte> data, out int used, out RespReply? item, out RespType? aggregate, out int count)
    {
        used = 0;
        item = null;
        aggregate = null;
        count = 0;
        int cr = data.IndexOf((byte)'\r');
        if (cr < 0 || cr + 1 >= data.Length)
        {
            return ParseStatus.Incomplete;
        }

        if (cr == 0)
        {
            return Fail("Protocol error, got \"\\r\" as reply type byte");
        }

        var line = data[1..cr];
        int headerLength = cr + 2;
        switch (data[0])
        {
            case (byte)'+':
                item = RespReply.FromBytes(RespType.SimpleString, line.ToArray());
                break;
            case (byte)'-':
                item = RespReply.FromBytes(RespType.Error, line.ToArray());
                break;
            case (byte)',':
                item = RespReply.FromBytes(RespType.Double, line.ToArray());
                break;
            case (byte)'(':
                item = RespReply.FromBytes(RespType.BigNumber, line.ToArray());
                break;
            case (byte)':':
                if (!Number.TryParseInt64(line, out long value))
                {
                    return Fail("Bad integer value");
                }

                item = RespReply.FromInteger(RespType.Integer, value);
                break;
            case (byte)'_':
                item = RespReply.Nil;
                break;
            case (byte)'#':
                if (line.Length != 1 || (line[0] != 't' && line[0] != 'f'))
                {
                    return Fail("Bad bool value");
                }

                item = RespReply.FromInteger(RespType.Boolean, line[0] == 't' ? 1 : 0);
                break;
            case (byte)'$':
            case (byte)'!':
            case (byte)'=':
                if (!Number.TryParseInt64(line, out long length) || length < -1 || length > int.MaxValue - 2)
                {
                    return Fail("Bad bulk string length");
                }

                if (length == -1)
                {
                    item = RespReply.Nil;
                    break;
                }

                if (data.Length - headerLength < length + 2)
                {
                    return ParseStatus.Incomplete;
                }

                var payload = data.Slice(headerLength, (int)length);
                headerLength += (int)length + 2;
                if (data[0] == '$')
                {
                    item = RespReply.FromBytes(RespType.BulkString, payload.ToArray());
                }
                else if (data[0] == '!')
                {
                    item = RespReply.FromBytes(RespType.Error, payload.ToArray());
                }
                else
                {
                    if (payload.Length < 4 || payload[3] != ':')
                    {
                        return Fail("Verbatim string 4 bytes of content type are missing or incorrectly encoded.");
                    }

                    item = RespReply.FromVerbatim(System.Text.Encoding.ASCII.GetString(payload[..3]), payload[4..].ToArray());
                }

                break;
            case (byte)'*':
            case (byte)'%':
            case (byte)'~':
            case (byte)'>':
                if (!Number.TryParseInt64(line, out long n) || n < -1 || n > int.MaxValue / 2)
                {
                    return Fail("Bad multi-bulk length");
                }

                var type = data[0] switch
                {
                    (byte)'*' => RespType.Array,
                    (byte)'%' => RespType.Map,
                    (byte)'~' => RespType.Set,
                    _ => RespType.Push,
                };
                if (n == -1)
                {
                    item = RespReply.Nil;
                }
                else if (n == 0)
                {
                    item = RespReply.FromElements(type, []);
                }
                else
                {
                    aggregate = type;
                    count = (int)(type == RespType.Map ? n * 2 : n);
                }

                break;
            default:
                return Fail(string.Create(CultureInfo.InvariantCulture, $"Protocol error, got {ReprByte(data[0])} as reply type byte"));
        }

        used = headerLength;
        return ParseStatus.Complete;
    }

    private static string ReprByte(byte b)
    {
        var sb = new System.Text.StringBuilder();
        Repr.Append(sb, [b]);
        return sb.ToString();
    }

    private ParseStatus Fail(string message)
    {
        Error = message;
        _open.Clear();
        return ParseStatus.Error;
    }

    private sealed class Frame(RespType type, int expected)
    {
        public RespType Type { get; } = type;

        public int Expected { get; } = expected;

        public List<RespReply> Items { get; } = new(Math.Min(expected, 1024));
    }
}
