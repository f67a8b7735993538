// The one place every command passes through, with Redis's checks in processCommand's order:
// lookup, arity, protected commands, auth, no-multi, read-only replica, pub/sub context,
// stale replica, loading, MULTI queuing; then call(): run the handler, count statistics,
// feed MONITOR and propagate the command's effects. Handlers check only what arity cannot say.
using System.Diagnostics;
using System.Text;

using Cinnabar.Protocol;
using Cinnabar.Server.Diagnostics;
using Cinnabar.Server.Networking;

namespace Cinnabar.Server.Commands;

/// <summary>Routes commands to handlers.</summary>
internal sealed class Dispatcher
{
    private readonly CinnabarServer _server;
    private const long UnixEpochMs = 62_135_596_800_000;
    private readonly Dictionary<long, CommandContext> _contexts = [];
    private CommandContext? _lastContext;
    private readonly List<CommandArgs> _topOps = [];
    private readonly List<int> _topDbs = [];
    private readonly int[] _oneDb = new int[1];
    private readonly CommandArgs[] _oneOp = new CommandArgs[1];
    private int _depth;
    private long _callNowMs;
    private long _lastSecurityWarningMs = long.MinValue / 2;

    // Within a batch of pipelined commands, the end of one top-level call is the start of the
    // next, so each command reads the clock once instead of twice (clock reads were ~7% of the
    // server's CPU at -P 16). 0 = no batch open: every call reads its own start.
    private long _chainStamp;

    // The wall clock is read once per batch too: a command's time (Redis's mstime() in call())
    // is the batch's wall-clock start plus the monotonic time elapsed until the command starts,
    // the same reading to within a clock step. Only with the system clock: a test's fake clock
    // is read for each command as before.
    private long _batchStamp;
    private long _batchUtcTicks;
    private bool _deriveNow;

    public Dispatcher(CinnabarServer server)
    {
        _server = server;
        Pause = new ClientPause(server);
    }

    /// <summary>CLIENT PAUSE state.</summary>
    public ClientPause Pause { get; }

    /// <summary>True while EXEC runs its queued commands (Redis's server.in_exec).</summary>
    public bool InExec { get; set; }

    /// <summary>Opens a batch: the first command's timing starts now (the caller holds the executor gate).</summary>
    public void BeginBatch()
    {
        _chainStamp = _batchStamp = Stopwatch.GetTimestamp();
        _batchUtcTicks = _server.Time.GetUtcNow().UtcTicks;
        _deriveNow = ReferenceEquals(_server.Time, TimeProvider.System);
    }

    /// <summary>The wall-clock time (unix ms) at which the open batch started.</summary>
    public long BatchStartMs => (_batchUtcTicks / TimeSpan.TicksPerMillisecond) - UnixEpochMs;

    /// <summary>Closes the batch opened by <see cref="BeginBatch"/>.</summary>
    public void EndBatch()
    {
        _chainStamp = 0;
        _server.ActiveSnapshot?.ExecutorTurn();
    }

    /// <summary>Processes one command from a client (the caller holds the executor gate).</summary>
    public void Process(ClientSession client, CommandArgs args)
    {
        if (args.Count == 0)
        {
            return;
        }

        var reply = client.Output;
        int replyStart = reply.Length;
        // SkipCurrentReply stays set while the command runs: CLIENT REPLY ON clears it, so its
        // own +OK gets through (Redis clears CLIENT_REPLY_SKIP before adding the reply).
        bool skipThis = client.SkipCurrentReply;
        bool wasReplica = client.IsReplica && !client.IsMonitor;
        ProcessCommand(client, args);
        if (client.Blocked && client.Postponed)
        {
            // Not run yet: the reply flags apply when it runs.
            return;
        }

        if (wasReplica && reply.Length > replyStart)
        {
            DropRogueReplica(client, replyStart);
            return;
        }

        // CLIENT REPLY OFF/SKIP (Redis checks the flags when the reply is added, so CLIENT REPLY ON
        // gets its +OK through while OFF and SKIP print nothing themselves).
        // Pushes (pub/sub confirmations) get through regardless, as Redis's CLIENT_PUSHING does.
        bool pushed = client.RepliedWithPushes;
        client.RepliedWithPushes = false;
        if (!pushed && ((skipThis && client.SkipCurrentReply) || client.ReplyMode == ReplyMode.Off))
        {
            reply.Truncate(replyStart);
        }

        client.SkipCurrentReply = false;
        if (client.ReplyMode == ReplyMode.Skip)
        {
            client.ReplyMode = ReplyMode.On;
            client.SkipCurrentReply = true;
        }
    }

    // _addReplyToBufferOrList / addReplyDeferredLen on a replica client: the replication link
    // carries the stream, never replies, so a command from a replica that produced one (a rogue
    // or confused replica) gets nothing and is disconnected; an error is also logged as
    // afterErrorReply does for replicas.
    private void DropRogueReplica(ClientSession client, int replyStart)
    {
        var reply = client.Output.WrittenSpan[replyStart..];
        string command = client.LastCommand == "NULL" ? "<unknown>" : client.LastCommand;
        _server.Log.Warning($"Replica generated a reply to command '{command}', disconnecting it: {ClientCommands.InfoLine(_server, client, null)}");
        if (reply[0] == (byte)'-')
        {
            int end = reply.IndexOf((byte)'\r');
            string text = Encoding.UTF8.GetString(reply[1..(end < 0 ? reply.Length : end)]);
            if (text.StartsWith("ERR ", StringComparison.Ordinal))
            {
                text = text[4..];
            }

            _server.Log.Warning($"== CRITICAL == This master is sending an error to its replica: '{text}' after processing the command '{command}'");
            _server.Stats.UnexpectedErrorReplies++;
        }

        client.Output.Truncate(replyStart);
        client.Killed = true;
    }

    private void ProcessCommand(ClientSession client, CommandArgs args)
    {
        var reply = client.Output;

        // Cross protocol scripting defence (securityWarningCommand): an HTTP request line or
        // header sent to Redis closes the connection without a reply.
        if (args[0].Length is 4 or 5 && (args.Is(0, "post"u8) || args.Is(0, "host:"u8)))
        {
            SecurityWarning(client);
            return;
        }

        var spec = _server.Commands.Lookup(args[0]);
        if (spec is not null && spec.Subcommands is not null && args.Count >= 2)
        {
            spec.Subcommands.TryGetValue(args.GetString(1), out var sub);
            if (sub is null)
            {
                client.LastCommand = "NULL";
                // "HELP" is always a subcommand of containers; anything else is unknown.
                Reject(client, null, Errors.UnknownSubcommand(Encoding.UTF8.GetString(args[1]), Encoding.UTF8.GetString(args[0])));
                return;
            }

            spec = sub;
        }

        client.LastCommand = spec?.FullName ?? "NULL";
        if (spec is null)
        {
            Reject(client, null, UnknownCommand(args));
            return;
        }

        if ((spec.Arity > 0 && spec.Arity != args.Count) || args.Count < -spec.Arity)
        {
            Reject(client, spec, Errors.Arity(spec.FullName));
            return;
        }

        if ((spec.Flags & CommandFlags.Protected) != 0 && !ProtectedAllowed(client))
        {
            Reject(client, spec, $"ERR {spec.Name.ToUpperInvariant()} command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.");
            return;
        }

        // EXEC is judged by the commands it carries (Redis's mstate.cmd_flags / cmd_inv_flags).
        bool isExec = spec.Name == "exec" && client.InMulti;
        var queued = isExec ? client.QueuedFlags : CommandFlags.None;
        bool isWrite = spec.IsWrite || (queued & CommandFlags.Write) != 0;
        bool isRead = (spec.Flags & CommandFlags.ReadOnly) != 0 || (queued & CommandFlags.ReadOnly) != 0;
        bool mayReplicate = isWrite || ((spec.Flags | queued) & CommandFlags.MayReplicate) != 0;
        bool denyStale = (spec.Flags & CommandFlags.Stale) == 0 || (isExec && client.QueuedDenyStale);
        bool denyLoading = (spec.Flags & CommandFlags.Loading) == 0 || (isExec && client.QueuedDenyLoading);

        if (!client.Authenticated && (spec.Flags & CommandFlags.NoAuth) == 0)
        {
            Reject(client, spec, Errors.NoAuth);
            return;
        }

        if (client.InMulti && (spec.Flags & CommandFlags.NoMulti) != 0)
        {
            Reject(client, spec, Errors.NotAllowedInMulti);
            return;
        }

        // writeCommandsDeniedByDiskError: after a failed save point writes (and PING, so
        // monitoring notices) are refused; commands from our primary are still applied.
        if (_server.Snapshots.WritesDenied && (isWrite || spec.Name == "ping") && !client.IsPrimaryLink)
        {
            Reject(client, spec, Errors.Misconf);
            return;
        }

        // checkGoodReplicasStatus: min-replicas-to-write with min-replicas-max-lag.
        if (isWrite && !_server.PrimaryReplication.EnoughGoodReplicas)
        {
            Reject(client, spec, Errors.NoReplicas);
            return;
        }

        if (_server.IsReplica && _server.Config.ReplicaReadOnly && !client.IsPrimaryLink && isWrite)
        {
            Reject(client, spec, Errors.ReadOnlyReplica);
            return;
        }

        if (client.IsPubSub && client.Protocol == 2 && !AllowedInPubSub(spec.Name))
        {
            Reject(client, spec, $"ERR Can't execute '{spec.FullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
            return;
        }

        if (_server.IsReplica && !_server.PrimaryLinkUp && !_server.Config.ReplicaServeStaleData && denyStale)
        {
            Reject(client, spec, Errors.MasterDown);
            return;
        }

        if (_server.Loading && denyLoading)
        {
            Reject(client, spec, Errors.Loading);
            return;
        }

        // During an async load the old dataset serves; only what would touch the load (a save,
        // SYNC, REPLICAOF, ...) is refused, as Redis's CMD_NO_ASYNC_LOADING.
        if (_server.AsyncLoading && ((spec.Flags & CommandFlags.NoAsyncLoading) != 0 || (isExec && client.QueuedDenyAsyncLoading)))
        {
            Reject(client, spec, Errors.Loading);
            return;
        }

        if (client.IsReplica && (mayReplicate || isRead))
        {
            Reject(client, spec, "ERR Replica can't interact with the keyspace");
            return;
        }

        // CLIENT PAUSE: the client waits and runs this same command again when released.
        if (!client.IsReplica && Pause.CheckTimeoutAndReturnIfPaused() && (Pause.Type == PauseType.All || mayReplicate))
        {
            Pause.Postpone(client);
            return;
        }

        if (client.InMulti && spec.Name is not ("exec" or "discard" or "multi" or "watch" or "quit" or "reset"))
        {
            client.Queued.Add(args.Clone());
            client.QueuedFlags |= spec.Flags;
            client.QueuedDenyStale |= (spec.Flags & CommandFlags.Stale) == 0;
            client.QueuedDenyLoading |= (spec.Flags & CommandFlags.Loading) == 0;
            client.QueuedDenyAsyncLoading |= (spec.Flags & CommandFlags.NoAsyncLoading) != 0;
            client.QueuedBytes += args.TotalLength + (8 * args.Count);
            reply.Queued();
            return;
        }

        Call(client, spec, args);
    }

    private void SecurityWarning(ClientSession client)
    {
        long now = _server.NowMs;
        if (Math.Abs(now - _lastSecurityWarningMs) > 60_000)
        {
            _server.Log.Warning("Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.");
            _lastSecurityWarningMs = now;
        }

        client.CloseAfterReply = true;
    }

    /// <summary>
    /// Runs a command whose checks have passed (Redis's call()): statistics, MONITOR, and at the
    /// outermost level the propagation of everything the command (and nested calls) produced.
    /// </summary>
    public void Call(ClientSession client, CommandSpec spec, CommandArgs args)
    {
        // A nested call (a command inside EXEC) gets a context of its own, so the outer
        // command's dirty count and propagation choices survive it.
        var ctx = _depth == 0 ? ContextFor(client) : new CommandContext(_server, client);

        bool chained = _depth == 0 && _chainStamp != 0;
        long start = chained ? _chainStamp : Stopwatch.GetTimestamp();

        // Redis's call() caches the time only for the outermost call (fixed_time_expire): the
        // commands EXEC runs all see the time EXEC started, so a key cannot expire midway.
        long now = _depth > 0 ? _callNowMs
            : (_callNowMs = chained && _deriveNow ? DerivedNowMs(start) : _server.NowMs);
        int replyStart = client.Output.Length;
        _depth++;
        var previous = _server.CurrentClient;
        _server.CurrentClient = client;
        ctx.ResetForCall(args, spec, now);
        ctx.ClearOps();
        try
        {
            spec.Handler!(ctx);
        }
        finally
        {
            _depth--;
            _server.CurrentClient = previous;
        }

        long end = Stopwatch.GetTimestamp();
        long micros = (long)Stopwatch.GetElapsedTime(start, end).TotalMicroseconds;
        if (chained)
        {
            _chainStamp = end;
        }

        spec.Calls++;
        spec.Microseconds += micros;
        _server.Stats.CommandsProcessed++;
        client.Commands++;
        if (client.Output.Length > replyStart && client.Output.WrittenSpan[replyStart] == (byte)'-')
        {
            spec.FailedCalls++;
            CountError(client.Output.WrittenSpan[(replyStart + 1)..]);
        }

        // Redis's call() order after the handler: latency monitor, slow log, MONITOR (after the
        // command, so SELECT shows its new db and AUTH's redacted arguments), histograms.
        _server.Latency.AddSampleIfNeeded(_server, (spec.Flags & CommandFlags.Fast) != 0 ? "fast-command" : "command", micros / 1000);
        Slowlog.Record(_server, client, spec, args, micros, now);
        if (_server.Monitors.Count > 0 && (spec.Flags & (CommandFlags.SkipMonitor | CommandFlags.Admin)) == 0)
        {
            MonitorFeed.Feed(_server, client, spec, args);
        }

        _server.Metrics.RecordLatency(spec, micros);

        // Collect what this call propagates: explicit ops, then the command itself when it
        // changed data and did not replace its own propagated form. With no sink (no AOF, no
        // replica) nothing would consume them, so the per-write copy of the arguments is skipped.
        bool propagating = _server.PropagationSinks.Count > 0;
        for (int i = 0; propagating && i < ctx.PendingOps.Count; i++)
        {
            _topOps.Add(ctx.PendingOps[i]);
            _topDbs.Add(ctx.PendingOpDbs[i]);
        }

        if (ctx.DirtyCount > 0)
        {
            _server.Dirty += ctx.DirtyCount;
            if (propagating && !ctx.PropagationRewritten && !ctx.PreventPropagation)
            {
                // The outermost command is propagated below, before this method returns, while
                // its arguments (slices of the receive buffer) are still valid: no copy needed,
                // which was most of what a write allocated with a replica attached. A nested
                // command's arguments are EXEC's owned copies; they are copied anyway, so what
                // is propagated never depends on who else holds them.
                _topOps.Add(_depth == 0 ? args : args.Clone());
                _topDbs.Add(client.DbIndex);
            }
        }

        ctx.ClearOps();
        if (_depth == 0)
        {
            // Redis's call(): remember the offset right after the client's last write that
            // reached the stream (WAIT waits for replicas to acknowledge it).
            long offsetBefore = _server.Replication.Offset;
            FlushPropagation(spec);
            if (_server.Replication.Offset != offsetBefore)
            {
                client.WriteOffset = _server.Replication.Offset;
            }

            // Redis's handleClientsBlockedOnKeys after the command (after EXEC as a whole).
            _server.Blocking.HandleReadyKeys();

            // The caller's own replies count toward its output buffer limit (addReply's check).
            Execution.OutputBufferLimits.Enforce(_server, client);
        }
    }

    // The wall clock at monotonic timestamp <paramref name="stamp"/> of the open batch (unix ms).
    private long DerivedNowMs(long stamp) =>
        ((_batchUtcTicks + Stopwatch.GetElapsedTime(_batchStamp, stamp).Ticks) / TimeSpan.TicksPerMillisecond) - UnixEpochMs;

    /// <summary>Counts an error reply by its code (INFO errorstats).</summary>
    public void CountError(ReadOnlySpan<byte> message)
    {
        _server.Stats.ErrorReplies++;
        int sp = message.IndexOfAny((byte)' ', (byte)'\r');
        var code = Encoding.ASCII.GetString(sp < 0 ? message : message[..sp]);
        _server.Stats.ErrorsByCode[code] = _server.Stats.ErrorsByCode.GetValueOrDefault(code) + 1;
    }

    /// <summary>Drops a client's cached context.</summary>
    public void Forget(ClientSession client)
    {
        _contexts.Remove(client.Id);
        if (ReferenceEquals(_lastContext?.Client, client))
        {
            _lastContext = null;
        }

        Pause.Forget(client);
        _server.Blocking.Forget(client);
    }

    /// <summary>The reusable context of a client.</summary>
    public CommandContext ContextFor(ClientSession client)
    {
        // A batch runs one client's commands: the last context found saves a lookup per command.
        if (_lastContext is { } last && ReferenceEquals(last.Client, client))
        {
            return last;
        }

        if (!_contexts.TryGetValue(client.Id, out var ctx))
        {
            ctx = new CommandContext(_server, client);
            _contexts[client.Id] = ctx;
        }

        _lastContext = ctx;
        return ctx;
    }

    private void FlushPropagation(CommandSpec spec)
    {
        if (_topOps.Count == 0)
        {
            return;
        }

        // Redis 7.0 propagatePendingCommands: several ops from one top-level call are wrapped
        // in MULTI/EXEC so replicas apply them atomically, except for a command run directly
        // that touches arbitrary keys (SCAN, RANDOMKEY): its lazy-expiry DELs go out one by one,
        // like the active expire cycle's.
        // Sinks consume the ops during the call (IPropagationSink), so the lists are lent, not copied.
        bool atomic = _topOps.Count > 1 && (spec.Flags & CommandFlags.TouchesArbitraryKeys) == 0;
        if (atomic || _topOps.Count == 1)
        {
            _server.PropagateUnit(_topDbs, _topOps, atomic);
        }
        else
        {
            for (int i = 0; i < _topOps.Count; i++)
            {
                _oneDb[0] = _topDbs[i];
                _oneOp[0] = _topOps[i];
                _server.PropagateUnit(_oneDb, _oneOp, atomic: false);
            }

            _oneOp[0] = null!;
        }

        _topOps.Clear();
        _topDbs.Clear();
    }

    private static bool AllowedInPubSub(string name) =>
        name is "ping" or "subscribe" or "ssubscribe" or "unsubscribe" or "sunsubscribe" or "psubscribe" or "punsubscribe" or "quit" or "reset";

    private bool ProtectedAllowed(ClientSession client)
    {
        var mode = _server.Config.EnableDebugCommand;
        if (mode == "yes")
        {
            return true;
        }

        return mode == "local" && (client.Address.StartsWith("127.", StringComparison.Ordinal) || client.Address.StartsWith("[::1]", StringComparison.Ordinal) || client.Address.StartsWith('/'));
    }

    private void Reject(ClientSession client, CommandSpec? spec, string error)
    {
        if (client.InMulti)
        {
            client.MultiError = true;
        }

        if (spec is not null)
        {
            spec.RejectedCalls++;
        }

        // A rejected EXEC discards the transaction and says why (execCommandAbort).
        if (spec?.Name == "exec" && client.InMulti)
        {
            TransactionCommands.DiscardTransaction(_server, client);
            error = "EXECABORT Transaction discarded because of: " + error;
        }

        client.Output.Error(error);
        CountError(Encoding.UTF8.GetBytes(error));
    }

    private static string UnknownCommand(CommandArgs args)
    {
        var sb = new StringBuilder();
        for (int j = 1; j < args.Count && sb.Length < 128; j++)
        {
            var a = Encoding.UTF8.GetString(args[j]);
            sb.Append('\'').Append(Errors.Truncate(a, 128 - sb.Length)).Append("' ");
        }

        return $"ERR unknown command '{Errors.Truncate(Encoding.UTF8.GetString(args[0]), 128)}', with args beginning with: {sb}";
    }
}
