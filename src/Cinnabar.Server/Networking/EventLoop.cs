// A Redis-style event loop for client sockets on Linux: one thread, level-triggered epoll, one
// read per readable event, replies written directly and EPOLLOUT asked for only while a reply is
// pending. The runtime's socket engine is edge-triggered and registers every socket for both
// directions, so each request cost an extra recv (the one that drains to EAGAIN) and the epoll
// thread woke for every send's EPOLLOUT edge as well: about 40% more server CPU per request than
// Redis at -P 1 (bench/RESULTS.md). Work from other threads (replies for MONITOR/pub/sub
// clients, unblocking, closing) is posted to the loop and signalled through an eventfd.
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Cinnabar.Server.Networking;

/// <summary>The client event loop.</summary>
internal sealed partial class EventLoop : IDisposable
{
    public const uint In = 0x001;
    public const uint Out = 0x004;
    public const uint Err = 0x008;
    public const uint Hup = 0x010;
    public const uint RdHup = 0x2000;
    private const int CtlAdd = 1;
    private const int CtlDel = 2;
    private const int CtlMod = 3;
    private const int EAgain = 11;
    private const int EIntr = 4;
    private const int MsgNoSignal = 0x4000;
    private const int EfdNonBlock = 0x800;
    private const int EfdCloexec = 0x80000;
    private const int EpollCloexec = 0x80000;

    private readonly int _epoll;
    private readonly int _wakeFd;
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly Queue<Action> _local = new();
    private readonly Dictionary<ulong, ILoopHandler> _handlers = [];
    private readonly Thread _thread;
    private readonly byte[] _eightBytes = new byte[8];
    private ulong _nextToken = 1;
    private int _wakePending;
    private volatile bool _stopping;

    private EventLoop(int epoll, int wakeFd)
    {
        _epoll = epoll;
        _wakeFd = wakeFd;
        var ev = new EpollEvent { Events = In, Data = 0 };
        if (epoll_ctl(_epoll, CtlAdd, _wakeFd, ref ev) != 0)
        {
            throw new InvalidOperationException($"epoll_ctl(eventfd) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "cinnabar-loop" };
    }

    /// <summary>Something registered with the loop.</summary>
    public interface ILoopHandler
    {
        /// <summary>Called on the loop thread with the epoll event bits.</summary>
        void OnEvents(uint events);

        /// <summary>Called on the loop thread when handling an event threw; the handler should close.</summary>
        void OnFailure(Exception error);
    }

    /// <summary>Reports exceptions that escaped a handler or a posted action (the loop goes on).</summary>
    public Action<Exception>? Unhandled { get; set; }

    /// <summary>True on the loop thread.</summary>
    public bool OnLoopThread => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>
    /// Creates and starts a loop, or returns null where it cannot run (not Linux x64, or
    /// CINNABAR_EVENT_LOOP=0 in the environment); callers then use the runtime's async sockets.
    /// </summary>
    public static EventLoop? TryCreate()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("CINNABAR_EVENT_LOOP") == "0"
            || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return null;
        }

        try
        {
            int ep = epoll_create1(EpollCloexec);
            if (ep < 0)
            {
                return null;
            }

            int wake = eventfd(0, EfdNonBlock | EfdCloexec);
            if (wake < 0)
            {
                _ = close(ep);
                return null;
            }

            var loop = new EventLoop(ep, wake);
            loop._thread.Start();
            return loop;
        }
        catch (DllNotFoundException)
        {
            return null;
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Runs <paramref name="action"/> on the loop thread (soon, in order of posting).</summary>
    public void Post(Action action)
    {
        if (OnLoopThread)
        {
            // Posted by the loop itself (a replica's flush after a client's write, for one): it
            // runs once the ready events are handled, before the loop waits again, as Redis
            // writes replicas' output in beforeSleep; no eventfd round trip.
            _local.Enqueue(action);
            return;
        }

        _posted.Enqueue(action);
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            Span<byte> one = stackalloc byte[8];
            one.Clear();
            one[0] = 1;
            _ = write(_wakeFd, ref MemoryMarshal.GetReference(one), 8);
        }
    }

    /// <summary>Registers a file descriptor (loop thread only); returns its token.</summary>
    public ulong Add(int fd, uint events, ILoopHandler handler)
    {
        ulong token = _nextToken++;
        var ev = new EpollEvent { Events = events, Data = token };
        if (epoll_ctl(_epoll, CtlAdd, fd, ref ev) != 0)
        {
            throw new InvalidOperationException($"epoll_ctl(ADD) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        _handlers[token] = handler;
        return token;
    }

    /// <summary>Changes the events a descriptor is watched for (loop thread only).</summary>
    public void Modify(int fd, ulong token, uint events)
    {
        var ev = new EpollEvent { Events = events, Data = token };
        _ = epoll_ctl(_epoll, CtlMod, fd, ref ev);
    }

    /// <summary>Stops watching a descriptor (loop thread only; before closing it).</summary>
    public void Remove(int fd, ulong token)
    {
        var ev = default(EpollEvent);
        _ = epoll_ctl(_epoll, CtlDel, fd, ref ev);
        _handlers.Remove(token);
    }

    /// <summary>Reads what is available into <paramref name="buffer"/>: bytes read, 0 at end of stream, -1 when nothing is available, -2 on error.</summary>
    public static int Receive(int fd, Span<byte> buffer)
    {
        while (true)
        {
            nint n = recv(fd, ref MemoryMarshal.GetReference(buffer), buffer.Length, 0);
            if (n >= 0)
            {
                return (int)n;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == EIntr)
            {
                continue;
            }

            return errno == EAgain ? -1 : -2;
        }
    }

    /// <summary>Writes what the socket takes: bytes written, -1 when it takes nothing now, -2 on error.</summary>
    public static int Send(int fd, ReadOnlySpan<byte> data)
    {
        while (true)
        {
            nint n = send(fd, ref MemoryMarshal.GetReference(data), data.Length, MsgNoSignal);
            if (n >= 0)
            {
                return (int)n;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == EIntr)
            {
                continue;
            }

            return errno == EAgain ? -1 : -2;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        Post(() => { });
    }

    private void Run()
    {
        var events = new EpollEvent[256];
        while (!_stopping)
        {
            // Actions the loop posted to itself while running local ones wait for the next turn,
            // which then must not block.
            int n = epoll_wait(_epoll, events, events.Length, _local.Count > 0 ? 0 : -1);
            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == EIntr)
                {
                    continue;
                }

                break;
            }

            for (int i = 0; i < n; i++)
            {
                ulong token = events[i].Data;
                if (token == 0)
                {
                    _ = read(_wakeFd, ref _eightBytes[0], 8);
                    Volatile.Write(ref _wakePending, 0);
                    RunPosted();
                }
                else if (_handlers.TryGetValue(token, out var h))
                {
                    // A failing command must not take the whole server down: as with the async
                    // connections, only this client is lost.
                    try
                    {
                        h.OnEvents(events[i].Events);
                    }
#pragma warning disable CA1031 // the loop must survive any handler failure
                    catch (Exception e)
                    {
                        Unhandled?.Invoke(e);
                        h.OnFailure(e);
                    }
#pragma warning restore CA1031
                }
            }

            RunLocal();
        }
    }

    private void RunPosted()
    {
        while (_posted.TryDequeue(out var action))
        {
            Invoke(action);
        }
    }

    // Runs the actions posted by the loop itself so far; those they post run at the next turn,
    // so a chain of actions cannot keep the loop from its sockets.
    private void RunLocal()
    {
        for (int count = _local.Count; count > 0 && _local.TryDequeue(out var action); count--)
        {
            Invoke(action);
        }
    }

    private void Invoke(Action action)
    {
        try
        {
            action();
        }
#pragma warning disable CA1031 // the loop must survive any posted action's failure
        catch (Exception e)
        {
            Unhandled?.Invoke(e);
        }
#pragma warning restore CA1031
    }

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct EpollEvent
    {
        // x86-64 packs struct epoll_event (12 bytes); Pack = 4 matches it (other architectures
        // align it to 16 bytes, which is why the loop is x64 only).
        public uint Events;
        public ulong Data;
    }

#pragma warning disable SYSLIB1054 // DllImport: blittable signatures, no marshalling generated
    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_create1(int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_ctl(int epfd, int op, int fd, ref EpollEvent ev);

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_wait(int epfd, [Out] EpollEvent[] events, int maxevents, int timeout);

    [DllImport("libc", SetLastError = true)]
    private static extern int eventfd(uint initval, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint read(int fd, ref byte buf, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, ref byte buf, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern nint recv(int fd, ref byte buf, nint len, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint send(int fd, ref byte buf, nint len, int flags);

    [DllImport("libc")]
    private static extern int close(int fd);
#pragma warning restore SYSLIB1054
}
