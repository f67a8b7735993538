// redis-cli's command line (parseOptions in redis-cli.c): the same options, the same defaults,
// the same lenient number parsing and the same messages for unknown options. Options that
// redis-cli has and cinnabar-cli lacks (cluster manager, TLS, --eval, --lru-test...) are
// reported as unsupported rather than silently ignored.
namespace Cinnabar.Cli;

/// <summary>Parsed command-line options.</summary>
internal sealed class CliOptions
{
    public const string Version = "7.0.15";

    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 6379;

    public string? Socket { get; set; }

    public long Repeat { get; set; } = 1;

    /// <summary>-i in microseconds.</summary>
    public long IntervalMicros { get; set; }

    public int InputDb { get; set; }

    public string? User { get; set; }

    public string? Password { get; set; }

    public OutputMode Output { get; set; }

    public bool PushOutput { get; set; }

    public bool StdinLastArg { get; set; }

    public string? StdinTag { get; set; }

    public bool Resp2 { get; set; }

    public bool Resp3 { get; set; }

    public bool NoAuthWarning { get; set; }

    public bool SetErrCode { get; set; }

    public bool Verbose { get; set; }

    public bool QuotedInput { get; set; }

    public string MultiBulkDelimiter { get; set; } = "\n";

    public string CommandDelimiter { get; set; } = "\n";

    public bool ReplicaMode { get; set; }

    public string? RdbFile { get; set; }

    public bool StatMode { get; set; }

    public bool LatencyMode { get; set; }

    public bool LatencyHistory { get; set; }

    public bool ScanMode { get; set; }

    public byte[]? Pattern { get; set; }

    public bool PipeMode { get; set; }

    public int PipeTimeout { get; set; } = 30;

    public bool BigKeys { get; set; }

    public bool MemKeys { get; set; }

    public int MemKeysSamples { get; set; }

    public bool StatusMode { get; set; }

    /// <summary>The command and its arguments (empty: interactive or stdin mode).</summary>
    public List<string> Command { get; } = [];

    /// <summary>Parses argv as redis-cli does; prints and exits on errors, --help and --version.</summary>
    public static CliOptions Parse(string[] argv)
    {
        var o = new CliOptions();
        bool fakeTty = Environment.GetEnvironmentVariable("FAKETTY") is not null;
        if (!Terminal.StdoutIsTty && !fakeTty)
        {
            o.Output = OutputMode.Raw;
            o.PushOutput = false;
        }
        else
        {
            o.Output = OutputMode.Standard;
            o.PushOutput = true;
        }

        int i = 0;
        for (; i < argv.Length; i++)
        {
            string a = argv[i];
            bool last = i == argv.Length - 1;
            string Next() => argv[++i];
            switch (a)
            {
                case "-h" when !last: o.Host = Next(); break;
                case "-h": case "--help": Usage(0); break;
                case "-x": o.StdinLastArg = true; break;
                case "-X" when !last: o.StdinTag = Next(); break;
                case "-p" when !last: o.Port = CNumbers.Atoi(Next()); break;
                case "-s" when !last: o.Socket = Next(); break;
                case "-r" when !last: o.Repeat = CNumbers.StrToLL(Next()); break;
                case "-i" when !last: o.IntervalMicros = (long)(CNumbers.Atof(Next()) * 1000000); break;
                case "-n" when !last: o.InputDb = CNumbers.Atoi(Next()); break;
                case "--no-auth-warning": o.NoAuthWarning = true; break;
                case "-a" when !last: case "--pass" when !last: o.Password = Next(); break;
                case "--user" when !last: o.User = Next(); break;
                case "-u" when !last: RedisUri.Parse(Next(), o); break;
                case "--raw": o.Output = OutputMode.Raw; break;
                case "--no-raw": o.Output = OutputMode.Standard; break;
                case "--quoted-input": o.QuotedInput = true; break;
                case "--csv": o.Output = OutputMode.Csv; break;
                case "--latency": o.LatencyMode = true; break;
                case "--latency-history": o.LatencyMode = true; o.LatencyHistory = true; break;
                case "--slave": case "--replica": o.ReplicaMode = true; break;
                case "--stat": o.StatMode = true; break;
                case "--status": o.StatusMode = true; break;
                case "--scan": o.ScanMode = true; break;
                case "--pattern" when !last: o.Pattern = System.Text.Encoding.UTF8.GetBytes(Next()); break;
                case "--quoted-pattern" when !last:
                    o.Pattern = Unquote(Next());
                    if (o.Pattern is null)
                    {
                        Terminal.Err("Invalid quoted string specified for --quoted-pattern.\n");
                        throw Terminal.Exit(1);
                    }

                    break;
                case "--rdb" when !last: o.RdbFile = Next(); break;
                case "--pipe": o.PipeMode = true; break;
                case "--pipe-timeout" when !last: o.PipeTimeout = CNumbers.Atoi(Next()); break;
                case "--bigkeys": o.BigKeys = true; break;
                case "--memkeys": o.MemKeys = true; o.MemKeysSamples = 0; break;
                case "--memkeys-samples" when !last: o.MemKeys = true; o.MemKeysSamples = CNumbers.Atoi(Next()); break;
                case "-d" when !last: o.MultiBulkDelimiter = Next(); break;
                case "-D" when !last: o.CommandDelimiter = Next(); break;
                case "-e": o.SetErrCode = true; break;
                case "--verbose": o.Verbose = true; break;
                case "-v":
                case "--version":
                    Terminal.Out($"cinnabar-cli {Version}\n");
                    throw Terminal.Exit(0);
                case "-2": o.Resp2 = true; break;
                case "-3": o.Resp3 = true; break;
                case "--show-pushes" when !last:
                    string value = Next();
                    if (value.StartsWith('n') || value.StartsWith('N'))
                    {
                        o.PushOutput = false;
                    }
                    else if (value.StartsWith('y') || value.StartsWith('Y'))
                    {
                        o.PushOutput = true;
                    }
                    else
                    {
                        Terminal.Err($"Unknown --show-pushes value '{value}' (valid: '[y]es', '[n]o')\n");
                    }

                    break;
                default:
                    if (a.StartsWith('-'))
                    {
                        Terminal.Err($"Unrecognized option or bad number of args for: '{a}'\n");
                        throw Terminal.Exit(1);
                    }

                    // Likely the command name: stop here.
                    o.Command.AddRange(argv[i..]);
                    i = argv.Length;
                    break;
            }
        }

        if (o.Resp2 && o.Resp3)
        {
            Terminal.Err("Options -2 and -3 are mutually exclusive.\n");
            throw Terminal.Exit(1);
        }

        if (!o.NoAuthWarning && o.Password is not null)
        {
            Terminal.Err("Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.\n");
        }

        if (o.StdinLastArg && o.StdinTag is not null)
        {
            Terminal.Err("Options -x and -X are mutually exclusive.\n");
            throw Terminal.Exit(1);
        }

        // parseEnv: REDISCLI_AUTH supplies the password when -a did not (no warning: it is the safe way).
        if (o.Password is null && Environment.GetEnvironmentVariable("REDISCLI_AUTH") is { } auth)
        {
            o.Password = auth;
        }

        return o;
    }

    /// <summary>unquoteCString: the argument must be exactly one sdssplitargs token.</summary>
    public static byte[]? Unquote(string s)
    {
        var parts = Cinnabar.Protocol.SplitArgs.Split(System.Text.Encoding.UTF8.GetBytes(s));
        return parts is { Count: 1 } ? parts[0] : null;
    }

    private static void Usage(int code)
    {
        string text = $"""
cinnabar-cli {Version}

Usage: cinnabar-cli [OPTIONS] [cmd [arg [arg ...]]]
  -h <hostname>      Server hostname (default: 127.0.0.1).
  -p <port>          Server port (default: 6379).
  -s <socket>        Server socket (overrides hostname and port).
  -a <password>      Password to use when connecting to the server.
                     You can also use the REDISCLI_AUTH environment
                     variable to pass this password more safely
                     (if both are used, this argument takes precedence).
  --user <username>  Used to send ACL style 'AUTH username pass'. Needs -a.
  --pass <password>  Alias of -a for consistency with the new --user option.
  -u <uri>           Server URI (redis://[user:password@]host[:port][/db]).
  -r <repeat>        Execute specified command N times.
  -i <interval>      When -r is used, waits <interval> seconds per command.
                     It is possible to specify sub-second times like -i 0.1.
                     This interval is also used in --scan, --stat and --status per cycle.
  -n <db>            Database number.
  -2                 Start session in RESP2 protocol mode.
  -3                 Start session in RESP3 protocol mode.
  -x                 Read last argument from STDIN.
  -X <tag>           Read <tag> argument from STDIN.
  -d <delimiter>     Delimiter between response bulks for raw formatting (default: \n).
  -D <delimiter>     Delimiter between responses for raw formatting (default: \n).
  -e                 Return exit error code when command execution fails.
  --raw              Use raw formatting for replies (default when STDOUT is
                     not a tty).
  --no-raw           Force formatted output even when STDOUT is not a tty.
  --quoted-input     Force input to be handled as quoted strings.
  --csv              Output in CSV format.
  --show-pushes <yn> Whether to print RESP3 PUSH messages.
  --stat             Print rolling stats about server: mem, clients, ...
  --latency          Enter a special mode continuously sampling latency.
  --latency-history  Like --latency but tracking latency changes over time.
  --replica          Simulate a replica showing commands received from the master.
  --rdb <filename>   Transfer an RDB dump from remote server to local file.
                     Use filename of "-" to write to stdout.
  --pipe             Transfer raw Redis protocol from stdin to server.
  --pipe-timeout <n> In --pipe mode, abort with error if after sending all data.
                     no reply is received within <n> seconds (default: 30, 0: forever).
  --bigkeys          Sample keys looking for keys with many elements (complexity).
  --memkeys          Sample keys looking for keys consuming a lot of memory.
  --memkeys-samples <n> Like --memkeys, sampling <n> elements per key.
  --scan             List all keys using the SCAN command.
  --pattern <pat>    Keys pattern when using the --scan or --bigkeys options (default: *).
  --quoted-pattern <pat> Same as --pattern, but the string may be quoted.
  --status           Show a master and every replica it lists in INFO replication:
                     role, link, offset, lag, master_link_down_reason (refresh with -i).
  --verbose          Verbose mode.
  --no-auth-warning  Don't show warning message when using password on command
                     line interface.
  --help             Output this help and exit.
  --version          Output version and exit.

Examples:
  cat /etc/passwd | cinnabar-cli -x set mypasswd
  cinnabar-cli -r 100 lpush mylist x
  cinnabar-cli -r 100 -i 1 info | grep used_memory_human:
  cinnabar-cli --scan --pattern '*:12345*'
  cinnabar-cli -a secret --status -i 1

When no command is given, cinnabar-cli starts in interactive mode.
Type "help" in interactive mode for information on available commands.


""";
        if (code == 0)
        {
            Terminal.Out(text);
        }
        else
        {
            Terminal.Err(text);
        }

        throw Terminal.Exit(code);
    }
}
