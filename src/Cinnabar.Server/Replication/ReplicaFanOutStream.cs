// The Stream a diskless full sync's snapshot writes into (Redis's rdb pipe plus rdbPipeReadHandler):
// every chunk goes to each replica of that sync, copied once and shared. The writer is paced by the
// slowest replica: it waits while a replica has more than PaceBytes queued, so the snapshot needs
// no more memory than that per replica, except when the writer runs under the executor gate (a
// serialize-before-mutate write): it never waits there, because the transports need the gate to
// drain the queues.
namespace Cinnabar.Server.Replication;

/// <summary>Writes one RDB to several replicas.</summary>
internal sealed class ReplicaFanOutStream : Stream
{
    /// <summary>How much snapshot data may wait for one replica before the writer waits.</summary>
    public const long PaceBytes = 4L * 1024 * 1024;

    private readonly CinnabarServer _server;
    private readonly List<ReplicaLink> _links;
    private long _written;

    public ReplicaFanOutStream(CinnabarServer server, List<ReplicaLink> links)
    {
        _server = server;
        _links = links;
    }

    /// <summary>Replicas still receiving this snapshot.</summary>
    public int LiveCount
    {
        get
        {
            lock (_links)
            {
                return _links.Count(l => !l.Closed);
            }
        }
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _written;

    public override long Position
    {
        get => _written;
        set => throw new NotSupportedException();
    }

    /// <summary>Queues raw framing bytes ($EOF:mark, the final mark) to every live replica.</summary>
    public void WriteFraming(byte[] bytes) => Write(bytes, 0, bytes.Length);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        _written += buffer.Length;
        ReplicaLink[] links;
        lock (_links)
        {
            links = [.. _links.Where(l => !l.Closed)];
        }

        while (!buffer.IsEmpty && links.Length > 0)
        {
            var piece = buffer[..Math.Min(buffer.Length, RdbChunk.Size)];
            var chunk = RdbChunk.Rent(piece, links.Length);
            foreach (var link in links)
            {
                link.EnqueueRdb(chunk);
            }

            buffer = buffer[piece.Length..];
        }

        if (Monitor.IsEntered(_server.Gate))
        {
            return;
        }

        foreach (var link in links)
        {
            link.WaitForRdbRoom(PaceBytes);
        }
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
