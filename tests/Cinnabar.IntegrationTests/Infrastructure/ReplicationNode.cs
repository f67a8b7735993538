// A server for replication tests: started from a config file in a directory of its own, on a
// fixed port, logging to a file there, so it can be killed with -9 and started again from the
// same config and data, as an operator would. Works for Cinnabar and for Debian's redis-server.
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Cinnabar.IntegrationTests.Infrastructure;

/// <summary>A restartable server process with a config file.</summary>
public sealed class ReplicationNode : IAsyncDisposable
{
    private Process? _process;

    private ReplicationNode(ServerKind kind, string dir, int port)
    {
        Kind = kind;
        Dir = dir;
        Port = port;
    }

    public ServerKind Kind { get; }

    public string Dir { get; }

    public int Port { get; }

    public string ConfigPath => Path.Combine(Dir, "node.conf");

    /// <summary>The running process's PID.</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException("not started");

    /// <summary>Sends a signal by PID (STOP/CONT to pause and resume, as Redis's tests do).</summary>
    public void Signal(string name) => Process.Start("kill", [$"-{name}", Pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    public string LogPath => Path.Combine(Dir, "node.log");

    /// <summary>The log so far.</summary>
    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : string.Empty;

    /// <summary>Variables set in the server's environment at every (re)start.</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary>Writes a config (port, bind, dir, logfile, save "" plus <paramref name="lines"/>) and starts the server.</summary>
    public static Task<ReplicationNode> StartAsync(ServerKind kind, params string[] lines) => StartAsync(kind, null, lines);

    /// <summary>As <see cref="StartAsync(ServerKind, string[])"/>, with variables for the server's environment.</summary>
    public static async Task<ReplicationNode> StartAsync(ServerKind kind, IReadOnlyDictionary<string, string>? environment, params string[] lines)
    {
        var dir = Directory.CreateTempSubdirectory("cinnabar-repl-").FullName;
        var node = new ReplicationNode(kind, dir, ServerProcess.FreePort());
        var conf = new List<string>
        {
            $"port {node.Port}",
            "bind 127.0.0.1",
            $"dir {dir}",
            $"logfile {node.LogPath}",
            "save \"\"",
            "enable-debug-command yes",
            "repl-diskless-sync-delay 0",
        };
        conf.AddRange(lines);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            node.Environment[name] = value;
        }

        await File.WriteAllLinesAsync(node.ConfigPath, conf);
        await node.RestartAsync();
        return node;
    }

    /// <summary>Starts the process again from the same config and directory.</summary>
    public async Task RestartAsync()
    {
        var psi = new ProcessStartInfo
        {
            FileName = Kind == ServerKind.Cinnabar ? Path.Combine(ServerProcess.RepoRoot, "cinnabar-server") : "/usr/bin/redis-server",
            WorkingDirectory = Dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(ConfigPath);
        foreach (var (name, value) in Environment)
        {
            psi.Environment[name] = value;
        }

        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"server exited with {_process.ExitCode}:\n{Log}");
            }

            try
            {
                await using var c = await RawConnection.ConnectAsync(Port);
                var reply = await c.CommandAsync("PING");
                if (reply.StartsWith('+') || reply.StartsWith('-'))
                {
                    return;
                }
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>kill -9 by PID, and wait until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            await p.WaitForExitAsync();
        }
    }

    /// <summary>Opens a connection, authenticated when <paramref name="password"/> is given.</summary>
    public async Task<RawConnection> ConnectAsync(string? password = null)
    {
        var c = await RawConnection.ConnectAsync(Port);
        if (password is not null)
        {
            Assert.Equal("+OK\r\n", await c.CommandAsync("AUTH", password));
        }

        return c;
    }

    /// <summary>One INFO field's value, or null.</summary>
    public static async Task<string?> InfoFieldAsync(RawConnection c, string section, string field)
    {
        var info = await c.CommandAsync("INFO", section);
        var m = Regex.Match(info, "^" + Regex.Escape(field) + ":(.*?)\r$", RegexOptions.Multiline);
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>Polls until <paramref name="condition"/> holds, failing with <paramref name="what"/> after the deadline.</summary>
    public static async Task WaitForAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("timed out waiting for " + what);
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the log contains <paramref name="text"/>.</summary>
    public Task WaitForLogAsync(string text, int seconds = 30) =>
        WaitForAsync(() => Task.FromResult(Log.Contains(text, StringComparison.Ordinal)), $"'{text}' in the log of {Kind}:{Port}:\n{Log}", seconds);

    /// <summary>Waits until INFO replication says master_link_status:up.</summary>
    public async Task WaitForLinkUpAsync(string? password = null, int seconds = 30)
    {
        await using var c = await ConnectAsync(password);
        await WaitForAsync(async () => await InfoFieldAsync(c, "replication", "master_link_status") == "up", $"link up on {Kind}:{Port}:\n{Log}", seconds);
    }

    /// <summary>Number of times <paramref name="text"/> occurs in the log.</summary>
    public int CountInLog(string text) => Regex.Count(Log, Regex.Escape(text));

    /// <summary>A long INFO field.</summary>
    public static async Task<long> InfoNumberAsync(RawConnection c, string section, string field) =>
        long.Parse(await InfoFieldAsync(c, section, field) ?? "-999", CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
