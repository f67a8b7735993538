// A replica's disk-based full sync loads the primary's snapshot while it is still arriving: the
// receiver writes each chunk to the temp file as Redis does, and the RDB reader follows that file
// from another thread, reading only what has been written (like `tail -f`). Redis loads only once
// the whole file is there, so its sync takes transfer time plus load time; here they overlap and
// the sync takes about the longer of the two. Nothing else changes: the keys still go into fresh
// databases that replace the old ones only after the file is complete, synced and renamed, so a
// transfer that breaks off keeps the old data and the old dbfilename, and no extra memory holds
// the transfer (the reader's window is the RDB reader's own).
namespace Cinnabar.Server.Replication;

/// <summary>A read-only Stream over a file that another thread is still writing.</summary>
internal sealed class TransferFileFollower : Stream
{
    private readonly object _lock = new();
    private readonly FileStream _file;
    private long _published;
    private long _final = -1;
    private string? _abortReason;
    private long _position;

    /// <summary>Opens <paramref name="path"/> (already created by the writer) for following.</summary>
    public TransferFileFollower(string path)
    {
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, FileOptions.SequentialScan);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <summary>Writer: the file now holds <paramref name="length"/> bytes (written to the OS, not necessarily synced).</summary>
    public void Publish(long length)
    {
        lock (_lock)
        {
            _published = length;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Writer: the payload is complete and is <paramref name="length"/> bytes long (an EOF mark cut off).</summary>
    public void Finish(long length)
    {
        lock (_lock)
        {
            _final = length;
            _published = Math.Min(_published, length);
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Writer: the transfer failed; the reader's next wait ends with an IOException.</summary>
    public void Abort(string reason)
    {
        lock (_lock)
        {
            _abortReason = reason;
            Monitor.PulseAll(_lock);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        long available;
        lock (_lock)
        {
            while (true)
            {
                if (_abortReason is not null)
                {
                    throw new IOException(_abortReason);
                }

                // Finish cut _published to the final length, so it is the limit either way.
                available = _published - _position;
                if (available > 0 || _final >= 0)
                {
                    break;
                }

                Monitor.Wait(_lock);
            }
        }

        if (available <= 0)
        {
            return 0;
        }

        int n = _file.Read(buffer[..(int)Math.Min(buffer.Length, available)]);
        if (n == 0)
        {
            throw new IOException("the transfer file is shorter than what was written to it");
        }

        _position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }

        base.Dispose(disposing);
    }
}
