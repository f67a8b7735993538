// The transport-independent half of a client connection, shared by both transports (the epoll
// EventLoop's LoopConnection and the async-socket ClientConnection) so they cannot drift apart:
// the receive buffer and its compaction/growth rules, parsing it into a batch, one command at a
// time until authenticated, the query buffer limit, protocol errors, and running the batch under
// the executor gate, including a batch interrupted by a blocked (postponed) client. A transport
// only does I/O around it: read into Buffer at End and call Received, call Step until it says to
// stop, and write what its host swapped out of the session's output buffer.
using Cinnabar.Protocol;

namespace Cinnabar.Server.Networking;

/// <summary>What <see cref="ClientInputProcessor.Step"/> asks its transport to do next.</summary>
internal enum InputStep
{
    /// <summary>Everything complete was run; write the replies and wait for more input.</summary>
    Idle,

    /// <summary>Write the replies, then call Step again: more input may be complete.</summary>
    Again,

    /// <summary>
    /// Write the replies; the batch stopped at a blocked client. Keep reading (a peer that
    /// disconnects is freed) but call Step only after the session's Unblock.
    /// </summary>
    Blocked,

    /// <summary>Write the replies, then close (QUIT, protocol error, CLIENT KILL).</summary>
    CloseAfterWrite,

    /// <summary>Close now without writing (query buffer limit, already logged).</summary>
    CloseNow,
}

/// <summary>The transport's side of <see cref="ClientInputProcessor.Step"/>; both run under the executor gate.</summary>
internal interface IClientInputHost
{
    /// <summary>Takes the session's output for writing (swap it out, or leave it if a write is still pending).</summary>
    void TakeOutput();

    /// <summary>The batch stopped at a blocked client: get ready for the session's Unblock.</summary>
    void OnBlocked();
}

/// <summary>Parses a client's input into batches and runs them.</summary>
internal sealed class ClientInputProcessor
{
    private const int InitialBufferSize = 16 * 1024;
    private readonly CinnabarServer _server;
    private readonly ClientSession _session;
    private readonly RequestParser _parser = new();
    private readonly List<CommandArgs> _batch = [];
    private readonly List<CommandArgs> _argsPool = [];
    private byte[] _buffer = new byte[InitialBufferSize];
    private int _start;
    private int _end;

    // A batch interrupted by a blocked client: where it resumes, whether a protocol error
    // followed it in the buffer, and whether input arrived meanwhile.
    private int _next;
    private bool _interrupted;
    private bool _protocolError;
    private string? _error;
    private bool _inputWhileInterrupted;

    public ClientInputProcessor(CinnabarServer server, ClientSession session)
    {
        _server = server;
        _session = session;
    }

    /// <summary>The receive buffer: read into it at <see cref="End"/>, at most <see cref="Free"/> bytes.</summary>
    public byte[] Buffer => _buffer;

    /// <summary>Where the next read goes.</summary>
    public int End => _end;

    /// <summary>Room left after <see cref="End"/>.</summary>
    public int Free => _buffer.Length - _end;

    /// <summary>A batch stopped at a blocked client and waits for the session's Unblock.</summary>
    public bool Interrupted => _interrupted;

    /// <summary>
    /// Makes room for the next read; false when a read must wait: an interrupted batch's
    /// arguments point into the whole buffer, so it may neither move nor be compacted then.
    /// </summary>
    public bool PrepareRead()
    {
        if (_interrupted)
        {
            return _end < _buffer.Length;
        }

        if (_start == _end && !_parser.InCommand)
        {
            _start = _end = 0;
        }

        if (_end == _buffer.Length)
        {
            MakeRoom();
        }

        return true;
    }

    /// <summary>Accounts for <paramref name="n"/> bytes read into the buffer at <see cref="End"/>.</summary>
    public void Received(int n)
    {
        _end += n;
        Interlocked.Add(ref _server.Stats.NetInputBytes, n);
        Interlocked.Increment(ref _server.Stats.ReadsProcessed);
        if (_interrupted)
        {
            _inputWhileInterrupted = true;
        }
    }

    /// <summary>
    /// Parses the next batch (or, after an interruption, resumes the current one) and runs it
    /// under the executor gate; the host takes the replies before the gate is released.
    /// </summary>
    public InputStep Step(IClientInputHost host)
    {
        if (!_interrupted)
        {
            ParseBatch();
            _session.QueryBufferLength = _end - _start;
            if (!_protocolError && !_session.IsPrimaryLink && _end - _start > _server.Config.ClientQueryBufferLimit)
            {
                LogQueryBufferLimit();
                return InputStep.CloseNow;
            }

            _next = 0;
        }

        bool blocked = false;
        lock (_server.Gate)
        {
            if (_interrupted && _session.Blocked)
            {
                // A stray resume: the client is still (or again) blocked.
                host.OnBlocked();
                return InputStep.Blocked;
            }

            _interrupted = false;

            // Redis counts any input as interaction (readQueryFromClient), stamped once per
            // read, not per command, so a client slowly sending a large command is not idle.
            _server.Dispatcher.BeginBatch();
            _session.LastInteractionMs = _server.Dispatcher.BatchStartMs;
            try
            {
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

                        blocked = true;
                        break;
                    }
                }
            }
            finally
            {
                _server.Dispatcher.EndBatch();
            }

            if (blocked)
            {
                _interrupted = true;
                host.OnBlocked();
            }
            else if (_protocolError && !_session.Killed && !_session.CloseAfterReply)
            {
                ReplyProtocolError();
            }

            // Redis's beforeSleep: the fast active expire cycle (usually no more than a check).
            _server.ActiveExpiry.BeforeSleep();
            host.TakeOutput();
        }

        if (_session.Killed || _session.CloseAfterReply)
        {
            return InputStep.CloseAfterWrite;
        }

        if (blocked)
        {
            return InputStep.Blocked;
        }

        if (_inputWhileInterrupted)
        {
            _inputWhileInterrupted = false;
            return InputStep.Again;
        }

        // Until authenticated the batch holds one command, so there may be more in the buffer.
        return _parser.AuthRequired && _batch.Count != 0 && _start < _end ? InputStep.Again : InputStep.Idle;
    }

    // Parses every complete command in the buffer into _batch, stopping at a protocol error.
    private void ParseBatch()
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

                return;
            }

            if (status == ParseStatus.Error)
            {
                _protocolError = true;
                _error = _parser.Error;
                return;
            }

            if (args.Count > 0)
            {
                _batch.Add(args);
                used++;
            }

            // Until authenticated, take one command at a time so AUTH's effect on the parser's
            // limits applies to the next command, as in Redis.
            if (_parser.AuthRequired)
            {
                return;
            }
        }
    }

    // The commands before a protocol error have run: reply with the error, count it, log it,
    // and close once the replies are written (caller holds the gate).
    private void ReplyProtocolError()
    {
        // Like any reply, the error is dropped under CLIENT REPLY OFF or SKIP. (Redis then
        // leaves the connection open but never reads it again; closing it is the useful
        // equivalent.)
        string error = "ERR " + _error;
        if (_session.ReplyMode != ReplyMode.Off && !_session.SkipCurrentReply)
        {
            _session.Output.Error(error);
        }

        _server.Dispatcher.CountError(System.Text.Encoding.ASCII.GetBytes(error));
        _session.CloseAfterReply = true;
        LogProtocolError(_error!);
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

    // setProtocolError's log line: the client's CLIENT LIST line and a sample of the unparsed
    // input (128 bytes: the first and last 64 when longer), non-printable bytes shown as '.'
    // (caller holds the gate).
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

    // Compacts or grows the receive buffer. Arguments of a half-parsed command point into the
    // current array, so that array is never rewritten while the parser is inside a command:
    // the unparsed tail moves to a fresh array instead.
    private void MakeRoom()
    {
        int pending = _end - _start;
        if (!_parser.InCommand && _start > 0 && pending < _buffer.Length / 2)
        {
            System.Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
            _start = 0;
            _end = pending;
            return;
        }

        // The tail only needs a bigger array when it does not fit comfortably (pipelined input
        // fills the buffer on every read, and doubling each time grew it without bound).
        long want = pending + _parser.PendingBulkBytes + 1;
        want = want <= _buffer.Length / 2 ? _buffer.Length : Math.Max((long)_buffer.Length * 2, want);
        var nb = new byte[(int)Math.Min(want, Array.MaxLength)];
        System.Buffer.BlockCopy(_buffer, _start, nb, 0, pending);
        _buffer = nb;
        _start = 0;
        _end = pending;
    }
}
