// The read-eval-print loop (redis-cli's repl()): a prompt and line editing with history on a
// terminal, plain lines from stdin otherwise (no prompt then, exactly as linenoise does).
// "N command" repeats a command N times; quit/exit leave; connect host port switches server;
// clear clears the screen; sensitive commands (AUTH, CONFIG SET requirepass...) never reach the
// history file; commands slower than half a second print their time.
using System.Diagnostics;
using System.Globalization;
using System.Text;

using Cinnabar.Protocol;

namespace Cinnabar.Cli;

/// <summary>Interactive and stdin-lines mode.</summary>
internal static class Repl
{
    public static void Run(CliSession session)
    {
        session.Interactive = true;
        var editor = new LineEditor();
        if (Terminal.StdinIsTty)
        {
            editor.HistoryFile = HistoryPath();
            editor.LoadHistory();
        }

        session.RefreshPrompt();
        while (editor.ReadLine(session.Connection is not null ? session.Prompt : "not connected> ") is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var argv = SplitArgs.Split(line);
            string text = Encoding.UTF8.GetString(line);
            if (argv is null)
            {
                Terminal.Out("Invalid argument(s)\n");
                Terminal.Flush();
                editor.AddHistory(text);
                continue;
            }

            if (argv.Count == 0)
            {
                continue;
            }

            long repeat = 1;
            int skip = 0;
            if (argv.Count > 1 && TryStrtol(Encoding.UTF8.GetString(argv[0]), out long count, out bool overflow))
            {
                if (overflow || count <= 0)
                {
                    Terminal.Out("Invalid redis-cli repeat command option value.\n");
                    Terminal.Flush();
                    continue;
                }

                repeat = count;
                skip = 1;
            }

            var command = argv.Skip(skip).Select(a => Encoding.UTF8.GetString(a)).ToList();
            if (!IsSensitive(command))
            {
                editor.AddHistory(text);
            }

            string name = Encoding.UTF8.GetString(argv[0]);
            if (Is(name, "quit") || Is(name, "exit"))
            {
                throw Terminal.Exit(0);
            }
            else if (name.StartsWith(':'))
            {
                // :set hints / :set nohints: cinnabar-cli shows no hints, so preferences are accepted and ignored.
                continue;
            }
            else if (Is(name, "restart"))
            {
                Terminal.Out("Use 'restart' only in Lua debugging mode.\n");
                Terminal.Flush();
            }
            else if (argv.Count == 3 && Is(name, "connect"))
            {
                session.Options.Host = command[1];
                session.Options.Port = CNumbers.Atoi(command[2]);
                session.Options.Socket = null;
                session.RefreshPrompt();
                session.Connect(force: true, quiet: false);
            }
            else if (argv.Count == 1 && Is(name, "clear"))
            {
                Terminal.Out("\x1b[H\x1b[2J");
                Terminal.Flush();
            }
            else
            {
                var watch = Stopwatch.StartNew();
                session.IssueCommandRepeat([.. argv.Skip(skip)], repeat);
                double elapsed = watch.Elapsed.TotalMilliseconds;
                if (elapsed >= 500 && session.Output == OutputMode.Standard)
                {
                    Terminal.Out(string.Create(CultureInfo.InvariantCulture, $"({elapsed / 1000:F2}s)\n"));
                    Terminal.Flush();
                }
            }
        }
    }

    /// <summary>~/.cinnabarcli_history, or $CINNABARCLI_HISTFILE ("/dev/null" turns history files off).</summary>
    private static string? HistoryPath()
    {
        var over = Environment.GetEnvironmentVariable("CINNABARCLI_HISTFILE");
        if (!string.IsNullOrEmpty(over))
        {
            return over == "/dev/null" ? null : over;
        }

        var home = Environment.GetEnvironmentVariable("HOME");
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cinnabarcli_history");
    }

    private static bool Is(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    // strtol(s, &end, 10) with *end == '\0': optional blanks and sign, then digits to the end.
    private static bool TryStrtol(string s, out long value, out bool overflow)
    {
        value = 0;
        overflow = false;
        if (s.Length == 0)
        {
            return true;
        }

        int i = 0;
        while (i < s.Length && SplitArgs.IsSpace((byte)s[i]))
        {
            i++;
        }

        bool negative = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-'))
        {
            negative = s[i] == '-';
            i++;
        }

        int digits = i;
        for (; i < s.Length && s[i] is >= '0' and <= '9'; i++)
        {
            int d = s[i] - '0';
            if (value > (long.MaxValue - d) / 10)
            {
                overflow = true;
            }
            else
            {
                value = (value * 10) + d;
            }
        }

        if (i == digits || i != s.Length)
        {
            return false;
        }

        value = negative ? -value : value;
        return true;
    }

    // isSensitiveCommand: commands carrying passwords stay out of the history file.
    private static bool IsSensitive(List<string> a)
    {
        if (a.Count == 0)
        {
            return false;
        }

        if (Is(a[0], "auth"))
        {
            return true;
        }

        if (a.Count > 1 && Is(a[0], "acl") && Is(a[1], "setuser"))
        {
            return true;
        }

        if (a.Count > 2 && Is(a[0], "config") && Is(a[1], "set") &&
            (Is(a[2], "masterauth") || Is(a[2], "masteruser") || Is(a[2], "requirepass")))
        {
            return true;
        }

        if (a.Count > 4 && Is(a[0], "hello"))
        {
            for (int j = 2; j < a.Count; j++)
            {
                int more = a.Count - 1 - j;
                if (Is(a[j], "auth") && more >= 2)
                {
                    return true;
                }
                else if (Is(a[j], "setname") && more > 0)
                {
                    j++;
                }
                else
                {
                    return false;
                }
            }
        }

        if (a.Count > 7 && Is(a[0], "migrate"))
        {
            for (int j = 6; j < a.Count; j++)
            {
                int more = a.Count - 1 - j;
                if ((Is(a[j], "auth") && more > 0) || (Is(a[j], "auth2") && more >= 2))
                {
                    return true;
                }

                if (Is(a[j], "keys") && more > 0)
                {
                    return false;
                }
            }
        }

        return false;
    }
}
