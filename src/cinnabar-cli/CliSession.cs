// The client's state and its command loop, following redis-cli.c's cliConnect, cliSendCommand,
// cliReadReply and issueCommandRepeat: connect (AUTH, SELECT, HELLO 3 in that order), send a
// command N times, print each reply in the output mode, and track what the prompt shows
// (selected db, MULTI). MONITOR and SUBSCRIBE switch to reading replies until interrupted;
// SYNC/PSYNC switch to the replica stream. One deliberate difference: after a lost connection
// redis-cli 7.0.15 forgets to re-SELECT the db it showed; we select it again on reconnect.
using System.Diagnostics;
using System.Globalization;
using System.Text;

using Cinnabar.Protocol;

namespace Cinnabar.Cli;

/// <summary>What happens to an out-of-band RESP3 push read while waiting for a reply.</summary>
internal enum PushHandling
{
    /// <summary>hiredis's default: freed unseen.</summary>
    Discard,

    /// <summary>Printed as it arrives (--show-pushes, default on a terminal).</summary>
    Print,

    /// <summary>Returned as a reply (subscribed mode reads messages as replies).</summary>
    Return,
}

/// <summary>redis-cli's config and context: options, connection and mode flags.</summary>
internal sealed class CliSession
{
    private const int IntervalSleepChunkMs = 50;
    private volatile bool _blockingAborted;
    private string? _connectionError;
    private PushHandling _pushHandling;

    public CliSession(CliOptions options)
    {
        Options = options;
        Output = options.Output;
        Resp3 = options.Resp3;
        RefreshPrompt();
    }

    public CliOptions Options { get; }

    public RespConnection? Connection { get; private set; }

    public OutputMode Output { get; set; }

    public bool Resp3 { get; private set; }

    public int DbNum { get; private set; }

    public bool InMulti { get; private set; }

    public bool Interactive { get; set; }

    public bool MonitorMode { get; private set; }

    public bool PubsubMode { get; private set; }

    public string Prompt { get; private set; } = string.Empty;

    public RespType? LastReplyType { get; private set; }

    private int PreMultiDb { get; set; }

    private bool ShutdownSent { get; set; }

    private bool SlaveModeRequested { get; set; }

    /// <summary>Where the prompt and error messages say we are connected.</summary>
    public string Address => Options.Socket ?? FormatAddress(Options.Host, Options.Port);

    /// <summary>anetFormatAddr: IPv6 addresses in brackets.</summary>
    public static string FormatAddress(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";

    /// <summary>cliRefreshPrompt.</summary>
    public void RefreshPrompt()
    {
        var sb = new StringBuilder();
        sb.Append(Options.Socket is not null ? "redis " + Options.Socket : FormatAddress(Options.Host, Options.Port));
        if (DbNum != 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"[{DbNum}]");
        }

        if (InMulti)
        {
            sb.Append("(TX)");
        }

        sb.Append("> ");
        Prompt = sb.ToString();
    }

    /// <summary>cliConnect: connects when not connected (or always with <paramref name="force"/>), then AUTH, SELECT, HELLO 3.</summary>
    public bool Connect(bool force, bool quiet)
    {
        if (Connection is null || force)
        {
            if (Connection is not null)
            {
                Connection.Dispose();
                Connection = null;
                InMulti = false;
            }

            // A new connection starts in db 0 whatever the prompt said; SELECT below restores it.
            DbNum = 0;
            RefreshPrompt();
            try
            {
                Connection = Options.Socket is not null
                    ? RespConnection.ConnectUnix(Options.Socket)
                    : RespConnection.Connect(Options.Host, Options.Port);
                _connectionError = null;
            }
            catch (CliIOException e)
            {
                if (!quiet)
                {
                    Terminal.Err($"Could not connect to Redis at {Address}: {e.Message}\n");
                }

                Connection = null;
                return false;
            }

            if (!Auth(Options.User, Options.Password) || !Select() || !SwitchProtocol())
            {
                return false;
            }
        }

        _pushHandling = Options.PushOutput ? PushHandling.Print : PushHandling.Discard;
        return true;
    }

    /// <summary>cliPrintContextError.</summary>
    public void PrintConnectionError()
    {
        if (Connection is not null)
        {
            Terminal.Err($"Error: {_connectionError}\n");
        }
    }

    /// <summary>Sends a command on the current connection and reads its reply (for tools, not for printing).</summary>
    public RespReply? Call(params string[] args)
    {
        try
        {
            Connection!.Send(args);
            return ReadSkippingPushes();
        }
        catch (CliIOException e)
        {
            _connectionError = e.Message;
            return null;
        }
    }

    /// <summary>Sends a command, reconnecting with a "Reconnecting... N" line while the server is away (reconnectingRedisCommand).</summary>
    public RespReply ReconnectingCall(params string[] args)
    {
        int tries = 0;
        while (true)
        {
            while (Connection is null || _connectionError is not null)
            {
                Terminal.Out("\r\x1b[0K");
                Terminal.Out($"Reconnecting... {++tries}\r");
                Terminal.Flush();
                Connection?.Dispose();
                Connection = null;
                if (!Connect(force: true, quiet: true))
                {
                    _connectionError = "not connected";
                }

                Thread.Sleep(1000);
            }

            var reply = Call(args);
            if (reply is not null)
            {
                if (tries > 0)
                {
                    Terminal.Out("\r\x1b[0K");
                }

                return reply;
            }
        }
    }

    /// <summary>issueCommandRepeat: help locally, else (re)connect and send.</summary>
    public bool IssueCommandRepeat(List<byte[]> argv, long repeat)
    {
        string name = Encoding.UTF8.GetString(argv[0]);
        if (Is(name, "help") || Is(name, "?"))
        {
            CommandHelp.Output(this, [.. argv.Skip(1).Select(a => Encoding.UTF8.GetString(a))]);
            return true;
        }

        if (Connection is null || _connectionError is not null)
        {
            if (!Connect(force: true, quiet: false))
            {
                PrintConnectionError();
                return false;
            }
        }

        if (!SendCommand(argv, repeat))
        {
            PrintConnectionError();
            Connection?.Dispose();
            Connection = null;
            return false;
        }

        return true;
    }

    /// <summary>Interrupts MONITOR or subscribed mode (Ctrl-C in interactive mode); false when nothing was blocking.</summary>
    public bool AbortBlockingState()
    {
        if (!(MonitorMode || PubsubMode) || Connection is null)
        {
            return false;
        }

        _blockingAborted = true;
        Connection.Abort();
        return true;
    }

    private static bool Is(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    // Commands whose reply is text meant to be printed as is even in the human form.
    private static bool PrintsRaw(List<string> a)
    {
        string c = a[0];
        int n = a.Count;
        return Is(c, "info") || Is(c, "lolwut") ||
            (n >= 2 && Is(c, "debug") && (Is(a[1], "htstats") || Is(a[1], "htstats-key") || Is(a[1], "client-eviction"))) ||
            (n >= 2 && Is(c, "memory") && (Is(a[1], "malloc-stats") || Is(a[1], "doctor"))) ||
            (n == 2 && Is(c, "cluster") && (Is(a[1], "nodes") || Is(a[1], "info"))) ||
            (n >= 2 && Is(c, "client") && (Is(a[1], "list") || Is(a[1], "info"))) ||
            (n == 3 && Is(c, "latency") && Is(a[1], "graph")) ||
            (n == 2 && Is(c, "latency") && Is(a[1], "doctor")) ||
            (n >= 2 && Is(c, "proxy") && Is(a[1], "info"));
    }

    private bool Auth(string? user, string? password)
    {
        if (password is null)
        {
            return true;
        }

        var reply = user is null ? Call("AUTH", password) : Call("AUTH", user, password);
        if (reply is null)
        {
            Terminal.Err("\nI/O error\n");
            return false;
        }

        if (reply.Type == RespType.Error)
        {
            Terminal.Err($"AUTH failed: {reply.Text}\n");
            return false;
        }

        return true;
    }

    private bool Select()
    {
        if (Options.InputDb == DbNum)
        {
            return true;
        }

        var reply = Call("SELECT", Options.InputDb.ToString(CultureInfo.InvariantCulture));
        if (reply is null)
        {
            Terminal.Err("\nI/O error\n");
            return false;
        }

        if (reply.Type == RespType.Error)
        {
            Terminal.Err($"SELECT {Options.InputDb} failed: {reply.Text}\n");
            return false;
        }

        DbNum = Options.InputDb;
        RefreshPrompt();
        return true;
    }

    private bool SwitchProtocol()
    {
        if (!Resp3 || Options.Resp2)
        {
            return true;
        }

        var reply = Call("HELLO", "3");
        if (reply is null)
        {
            Terminal.Err("\nI/O error\n");
            return false;
        }

        if (reply.Type == RespType.Error)
        {
            Terminal.Err($"HELLO 3 failed: {reply.Text}\n");
            return false;
        }

        return true;
    }

    private RespReply ReadSkippingPushes()
    {
        while (true)
        {
            var reply = Connection!.ReadReply();
            if (reply.Type != RespType.Push || _pushHandling == PushHandling.Return)
            {
                return reply;
            }

            if (_pushHandling == PushHandling.Print)
            {
                var text = Output == OutputMode.Standard && ReplyFormatter.IsInvalidate(reply)
                    ? ReplyFormatter.FormatInvalidate(reply)
                    : ReplyFormatter.Format(reply, Output, false, Options);
                Terminal.Out(text);
                Terminal.Flush();
            }
        }
    }

    /// <summary>cliReadReply: reads and prints one reply; false when the connection was lost in interactive mode.</summary>
    private bool ReadReply(bool rawStrings)
    {
        RespReply reply;
        try
        {
            reply = ReadSkippingPushes();
        }
        catch (CliIOException e)
        {
            _connectionError = e.Message;
            if (_blockingAborted)
            {
                _blockingAborted = false;
                MonitorMode = false;
                PubsubMode = false;
                return Connect(force: true, quiet: false);
            }

            if (ShutdownSent)
            {
                Connection?.Dispose();
                Connection = null;
                return true;
            }

            if (Interactive)
            {
                return false;
            }

            PrintConnectionError();
            throw Terminal.Exit(1);
        }

        LastReplyType = reply.Type;
        if (!Interactive && Options.SetErrCode && reply.Type == RespType.Error)
        {
            Terminal.Err(reply.Text + "\n");
            throw Terminal.Exit(1);
        }

        Terminal.Out(ReplyFormatter.Format(reply, Output, rawStrings, Options));
        Terminal.Flush();
        return true;
    }

    /// <summary>cliSendCommand.</summary>
    private bool SendCommand(List<byte[]> argv, long repeat)
    {
        if (Connection is null)
        {
            return false;
        }

        var names = argv.Select(a => Encoding.UTF8.GetString(a)).ToList();
        string command = names[0];
        bool outputRaw = PrintsRaw(names);
        if (Is(command, "shutdown"))
        {
            ShutdownSent = true;
        }

        if (Is(command, "monitor"))
        {
            MonitorMode = true;
        }

        if (Is(command, "subscribe") || Is(command, "psubscribe") || Is(command, "ssubscribe"))
        {
            PubsubMode = true;
        }

        if (Is(command, "sync") || Is(command, "psync"))
        {
            SlaveModeRequested = true;
        }

        // A negative repeat count loops forever (with -i it is a watch).
        while (repeat < 0 || repeat-- > 0)
        {
            if (SlaveModeRequested)
            {
                Terminal.Out("Entering replica output mode...  (press Ctrl-C to quit)\n");
                Terminal.Flush();
                SlaveModeRequested = false;
                ReplicationTools.ReplicaStream(this);
                return false;
            }

            try
            {
                Connection.Send(argv);
            }
            catch (CliIOException e)
            {
                _connectionError = e.Message;
                if (!Interactive)
                {
                    PrintConnectionError();
                    throw Terminal.Exit(1);
                }

                return false;
            }

            if (MonitorMode)
            {
                do
                {
                    if (!ReadReply(outputRaw))
                    {
                        PrintConnectionError();
                        throw Terminal.Exit(1);
                    }

                    if (LastReplyType == RespType.Error)
                    {
                        MonitorMode = false;
                    }
                }
                while (MonitorMode);
                return true;
            }

            if (PubsubMode)
            {
                if (Output != OutputMode.Raw)
                {
                    Terminal.Out("Reading messages... (press Ctrl-C to quit)\n");
                    Terminal.Flush();
                }

                _pushHandling = PushHandling.Return;
                while (PubsubMode)
                {
                    if (!ReadReply(outputRaw))
                    {
                        PrintConnectionError();
                        throw Terminal.Exit(1);
                    }

                    if (!PubsubMode || LastReplyType == RespType.Error)
                    {
                        _pushHandling = Options.PushOutput ? PushHandling.Print : PushHandling.Discard;
                        PubsubMode = false;
                    }
                }

                continue;
            }

            if (!ReadReply(outputRaw))
            {
                return false;
            }

            AfterReply(names);
            if (Options.IntervalMicros > 0)
            {
                SleepMicros(Options.IntervalMicros);
            }

            Terminal.Flush();
        }

        return true;
    }

    // What the prompt and reconnects must remember after a successful SELECT/AUTH/MULTI/EXEC/DISCARD/RESET.
    private void AfterReply(List<string> a)
    {
        string c = a[0];
        bool failed = LastReplyType == RespType.Error;
        if (Is(c, "select") && a.Count == 2 && !failed)
        {
            Options.InputDb = DbNum = CNumbers.Atoi(a[1]);
            RefreshPrompt();
        }
        else if (Is(c, "auth") && (a.Count == 2 || a.Count == 3))
        {
            // Remembered for reconnects (redis-cli keeps only what -a gave).
            if (!failed)
            {
                Options.Password = a[^1];
                Options.User = a.Count == 3 ? a[1] : null;
            }

            Select();
        }
        else if (Is(c, "multi") && a.Count == 1 && !failed)
        {
            InMulti = true;
            PreMultiDb = DbNum;
            RefreshPrompt();
        }
        else if (Is(c, "exec") && a.Count == 1 && InMulti)
        {
            InMulti = false;
            if (failed || LastReplyType == RespType.Nil)
            {
                Options.InputDb = DbNum = PreMultiDb;
            }

            RefreshPrompt();
        }
        else if (Is(c, "discard") && a.Count == 1 && !failed)
        {
            InMulti = false;
            Options.InputDb = DbNum = PreMultiDb;
            RefreshPrompt();
        }
        else if (Is(c, "reset") && a.Count == 1 && !failed)
        {
            InMulti = false;
            DbNum = 0;
            Options.InputDb = 0;
            Resp3 = false;
            RefreshPrompt();
        }
    }

    /// <summary>usleep, in slices so Ctrl-C stays responsive.</summary>
    public static void SleepMicros(long micros)
    {
        var watch = Stopwatch.StartNew();
        long totalMs = micros / 1000;
        while (watch.ElapsedMilliseconds < totalMs)
        {
            Thread.Sleep((int)Math.Min(IntervalSleepChunkMs, totalMs - watch.ElapsedMilliseconds));
        }
    }
}
