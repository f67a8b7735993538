// The process's standard streams as redis-cli uses them: stdout buffered and flushed after each
// reply (so pipes see output as it happens), stderr unbuffered, and exit() that flushes first.
using System.Text;

namespace Cinnabar.Cli;

/// <summary>Buffered stdout, unbuffered stderr, tty checks and exit.</summary>
internal static class Terminal
{
    // Raw file descriptors (FdStream), not Console streams: see FdStream.
    private static readonly Stream StdOut = new BufferedStream(OpenDescriptor(1), 64 * 1024);
    private static readonly Stream StdErr = OpenDescriptor(2);

    /// <summary>isatty(STDOUT_FILENO).</summary>
    public static bool StdoutIsTty => !Console.IsOutputRedirected;

    /// <summary>isatty(STDIN_FILENO).</summary>
    public static bool StdinIsTty => !Console.IsInputRedirected;

    // --pipe writes from two threads; the streams are not thread-safe.
    private static readonly Lock Gate = new();

    /// <summary>Writes bytes to stdout (buffered).</summary>
    public static void Out(ReadOnlySpan<byte> bytes)
    {
        lock (Gate)
        {
            StdOut.Write(bytes);
        }
    }

    /// <summary>Writes text to stdout (buffered).</summary>
    public static void Out(string text) => Out(Encoding.UTF8.GetBytes(text));

    /// <summary>fflush(stdout).</summary>
    public static void Flush()
    {
        lock (Gate)
        {
            StdOut.Flush();
        }
    }

    /// <summary>Writes text to stderr at once (after flushing stdout, keeping the order a terminal shows).</summary>
    public static void Err(string text)
    {
        lock (Gate)
        {
            StdOut.Flush();
            StdErr.Write(Encoding.UTF8.GetBytes(text));
            StdErr.Flush();
        }
    }

    /// <summary>stdin as a stream of bytes (no console translation).</summary>
    public static Stream OpenStdin() => OpenDescriptor(0);

    /// <summary>stdout as an unbuffered stream (--rdb -), after what was already buffered.</summary>
    public static Stream OpenStdout()
    {
        Flush();
        return OpenDescriptor(1);
    }

    /// <summary>exit(code): flushes stdout first.</summary>
    public static Exception Exit(int code)
    {
        try
        {
            Flush();
        }
        catch (IOException)
        {
            // stdout closed by the reader (e.g. "| head"): nothing more to say.
        }

        Environment.Exit(code);
        return new InvalidOperationException("unreachable");
    }

    private static FdStream OpenDescriptor(int fd) => new(fd);
}
