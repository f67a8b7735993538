// One client served by the EventLoop (Redis's model): on each readable event, one read, then
// every complete command in the buffer runs as a batch under the executor gate, and the replies
// are written at once; what the socket does not take waits for EPOLLOUT. It follows
// ClientConnection's rules exactly (batching, one-at-a-time until authenticated, query buffer
// limit, protocol errors, CLIENT KILL, blocked clients); everything here runs on the loop thread
// except RequestFlush/Close/Unblock, which post to it.
using System.Net.Sockets;
using Cinnabar.Protocol;

namespace Cinnabar.Server.Networking;

/// <summary>A client connection driven by the event loop.</summary>
internal sealed class LoopConnection : IClientTransport, EventLoop.ILoopHandler
{
    private const int ReadSize = 16 * 1024;
    private readonly CinnabarServer _server;
    private readonly EventLoop _loop;
    private readonly Socket _socket;
    private readonly int _fd;
    private readonly ClientSession _session;
    private readonly RequestParser _parser = new();
    private readonly ReplyWriter _sending = new();
    private readonly List<CommandArgs> _batch = [];
    private readonly List<CommandArgs> _argsPool = [];
    private byte[] _buffer = new byte[ReadSize];
    private int _start;
    private int _end;
    private int _sent;
    private ulong _token;
    private uint _watching;
    private int _closed;
    private int _flushPosted;
    private bool _finished;
    private bool _closeWhenSent;

    // A batch interrupted by a blocking command: where it resumes, and a protocol error that
    // followed it in the buffer.
    private int _next;
    private bool _blockedMidBatch;
    private bool _protocolError;
    private string? _error;

    public LoopConnection(CinnabarServer server, EventLoop loop, Socket socket, ClientSession session)
    {
        _server = server;
        _loop = loop;
        _socket = socket;
        _fd = (int)socket.Handle;
        _session = session;
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

            if (_sent == _sending.Length)
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

        if (_start == _end && !_parser.InCommand)
        {
            _start = _end = 0;
        }

        if (_end == _buffer.Length)
        {
            MakeRoom();
        }

        int n = EventLoop.Receive(_fd, _buffer, _end, _buffer.Length - _end);
        if (n == -1)
        {
            return;
        }

        if (n <= 0)
        {
            // End of stream or a socket error: Redis logs these at verbose level only.
            Finish();
            return;
        }

        _end += n;
        Interlocked.Add(ref _server.Stats.NetInputBytes, n);
        Interlocked.Increment(ref _server.Stats.ReadsProcessed);
        ProcessInput();
    }

    // Parses and executes everything complete in the buffer.
    private void ProcessInput()
    {
        while (true)
        {
            _protocolError = false;
            _error = null;
            _parser.AuthRequired = !_session.Authenticated;
            _parser.MaxBulkLength = _server.Config.ProtoMaxBulkLen;
            _batch.Clear();
            int used = 0;
            while (true)
            {
                var args = used < _argsPool.Count ? _argsPool[used] : NewArgs();
                if (!_parser.InCommand)
                {
                    args.Clear();
                }

                var status = _parser.TryParse(_buffer, ref _start, _end, args);
                if (status == ParseStatus.Incomplete)
                {
                    // Keep a half-parsed command's argument vector at the head of the pool so the
                    // next call resumes into it.
                    if (_parser.InCommand && used != 0)
                    {
                        (_argsPool[0], _argsPool[used]) = (_argsPool[used], _argsPool[0]);
                    }

                    break;
                }

                if (status == ParseStatus.Error)
                {
                    _protocolError = true;
                    _error = _parser.Error;
                    break;
                }

                if (args.Count > 0)
                {
                    _batch.Add(args);
                    used++;
                }

                // Until authenticated, take one command at a time so AUTH's effect on the
                // parser's limits applies to the next command, as in Redis.
                if (_parser.AuthRequired)
                {
                    break;
                }
            }

            _session.QueryBufferLength = _end - _start;
            if (!_protocolError && _end - _start > _server.Config.ClientQueryBufferLimit)
            {
                _server.Log.Warning($"Closing client that reached max query buffer length: id={_session.Id} addr={_session.Address} (qbuf initial bytes: ...)");
                Finish();
                return;
            }

            _next = 0;
            if (!ExecuteBatch())
            {
                return;
            }

            if (!_parser.AuthRequired || _batch.Count == 0 || _start >= _end)
            {
                return;
            }
        }
    }

    // Runs _batch from _next under the gate and writes the replies; false when processing must
    // stop (blocked client, or the connection is closing).
    private bool ExecuteBatch()
    {
        lock (_server.Gate)
        {
            // Redis stamps the last interaction once per read, not per command.
            _session.LastInteractionMs = _server.NowMs;
            _server.Dispatcher.BeginBatch();
            try
            {
                _blockedMidBatch = false;
                for (; _next < _batch.Count; _next++)
                {
                    if (_session.Killed || _session.CloseAfterReply)
                    {
                        break;
                    }

                    _server.Dispatcher.Process(_session, _batch[_next]);
                    if (_session.Blocked)
                    {
                        // A postponed command (CLIENT PAUSE) runs again once released; any other
                        // blocked command has already been taken care of.
                        if (!_session.Postponed)
                        {
                            _next++;
                        }

                        _blockedMidBatch = true;
                        break;
                    }
                }
            }
            finally
            {
                _server.Dispatcher.EndBatch();
            }

            if (_protocolError && _next >= _batch.Count && !_blockedMidBatch)
            {
                _session.Output.Error("ERR " + _error);
                _server.Dispatcher.CountError(System.Text.Encoding.ASCII.GetBytes("ERR " + _error));
                _session.CloseAfterReply = true;
                LogProtocolError(_error!);
            }

            if (_sent == _sending.Length)
            {
                TakeOutput();
            }
        }

        Write();
        if (_finished)
        {
            return false;
        }

        if (_session.Killed || _session.CloseAfterReply)
        {
            CloseAfterWrite();
            return false;
        }

        if (_blockedMidBatch)
        {
            // Stop reading until the Resume that the session's Unblock posts (even when the cron
            // already unblocked it meanwhile): the rest of the batch runs first. Level-triggered
            // epoll would otherwise report the pending input forever.
            Watch(_watching & ~EventLoop.In);
            return false;
        }

        return true;
    }

    // Posted by the session's Unblock: finishes the interrupted batch, then reads again.
    private void Resume()
    {
        if (_finished || !_blockedMidBatch || _session.Blocked)
        {
            return;
        }

        if (!ExecuteBatch())
        {
            return;
        }

        Watch(_watching | EventLoop.In);
        if (_parser.AuthRequired && _batch.Count != 0 && _start < _end)
        {
            ProcessInput();
        }
    }

    // Moves the session's output into the send buffer (caller holds the gate; send buffer empty).
    private void TakeOutput()
    {
        _sending.Clear();
        _sent = 0;
        _sending.SwapWith(_session.Output);
    }

    // Writes the send buffer; when the socket is full, waits for EPOLLOUT.
    private void Write()
    {
        if (_finished)
        {
            return;
        }

        while (true)
        {
            if (_sent == _sending.Length)
            {
                if (_sending.Length > 0)
                {
                    Interlocked.Increment(ref _server.Stats.WritesProcessed);
                    _sending.Clear();
                    _sent = 0;
                }

                if ((_watching & EventLoop.Out) == 0)
                {
                    if (_closeWhenSent)
                    {
                        Finish();
                    }

                    return;
                }

                // The backlog is gone: take anything written meanwhile, or stop watching.
                lock (_server.Gate)
                {
                    TakeOutput();
                }

                if (_sending.Length == 0)
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

            int n = EventLoop.Send(_fd, _sending.WrittenSpan[_sent..]);
            if (n == -1)
            {
                Watch(_watching | EventLoop.Out);
                return;
            }

            if (n < 0)
            {
                Finish();
                return;
            }

            _sent += n;
            Interlocked.Add(ref _server.Stats.NetOutputBytes, n);
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

    private void LogProtocolError(string error)
    {
        if (_server.Config.LogLevel <= Config.LogLevel.Verbose)
        {
            _server.Log.Verbose($"Protocol error ({error}) from client: id={_session.Id} addr={_session.Address}");
        }
    }

    private CommandArgs NewArgs()
    {
        var a = new CommandArgs();
        _argsPool.Add(a);
        return a;
    }

    // As ClientConnection.MakeRoom: the half-parsed command's arguments pin the current array.
    private void MakeRoom()
    {
        int pending = _end - _start;
        if (!_parser.InCommand && _start > 0 && pending < _buffer.Length / 2)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
            _start = 0;
            _end = pending;
            return;
        }

        long want = pending + _parser.PendingBulkBytes + 1;
        want = want <= _buffer.Length / 2 ? _buffer.Length : Math.Max((long)_buffer.Length * 2, want);
        var nb = new byte[(int)Math.Min(want, Array.MaxLength)];
        Buffer.BlockCopy(_buffer, _start, nb, 0, pending);
        _buffer = nb;
        _start = 0;
        _end = pending;
    }
}
