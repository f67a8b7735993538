// One blocking connection to a server, as hiredis's redisContext is for redis-cli: commands
// are written as RESP multibulk, replies read with the protocol library's RespReplyParser,
// and the raw byte stream stays reachable (buffered bytes first) for the replication tools,
// which read an RDB payload that is not a RESP reply. Error texts are hiredis's (strerror).
using System.Net;
using System.Net.Sockets;

using Cinnabar.Protocol;

namespace Cinnabar.Cli;

/// <summary>A connection to a server.</summary>
internal sealed class RespConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly RespReplyParser _parser = new();
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RespConnection(Socket socket)
    {
        _socket = socket;
    }

    /// <summary>The socket (for polling and raw writes).</summary>
    public Socket Socket => _socket;

    /// <summary>Connects over TCP, trying every address of <paramref name="host"/>; throws <see cref="CliIOException"/> with strerror's text.</summary>
    public static RespConnection Connect(string host, int port)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = Dns.GetHostAddresses(host);
            }
            catch (SocketException e)
            {
                throw new CliIOException(e.SocketErrorCode == SocketError.HostNotFound ? "Name or service not known" : Describe(e), e);
            }
        }

        if (port is < 0 or > 65535)
        {
            throw new CliIOException("Servname not supported for ai_socktype");
        }

        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Connect(new IPEndPoint(address, port));
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
                return new RespConnection(socket);
            }
            catch (SocketException e)
            {
                last = e;
                socket.Dispose();
            }
        }

        throw new CliIOException(last is null ? "Name or service not known" : Describe(last), last!);
    }

    /// <summary>Connects to a unix socket.</summary>
    public static RespConnection ConnectUnix(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return new RespConnection(socket);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new CliIOException(File.Exists(path) || Directory.Exists(path) ? Describe(e) : "No such file or directory", e);
        }
    }

    /// <summary>strerror's text for a socket error.</summary>
    public static string Describe(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "Connection refused",
        SocketError.ConnectionReset => "Connection reset by peer",
        SocketError.TimedOut => "Connection timed out",
        SocketError.HostUnreachable => "No route to host",
        SocketError.NetworkUnreachable => "Network is unreachable",
        SocketError.AddressNotAvailable => "Cannot assign requested address",
        SocketError.AccessDenied => "Permission denied",
        SocketError.Shutdown => "Broken pipe",
        _ => e.Message,
    };

    /// <summary>Writes one command.</summary>
    public void Send(IReadOnlyList<byte[]> args)
    {
        var writer = new ReplyWriter(256);
        writer.ArrayHeader(args.Count);
        foreach (var a in args)
        {
            writer.Bulk(a);
        }

        SendRaw(writer.WrittenSpan);
    }

    /// <summary>Writes one command given as text arguments.</summary>
    public void Send(params string[] args) => Send([.. args.Select(a => System.Text.Encoding.UTF8.GetBytes(a))]);

    /// <summary>Writes bytes as they are.</summary>
    public void SendRaw(ReadOnlySpan<byte> bytes)
    {
        try
        {
            while (!bytes.IsEmpty)
            {
                int n = _socket.Send(bytes);
                bytes = bytes[n..];
            }
        }
        catch (SocketException e)
        {
            throw new CliIOException(Describe(e), e);
        }
        catch (ObjectDisposedException e)
        {
            throw new CliIOException("Bad file descriptor", e);
        }
    }

    /// <summary>Sends a command and reads its reply.</summary>
    public RespReply Command(params string[] args)
    {
        Send(args);
        return ReadReply();
    }

    /// <summary>True when a whole reply may be read without waiting (buffered bytes or readable socket).</summary>
    public bool HasPendingInput => _end > _start || _socket.Available > 0;

    /// <summary>Reads one reply, waiting as long as it takes.</summary>
    public RespReply ReadReply()
    {
        while (true)
        {
            if (_end > _start)
            {
                var status = _parser.TryParse(_buffer.AsSpan(_start, _end - _start), out int consumed, out var reply);
                _start += consumed;
                if (status == ParseStatus.Complete)
                {
                    return reply!;
                }

                if (status == ParseStatus.Error)
                {
                    throw new CliIOException(_parser.Error!);
                }
            }

            Fill();
        }
    }

    /// <summary>Reads up to <paramref name="destination"/>.Length raw bytes (buffered bytes first); 0 at end of stream.</summary>
    public int ReadRaw(Span<byte> destination)
    {
        if (_end > _start)
        {
            int n = Math.Min(destination.Length, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(destination);
            _start += n;
            return n;
        }

        try
        {
            return _socket.Receive(destination);
        }
        catch (SocketException e)
        {
            throw new CliIOException(Describe(e), e);
        }
        catch (ObjectDisposedException e)
        {
            throw new CliIOException("Bad file descriptor", e);
        }
    }

    /// <summary>Waits up to <paramref name="timeoutMicros"/> for input (buffered or on the socket).</summary>
    public bool Poll(int timeoutMicros) => _end > _start || _socket.Poll(timeoutMicros, SelectMode.SelectRead);

    /// <summary>Closes the socket (used to interrupt a blocking read from a Ctrl-C handler).</summary>
    public void Abort()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already gone.
        }
    }

    public void Dispose() => _socket.Dispose();

    private void Fill()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        int n;
        try
        {
            n = _socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
        }
        catch (SocketException e)
        {
            throw new CliIOException(Describe(e), e);
        }
        catch (ObjectDisposedException e)
        {
            throw new CliIOException("Bad file descriptor", e);
        }

        if (n == 0)
        {
            throw new CliIOException("Server closed the connection");
        }

        _end += n;
    }
}
