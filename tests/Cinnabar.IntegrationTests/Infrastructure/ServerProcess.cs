// Starts a real server process (cinnabar-server through the repository launcher, or Debian's
// redis-server for differential and interop tests) on a free 127.0.0.1 port, waits with a
// deadline until it answers PING, and stops it by PID.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Cinnabar.IntegrationTests.Infrastructure;

/// <summary>Which server binary to run.</summary>
public enum ServerKind
{
    /// <summary>./cinnabar-server</summary>
    Cinnabar,

    /// <summary>Debian's /usr/bin/redis-server 7.0.15</summary>
    Redis,
}

/// <summary>Options for a test server: one builder instead of a factory with many flags.</summary>
public sealed class ServerOptions
{
    public ServerKind Kind { get; set; } = ServerKind.Cinnabar;

    /// <summary>The port to listen on (a free one when null); set it to restart a server where it was.</summary>
    public int? Port { get; set; }

    /// <summary>Directives passed as --name value on the command line.</summary>
    public List<(string Name, string[] Values)> Directives { get; } = [];

    /// <summary>Config file contents written to the working directory and passed first, if set.</summary>
    public string? ConfigFileText { get; set; }

    /// <summary>Environment variables set for the server process.</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary>Files written into the server's dir before it starts (e.g. dump.rdb to load).</summary>
    public Dictionary<string, byte[]> Files { get; } = [];

    /// <summary>
    /// Return from StartAsync as soon as the server answers at all, -LOADING included (as Redis's
    /// harness does), instead of waiting until the dataset is loaded.
    /// </summary>
    public bool ReturnWhileLoading { get; set; }

    public ServerOptions WhileLoading()
    {
        ReturnWhileLoading = true;
        return this;
    }

    public ServerOptions WithFile(string name, byte[] contents)
    {
        Files[name] = contents;
        return this;
    }

    public ServerOptions WithEnvironment(string name, string value)
    {
        Environment[name] = value;
        return this;
    }

    public ServerOptions With(string name, params string[] values)
    {
        Directives.Add((name, values));
        return this;
    }

    public static ServerOptions Cinnabar() => new() { Kind = ServerKind.Cinnabar };

    public static ServerOptions Redis() => new() { Kind = ServerKind.Redis };
}

/// <summary>A running server process.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, int port, string dir)
    {
        _process = process;
        Port = port;
        Dir = dir;
    }

    public int Port { get; }

    public string Dir { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the server printed so far.</summary>
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

    /// <summary>The repository root (where cinnabar-server lives).</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Cinnabar.slnx")))
            {
                dir = Path.GetDirectoryName(dir);
            }

            return dir ?? throw new InvalidOperationException("repository root not found");
        }
    }

    /// <summary>A port that was free a moment ago on 127.0.0.1.</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Starts a server and waits until it answers.</summary>
    public static async Task<ServerProcess> StartAsync(ServerOptions options, TimeSpan? timeout = null)
    {
        int port = options.Port ?? FreePort();
        var dir = Directory.CreateTempSubdirectory("cinnabar-test-").FullName;
        var psi = new ProcessStartInfo
        {
            FileName = options.Kind == ServerKind.Cinnabar ? Path.Combine(RepoRoot, "cinnabar-server") : "/usr/bin/redis-server",
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in options.Environment)
        {
            psi.Environment[name] = value;
        }

        foreach (var (name, contents) in options.Files)
        {
            await File.WriteAllBytesAsync(Path.Combine(dir, name), contents).ConfigureAwait(false);
        }

        if (options.ConfigFileText is not null)
        {
            var conf = Path.Combine(dir, "test.conf");
            await File.WriteAllTextAsync(conf, options.ConfigFileText).ConfigureAwait(false);
            psi.ArgumentList.Add(conf);
        }

        void Add(string name, params string[] values)
        {
            psi.ArgumentList.Add("--" + name);
            foreach (var v in values)
            {
                psi.ArgumentList.Add(v);
            }
        }

        Add("port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("bind", "127.0.0.1");
        Add("save", string.Empty);
        Add("dir", dir);
        foreach (var (name, values) in options.Directives)
        {
            Add(name, values);
        }

        var process = new Process { StartInfo = psi };
        var server = new ServerProcess(process, port, dir);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server.WaitUntilReadyAsync(timeout ?? TimeSpan.FromSeconds(120), options.ReturnWhileLoading).ConfigureAwait(false);
        return server;
    }

    /// <summary>Stops the server (SIGKILL by PID) and removes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    /// <summary>Sends SIGTERM and waits for exit (graceful shutdown).</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        Process.Start("kill", ["-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>Waits until the output contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{text}' not seen in output:\n{Output}");
            }

            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout, bool whileLoading)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"server exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                await using var c = await RawConnection.ConnectAsync(Port).ConfigureAwait(false);
                var reply = await c.CommandAsync("PING").ConfigureAwait(false);
                bool loading = reply.StartsWith("-LOADING", StringComparison.Ordinal);
                if (reply.StartsWith('+') || (reply.StartsWith('-') && (!loading || whileLoading)))
                {
                    return;
                }
            }
            catch (SocketException)
            {
                // Not listening yet.
            }
            catch (IOException)
            {
                // Closed while starting.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"server did not answer PING within {timeout}:\n{Output}");
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }
}
