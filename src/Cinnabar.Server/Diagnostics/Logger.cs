// Log lines in Redis's format: "pid:role dd Mon yyyy HH:mm:ss.fff <mark> message", where the
// mark is '.', '-', '*', '#' for debug, verbose, notice, warning and the role letter is
// M (primary), S (replica), C (child) or X (sentinel). Writes are serialized by a lock; the
// file is opened per line in append mode, as Redis does, so logrotate's moves are harmless.
using System.Globalization;

using Cinnabar.Server.Config;

namespace Cinnabar.Server.Diagnostics;

/// <summary>The server log.</summary>
internal sealed class Logger
{
    private static readonly char[] Marks = ['.', '-', '*', '#'];
    private readonly object _gate = new();
    private readonly TimeProvider _time;

    public Logger(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>Log file path; empty = stdout.</summary>
    public string File { get; set; } = string.Empty;

    /// <summary>Minimum level written.</summary>
    public LogLevel Level { get; set; } = LogLevel.Notice;

    /// <summary>The role letter: 'M' or 'S'.</summary>
    public char Role { get; set; } = 'M';

    /// <summary>Extra sink for tests (receives every formatted line).</summary>
    public Action<string>? Sink { get; set; }

    public void Debug(string message) => Write(LogLevel.Debug, message);

    public void Verbose(string message) => Write(LogLevel.Verbose, message);

    public void Notice(string message) => Write(LogLevel.Notice, message);

    public void Warning(string message) => Write(LogLevel.Warning, message);

    /// <summary>Writes a line if the level passes.</summary>
    public void Write(LogLevel level, string message)
    {
        if (level < Level)
        {
            return;
        }

        WriteRaw($"{Environment.ProcessId}:{Role} {FormatTime(_time.GetUtcNow())} {Marks[(int)level]} {message}");
    }

    /// <summary>Writes text as-is (the startup logo).</summary>
    public void WriteRaw(string text)
    {
        lock (_gate)
        {
            Sink?.Invoke(text);
            if (string.IsNullOrEmpty(File))
            {
                Console.Out.Write(text + "\n");
                Console.Out.Flush();
                return;
            }

            try
            {
                System.IO.File.AppendAllText(File, text + "\n");
            }
            catch (IOException)
            {
                // Redis silently drops a line it cannot write; so do we.
            }
            catch (UnauthorizedAccessException)
            {
                // Same as above.
            }
        }
    }

    private static string FormatTime(DateTimeOffset now)
    {
        var local = now.ToLocalTime();
        return local.ToString("dd MMM yyyy HH:mm:ss.fff", CultureInfo.InvariantCulture);
    }
}
