// One client served by the EventLoop (Redis's model): on each readable event, one read, then
// every complete command in the buffer runs as a batch under the executor gate, and the replies
// are written at once; what the socket does not take waits for EPOLLOUT. The parse-and-execute
// rules (batching, one-at-a-time until authenticated, query buffer limit, protocol errors,
// CLIENT KILL, blocked clients) live in ClientInputProcessor, shared with ClientConnection; this
// class only does the I/O. Everything here runs on the loop thread except
// RequestFlush/Close/Unblock, which post to it.
using System.Net.Sockets;

using Cinnabar.Protocol;

namespace Cinnabar.Server.Networking;

/// <summary>A client connection driven by the event loop.</summary>
internal sealed class LoopConnection : IClientTransport, IClientInputHost, EventLoop.ILoopHandler
{
    private readonly CinnabarServer _server;
    private readonly EventLoop _loop;
    private readonly Socket _socket;
    private readonly int _fd;
    private readonly ClientSession _session;
    private readonly ClientInputProcessor _input;
    private readonly ReplyWriter _sending = new();
    private int _sent;

    // A replica's snapshot or stream bytes (a slice of a shared replication block), sent after
    // the session's own replies; see ReplicaLink.NextChunk.
    private ReadOnlyMemory<byte> _chunk;
    private int _chunkSent;
    private ulong _token;
    private uint _watching;
    private int _closed;
    private int _flushPosted;
    private bool _finished;
    private bool _closeWhenSent;

    public LoopConnection(CinnabarServer server, EventLoop loop, Socket socket, ClientSession session)
    {
        _server = server;
        _loop = loop;
        _socket = socket;
        _fd = (int)socket.Handle;
        _session = session;
        _input = new ClientInputProcessor(server, session);
        session.Transport = this;
        session.Unblock = () => _loop.Post(Resume);
    }

    /// <summary>Registers with the loop (call on the loop thread).</summary>
    public void Start()
    {
        if (_finished)
        {
            return;
        }

        _socket.Blocking = false;
        _watching = EventLoop.In;
        _token = _loop.Add(_fd, _watching, this);
        if (Volatile.Read(ref _closed) != 0)
        {
            Finish();
        }
    }

    /// <inheritdoc/>
    public void RequestFlush()
    {
        if (Volatile.Read(ref _closed) != 0 || Interlocked.Exchange(ref _flushPosted, 1) != 0)
        {
            return;
        }

        _loop.Post(() =>
        {
            Volatile.Write(ref _flushPosted, 0);
            if (_finished)
            {
                return;
            }

            if (_sent == _sending.Length && _chunkSent == _chunk.Length)
            {
                lock (_server.Gate)
                {
                    TakeOutput();
                }
            }

            Write();
        });
    }

    /// <inheritdoc/>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _loop.Post(Finish);
    }

    /// <inheritdoc/>
    public void OnFailure(Exception error)
    {
        try
        {
            Finish();
        }
        catch (ObjectDisposedException)
        {
            // Half-finished already.
        }
    }

    /// <inheritdoc/>
    public void OnEvents(uint events)
    {
        if ((events & (EventLoop.Hup | EventLoop.Err)) != 0 && (_watching & EventLoop.In) == 0)
        {
            // A blocked client (not reading) whose peer is gone: epoll reports HUP/ERR whatever
            // we ask for, so close now rather than spin.
            Finish();
            return;
        }

        if ((events & EventLoop.Out) != 0)
        {
            Write();
        }

        if ((events & (EventLoop.In | EventLoop.Hup | EventLoop.Err | EventLoop.RdHup)) != 0 && !_finished && (_watching & EventLoop.In) != 0)
        {
            OnReadable();
        }
    }

    private void OnReadable()
    {
        if (Volatile.Read(ref _closed) != 0 || _session.Killed)
        {
            Finish();
            return;
        }

        if (!_input.PrepareRead())
        {
            // Blocked with a full buffer: stop reading until the Resume (level-triggered epoll
            // would otherwise report the pending input forever).
            Watch(_watching & ~EventLoop.In);
            return;
        }

        int n = EventLoop.Receive(_fd, _input.Buffer.AsSpan(_input.End, _input.Free));
        if (n == -1)
        {
            return;
        }

        if (n <= 0)
        {
            // End of stream or a socket error (Redis logs these at verbose level only). A blocked
            // client is freed too: its postponed command never runs.
            Finish();
            return;
        }

        _input.Received(n);
        if (_input.Interrupted)
        {
            // Blocked: the input waits behind the rest of the batch, which the Resume that the
            // session's Unblock posts runs first (even when the cron already unblocked it).
            return;
        }

        Drive();
    }

    // Runs input steps and writes their replies until the input is used up or the client blocks.
    private void Drive()
    {
        while (true)
        {
            var step = _input.Step(this);
            if (step == InputStep.CloseNow)
            {
                Finish();
                return;
            }

            Write();
            if (_finished)
            {
                return;
            }

            if (step == InputStep.CloseAfterWrite)
            {
                CloseAfterWrite();
                return;
            }

            if (step != InputStep.Again)
            {
                return;
            }
        }
    }

    // Posted by the session's Unblock: finishes the interrupted batch, then reads again.
    private void Resume()
    {
        if (_finished || !_input.Interrupted)
        {
            return;
        }

        Watch(_watching | EventLoop.In);
        Drive();
    }

    /// <inheritdoc/>
    void IClientInputHost.TakeOutput()
    {
        if (_sent == _sending.Length && _chunkSent == _chunk.Length)
        {
            TakeOutput();
        }
    }

    /// <inheritdoc/>
    void IClientInputHost.OnBlocked()
    {
        // The session's Unblock posts Resume.
    }

    // Moves the session's output into the send buffer (caller holds the gate; send buffer empty).
    private void TakeOutput()
    {
        _sending.Clear();
        _sent = 0;
        _sending.SwapWith(_session.Output);

        // Counted as in flight from the moment they leave the session's buffer, so the client's
        // pending output (CLIENT LIST omem, output buffer limits) never dips while they wait.
        Volatile.Write(ref _session.OutputInFlight, _sending.Length);
    }

    // Writes the send buffer (then, for a replica, its snapshot and stream chunks); when the
    // socket is full, waits for EPOLLOUT.
    private void Write()
    {
        if (_finished)
        {
            return;
        }

        while (true)
        {
            if (_sent == _sending.Length && _chunkSent == _chunk.Length)
            {
                if (_sending.Length > 0)
                {
                    Interlocked.Increment(ref _server.Stats.WritesProcessed);
                    _sending.Clear();
                    _sent = 0;
                    Volatile.Write(ref _session.OutputInFlight, 0);
                }

                _chunk = ReadOnlyMemory<byte>.Empty;
                _chunkSent = 0;
                bool replica = _session.ReplicaLink is { Attached: true };
                if ((_watching & EventLoop.Out) == 0 && !replica)
                {
                    if (_closeWhenSent)
                    {
                        Finish();
                    }

                    return;
                }

                // The backlog is gone: take anything written meanwhile (a replica also takes
                // its next snapshot or stream chunk), or stop watching.
                lock (_server.Gate)
                {
                    TakeOutput();
                    if (_sending.Length == 0 && _session.ReplicaLink is { Attached: true } link)
                    {
                        _chunk = link.NextChunk();
                    }
                }

                if (_sending.Length == 0 && _chunk.IsEmpty)
                {
                    Watch(_watching & ~EventLoop.Out);
                    if (_closeWhenSent)
                    {
                        Finish();
                    }

                    return;
                }

                continue;
            }

            bool fromChunk = _sent == _sending.Length;
            var data = fromChunk ? _chunk.Span[_chunkSent..] : _sending.WrittenSpan[_sent..];
            int n = EventLoop.Send(_fd, data);
            if (n == -1)
            {
                // The socket is full: what is left counts as the client's pending output.
                Volatile.Write(ref _session.OutputInFlight, _sending.Length - _sent);
                Watch(_watching | EventLoop.Out);
                return;
            }

            if (n < 0)
            {
                Finish();
                return;
            }

            if (fromChunk)
            {
                _chunkSent += n;
            }
            else
            {
                _sent += n;
            }

            Interlocked.Add(ref _server.Stats.NetOutputBytes, n);
            if (_session.IsReplica)
            {
                Interlocked.Add(ref _server.Stats.NetReplOutputBytes, n);
            }

            _session.NetOutput += n;
        }
    }

    private void CloseAfterWrite()
    {
        _closeWhenSent = true;
        if (_sent == _sending.Length && (_watching & EventLoop.Out) == 0)
        {
            Finish();
        }
    }

    private void Watch(uint events)
    {
        if (events != _watching && !_finished)
        {
            _watching = events;
            _loop.Modify(_fd, _token, events);
        }
    }

    // Closes the socket and forgets the client (loop thread).
    private void Finish()
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        Volatile.Write(ref _closed, 1);
        if (_token != 0)
        {
            _loop.Remove(_fd, _token);
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already disconnected.
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }

        _socket.Dispose();
        lock (_server.Gate)
        {
            _server.RemoveClient(_session);
            _server.Dispatcher.Forget(_session);
        }
    }
}
