// A small line editor in the spirit of linenoise (which redis-cli uses): on a terminal it reads
// keys itself (Console.ReadKey) and redraws the line, with history (up/down, saved to a file
// after each entry) and the usual emacs keys; when stdin is not a terminal it reads plain lines
// of bytes without printing a prompt, exactly as linenoise's no-tty path does.
using System.Text;

namespace Cinnabar.Cli;

/// <summary>Reads command lines.</summary>
internal sealed class LineEditor
{
    private const int MaxHistory = 100;
    private readonly List<string> _history = [];
    private Stream? _stdin;

    /// <summary>Where history is saved (null: in memory only).</summary>
    public string? HistoryFile { get; set; }

    /// <summary>Loads the history file if it exists.</summary>
    public void LoadHistory()
    {
        if (HistoryFile is null || !File.Exists(HistoryFile))
        {
            return;
        }

        try
        {
            foreach (var line in File.ReadAllLines(HistoryFile))
            {
                AddHistory(line, save: false);
            }
        }
        catch (IOException)
        {
            // An unreadable history file only costs the history.
        }
        catch (UnauthorizedAccessException)
        {
            // Likewise.
        }
    }

    /// <summary>Adds a line to the history (not twice in a row) and saves the file.</summary>
    public void AddHistory(string line, bool save = true)
    {
        if (!Terminal.StdinIsTty && save)
        {
            return;
        }

        if (_history.Count > 0 && _history[^1] == line)
        {
            return;
        }

        _history.Add(line);
        if (_history.Count > MaxHistory)
        {
            _history.RemoveAt(0);
        }

        if (save && HistoryFile is not null)
        {
            try
            {
                File.WriteAllLines(HistoryFile, _history);
            }
            catch (IOException)
            {
                // Best effort, as linenoiseHistorySave.
            }
            catch (UnauthorizedAccessException)
            {
                // Likewise.
            }
        }
    }

    /// <summary>One line without its newline (bytes, as typed), or null at end of input.</summary>
    public byte[]? ReadLine(string prompt) => Terminal.StdinIsTty ? ReadTerminal(prompt) : ReadPlain();

    private byte[]? ReadPlain()
    {
        _stdin ??= new BufferedStream(Terminal.OpenStdin(), 64 * 1024);
        var line = new List<byte>();
        while (true)
        {
            int c = _stdin.ReadByte();
            if (c == -1)
            {
                return line.Count == 0 ? null : CutAtNul(line);
            }

            if (c == '\n')
            {
                return CutAtNul(line);
            }

            line.Add((byte)c);
        }
    }

    // The C string ends at the first NUL byte.
    private static byte[] CutAtNul(List<byte> line)
    {
        int nul = line.IndexOf(0);
        return nul < 0 ? [.. line] : [.. line.Take(nul)];
    }

    private byte[]? ReadTerminal(string prompt)
    {
        var buffer = new StringBuilder();
        int cursor = 0;
        int historyIndex = _history.Count;
        string pendingEdit = string.Empty;
        Console.TreatControlCAsInput = true;
        try
        {
            Refresh(prompt, buffer, cursor);
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                bool control = (key.Modifiers & ConsoleModifiers.Control) != 0;
                switch (key.Key)
                {
                    case ConsoleKey.Enter:
                        MoveToEnd(prompt, buffer);
                        Terminal.Out("\n");
                        Terminal.Flush();
                        return Encoding.UTF8.GetBytes(buffer.ToString());
                    case ConsoleKey.C when control:
                        Terminal.Out("\n");
                        Terminal.Flush();
                        return null;
                    case ConsoleKey.D when control:
                        if (buffer.Length == 0)
                        {
                            Terminal.Out("\n");
                            Terminal.Flush();
                            return null;
                        }

                        if (cursor < buffer.Length)
                        {
                            buffer.Remove(cursor, 1);
                        }

                        break;
                    case ConsoleKey.Backspace:
                    case ConsoleKey.H when control:
                        if (cursor > 0)
                        {
                            buffer.Remove(--cursor, 1);
                        }

                        break;
                    case ConsoleKey.Delete:
                        if (cursor < buffer.Length)
                        {
                            buffer.Remove(cursor, 1);
                        }

                        break;
                    case ConsoleKey.LeftArrow:
                    case ConsoleKey.B when control:
                        cursor = Math.Max(0, cursor - 1);
                        break;
                    case ConsoleKey.RightArrow:
                    case ConsoleKey.F when control:
                        cursor = Math.Min(buffer.Length, cursor + 1);
                        break;
                    case ConsoleKey.Home:
                    case ConsoleKey.A when control:
                        cursor = 0;
                        break;
                    case ConsoleKey.End:
                    case ConsoleKey.E when control:
                        cursor = buffer.Length;
                        break;
                    case ConsoleKey.U when control:
                        buffer.Clear();
                        cursor = 0;
                        break;
                    case ConsoleKey.K when control:
                        buffer.Length = cursor;
                        break;
                    case ConsoleKey.W when control:
                        int start = cursor;
                        while (start > 0 && buffer[start - 1] == ' ')
                        {
                            start--;
                        }

                        while (start > 0 && buffer[start - 1] != ' ')
                        {
                            start--;
                        }

                        buffer.Remove(start, cursor - start);
                        cursor = start;
                        break;
                    case ConsoleKey.T when control:
                        if (cursor > 0 && cursor < buffer.Length)
                        {
                            (buffer[cursor - 1], buffer[cursor]) = (buffer[cursor], buffer[cursor - 1]);
                            cursor++;
                        }

                        break;
                    case ConsoleKey.L when control:
                        Terminal.Out("\x1b[H\x1b[2J");
                        break;
                    case ConsoleKey.UpArrow:
                    case ConsoleKey.P when control:
                    case ConsoleKey.DownArrow:
                    case ConsoleKey.N when control:
                        bool up = key.Key is ConsoleKey.UpArrow or ConsoleKey.P;
                        int next = historyIndex + (up ? -1 : 1);
                        if (next < 0 || next > _history.Count)
                        {
                            break;
                        }

                        if (historyIndex == _history.Count)
                        {
                            pendingEdit = buffer.ToString();
                        }

                        historyIndex = next;
                        buffer.Clear().Append(historyIndex == _history.Count ? pendingEdit : _history[historyIndex]);
                        cursor = buffer.Length;
                        break;
                    default:
                        if (key.KeyChar >= ' ' && !control)
                        {
                            buffer.Insert(cursor++, key.KeyChar);
                        }

                        break;
                }

                Refresh(prompt, buffer, cursor);
            }
        }
        finally
        {
            Console.TreatControlCAsInput = false;
        }
    }

    // Redraws "prompt + line", clears the rest of the row and puts the cursor back in place.
    private static void Refresh(string prompt, StringBuilder buffer, int cursor)
    {
        var sb = new StringBuilder();
        sb.Append('\r').Append(prompt).Append(buffer).Append("\x1b[0K").Append('\r');
        int column = prompt.Length + cursor;
        if (column > 0)
        {
            sb.Append("\x1b[").Append(column).Append('C');
        }

        Terminal.Out(sb.ToString());
        Terminal.Flush();
    }

    private static void MoveToEnd(string prompt, StringBuilder buffer) => Refresh(prompt, buffer, buffer.Length);
}
