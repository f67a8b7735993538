// The primary's snapshot as a Stream, for a diskless load (repl-diskless-load swapdb / on-empty-db):
// the RDB reader pulls the payload straight from the socket through its 64 KB window, so the
// replica never holds the whole transfer in memory (Redis's rioConnRead over the blocking
// connection). The two framings:
//   "$<len>"      exactly len bytes; the stream ends there, so nothing after them (the command
//                 stream) is ever read by the loader;
//   "$EOF:<mark>" the RDB then the 40-byte mark. The RDB knows its own end (its checksum), so the
//                 loader stops there; Complete then reads the mark (whatever the reader's window
//                 took past the RDB comes first) and checks it, as readSyncBulkPayload does after
//                 rdbLoadRio, and gives anything after the mark back to the connection.
// Every read reports its size, for INFO's master_sync_read_bytes and the transfer timeout.
namespace Cinnabar.Server.Replication;

/// <summary>A read-only, forward-only view of one full-sync payload.</summary>
internal sealed class PrimaryPayloadStream : Stream
{
    private readonly PrimaryConnection _conn;
    private readonly long _size;
    private readonly int _timeoutMs;
    private readonly Action<long> _onRead;
    private long _read;

    /// <param name="conn">The connection, positioned after the "$..." line.</param>
    /// <param name="size">The payload length of a "$len" transfer, or -1 for an EOF-marked one.</param>
    /// <param name="timeoutMs">repl-timeout: a read that waits longer fails.</param>
    /// <param name="onRead">Called with the total bytes read after every read.</param>
    public PrimaryPayloadStream(PrimaryConnection conn, long size, int timeoutMs, Action<long> onRead)
    {
        _conn = conn;
        _size = size;
        _timeoutMs = timeoutMs;
        _onRead = onRead;
    }

    /// <summary>Payload bytes read so far (mark included once checked).</summary>
    public long BytesRead => _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_size >= 0)
        {
            long left = _size - _read;
            if (left == 0 || buffer.IsEmpty)
            {
                return 0;
            }

            buffer = buffer[..(int)Math.Min(buffer.Length, left)];
        }

        int n = ReadFromConnection(buffer);
        _read += n;
        _onRead(_read);
        return n;
    }

    /// <summary>
    /// After the RDB loaded: for an EOF-marked transfer, reads the mark (starting with the bytes
    /// the loader read past the RDB) and returns false when it is not the expected one; bytes
    /// after it go back to the connection. For a sized transfer, whatever is left of the
    /// declared length (bytes after the RDB's checksum) is read and dropped, so the command
    /// stream starts where the primary meant it to.
    /// </summary>
    public bool Complete(ReadOnlySpan<byte> unconsumed, ReadOnlySpan<byte> mark)
    {
        if (_size >= 0)
        {
            Span<byte> skip = stackalloc byte[4096];
            while (_read < _size)
            {
                _ = Read(skip);
            }

            return true;
        }

        Span<byte> got = stackalloc byte[mark.Length];
        int have = Math.Min(unconsumed.Length, mark.Length);
        unconsumed[..have].CopyTo(got);
        _conn.Unread(unconsumed[have..]);
        while (have < mark.Length)
        {
            int n = ReadFromConnection(got[have..]);
            have += n;
            _read += n;
            _onRead(_read);
        }

        return got.SequenceEqual(mark);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    // A link closed under us (REPLICAOF, the transfer timeout in the cron) surfaces as the
    // IOException the loader's caller handles.
    private int ReadFromConnection(Span<byte> buffer)
    {
        try
        {
            return _conn.ReadSome(buffer, _timeoutMs);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            throw new IOException("connection lost", e);
        }
    }
}
