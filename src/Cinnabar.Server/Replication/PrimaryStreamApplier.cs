// Applies the primary's command stream as Redis's master client does (networking.c
// processInputBuffer / commandProcessed for CLIENT_MASTER): every command runs through the
// normal dispatcher with its replies dropped; the offset advances by the exact bytes of each
// executed command, except inside MULTI, where it advances at EXEC; those same bytes go to
// ReplicationState.Append unchanged (our backlog and sub-replicas share the primary's offsets),
// which is why commands run here are never propagated a second time. REPLCONF GETACK is
// answered with the offset before the GETACK itself.
using Cinnabar.Protocol;

namespace Cinnabar.Server.Replication;

/// <summary>Runs the primary's stream until the link breaks.</summary>
internal sealed class PrimaryStreamApplier
{
    private readonly CinnabarServer _server;
    private readonly PrimaryLink _link;
    private readonly PrimaryConnection _conn;
    private readonly int _generation;
    private readonly RequestParser _parser = new() { IsPrimaryLink = true, MaxBulkLength = long.MaxValue };
    private readonly CommandArgs _args = new();

    // Bytes parsed but not yet forwarded (a MULTI block waiting for its EXEC), relative to the
    // connection's unconsumed start.
    private int _parsedAhead;

    public PrimaryStreamApplier(CinnabarServer server, PrimaryLink link, PrimaryConnection conn, int generation)
    {
        _server = server;
        _link = link;
        _conn = conn;
        _generation = generation;
    }

    private enum PassOutcome
    {
        // Everything complete in the buffer was applied: read more.
        Continue,

        // A CLIENT PAUSE postponed a write from the primary: wait for the unblock, then pass again.
        Blocked,

        // The attempt is obsolete or the stream is broken: stop.
        Stop,
    }

    /// <summary>
    /// Applies commands until the connection fails; returns why ("protocol error: ..." for a
    /// broken stream), or null. With the client event loop (Linux), the loop thread reads and
    /// applies the stream, as Redis's one thread does: the keyspace events, replies to
    /// MONITOR/Pub/Sub clients and the bytes for sub-replicas it produces are written by that
    /// same thread in the same pass, with no hand-over to another thread per read.
    /// </summary>
    public Task<string?> RunAsync()
    {
        lock (_server.Gate)
        {
            if (_link.Current is { } cur)
            {
                cur.ReadOffset = cur.Offset + _conn.Buffered;
            }
        }

        // A read is stamped (LastIoMs, the primary client's last interaction) by the pass that
        // applies it, under the gate that pass takes anyway, with the clock reading that opens
        // its batch: not by a callback taking the gate once more on every read.
        _conn.OnRead = null;
        if (_server.Loop is { } loop && _conn.LoopSocket is { } socket)
        {
            var driver = new LoopDriver(this, loop, socket);
            loop.Post(driver.Start);
            return driver.Done;
        }

        return RunOnSocketAsync();
    }

    // The stream read with the runtime's async sockets (no event loop).
    private async Task<string?> RunOnSocketAsync()
    {
        bool justRead = false;
        TaskCompletionSource? unblocked = null;
        Func<Action> unblocker = () =>
        {
            var signal = unblocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return () => signal.TrySetResult();
        };
        while (true)
        {
            var outcome = Pass(justRead, unblocker, out string? why);
            justRead = false;
            if (outcome == PassOutcome.Stop)
            {
                return why;
            }

            if (outcome == PassOutcome.Blocked)
            {
                await unblocked!.Task.ConfigureAwait(false);
                continue;
            }

            try
            {
                await _conn.FillAsync(CancellationToken.None).ConfigureAwait(false);
                justRead = true;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return null;
            }
        }
    }

    // One pass over what is buffered, under the gate (one event-loop pass in Redis). When a
    // CLIENT PAUSE postpones a write, unblocker() gives what the unpause calls.
    private PassOutcome Pass(bool justRead, Func<Action> unblocker, out string? why)
    {
        why = null;
        lock (_server.Gate)
        {
            if (_link.Generation != _generation || _link.Client is not { } client || _link.Current is not { } pos)
            {
                return PassOutcome.Stop;
            }

            // Bytes read = applied + still buffered, set in the same step that applies them,
            // so INFO never sees bytes read but not yet applied.
            pos.ReadOffset = pos.Offset + _conn.Buffered;
            string? error = ApplyBuffered(client, pos, ref _parsedAhead, justRead);
            if (error is not null)
            {
                _server.Log.Warning($"Protocol error from MASTER: {error}");
                _link.DownReason = "protocol error: " + error;
                why = "protocol error: " + error;
                return PassOutcome.Stop;
            }

            if (client.Blocked)
            {
                // CLIENT PAUSE postponed a write from the primary: it runs again when released.
                client.Unblock = unblocker();
                return PassOutcome.Blocked;
            }
        }

        return PassOutcome.Continue;
    }

    // Runs every complete command in the buffer (caller holds the gate). Returns a protocol
    // error, or null.
    private string? ApplyBuffered(Networking.ClientSession client, PrimaryPosition pos, ref int parsedAhead, bool justRead)
    {
        var buffer = _conn.Buffer;
        int forwardFrom = _conn.Start;
        int next = forwardFrom + parsedAhead;
        int end = _conn.End;
        var r = _server.Replication;
        _server.Dispatcher.BeginBatch();
        if (justRead)
        {
            _link.LastIoMs = client.LastInteractionMs = _server.Dispatcher.BatchStartMs;
        }

        try
        {
            while (next < end && !client.Blocked)
            {
                int commandStart = next;
                _parser.Reset();
                _args.Clear();
                var status = _parser.TryParse(buffer, ref next, end, _args);
                if (status == ParseStatus.Incomplete)
                {
                    next = commandStart;
                    break;
                }

                if (status == ParseStatus.Error)
                {
                    return _parser.Error;
                }

                if (_args.Count == 0)
                {
                    continue;
                }

                if (_args.Count >= 2 && _args.Is(0, "replconf"u8) && _args.Is(1, "getack"u8))
                {
                    // replicationSendAck from REPLCONF GETACK: the offset before this command.
                    _link.SendAck();
                }
                else
                {
                    int replyStart = client.Output.Length;
                    _server.Dispatcher.Process(client, _args);
                    ReportError(client, replyStart);
                    client.Output.Truncate(replyStart);
                    if (client.Blocked && client.Postponed)
                    {
                        next = commandStart;
                        break;
                    }
                }

                if (!client.InMulti)
                {
                    int length = next - forwardFrom;
                    r.Append(buffer.AsSpan(forwardFrom, length));
                    pos.Offset += length;
                    forwardFrom = next;
                }
            }
        }
        finally
        {
            _server.Dispatcher.EndBatch();
        }

        _conn.Consume(forwardFrom);
        parsedAhead = next - forwardFrom;
        return null;
    }

    // afterErrorReply: an error while applying the primary's stream means the datasets may
    // diverge (a command this server does not know, for instance); Redis logs it loudly.
    private void ReportError(Networking.ClientSession client, int replyStart)
    {
        var reply = client.Output.WrittenSpan[replyStart..];
        if (reply.IsEmpty || reply[0] != (byte)'-')
        {
            return;
        }

        int end = reply.IndexOf((byte)'\r');
        string text = System.Text.Encoding.UTF8.GetString(reply[1..(end < 0 ? reply.Length : end)]);
        string command = client.LastCommand == "NULL" ? "<unknown>" : client.LastCommand;
        _server.Stats.UnexpectedErrorReplies++;
        _server.Log.Warning($"== CRITICAL == This replica is sending an error to its master: '{text}' after processing the command '{command}'");
    }

    // The stream on the client event loop: level-triggered reads of the primary's socket, one
    // read per readiness event, each followed by a pass. A close from elsewhere (REPLICAOF,
    // repl-timeout) reaches the driver through the socket's OnClosed, on the loop.
    private sealed class LoopDriver : Networking.LoopSocket.IStreamHandler
    {
        private readonly PrimaryStreamApplier _applier;
        private readonly Networking.EventLoop _loop;
        private readonly Networking.LoopSocket _socket;
        private readonly TaskCompletionSource<string?> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // What a CLIENT PAUSE's release calls, made once (a pass runs for every read).
        private readonly Func<Action> _unblocker;
        private bool _finished;

        public LoopDriver(PrimaryStreamApplier applier, Networking.EventLoop loop, Networking.LoopSocket socket)
        {
            _applier = applier;
            _loop = loop;
            _socket = socket;
            Action resume = () => _loop.Post(Resume);
            _unblocker = () => resume;
        }

        public Task<string?> Done => _done.Task;

        private PrimaryConnection Conn => _applier._conn;

        // On the loop: watch the socket, then apply what already arrived with the transfer.
        public void Start()
        {
            _socket.Watch(this);
            if (!_finished)
            {
                RunPass(justRead: false);
            }
        }

        public void OnReadable()
        {
            if (_finished)
            {
                return;
            }

            int n = Conn.FillNow();
            if (n == -1)
            {
                return;
            }

            if (n <= 0)
            {
                // The primary closed the link, or it failed.
                Finish(null);
                return;
            }

            RunPass(justRead: true);
        }

        public void OnClosed() => Finish(null);

        private void RunPass(bool justRead)
        {
            PassOutcome outcome;
            string? why;
            try
            {
                outcome = _applier.Pass(justRead, _unblocker, out why);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _applier._server.Log.Warning($"Replication link error: {e.GetType().Name}: {e.Message}");
                Finish("protocol error: " + e.Message);
                Conn.Close();
                return;
            }

            if (outcome == PassOutcome.Stop)
            {
                Finish(why);
            }
            else if (outcome == PassOutcome.Blocked)
            {
                // Level-triggered: stop reading until the pause lets the postponed write run.
                _socket.SetReading(false);
            }
        }

        private void Resume()
        {
            if (_finished)
            {
                return;
            }

            _socket.SetReading(true);
            RunPass(justRead: false);
        }

        private void Finish(string? why)
        {
            if (_finished)
            {
                return;
            }

            _finished = true;
            _socket.Unwatch();
            _done.TrySetResult(why);
        }
    }
}
