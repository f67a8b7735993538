// Runs a command-line client (./cinnabar-cli through the repository launcher, or Debian's
// redis-cli) to completion with given arguments and stdin, capturing stdout and stderr as
// bytes; or starts one that keeps running (--replica, --status -i) and collects its output
// while the test polls it. Processes are stopped by PID.
using System.Diagnostics;
using System.Text;

namespace Cinnabar.IntegrationTests.Infrastructure;

/// <summary>Which client binary to run.</summary>
public enum CliKind
{
    /// <summary>./cinnabar-cli</summary>
    Cinnabar,

    /// <summary>Debian's /usr/bin/redis-cli 7.0.15</summary>
    Redis,
}

/// <summary>What a finished client run printed.</summary>
public sealed record CliResult(int ExitCode, byte[] Stdout, byte[] Stderr)
{
    public string Out => Encoding.UTF8.GetString(Stdout);

    public string Err => Encoding.UTF8.GetString(Stderr);

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Out}\n--- stderr ---\n{Err}";
}

/// <summary>A client process.</summary>
public sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly MemoryStream _stdout = new();
    private readonly MemoryStream _stderr = new();
    private readonly Task _pump;

    private CliProcess(Process process)
    {
        _process = process;
        _pump = Task.WhenAll(
            Pump(process.StandardOutput.BaseStream, _stdout),
            Pump(process.StandardError.BaseStream, _stderr));
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>stdout so far.</summary>
    public string Out
    {
        get
        {
            lock (_stdout)
            {
                return Encoding.UTF8.GetString(_stdout.ToArray());
            }
        }
    }

    /// <summary>stderr so far.</summary>
    public string Err
    {
        get
        {
            lock (_stderr)
            {
                return Encoding.UTF8.GetString(_stderr.ToArray());
            }
        }
    }

    private static readonly Lock BuildGate = new();
    private static bool _built;

    /// <summary>
    /// Runs the launcher once (it publishes the client when its sources changed, which can take
    /// longer than a test's deadline), so no test waits on a build.
    /// </summary>
    public static void EnsureBuilt()
    {
        lock (BuildGate)
        {
            if (_built)
            {
                return;
            }

            using var p = Process.Start(new ProcessStartInfo(PathOf(CliKind.Cinnabar), "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
            p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(TimeSpan.FromMinutes(10)) || p.ExitCode != 0)
            {
                throw new InvalidOperationException("./cinnabar-cli --version failed");
            }

            _built = true;
        }
    }

    /// <summary>The executable of a client kind.</summary>
    public static string PathOf(CliKind kind) =>
        kind == CliKind.Cinnabar ? System.IO.Path.Combine(ServerProcess.RepoRoot, "cinnabar-cli") : "/usr/bin/redis-cli";

    /// <summary>Starts a client; stdin stays open for <see cref="WriteStdinAsync"/> unless <paramref name="stdin"/> is given.</summary>
    public static CliProcess Start(CliKind kind, IEnumerable<string> args, byte[]? stdin = null, IDictionary<string, string>? environment = null)
    {
        if (kind == CliKind.Cinnabar)
        {
            EnsureBuilt();
        }

        var psi = new ProcessStartInfo(PathOf(kind))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        // No history or preference files of the machine's user leak into tests.
        psi.Environment["HOME"] = System.IO.Path.GetTempPath();
        psi.Environment.Remove("REDISCLI_AUTH");
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                psi.Environment[k] = v;
            }
        }

        var process = Process.Start(psi)!;
        var cli = new CliProcess(process);
        if (stdin is not null)
        {
            try
            {
                process.StandardInput.BaseStream.Write(stdin);
                process.StandardInput.Close();
            }
            catch (IOException) when (process.WaitForExit(10_000))
            {
                // A client that takes its command from the arguments may exit before reading
                // its input (EPIPE); its output and exit code are what the test compares.
            }
        }

        return cli;
    }

    /// <summary>Runs a client to completion (60 s at most).</summary>
    public static async Task<CliResult> RunAsync(CliKind kind, IEnumerable<string> args, byte[]? stdin = null, IDictionary<string, string>? environment = null)
    {
        await using var cli = Start(kind, args, stdin ?? [], environment);
        return await cli.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Waits for exit and returns what it printed.</summary>
    public async Task<CliResult> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        await _pump;
        lock (_stdout)
        {
            lock (_stderr)
            {
                return new CliResult(_process.ExitCode, _stdout.ToArray(), _stderr.ToArray());
            }
        }
    }

    /// <summary>Writes to the client's stdin.</summary>
    public async Task WriteStdinAsync(string text)
    {
        await _process.StandardInput.WriteAsync(text);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Polls until stdout (or stderr with <paramref name="stderr"/>) contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout, bool stderr = false)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!(stderr ? Err : Out).Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{text}' not seen.\n--- stdout ---\n{Out}\n--- stderr ---\n{Err}");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already reaped.
        }

        _process.Dispose();
    }

    private static async Task Pump(Stream from, MemoryStream to)
    {
        var buffer = new byte[8192];
        int n;
        while ((n = await from.ReadAsync(buffer)) > 0)
        {
            lock (to)
            {
                to.Write(buffer, 0, n);
            }
        }
    }
}
