// Resumable parser for client requests: RESP multibulk (*N\r\n$len\r\n...) and the inline
// protocol (a line split like sdssplitargs), mirroring networking.c processMultibulkBuffer and
// processInlineBuffer. State survives between calls, so a command that arrives in pieces is
// never re-parsed from its start, and every length is checked when its header arrives, before
// its bytes are buffered. Error texts are Redis's, byte for byte.
namespace Cinnabar.Protocol;

/// <summary>Parses commands out of a receive buffer.</summary>
public sealed class RequestParser
{
    /// <summary>Redis's PROTO_INLINE_MAX_SIZE: longest line without a newline.</summary>
    public const int InlineMaxSize = 64 * 1024;

    private int _multibulkRemaining;
    private long _bulkLength = -1;

    /// <summary>proto-max-bulk-len.</summary>
    public long MaxBulkLength { get; set; } = 512L * 1024 * 1024;

    /// <summary>True while the client must authenticate (limits multibulk to 10 args and bulks to 16 KiB).</summary>
    public bool AuthRequired { get; set; }

    /// <summary>True for the link to our primary: no bulk limit (Redis's CLIENT_MASTER).</summary>
    public bool IsPrimaryLink { get; set; }

    /// <summary>Redis's reply text for the last <see cref="ParseStatus.Error"/>.</summary>
    public string? Error { get; private set; }

    /// <summary>True when the parser holds a partially parsed command (its arguments point into buffers).</summary>
    public bool InCommand => _multibulkRemaining > 0;

    /// <summary>True when the last complete command came from the inline protocol.</summary>
    public bool LastWasInline { get; private set; }

    /// <summary>Forgets any partial command.</summary>
    public void Reset()
    {
        _multibulkRemaining = 0;
        _bulkLength = -1;
        Error = null;
    }

    /// <summary>
    /// Parses at most one command from <paramref name="buffer"/>[<paramref name="position"/>..<paramref name="end"/>),
    /// appending arguments to <paramref name="args"/> and advancing <paramref name="position"/> past what was consumed.
    /// </summary>
    public ParseStatus TryParse(byte[] buffer, ref int position, int end, CommandArgs args)
    {
        if (_multibulkRemaining == 0)
        {
            if (position >= end)
            {
                return ParseStatus.Incomplete;
            }

            if (buffer[position] != (byte)'*')
            {
                return ParseInline(buffer, ref position, end, args);
            }

            LastWasInline = false;
            var span = new ReadOnlySpan<byte>(buffer, position, end - position);
            int cr = span.IndexOf((byte)'\r');
            if (cr < 0)
            {
                return span.Length > InlineMaxSize ? Fail("Protocol error: too big mbulk count string") : ParseStatus.Incomplete;
            }

            if (cr > span.Length - 2)
            {
                return ParseStatus.Incomplete;
            }

            if (!Number.TryParseInt64(span[1..cr], out long count) || count > int.MaxValue)
            {
                return Fail("Protocol error: invalid multibulk length");
            }

            if (count > 10 && AuthRequired)
            {
                return Fail("Protocol error: unauthenticated multibulk length");
            }

            position += cr + 2;
            if (count <= 0)
            {
                return ParseStatus.Complete;
            }

            _multibulkRemaining = (int)count;
        }

        while (_multibulkRemaining > 0)
        {
            if (_bulkLength == -1)
            {
                var span = new ReadOnlySpan<byte>(buffer, position, end - position);
                int cr = span.IndexOf((byte)'\r');
                if (cr < 0)
                {
                    return span.Length > InlineMaxSize ? Fail("Protocol error: too big bulk count string") : ParseStatus.Incomplete;
                }

                if (cr > span.Length - 2)
                {
                    return ParseStatus.Incomplete;
                }

                if (span[0] != (byte)'$')
                {
                    return Fail($"Protocol error: expected '$', got '{(char)span[0]}'");
                }

                if (!Number.TryParseInt64(span[1..cr], out long len) || len < 0 || (!IsPrimaryLink && len > MaxBulkLength))
                {
                    return Fail("Protocol error: invalid bulk length");
                }

                if (len > 16384 && AuthRequired)
                {
                    return Fail("Protocol error: unauthenticated bulk length");
                }

                position += cr + 2;
                _bulkLength = len;
            }

            // Redis skips the two bytes after a bulk without checking that they are \r\n.
            if (end - position < _bulkLength + 2)
            {
                return ParseStatus.Incomplete;
            }

            args.Add(buffer, position, (int)_bulkLength);
            position += (int)_bulkLength + 2;
            _bulkLength = -1;
            _multibulkRemaining--;
        }

        return ParseStatus.Complete;
    }

    /// <summary>Bytes still needed to finish the bulk being read, or 0 if unknown (lets the reader size its buffer).</summary>
    public long PendingBulkBytes => _bulkLength >= 0 ? _bulkLength + 2 : 0;

    private ParseStatus ParseInline(byte[] buffer, ref int position, int end, CommandArgs args)
    {
        LastWasInline = true;
        var span = new ReadOnlySpan<byte>(buffer, position, end - position);
        int nl = span.IndexOf((byte)'\n');
        if (nl < 0)
        {
            return span.Length > InlineMaxSize ? Fail("Protocol error: too big inline request") : ParseStatus.Incomplete;
        }

        int lineEnd = nl;
        if (nl > 0 && span[nl - 1] == (byte)'\r')
        {
            lineEnd--;
        }

        var parts = SplitArgs.Split(span[..lineEnd]);
        if (parts is null)
        {
            return Fail("Protocol error: unbalanced quotes in request");
        }

        if (IsPrimaryLink && lineEnd != 0)
        {
            return Fail("Protocol error: master using the inline protocol. Desync?");
        }

        position += nl + 1;
        foreach (var part in parts)
        {
            args.Add(part, 0, part.Length);
        }

        return ParseStatus.Complete;
    }

    private ParseStatus Fail(string message)
    {
        Error = message;
        _multibulkRemaining = 0;
        _bulkLength = -1;
        return ParseStatus.Error;
    }
}
