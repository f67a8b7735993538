// One TCP (or unix socket) client. The read loop hands what it reads to ClientInputProcessor
// (shared with the event loop's LoopConnection), which parses every complete command into a
// batch and runs the whole batch under the executor gate (one lock hand-off per batch, not per
// command, ARCHITECTURE §1); the reply buffer is swapped out while still holding the gate, then
// sent. Replies produced by other clients' commands (MONITOR, pub/sub, CLIENT
// KILL) are sent by RequestFlush; a send lock keeps all sends of a connection in order.
// Since the epoll EventLoop (LoopConnection) serves clients on Linux x64, this is the portable
// fallback, also selected with CINNABAR_EVENT_LOOP=0; only the I/O differs between the two.
using System.Net.Sockets;

using Cinnabar.Protocol;

namespace Cinnabar.Server.Networking;

/// <summary>A client connection.</summary>
internal sealed class ClientConnection : IClientTransport, IClientInputHost, IDisposable
{
    private readonly CinnabarServer _server;
    private readonly Socket _socket;
    private readonly ClientSession _session;
    private readonly ClientInputProcessor _input;
    private readonly ReplyWriter _sending = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private int _closed;
    private int _flushQueued;
    private TaskCompletionSource? _unblocked;
    private Task<int>? _pendingReceive;

    public ClientConnection(CinnabarServer server, Socket socket, ClientSession session)
    {
        _server = server;
        _socket = socket;
        _session = session;
        _input = new ClientInputProcessor(server, session);
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
                if (_pendingReceive is null)
                {
                    _ = _input.PrepareRead();
                }

                int n = await (_pendingReceive ?? _socket.ReceiveAsync(_input.Buffer.AsMemory(_input.End), SocketFlags.None).AsTask()).ConfigureAwait(false);
                _pendingReceive = null;
                if (n == 0)
                {
                    break;
                }

                _input.Received(n);
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
        // One queued flush at a time: a replica is asked to flush after every write.
        if (Volatile.Read(ref _closed) != 0 || Interlocked.Exchange(ref _flushQueued, 1) != 0)
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

    // Runs everything complete in the buffer, sending the replies after each step; false = close
    // the connection. A blocked client keeps reading while it waits (WaitUntilUnblockedAsync).
    private async Task<bool> ProcessInputAsync()
    {
        while (true)
        {
            InputStep step;
            await _sendLock.WaitAsync().ConfigureAwait(false);
            try
            {
                step = _input.Step(this);
                if (step == InputStep.CloseNow)
                {
                    return false;
                }

                await SendPendingAsync().ConfigureAwait(false);
            }
            finally
            {
                _sendLock.Release();
            }

            switch (step)
            {
                case InputStep.CloseAfterWrite:
                    return false;
                case InputStep.Blocked:
                    await WaitUntilUnblockedAsync().ConfigureAwait(false);
                    if (_session.Killed)
                    {
                        return false;
                    }

                    break;
                case InputStep.Idle:
                    return true;
            }
        }
    }

    /// <inheritdoc/>
    void IClientInputHost.TakeOutput() => TakeOutput();

    /// <inheritdoc/>
    void IClientInputHost.OnBlocked() => _unblocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    // Waits for the executor to unblock the client while still reading from the socket, as
    // Redis keeps reading from blocked clients: a peer that disconnects meanwhile is freed (its
    // postponed command never runs), and bytes that arrive are appended after the buffered
    // commands without moving them.
    private async Task WaitUntilUnblockedAsync()
    {
        var unblocked = _unblocked!.Task;
        while (!unblocked.IsCompleted)
        {
            if (_pendingReceive is null)
            {
                if (!_input.PrepareRead())
                {
                    await unblocked.ConfigureAwait(false);
                    break;
                }

                _pendingReceive = _socket.ReceiveAsync(_input.Buffer.AsMemory(_input.End), SocketFlags.None).AsTask();
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

            _input.Received(n);
        }
    }

    private async Task FlushAsync()
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        Volatile.Write(ref _flushQueued, 0);
        try
        {
            lock (_server.Gate)
            {
                TakeOutput();
            }

            await SendPendingAsync().ConfigureAwait(false);

            // A replica: its snapshot and stream follow its own replies (ReplicaLink.NextChunk).
            while (true)
            {
                ReadOnlyMemory<byte> chunk;
                lock (_server.Gate)
                {
                    if (_session.Output.Length > 0)
                    {
                        TakeOutput();
                        chunk = ReadOnlyMemory<byte>.Empty;
                    }
                    else
                    {
                        chunk = _session.ReplicaLink is { Attached: true } link ? link.NextChunk() : ReadOnlyMemory<byte>.Empty;
                    }
                }

                if (_sending.Length > 0)
                {
                    await SendPendingAsync().ConfigureAwait(false);
                    continue;
                }

                if (chunk.IsEmpty)
                {
                    break;
                }

                while (chunk.Length > 0)
                {
                    int sent = await _socket.SendAsync(chunk, SocketFlags.None).ConfigureAwait(false);
                    chunk = chunk[sent..];
                    Interlocked.Add(ref _server.Stats.NetOutputBytes, sent);
                    if (_session.IsReplica)
                    {
                        Interlocked.Add(ref _server.Stats.NetReplOutputBytes, sent);
                    }

                    _session.NetOutput += sent;
                }
            }
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

    // Moves the session's output into the send buffer (caller holds the gate). The bytes count as
    // in flight from here, so the client's pending output never dips while they wait to be sent.
    private void TakeOutput()
    {
        _sending.SwapWith(_session.Output);
        Volatile.Write(ref _session.OutputInFlight, _sending.Length);
    }

    // Sends _sending (caller holds _sendLock).
    private async Task SendPendingAsync()
    {
        var data = _sending.WrittenMemory;
        while (data.Length > 0)
        {
            Volatile.Write(ref _session.OutputInFlight, data.Length);
            int sent = await _socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
            data = data[sent..];
            Interlocked.Add(ref _server.Stats.NetOutputBytes, sent);
            if (_session.IsReplica)
            {
                Interlocked.Add(ref _server.Stats.NetReplOutputBytes, sent);
            }

            _session.NetOutput += sent;
        }

        if (_sending.Length > 0)
        {
            Interlocked.Increment(ref _server.Stats.WritesProcessed);
        }

        Volatile.Write(ref _session.OutputInFlight, 0);
        _sending.Clear();
    }
}
