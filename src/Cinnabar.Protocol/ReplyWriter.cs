// Builds RESP replies into one growable buffer. The protocol version (2 or 3) decides how the
// RESP3-only types degrade: maps become flat arrays, sets arrays, nulls $-1/*-1, booleans
// integers, doubles bulk strings, pushes arrays - as Redis's addReply* family does.
//
// Output limits: the owner may install a threshold callback (OnThreshold) that runs when the
// written length is about to pass CheckAt, so a client's output-buffer limit is checked as reply
// data is appended (Redis's _addReplyProtoToList -> closeClientOnOutputBufferLimitReached), not
// only after the command. The hot path stays one compare: writes check against _limit, which is
// the smaller of the buffer's capacity and CheckAt, so the callback shares the growth branch.
// Once the owner calls StartDiscarding (its client is being closed), further bytes are dropped
// into a small scratch area and the command runs to completion without buffering its reply
// (Redis's prepareClientToWrite refuses output for a CLIENT_CLOSE_ASAP client).
using System.Buffers.Text;
using System.Text;

namespace Cinnabar.Protocol;

/// <summary>An append-only RESP reply buffer.</summary>
public sealed class ReplyWriter
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();
    private byte[] _buffer;
    private int _length;

    // min(_buffer.Length, _checkAt): the single bound every write compares against.
    private int _limit;
    private int _checkAt = int.MaxValue;
    private Action<ReplyWriter, int>? _onThreshold;

    /// <summary>Creates a writer with an initial capacity.</summary>
    public ReplyWriter(int capacity = 4096)
    {
        _buffer = new byte[capacity];
        _limit = capacity;
    }

    /// <summary>
    /// Called (with the size of the write about to happen) when the written length would pass
    /// <see cref="CheckAt"/>; it sets the next <see cref="CheckAt"/> or calls
    /// <see cref="StartDiscarding"/>. After a swap or clear the next write calls it again, since
    /// what the owner measures (its bytes in flight) changed.
    /// </summary>
    public Action<ReplyWriter, int>? OnThreshold
    {
        get => _onThreshold;
        set
        {
            _onThreshold = value;
            ResetCheck();
        }
    }

    /// <summary>The written length past which <see cref="OnThreshold"/> runs.</summary>
    public int CheckAt
    {
        get => _checkAt;
        set
        {
            _checkAt = value;
            UpdateLimit();
        }
    }

    /// <summary>True once further writes are dropped (the owner is closing its client).</summary>
    public bool Discarding { get; private set; }

    /// <summary>2 or 3 (set by HELLO).</summary>
    public int Protocol { get; set; } = 2;

    /// <summary>Bytes written and not yet consumed.</summary>
    public int Length => _length;

    /// <summary>The written bytes.</summary>
    public ReadOnlySpan<byte> WrittenSpan => new(_buffer, 0, _length);

    /// <summary>The written bytes as memory (valid until the next write).</summary>
    public ReadOnlyMemory<byte> WrittenMemory => new(_buffer, 0, _length);

    /// <summary>Current capacity (for output-buffer accounting).</summary>
    public int Capacity => _buffer.Length;

    /// <summary>Forgets everything written, shrinking a buffer that grew huge.</summary>
    public void Clear()
    {
        _length = 0;
        if (_buffer.Length > 1024 * 1024)
        {
            _buffer = new byte[4096];
        }

        ResetCheck();
    }

    /// <summary>Forgets everything written and drops every later write.</summary>
    public void StartDiscarding()
    {
        Discarding = true;
        _checkAt = int.MaxValue;
        Clear();
    }

    /// <summary>Drops bytes written after <paramref name="length"/> (used to undo a partial reply).</summary>
    public void Truncate(int length) => _length = Math.Min(_length, length);

    /// <summary>Swaps contents with another writer (double buffering between executor and socket).</summary>
    public void SwapWith(ReplyWriter other)
    {
        // What a discarding writer holds is dropped output: never hand it to the socket.
        if (Discarding)
        {
            _length = 0;
        }

        if (other.Discarding)
        {
            other._length = 0;
        }

        (_buffer, other._buffer) = (other._buffer, _buffer);
        (_length, other._length) = (other._length, _length);
        ResetCheck();
        other.ResetCheck();
    }

    /// <summary>The written bytes as an ASCII string (tests).</summary>
    public override string ToString() => Encoding.Latin1.GetString(WrittenSpan);

    /// <summary>Appends raw bytes (preformatted protocol).</summary>
    public void Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _length += bytes.Length;
    }

    /// <summary>+OK</summary>
    public void Ok() => Raw("+OK\r\n"u8);

    /// <summary>+QUEUED</summary>
    public void Queued() => Raw("+QUEUED\r\n"u8);

    /// <summary>A simple string: +text.</summary>
    public void Simple(ReadOnlySpan<byte> text)
    {
        var span = GetSpan(text.Length + 3);
        span[0] = (byte)'+';
        text.CopyTo(span[1..]);
        Crlf.CopyTo(span[(1 + text.Length)..]);
        _length += text.Length + 3;
    }

    /// <summary>A simple string from ASCII text.</summary>
    public void Simple(string text) => Simple(Encoding.UTF8.GetBytes(text));

    /// <summary>An error: the message must start with its code, e.g. "ERR syntax error". Newlines become spaces, as in Redis.</summary>
    public void Error(string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] is (byte)'\r' or (byte)'\n')
            {
                bytes[i] = (byte)' ';
            }
        }

        var span = GetSpan(bytes.Length + 3);
        span[0] = (byte)'-';
        bytes.CopyTo(span[1..]);
        Crlf.CopyTo(span[(1 + bytes.Length)..]);
        _length += bytes.Length + 3;
    }

    /// <summary>:n</summary>
    public void Integer(long value)
    {
        if ((ulong)value <= 9)
        {
            var s = GetSpan(4);
            s[0] = (byte)':';
            s[1] = (byte)('0' + value);
            s[2] = (byte)'\r';
            s[3] = (byte)'\n';
            _length += 4;
            return;
        }

        Prefixed((byte)':', value);
    }

    /// <summary>$len\r\nbytes\r\n</summary>
    public void Bulk(ReadOnlySpan<byte> value)
    {
        var span = GetSpan(value.Length + 24 + 2);
        span[0] = (byte)'$';
        Utf8Formatter.TryFormat(value.Length, span[1..], out int n);
        int p = 1 + n;
        span[p++] = (byte)'\r';
        span[p++] = (byte)'\n';
        value.CopyTo(span[p..]);
        p += value.Length;
        span[p++] = (byte)'\r';
        span[p++] = (byte)'\n';
        _length += p;
    }

    /// <summary>A bulk string from UTF-8 text.</summary>
    public void Bulk(string value) => Bulk(Encoding.UTF8.GetBytes(value));

    /// <summary>An integer formatted as a bulk string.</summary>
    public void BulkInteger(long value)
    {
        Span<byte> tmp = stackalloc byte[24];
        int n = Number.Format(value, tmp);
        Bulk(tmp[..n]);
    }

    /// <summary>A null bulk string: $-1 (RESP2) or _ (RESP3).</summary>
    public void NullBulk() => Raw(Protocol == 3 ? "_\r\n"u8 : "$-1\r\n"u8);

    /// <summary>A null array: *-1 (RESP2) or _ (RESP3).</summary>
    public void NullArray() => Raw(Protocol == 3 ? "_\r\n"u8 : "*-1\r\n"u8);

    /// <summary>*n</summary>
    public void ArrayHeader(long count)
    {
        if (count == 0)
        {
            Raw("*0\r\n"u8);
            return;
        }

        Prefixed((byte)'*', count);
    }

    /// <summary>%n in RESP3, *2n in RESP2.</summary>
    public void MapHeader(long pairs)
    {
        if (Protocol == 3)
        {
            Prefixed((byte)'%', pairs);
        }
        else
        {
            ArrayHeader(pairs * 2);
        }
    }

    /// <summary>~n in RESP3, *n in RESP2.</summary>
    public void SetHeader(long count)
    {
        if (Protocol == 3)
        {
            Prefixed((byte)'~', count);
        }
        else
        {
            ArrayHeader(count);
        }
    }

    /// <summary>&gt;n in RESP3, *n in RESP2.</summary>
    public void PushHeader(long count)
    {
        if (Protocol == 3)
        {
            Prefixed((byte)'>', count);
        }
        else
        {
            ArrayHeader(count);
        }
    }

    /// <summary>#t/#f in RESP3, :1/:0 in RESP2.</summary>
    public void Boolean(bool value)
    {
        if (Protocol == 3)
        {
            Raw(value ? "#t\r\n"u8 : "#f\r\n"u8);
        }
        else
        {
            Raw(value ? ":1\r\n"u8 : ":0\r\n"u8);
        }
    }

    /// <summary>A double already formatted the way the command wants it: ,text in RESP3, bulk in RESP2.</summary>
    public void Double(ReadOnlySpan<byte> formatted)
    {
        if (Protocol == 3)
        {
            var span = GetSpan(formatted.Length + 3);
            span[0] = (byte)',';
            formatted.CopyTo(span[1..]);
            Crlf.CopyTo(span[(1 + formatted.Length)..]);
            _length += formatted.Length + 3;
        }
        else
        {
            Bulk(formatted);
        }
    }

    /// <summary>=len\r\ntxt:text in RESP3, a bulk string in RESP2.</summary>
    public void Verbatim(ReadOnlySpan<byte> text, string format = "txt")
    {
        if (Protocol != 3)
        {
            Bulk(text);
            return;
        }

        var header = Encoding.ASCII.GetBytes(format + ":");
        Prefixed((byte)'=', text.Length + header.Length);
        Raw(header);
        Raw(text);
        Raw(Crlf);
    }

    /// <summary>A slot for an array length that is only known after the elements are written.</summary>
    public int BeginDeferredLength()
    {
        // Reserve the widest header we might need; EndDeferredLength moves the body back if shorter.
        var span = GetSpan(16);
        span[..16].Clear();
        int at = _length;
        _length += 16;
        return at;
    }

    /// <summary>Fills a slot from <see cref="BeginDeferredLength"/> with *count (or %/~ for RESP3 maps/sets).</summary>
    public void EndDeferredLength(int slot, long count, byte prefix = (byte)'*')
    {
        Span<byte> header = stackalloc byte[24];
        header[0] = prefix;
        Utf8Formatter.TryFormat(count, header[1..], out int n);
        header[1 + n] = (byte)'\r';
        header[2 + n] = (byte)'\n';
        int hlen = n + 3;
        if (Discarding)
        {
            // The slot may already be gone with the dropped bytes.
            return;
        }

        int bodyStart = slot + 16;
        int bodyLen = _length - bodyStart;
        Buffer.BlockCopy(_buffer, bodyStart, _buffer, slot + hlen, bodyLen);
        header[..hlen].CopyTo(new Span<byte>(_buffer, slot, hlen));
        _length = slot + hlen + bodyLen;
    }

    private void Prefixed(byte prefix, long value)
    {
        var span = GetSpan(24);
        span[0] = prefix;
        Utf8Formatter.TryFormat(value, span[1..], out int n);
        span[1 + n] = (byte)'\r';
        span[2 + n] = (byte)'\n';
        _length += n + 3;
    }

    private Span<byte> GetSpan(int size)
    {
        if (_limit - _length < size)
        {
            MakeRoom(size);
        }

        return new Span<byte>(_buffer, _length, _buffer.Length - _length);
    }

    // The growth branch: a due threshold check, dropping bytes while discarding, or a bigger buffer.
    private void MakeRoom(int size)
    {
        if (!Discarding && _onThreshold is not null && (long)_length + size > _checkAt)
        {
            _checkAt = int.MaxValue;
            _onThreshold(this, size);
        }

        if (Discarding)
        {
            _length = 0;
        }

        if (_buffer.Length - _length < size)
        {
            int newSize = (int)Math.Min(Array.MaxLength, Math.Max((long)_buffer.Length * 2, (long)_length + size));
            Array.Resize(ref _buffer, newSize);
        }

        UpdateLimit();
    }

    private void ResetCheck()
    {
        // With an owner watching, the next write re-measures; otherwise nothing to check.
        _checkAt = _onThreshold is null || Discarding ? int.MaxValue : 0;
        UpdateLimit();
    }

    private void UpdateLimit() => _limit = Math.Min(_buffer.Length, _checkAt);
}
