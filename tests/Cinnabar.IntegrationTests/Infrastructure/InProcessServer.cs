// A Cinnabar server hosted inside the test process on a free port, for tests that need settings
// the command line does not carry yet (maxclients, timeout, client-query-buffer-limit) or want
// to look at the server's state directly. It listens on real TCP like the executable.
using Cinnabar.Server;
using Cinnabar.Server.Config;
using Cinnabar.Server.Diagnostics;
using Cinnabar.Server.Hosting;

namespace Cinnabar.IntegrationTests.Infrastructure;

/// <summary>A server listening on 127.0.0.1 inside the test process.</summary>
internal sealed class InProcessServer : IAsyncDisposable
{
    private readonly ServerHost _host;
    private readonly StringWriter _log;

    private InProcessServer(ServerHost host, StringWriter log)
    {
        _host = host;
        _log = log;
    }

    public CinnabarServer Server => _host.Server;

    public int Port => _host.BoundEndPoints[0].Port;

    /// <summary>Everything logged so far.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static InProcessServer Start(Action<ServerConfig>? configure = null) => Start("1", configure);

    /// <summary>
    /// Starts a server whose clients are served by the epoll event loop (<paramref name="eventLoop"/>
    /// "1", the default on Linux x64) or by the runtime's async sockets ("0"), as the
    /// CINNABAR_EVENT_LOOP environment variable chooses for the executable.
    /// </summary>
    public static InProcessServer Start(string eventLoop, Action<ServerConfig>? configure = null)
    {
        // SavePoints empty like ServerProcess's `--save ""`: no snapshots in the test's directory.
        var config = new ServerConfig { Bind = ["127.0.0.1"], Port = ServerProcess.FreePort(), LogLevel = LogLevel.Verbose, SavePoints = [] };
        configure?.Invoke(config);
        var log = new StringWriter();
        var logger = new Logger(TimeProvider.System)
        {
            File = "/dev/null",
            Level = config.LogLevel,
            Sink = line =>
            {
                lock (log)
                {
                    log.WriteLine(line);
                }
            },
        };
        var server = new CinnabarServer(config, logger: logger);
        var host = new ServerHost(server) { UseEventLoop = eventLoop != "0" };
        if (!host.Listen())
        {
            throw new InvalidOperationException("could not listen");
        }

        host.Start();
        if (eventLoop == "0" && host.UsesEventLoop)
        {
            throw new InvalidOperationException("the async-socket transport was asked for but the event loop runs");
        }

        return new InProcessServer(host, log);
    }

    /// <summary>Polls <paramref name="condition"/> under the executor gate until it holds or the deadline passes.</summary>
    public async Task<bool> WaitForAsync(Func<CinnabarServer, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            lock (Server.Gate)
            {
                if (condition(Server))
                {
                    return true;
                }
            }

            await Task.Delay(10).ConfigureAwait(false);
        }

        return false;
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync().ConfigureAwait(false);
}
