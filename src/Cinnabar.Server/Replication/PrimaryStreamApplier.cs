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

    public PrimaryStreamApplier(CinnabarServer server, PrimaryLink link, PrimaryConnection conn, int generation)
    {
        _server = server;
        _link = link;
        _conn = conn;
        _generation = generation;
    }

    /// <summary>Applies commands until the connection fails; returns why ("protocol error: ..." for a broken stream), or null.</summary>
    public async Task<string?> RunAsync()
    {
        // Bytes parsed but not yet forwarded (a MULTI block waiting for its EXEC), relative to
        // the connection's unconsumed start.
        int parsedAhead = 0;
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
        bool justRead = false;

        while (true)
        {
            TaskCompletionSource? unblocked = null;
            lock (_server.Gate)
            {
                if (_link.Generation != _generation || _link.Client is not { } client || _link.Current is not { } pos)
                {
                    return null;
                }

                // Bytes read = applied + still buffered, set in the same step that applies them,
                // so INFO never sees bytes read but not yet applied (one event-loop pass in Redis).
                pos.ReadOffset = pos.Offset + _conn.Buffered;
                string? error = ApplyBuffered(client, pos, ref parsedAhead, justRead);
                justRead = false;
                if (error is not null)
                {
                    _server.Log.Warning($"Protocol error from MASTER: {error}");
                    _link.DownReason = "protocol error: " + error;
                    return "protocol error: " + error;
                }

                if (client.Blocked)
                {
                    // CLIENT PAUSE postponed a write from the primary: it runs again when released.
                    unblocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    var signal = unblocked;
                    client.Unblock = () => signal.TrySetResult();
                }
            }

            if (unblocked is not null)
            {
                await unblocked.Task.ConfigureAwait(false);
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
}
