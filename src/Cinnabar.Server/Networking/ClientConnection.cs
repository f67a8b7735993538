// One TCP (or unix socket) client. The read loop parses every complete command in the receive
// buffer into a batch, runs the whole batch under the executor gate (one lock hand-off per
// batch, not per command, ARCHITECTURE §1), swaps the reply buffer out while still holding the
// gate, then sends it. Replies produced by other clients' commands (MONITOR, pub/sub, CLIENT
// KILL) are sent by RequestFlush; a send lock keeps all sends of a connection in order.
// Since the epoll EventLoop (LoopConnection) serves clients on Linux x64, this is the portable
// fallback, also selected with CINNABAR_EVENT_LOOP=0; keep both in step.
using System.Net.Sockets;
using Cinnabar.Protocol;

namespace Cinnabar.Server.Networking;

/// <summary>A client connection.</summary>
internal sealed class ClientConnection : IClientTransport, IDisposable
{
    private const int InitialBufferSize = 16 * 1024;
    private readonly CinnabarServer _server;
    private readonly Socket _socket;
    private readonly ClientSession _session;
    private readonly RequestParser _parser = new();
    private readonly ReplyWriter _sending = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly List<CommandArgs> _batch = [];
    private readonly List<CommandArgs> _argsPool = [];
    private byte[] _buffer = new byte[InitialBufferSize];
    private int _start;
    private int _end;
    private int _closed;
    private TaskCompletionSource? _unblocked;
    private Task<int>? _pendingReceive;

    public ClientConnection(CinnabarServer server, Socket socket, ClientSession session)
    {
        _server = server;
        _socket = socket;
        _session = session;
        session.Transport = this;
        session.Unblock = () => _unblocked?.TrySetResult();
    }

    /// <summary>The session.</summary>
    public ClientSession Session => _session;

    /// <summary>Runs the connection until the peer or the server closes it.</summary>
    public async Task RunAsync()
    {
        try
        {
            while (!_session.Killed)
            {
                // A receive started while the client was blocked writes at the old end of the
                // current buffer, so the buffer must stay as it is until that receive completes.
                if (_pendingReceive is null && _start == _end && !_parser.InCommand)
                {
                    _start = _end = 0;
                }

                if (_pendingReceive is null && _end == _buffer.Length)
                {
                    MakeRoom();
                }

                int n = await (_pendingReceive ?? _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None).AsTask()).ConfigureAwait(false);
                _pendingReceive = null;
                if (n == 0)
                {
                    break;
                }

                _end += n;
                Interlocked.Add(ref _server.Stats.NetInputBytes, n);
                Interlocked.Increment(ref _server.Stats.ReadsProcessed);
                if (!await ProcessInputAsync().ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        catch (SocketException)
        {
            // The peer went away; Redis logs this at verbose level only.
        }
        catch (ObjectDisposedException)
        {
            // Closed by CLIENT KILL or shutdown while reading.
        }
        finally
        {
            Close();
            lock (_server.Gate)
            {
                _server.RemoveClient(_session);
                _server.Dispatcher.Forget(_session);
            }
        }
    }

    /// <inheritdoc/>
    public void RequestFlush()
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            return;
        }

        _ = Task.Run(FlushAsync);
    }

    /// <summary>Closes the socket; the send lock is left to the GC because a flush may still be waiting on it.</summary>
    public void Dispose() => Close();

    /// <inheritdoc/>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _unblocked?.TrySetResult();
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
    }

    // Parses and executes everything complete in the buffer; false = close the connection.
    private async Task<bool> ProcessInputAsync()
    {
        while (true)
        {
            bool protocolError = false;
            bool readWhileBlocked = false;
            string? error = null;
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
                    protocolError = true;
                    error = _parser.Error;
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
            if (!protocolError && !_session.IsPrimaryLink && _end - _start > _server.Config.ClientQueryBufferLimit)
            {
                LogQueryBufferLimit();
                return false;
            }

            await _sendLock.WaitAsync().ConfigureAwait(false);
            try
            {
                int next = 0;
                while (true)
                {
                    bool blocked = false;
                    lock (_server.Gate)
                    {
                        // Redis counts any input as interaction (readQueryFromClient), stamped once
                        // per read, so a client slowly sending a large command is not idle.
                        _session.LastInteractionMs = _server.NowMs;
                        _server.Dispatcher.BeginBatch();
                        try
                        {
                            for (; next < _batch.Count; next++)
                            {
                                if (_session.Killed || _session.CloseAfterReply)
                                {
                                    break;
                                }

                                _server.Dispatcher.Process(_session, _batch[next]);
                                if (_session.Blocked)
                                {
                                    // A postponed command (CLIENT PAUSE) runs again once released;
                                    // any other blocked command has already been taken care of.
                                    _unblocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                                    if (!_session.Postponed)
                                    {
                                        next++;
                                    }

                                    blocked = true;
                                    break;
                                }
                            }
                        }
                        finally
                        {
                            _server.Dispatcher.EndBatch();
                        }

                        if (protocolError && next >= _batch.Count && !blocked)
                        {
                            // Like any reply, the error is dropped under CLIENT REPLY OFF or SKIP.
                            // (Redis then leaves the connection open but never reads it again;
                            // closing it is the useful equivalent.)
                            if (_session.ReplyMode != ReplyMode.Off && !_session.SkipCurrentReply)
                            {
                                _session.Output.Error("ERR " + error);
                            }

                            _server.Dispatcher.CountError(System.Text.Encoding.ASCII.GetBytes("ERR " + error));
                            _session.CloseAfterReply = true;
                            LogProtocolError(error!);
                        }

                        // Redis's beforeSleep: the fast active expire cycle (usually a clock read).
                        _server.ActiveExpiry.BeforeSleep();
                        _sending.SwapWith(_session.Output);
                    }

                    await SendPendingAsync().ConfigureAwait(false);
                    if (!blocked || _session.Killed)
                    {
                        break;
                    }

                    _sendLock.Release();
                    try
                    {
                        readWhileBlocked |= await WaitUntilUnblockedAsync().ConfigureAwait(false);
                    }
                    finally
                    {
                        await _sendLock.WaitAsync().ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                _sendLock.Release();
            }

            if (_session.CloseAfterReply || _session.Killed)
            {
                return false;
            }

            if (readWhileBlocked)
            {
                continue;
            }

            if (!_parser.AuthRequired || _batch.Count == 0 || _start >= _end)
            {
                return true;
            }
        }
    }

    // Redis logs the client's CLIENT LIST line and the first 64 bytes of its query buffer.
    private void LogQueryBufferLimit()
    {
        var bytes = new System.Text.StringBuilder();
        Diagnostics.MonitorFeed.AppendRepr(bytes, _buffer.AsSpan(_start, Math.Min(64, _end - _start)));
        lock (_server.Gate)
        {
            _server.Log.Warning($"Closing client that reached max query buffer length: {Commands.ClientCommands.InfoLine(_server, _session, null)} (qbuf initial bytes: {bytes})");
        }
    }

    // Waits for the executor to unblock the client while still reading from the socket, as
    // Redis keeps reading from blocked clients: a peer that disconnects meanwhile is freed (its
    // postponed command never runs), and bytes that arrive are appended after the buffered
    // commands without moving them. Returns true when input arrived.
    private async Task<bool> WaitUntilUnblockedAsync()
    {
        bool read = false;
        var unblocked = _unblocked!.Task;
        while (!unblocked.IsCompleted)
        {
            if (_pendingReceive is null)
            {
                if (_end == _buffer.Length)
                {
                    await unblocked.ConfigureAwait(false);
                    break;
                }

                _pendingReceive = _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None).AsTask();
            }

            if (await Task.WhenAny(_pendingReceive, unblocked).ConfigureAwait(false) != _pendingReceive)
            {
                break;
            }

            int n;
            try
            {
                n = await _pendingReceive.ConfigureAwait(false);
            }
            catch (SocketException)
            {
                n = 0;
            }

            _pendingReceive = null;
            if (n == 0)
            {
                lock (_server.Gate)
                {
                    _session.Killed = true;
                    _server.Dispatcher.Forget(_session);
                }

                break;
            }

            _end += n;
            read = true;
            Interlocked.Add(ref _server.Stats.NetInputBytes, n);
            Interlocked.Increment(ref _server.Stats.ReadsProcessed);
        }

        return read;
    }

    // setProtocolError's log line: the client's CLIENT LIST line and a sample of the unparsed
    // input (128 bytes: the first and last 64 when longer), non-printable bytes shown as '.'.
    private void LogProtocolError(string error)
    {
        if (_server.Config.LogLevel > Config.LogLevel.Verbose)
        {
            return;
        }

        const int dumpLength = 128;
        var pending = _buffer.AsSpan(_start, _end - _start);
        string sample = pending.Length < dumpLength
            ? $"Query buffer during protocol error: '{Printable(pending)}'"
            : $"Query buffer during protocol error: '{Printable(pending[..(dumpLength / 2)])}' (... more {pending.Length - dumpLength} bytes ...) '{Printable(pending[^(dumpLength / 2)..])}'";
        if (sample.Length > 255)
        {
            sample = sample[..255];
        }

        _server.Log.Verbose($"Protocol error ({error}) from client: {Commands.ClientCommands.InfoLine(_server, _session, null)}. {sample}");
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        int n = 0;
        foreach (byte b in bytes)
        {
            if (b == 0)
            {
                break;
            }

            chars[n++] = b is >= 32 and < 127 ? (char)b : '.';
        }

        return new string(chars, 0, n);
    }

    private CommandArgs NewArgs()
    {
        var a = new CommandArgs();
        _argsPool.Add(a);
        return a;
    }

    private async Task FlushAsync()
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            lock (_server.Gate)
            {
                _sending.SwapWith(_session.Output);
            }

            await SendPendingAsync().ConfigureAwait(false);
        }
        catch (SocketException)
        {
            Close();
        }
        catch (ObjectDisposedException)
        {
            // Closed meanwhile.
        }
        finally
        {
            _sendLock.Release();
        }
    }

    // Sends _sending (caller holds _sendLock).
    private async Task SendPendingAsync()
    {
        var data = _sending.WrittenMemory;
        while (data.Length > 0)
        {
            int sent = await _socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
            data = data[sent..];
            Interlocked.Add(ref _server.Stats.NetOutputBytes, sent);
            _session.NetOutput += sent;
        }

        if (_sending.Length > 0)
        {
            Interlocked.Increment(ref _server.Stats.WritesProcessed);
        }

        _sending.Clear();
    }

    // Compacts or grows the receive buffer. Arguments of a half-parsed command point into the
    // current array, so that array is never rewritten while the parser is inside a command:
    // the unparsed tail moves to a fresh array instead.
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

        // The half-parsed command's arguments pin the current array, so the tail moves to a new
        // one; it only needs to be bigger when the tail does not fit comfortably (pipelined input
        // fills the buffer on every read, and doubling each time grew it without bound).
        long want = pending + _parser.PendingBulkBytes + 1;
        want = want <= _buffer.Length / 2 ? _buffer.Length : Math.Max((long)_buffer.Length * 2, want);
        var nb = new byte[(int)Math.Min(want, Array.MaxLength)];
        Buffer.BlockCopy(_buffer, _start, nb, 0, pending);
        _buffer = nb;
        _start = 0;
        _end = pending;
    }
}
