// cinnabar-cli: Cinnabar's command-line client, compatible with redis-cli 7.0.15 (see
// docs/COMPATIBILITY.md for the options it supports), plus --status, a view of a master and
// its replicas. Like redis-cli's main(), each special mode runs and exits; otherwise a command
// from the arguments runs once (or -r times), and without one the client reads commands from
// the terminal (interactive) or from stdin.
using System.Runtime.InteropServices;
using System.Text;

using Cinnabar.Cli;

InterruptSignal.ResetInheritedIgnore();
var options = CliOptions.Parse(args);
var session = new CliSession(options);

// SIGINT through PosixSignalRegistration rather than Console.CancelKeyPress: the latter sets the
// terminal up (keypad mode escapes on stdout), which would pollute one-shot output on a tty.
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
{
    // Ctrl-C leaves MONITOR or subscribed mode in interactive use; anywhere else it exits.
    context.Cancel = true;
    if (!(session.Interactive && session.AbortBlockingState()))
    {
        throw Terminal.Exit(1);
    }
});

if (options.LatencyMode)
{
    if (!session.Connect(force: false, quiet: false))
    {
        throw Terminal.Exit(1);
    }

    StatTools.Latency(session);
}

if (options.ReplicaMode)
{
    if (!session.Connect(force: false, quiet: false))
    {
        throw Terminal.Exit(1);
    }

    ReplicationTools.SendReplconf(session, "capa", "eof");
    ReplicationTools.SendReplconf(session, "rdb-filter-only", string.Empty);
    ReplicationTools.ReplicaStream(session);
}

if (options.RdbFile is not null)
{
    if (!session.Connect(force: false, quiet: false))
    {
        throw Terminal.Exit(1);
    }

    ReplicationTools.SendReplconf(session, "capa", "eof");
    ReplicationTools.SendReplconf(session, "rdb-only", "1");
    ReplicationTools.GetRdb(session, options.RdbFile);
}

if (options.PipeMode)
{
    if (!session.Connect(force: false, quiet: false))
    {
        throw Terminal.Exit(1);
    }

    PipeMode.Run(session);
}

if (options.BigKeys || options.MemKeys)
{
    if (!session.Connect(force: false, quiet: false))
    {
        throw Terminal.Exit(1);
    }

    BigKeys.Run(session, options.MemKeys, options.MemKeysSamples);
}

if (options.StatMode)
{
    if (!session.Connect(force: false, quiet: false))
    {
        throw Terminal.Exit(1);
    }

    if (options.IntervalMicros == 0)
    {
        options.IntervalMicros = 1000000;
    }

    StatTools.Stat(session);
}

if (options.ScanMode)
{
    if (!session.Connect(force: false, quiet: false))
    {
        throw Terminal.Exit(1);
    }

    StatTools.Scan(session);
}

if (options.StatusMode)
{
    throw Terminal.Exit(StatusView.Run(session));
}

if (options.Command.Count == 0)
{
    // Interactive (or line-by-line stdin) mode never gives up on a failed connection:
    // every command tries again.
    session.Connect(force: false, quiet: false);
    Repl.Run(session);
    throw Terminal.Exit(0);
}

session.Connect(force: false, quiet: true);
throw Terminal.Exit(NonInteractive(session, options));

static int NonInteractive(CliSession session, CliOptions options)
{
    var argv = new List<byte[]>();
    foreach (var a in options.Command)
    {
        if (options.QuotedInput)
        {
            var unquoted = CliOptions.Unquote(a);
            if (unquoted is null)
            {
                Terminal.Out("Invalid quoted string\n");
                return 1;
            }

            argv.Add(unquoted);
        }
        else
        {
            argv.Add(Encoding.UTF8.GetBytes(a));
        }
    }

    if (options.StdinLastArg)
    {
        argv.Add(ReadAllStdin());
    }
    else if (options.StdinTag is not null)
    {
        var tag = Encoding.UTF8.GetBytes(options.StdinTag);
        int index = argv.FindIndex(a => a.AsSpan().SequenceEqual(tag));
        if (index < 0)
        {
            Terminal.Err("Using -X option but stdin tag not match.\n");
            return 1;
        }

        argv[index] = ReadAllStdin();
    }

    return session.IssueCommandRepeat(argv, options.Repeat) ? 0 : 1;
}

static byte[] ReadAllStdin()
{
    using var stdin = Terminal.OpenStdin();
    using var buffer = new MemoryStream();
    stdin.CopyTo(buffer);
    return buffer.ToArray();
}
