// An outgoing TCP connection owned by the client event loop from its first system call: a
// replica's link to its primary. Why not the runtime's Socket: once a socket has been used with
// the runtime's async operations (a ConnectAsync, a ReceiveAsync), the runtime's socket engine
// keeps it in its own edge-triggered epoll set until it is closed, so when the event loop then
// watched the same socket for the command stream, every arrival woke the engine's thread too
// (strace: 7x the epoll_waits) and a primary's -P 16 throughput with that replica fell 7-13%
// (bench/RESULTS.md, seventh session). A dup of the descriptor does not help: the registration
// belongs to the open file, which the dup keeps alive. So this socket is created, connected and
// read with plain system calls; an async wait (connect, a handshake reply, the snapshot's bytes)
// arms the loop's epoll for one event, and the command stream is read by the loop itself.
//
// Lifetime: the descriptor is held by a SafeHandle, so a close from one thread never releases a
// number that another thread is inside a system call with; only the loop registers and
// unregisters it, and Close removes it from the loop's set before releasing it, so a
// registration can never outlive the descriptor and reach a socket that reuses its number.
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Cinnabar.Server.Networking;

/// <summary>A non-blocking client socket driven by the <see cref="EventLoop"/>.</summary>
internal sealed class LoopSocket : EventLoop.ILoopHandler, IDisposable
{
    private const int AfInet = 2;
    private const int AfInet6 = 10;
    private const int SockStream = 1;
    private const int SockNonBlock = 0x800;
    private const int SockCloexec = 0x80000;
    private const int IpProtoTcp = 6;
    private const int TcpNoDelay = 1;
    private const int SolSocket = 1;
    private const int SoError = 4;
    private const int ShutRdWr = 2;
    private const int EInProgress = 115;
    private const int EIntr = 4;
    private const short PollIn = 0x1;
    private const short PollOut = 0x4;

    private readonly EventLoop _loop;
    private readonly DescriptorHandle _handle;
    private readonly int _fd;
    private ulong _token;
    private int _closed;
    private TaskCompletionSource? _waiter;
    private IStreamHandler? _stream;

    private LoopSocket(EventLoop loop, int fd)
    {
        _loop = loop;
        _fd = fd;
        _handle = new DescriptorHandle(fd);
    }

    /// <summary>Receives the loop's events while <see cref="Watch"/> is in force (loop thread).</summary>
    public interface IStreamHandler
    {
        /// <summary>The socket is readable (level-triggered: read once per call).</summary>
        void OnReadable();

        /// <summary>The socket was closed (locally); stop using it.</summary>
        void OnClosed();
    }

    /// <summary>The descriptor (for reads by the loop's stream handler).</summary>
    public int Descriptor => _fd;

    /// <summary>True once Close ran.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>
    /// Connects to the first address of <paramref name="host"/> that accepts (as the runtime's
    /// Socket.ConnectAsync(host, port) does). Throws SocketException with the reason of the last
    /// failure, or ObjectDisposedException when <see cref="Close"/> ran meanwhile (a timeout).
    /// </summary>
    public static async Task<LoopSocket> ConnectAsync(EventLoop loop, string host, int port, Action<LoopSocket> started)
    {
        IPAddress[] addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host).ConfigureAwait(false);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            {
                continue;
            }

            int fd = socket(address.AddressFamily == AddressFamily.InterNetwork ? AfInet : AfInet6, SockStream | SockNonBlock | SockCloexec, 0);
            if (fd < 0)
            {
                throw Error(Marshal.GetLastPInvokeError());
            }

            var s = new LoopSocket(loop, fd);
            started(s);
            int errno = s.StartConnect(SocketAddressOf(address, port));
            if (errno == EInProgress)
            {
                await s.WaitAsync(EventLoop.Out).ConfigureAwait(false);
                errno = s.PendingError();
            }

            if (errno == 0)
            {
                return s;
            }

            ObjectDisposedException.ThrowIf(s.IsClosed, s);
            s.Close();
            last = Error(errno);
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>Reads what has arrived, waiting for the loop to report data: the count, 0 at end of stream.</summary>
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer)
    {
        while (true)
        {
            int n = TryReceive(buffer.Span);
            if (n != -1)
            {
                return n;
            }

            await WaitAsync(EventLoop.In).ConfigureAwait(false);
        }
    }

    /// <summary>Blocking read with a timeout (a diskless load's thread): the count, 0 at end of stream; throws IOException on timeout.</summary>
    public int Receive(Span<byte> buffer, int timeoutMs)
    {
        // The descriptor stays ours for the whole wait: a Close meanwhile shuts it down, which
        // ends the poll, and releases it only after this returns.
        using var held = Hold();
        while (true)
        {
            int n = TryReceive(buffer);
            if (n != -1)
            {
                return n;
            }

            if (!Poll(PollIn, timeoutMs))
            {
                throw new IOException("timeout reading from the primary");
            }
        }
    }

    /// <summary>One non-blocking read: bytes read, 0 at end of stream, -1 when nothing is available. Throws on errors.</summary>
    public int TryReceive(Span<byte> buffer)
    {
        using var held = Hold();
        int n = EventLoop.Receive(_fd, buffer);

        // On -2 recv's errno is still the last one (no call since): the link-down reason and
        // the log name the real error (a keepalive timeout is not a reset).
        return n >= -1 ? n : throw Error(Marshal.GetLastPInvokeError());
    }

    /// <summary>Sends all of <paramref name="data"/> (small writes: handshake commands, ACKs), waiting for room if need be.</summary>
    public void Send(ReadOnlySpan<byte> data)
    {
        using var held = Hold();
        while (!data.IsEmpty)
        {
            int n = EventLoop.Send(_fd, data);
            if (n >= 0)
            {
                data = data[n..];
            }
            else if (n == -1)
            {
                if (IsClosed || !Poll(PollOut, 1000))
                {
                    throw new SocketException((int)SocketError.TimedOut);
                }
            }
            else
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }
        }
    }

    /// <summary>
    /// Hands the socket's readiness to <paramref name="handler"/> (loop thread): level-triggered
    /// readable events until <see cref="Unwatch"/> or the close.
    /// </summary>
    public void Watch(IStreamHandler handler)
    {
        if (IsClosed)
        {
            handler.OnClosed();
            return;
        }

        _stream = handler;
        Arm(EventLoop.In);
    }

    /// <summary>Stops delivering readable events (loop thread); the socket stays open.</summary>
    public void Unwatch()
    {
        _stream = null;
        Disarm();
    }

    /// <summary>Pauses (false) or resumes (true) readable events for the stream handler (loop thread).</summary>
    public void SetReading(bool reading)
    {
        if (!reading)
        {
            Disarm();
        }
        else if (!IsClosed)
        {
            Arm(EventLoop.In);
        }
    }

    /// <summary>Shuts the connection down now (any thread); the loop then forgets and releases the descriptor.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        // Still held: only Finish, posted once by the first Close, releases the descriptor.
        using (Hold())
        {
            _ = shutdown(_fd, ShutRdWr);
        }

        _loop.Post(Finish);
    }

    public void Dispose() => Close();

    /// <inheritdoc/>
    public void OnEvents(uint events)
    {
        if (_stream is { } stream)
        {
            stream.OnReadable();
            return;
        }

        // One-shot wait: stop watching, then let the waiter retry its call. The descriptor
        // leaves the set rather than staying with no events, for epoll reports a hang-up or an
        // error whatever it is asked for, and nobody may be waiting to read it yet.
        Disarm();
        var waiter = _waiter;
        _waiter = null;
        waiter?.TrySetResult();
    }

    /// <inheritdoc/>
    public void OnFailure(Exception error)
    {
        var stream = _stream;
        _stream = null;
        stream?.OnClosed();
        Close();
    }

    private static SocketException Error(int errno) => new(errno switch
    {
        111 => (int)SocketError.ConnectionRefused,
        110 => (int)SocketError.TimedOut,
        113 => (int)SocketError.HostUnreachable,
        101 => (int)SocketError.NetworkUnreachable,
        104 => (int)SocketError.ConnectionReset,
        32 => (int)SocketError.Shutdown,
        99 => (int)SocketError.AddressNotAvailable,
        97 => (int)SocketError.AddressFamilyNotSupported,
        _ => (int)SocketError.SocketError,
    });

    // struct sockaddr_in / sockaddr_in6 as Linux lays them out.
    private static byte[] SocketAddressOf(IPAddress address, int port)
    {
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        var sa = new byte[v4 ? 16 : 28];
        BitConverter.TryWriteBytes(sa.AsSpan(0, 2), (ushort)(v4 ? AfInet : AfInet6));
        sa[2] = (byte)(port >> 8);
        sa[3] = (byte)port;
        if (v4)
        {
            address.TryWriteBytes(sa.AsSpan(4, 4), out _);
        }
        else
        {
            address.TryWriteBytes(sa.AsSpan(8, 16), out _);
            BitConverter.TryWriteBytes(sa.AsSpan(24, 4), (uint)address.ScopeId);
        }

        return sa;
    }

    // Waits (asynchronously) until the loop reports the events; returns at once if closed.
    private Task WaitAsync(uint events)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(() =>
        {
            if (IsClosed)
            {
                tcs.TrySetResult();
                return;
            }

            _waiter = tcs;
            Arm(events);
        });
        return tcs.Task.ContinueWith(
            _ => ObjectDisposedException.ThrowIf(IsClosed, this),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    // Loop thread: registers the descriptor on first use, then changes what it is watched for.
    private void Arm(uint events)
    {
        if (_token == 0)
        {
            _token = _loop.Add(_fd, events, this);
        }
        else
        {
            _loop.Modify(_fd, _token, events);
        }
    }

    // Loop thread: takes the descriptor out of the loop's set (it is added again by the next Arm).
    private void Disarm()
    {
        if (_token != 0)
        {
            _loop.Remove(_fd, _token);
            _token = 0;
        }
    }

    // Loop thread, after Close: forget the descriptor, wake whoever waits, then release it.
    private void Finish()
    {
        Disarm();

        var waiter = _waiter;
        _waiter = null;
        waiter?.TrySetResult();
        var stream = _stream;
        _stream = null;
        stream?.OnClosed();
        _handle.Dispose();
    }

    // Sets TCP_NODELAY and starts the non-blocking connect: 0, EINPROGRESS or the error. The
    // descriptor is held meanwhile (a Close from a timeout may run at any moment).
    private int StartConnect(byte[] sockaddr)
    {
        using var held = Hold();
        int one = 1;
        _ = setsockopt(_fd, IpProtoTcp, TcpNoDelay, ref one, sizeof(int));
        return connect(_fd, ref sockaddr[0], sockaddr.Length) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    // The connect's outcome (SO_ERROR) once the socket is writable; ObjectDisposedException if closed.
    private int PendingError()
    {
        using var held = Hold();
        int error = 0;
        int length = sizeof(int);
        return getsockopt(_fd, SolSocket, SoError, ref error, ref length) == 0 ? error : Marshal.GetLastPInvokeError();
    }

    // Keeps the descriptor from being released until the lease is disposed (ObjectDisposedException
    // if it has been already).
    private DescriptorLease Hold() => new(_handle);

    // Blocks the calling thread until the socket is ready for the events or the timeout passes.
    private bool Poll(short events, int timeoutMs)
    {
        var pfd = new PollFd { Fd = _fd, Events = events };
        while (true)
        {
            int r = poll(ref pfd, 1, timeoutMs <= 0 ? -1 : timeoutMs);
            if (r >= 0)
            {
                return r > 0;
            }

            if (Marshal.GetLastPInvokeError() != EIntr)
            {
                return true;
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    private readonly struct DescriptorLease : IDisposable
    {
        private readonly SafeHandle _handle;

        public DescriptorLease(SafeHandle handle)
        {
            bool added = false;
            handle.DangerousAddRef(ref added);
            _handle = handle;
        }

        public void Dispose() => _handle.DangerousRelease();
    }

    // The descriptor, released (closed) when the last system call using it has returned.
    private sealed class DescriptorHandle : SafeHandle
    {
        public DescriptorHandle(int fd)
            : base(-1, ownsHandle: true)
        {
            SetHandle(fd);
        }

        public override bool IsInvalid => handle == -1;

        protected override bool ReleaseHandle() => close((int)handle) == 0;
    }

#pragma warning disable SYSLIB1054 // DllImport: blittable signatures, no marshalling generated
    [DllImport("libc", SetLastError = true)]
    private static extern int socket(int domain, int type, int protocol);

    [DllImport("libc", SetLastError = true)]
    private static extern int connect(int fd, ref byte address, int length);

    [DllImport("libc", SetLastError = true)]
    private static extern int setsockopt(int fd, int level, int name, ref int value, int length);

    [DllImport("libc", SetLastError = true)]
    private static extern int getsockopt(int fd, int level, int name, ref int value, ref int length);

    [DllImport("libc", SetLastError = true)]
    private static extern int shutdown(int fd, int how);

    [DllImport("libc", SetLastError = true)]
    private static extern int poll(ref PollFd fds, nuint count, int timeout);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
#pragma warning restore SYSLIB1054
}
