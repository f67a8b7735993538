// The replica's socket to its primary, with the few read shapes replication needs: a reply line
// during the handshake (replication.c receiveSynchronousResponse / connSyncReadLine), raw bytes
// for the RDB transfer, and whatever has arrived for the command stream. Reads are async and
// never hold the executor gate; writes are small (handshake commands, REPLCONF ACK) and go out
// under a lock of their own, so the cron can send an ACK while the reader waits for data.
// With the client event loop (Linux x64) the socket is a LoopSocket from its creation on, and
// once the command stream flows the loop itself reads it (PrimaryStreamApplier), as Redis's one
// thread does; without the loop it is the runtime's Socket with its async operations.
using System.Net.Sockets;
using System.Text;

using Cinnabar.Server.Networking;

namespace Cinnabar.Server.Replication;

/// <summary>A buffered connection to the primary.</summary>
internal sealed class PrimaryConnection : IDisposable
{
    private readonly EventLoop? _loop;
    private readonly Socket? _socket;
    private readonly Diagnostics.ServerStats _stats;
    private readonly object _sendLock = new();
    private LoopSocket? _loopSocket;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private int _closed;

    /// <summary>A connection on <paramref name="loop"/> when there is one, else on the runtime's sockets.</summary>
    public PrimaryConnection(EventLoop? loop, Diagnostics.ServerStats stats)
    {
        _loop = loop;
        _stats = stats;
        if (loop is null)
        {
            _socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        }
    }

    /// <summary>The event loop's socket (null on the runtime's sockets or before the connect).</summary>
    public LoopSocket? LoopSocket => Volatile.Read(ref _loopSocket);

    /// <summary>Bytes received in total (INFO's replication input counters).</summary>
    public long BytesRead { get; private set; }

    /// <summary>Called with the number of bytes of every successful read (transfer progress and idle time).</summary>
    public Action<int>? OnRead { get; set; }

    /// <summary>True once Close ran.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Bytes buffered and not consumed yet.</summary>
    public int Buffered => _end - _start;

    /// <summary>Connects; throws SocketException, or ObjectDisposedException when closed meanwhile (the connect timed out).</summary>
    public async Task ConnectAsync(string host, int port)
    {
        if (_socket is not null)
        {
            await _socket.ConnectAsync(host, port).ConfigureAwait(false);
            return;
        }

        await Networking.LoopSocket.ConnectAsync(_loop!, host, port, Attach).ConfigureAwait(false);
    }

    /// <summary>Reads one line without its CR LF (connSyncReadLine). Throws IOException when the peer closes.</summary>
    public async ValueTask<string> ReadLineAsync(CancellationToken token)
    {
        while (true)
        {
            int nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (nl >= 0)
            {
                int len = nl - _start;
                if (len > 0 && _buffer[nl - 1] == (byte)'\r')
                {
                    len--;
                }

                string line = Encoding.Latin1.GetString(_buffer, _start, len);
                _start = nl + 1;
                return line;
            }

            if (_end - _start > 64 * 1024)
            {
                throw new IOException("line too long");
            }

            await FillAsync(token).ConfigureAwait(false);
        }
    }

    /// <summary>Takes up to <paramref name="max"/> buffered bytes, reading when none are buffered.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadSomeAsync(int max, CancellationToken token)
    {
        if (_start == _end)
        {
            await FillAsync(token).ConfigureAwait(false);
        }

        int n = Math.Min(max, _end - _start);
        var chunk = new ReadOnlyMemory<byte>(_buffer, _start, n);
        _start += n;
        return chunk;
    }

    /// <summary>
    /// Blocking read for a diskless load (Redis puts the socket in blocking mode with
    /// repl-timeout as the receive timeout for it): copies buffered bytes into
    /// <paramref name="destination"/>, or waits for the socket when none are buffered. Returns
    /// the count (never 0); throws IOException when the peer closes or the timeout passes.
    /// </summary>
    public int ReadSome(Span<byte> destination, int timeoutMs)
    {
        if (_start == _end)
        {
            int got = _socket is null ? Connected.Receive(destination, timeoutMs) : ReceiveBlocking(_socket, destination, timeoutMs);

            if (got == 0)
            {
                throw new IOException("connection lost");
            }

            BytesRead += got;
            Interlocked.Add(ref _stats.NetReplInputBytes, got);
            OnRead?.Invoke(got);
            return got;
        }

        int n = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, n).CopyTo(destination);
        _start += n;
        return n;
    }

    /// <summary>Puts bytes read past the end of a transfer back in front of the buffered ones (the stream that follows it).</summary>
    public void Unread(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        int pending = _end - _start;
        var target = new byte[Math.Max(_buffer.Length, bytes.Length + pending)];
        bytes.CopyTo(target);
        _buffer.AsSpan(_start, pending).CopyTo(target.AsSpan(bytes.Length));
        _buffer = target;
        _start = 0;
        _end = bytes.Length + pending;
    }

    /// <summary>
    /// The unconsumed bytes as one span: the command stream parses in place and then calls
    /// <see cref="Consume"/>. <see cref="FillAsync"/> appends to it.
    /// </summary>
    public byte[] Buffer => _buffer;

    /// <summary>Where unconsumed bytes start in <see cref="Buffer"/>.</summary>
    public int Start => _start;

    /// <summary>Where unconsumed bytes end in <see cref="Buffer"/>.</summary>
    public int End => _end;

    /// <summary>Marks bytes up to <paramref name="position"/> as consumed.</summary>
    public void Consume(int position) => _start = position;

    /// <summary>Reads more bytes after what is buffered (compacting or growing the buffer first).</summary>
    public async ValueTask FillAsync(CancellationToken token)
    {
        MakeRoom();
        int n = _socket is not null
            ? await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, token).ConfigureAwait(false)
            : await Connected.ReceiveAsync(_buffer.AsMemory(_end)).ConfigureAwait(false);
        if (n == 0)
        {
            throw new IOException("connection lost");
        }

        Received(n);
    }

    /// <summary>
    /// One non-blocking read after what is buffered (the event loop's stream handler): bytes
    /// read, 0 when the primary closed, -1 when nothing is available, -2 on an error.
    /// </summary>
    public int FillNow()
    {
        MakeRoom();
        int n;
        try
        {
            n = Connected.TryReceive(_buffer.AsSpan(_end));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return -2;
        }

        if (n > 0)
        {
            Received(n);
        }

        return n;
    }

    // Compacts the buffer, or doubles it when it is more than half full of unconsumed bytes.
    private void MakeRoom()
    {
        if (_start > 0 && _start == _end)
        {
            _start = _end = 0;
        }

        if (_end == _buffer.Length)
        {
            int pending = _end - _start;
            var target = pending > _buffer.Length / 2 ? new byte[_buffer.Length * 2] : _buffer;
            System.Buffer.BlockCopy(_buffer, _start, target, 0, pending);
            _buffer = target;
            _start = 0;
            _end = pending;
        }
    }

    private void Received(int n)
    {
        _end += n;
        BytesRead += n;
        Interlocked.Add(ref _stats.NetReplInputBytes, n);
        OnRead?.Invoke(n);
    }

    /// <summary>Sends bytes; false when the connection is gone.</summary>
    public bool Send(ReadOnlySpan<byte> bytes)
    {
        lock (_sendLock)
        {
            try
            {
                if (_socket is null)
                {
                    Connected.Send(bytes);
                    return true;
                }

                while (!bytes.IsEmpty)
                {
                    int n = _socket.Send(bytes);
                    bytes = bytes[n..];
                }

                return true;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return false;
            }
        }
    }

    /// <summary>Sends a command as a RESP multibulk.</summary>
    public bool SendCommand(params string[] args) => Send(Encode(args));

    /// <summary>Encodes a command as a RESP multibulk.</summary>
    public static byte[] Encode(params string[] args)
    {
        var sb = new StringBuilder();
        sb.Append('*').Append(args.Length).Append("\r\n");
        foreach (var a in args)
        {
            sb.Append('$').Append(Encoding.UTF8.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>Closes the socket; pending reads fail.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        if (_socket is null)
        {
            LoopSocket?.Close();
            return;
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already disconnected.
        }

        _socket.Dispose();
    }

    public void Dispose() => Close();

    // The loop socket once connected (ObjectDisposedException before, as a closed Socket throws).
    private LoopSocket Connected => LoopSocket ?? throw new ObjectDisposedException(nameof(PrimaryConnection));

    // Each socket a connect attempt creates, so that Close (a connect timeout) reaches it.
    private void Attach(LoopSocket socket)
    {
        Interlocked.Exchange(ref _loopSocket, socket);
        if (IsClosed)
        {
            socket.Close();
        }
    }

    // Redis puts the socket in blocking mode with repl-timeout as the receive timeout for a diskless load.
    private static int ReceiveBlocking(Socket socket, Span<byte> destination, int timeoutMs)
    {
        socket.ReceiveTimeout = timeoutMs;
        try
        {
            return socket.Receive(destination);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            throw new IOException("timeout reading from the primary", e);
        }
        finally
        {
            socket.ReceiveTimeout = 0;
        }
    }
}
