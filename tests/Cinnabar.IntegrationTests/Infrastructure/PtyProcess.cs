// Runs a program on a pseudo-terminal through script(1) (util-linux, present on every Debian),
// so interactive code paths run as for a person: stdin and stdout are a tty, keys arrive one by
// one, Ctrl-C becomes SIGINT. The test writes keystrokes and polls the terminal output.
using System.Diagnostics;
using System.Text;

namespace Cinnabar.IntegrationTests.Infrastructure;

/// <summary>A program on a pty.</summary>
public sealed class PtyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Task _pump;

    private PtyProcess(Process process)
    {
        _process = process;
        _pump = Pump();
    }

    /// <summary>Everything the terminal showed so far (with its escape sequences).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="program"/> with <paramref name="args"/> on a new pty.</summary>
    public static PtyProcess Start(string program, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var command = string.Join(' ', args.Prepend(program).Select(Quote));
        var psi = new ProcessStartInfo("script")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-q");
        psi.ArgumentList.Add("-e");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        psi.ArgumentList.Add("/dev/null");
        psi.Environment["TERM"] = "xterm";
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                psi.Environment[k] = v;
            }
        }

        return new PtyProcess(Process.Start(psi)!);
    }

    /// <summary>Types text (use "\r" for Enter, "\u0003" for Ctrl-C).</summary>
    public async Task TypeAsync(string keys)
    {
        await _process.StandardInput.WriteAsync(keys);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Polls until the output since <paramref name="from"/> contains <paramref name="text"/>; returns the index just after it.</summary>
    public async Task<int> WaitForAsync(string text, int from = 0, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var output = Output;
            int at = from <= output.Length ? output.IndexOf(text, from, StringComparison.Ordinal) : -1;
            if (at >= 0)
            {
                return at + text.Length;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{Escape(text)}' not seen after offset {from}. Terminal:\n{Escape(output)}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Waits for the program to end and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        await _pump;
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already reaped.
        }

        _process.Dispose();
    }

    /// <summary>Control characters made visible, for failure messages.</summary>
    public static string Escape(string s) => s.Replace("\x1b", "\\e", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private async Task Pump()
    {
        var buffer = new char[4096];
        int n;
        while ((n = await _process.StandardOutput.ReadAsync(buffer)) > 0)
        {
            lock (_output)
            {
                _output.Append(buffer, 0, n);
            }
        }
    }
}
