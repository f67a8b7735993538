// redis-server's command line (server.c main): an optional config file first, "-" to read
// config from stdin, and "--name value ..." options that become config lines appended after the
// file, built exactly as Redis builds them ("--port 6380 --bind a b" -> "port 6380\nbind a b",
// values quoted with sdscatrepr so empty values survive as "").
using System.Text;

using Cinnabar.Protocol;

namespace Cinnabar.Server.Config;

/// <summary>What the command line asks for.</summary>
internal enum CommandLineAction
{
    /// <summary>Start the server.</summary>
    Run,

    /// <summary>-v / --version.</summary>
    Version,

    /// <summary>-h / --help.</summary>
    Help,

    /// <summary>--test-memory (not supported).</summary>
    TestMemory,

    /// <summary>--check-system (not supported).</summary>
    CheckSystem,

    /// <summary>--check-rdb &lt;file&gt;: run as redis-check-rdb.</summary>
    CheckRdb,
}

/// <summary>The parsed command line.</summary>
internal sealed class CommandLine
{
    public CommandLineAction Action { get; private init; }

    /// <summary>The config file as given (null when none).</summary>
    public string? ConfigFile { get; private init; }

    /// <summary>True when "-" asks to read config from stdin.</summary>
    public bool ConfigFromStdin { get; private init; }

    /// <summary>The arguments after --check-rdb.</summary>
    public IReadOnlyList<string> CheckArgs { get; private init; } = [];

    /// <summary>The options as config text (null when there were no arguments).</summary>
    public string? Options { get; private init; }

    /// <summary>Parses argv (without the program name) as main() does.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
        {
            return new CommandLine { Action = CommandLineAction.Run };
        }

        switch (args[0])
        {
            case "-v" or "--version":
                return new CommandLine { Action = CommandLineAction.Version };
            case "--help" or "-h":
                return new CommandLine { Action = CommandLineAction.Help };
            case "--test-memory":
                return new CommandLine { Action = CommandLineAction.TestMemory };
            case "--check-system":
                return new CommandLine { Action = CommandLineAction.CheckSystem };
            case "--check-rdb":
                return new CommandLine { Action = CommandLineAction.CheckRdb, CheckArgs = args.Skip(1).ToList() };
            default:
                break;
        }

        int j = 0;
        string? file = null;
        if (!args[0].StartsWith('-'))
        {
            file = args[0];
            j = 1;
        }

        var options = new StringBuilder();
        bool stdin = false;
        bool handledLastConfigArg = true;
        int argc = args.Count;
        for (; j < argc; j++)
        {
            string a = args[j];
            if (a == "-" && (j == 0 || j == argc - 1))
            {
                stdin = true;
            }
            else if (handledLastConfigArg && a.StartsWith("--", StringComparison.Ordinal))
            {
                if (options.Length > 0)
                {
                    options.Append('\n');
                }

                options.Append(a, 2, a.Length - 2).Append(' ');
                var split = SplitArgs.Split(Encoding.UTF8.GetBytes(a));
                if (split is { Count: 1 })
                {
                    // Only the option's name: its values follow as separate arguments.
                    handledLastConfigArg = false;
                    bool nextIsOption = j != argc - 1 && args[j + 1].StartsWith("--", StringComparison.Ordinal);
                    bool isSave = a.Equals("--save", StringComparison.OrdinalIgnoreCase);
                    bool isSentinel = a.Equals("--sentinel", StringComparison.OrdinalIgnoreCase);
                    if (nextIsOption && isSave)
                    {
                        // "--save --port 1" means save "" (pre-7.0 compatibility in Redis).
                        options.Append("\"\"");
                        handledLastConfigArg = true;
                    }
                    else if (j == argc - 1 && isSave)
                    {
                        options.Append("\"\"");
                    }
                    else if (nextIsOption && isSentinel)
                    {
                        handledLastConfigArg = true;
                    }
                }
                else
                {
                    // "--port 6380" given as one argument carries its own value.
                    handledLastConfigArg = true;
                }
            }
            else
            {
                options.Append(ConfigRewriter.Repr(a)).Append(' ');
                handledLastConfigArg = true;
            }
        }

        return new CommandLine
        {
            Action = CommandLineAction.Run,
            ConfigFile = file,
            ConfigFromStdin = stdin,
            Options = options.ToString(),
        };
    }

    /// <summary>The usage text (stderr, exit 1), in Redis's words with our program name.</summary>
    public static string Usage(string exe) =>
        $"Usage: {exe} [/path/to/redis.conf] [options] [-]\n" +
        $"       {exe} - (read config from stdin)\n" +
        $"       {exe} -v or --version\n" +
        $"       {exe} -h or --help\n" +
        $"       {exe} --test-memory <megabytes>\n" +
        $"       {exe} --check-system\n" +
        "\n" +
        "Examples:\n" +
        $"       {exe} (run the server with default conf)\n" +
        $"       echo 'maxmemory 128mb' | {exe} -\n" +
        $"       {exe} /etc/redis/6379.conf\n" +
        $"       {exe} --port 7777\n" +
        $"       {exe} --port 7777 --replicaof 127.0.0.1 8888\n" +
        $"       {exe} /etc/myredis.conf --loglevel verbose -\n" +
        $"       {exe} /etc/myredis.conf --loglevel verbose\n\n" +
        "Sentinel mode:\n" +
        $"       {exe} /etc/sentinel.conf --sentinel\n";
}
