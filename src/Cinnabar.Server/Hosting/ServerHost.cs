// Wires a CinnabarServer to the outside world: listening sockets, the accept loops, the cron
// timer and the startup/shutdown messages in Redis's words.
using System.Net;
using System.Net.Sockets;

using Cinnabar.Server.Execution;
using Cinnabar.Server.Networking;

namespace Cinnabar.Server.Hosting;

/// <summary>Runs a server until shutdown.</summary>
internal sealed class ServerHost : IAsyncDisposable
{
    /// <summary>The Redis version we implement (INFO redis_version, HELLO version).</summary>
    public const string RedisVersion = "7.0.15";

    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _tasks = [];
    private readonly ServerCron _cron;
    private readonly OomScoreAdjuster _oomScore = new();
    private Timer? _cronTimer;
    private bool _started;
    private EventLoop? _loop;

    public ServerHost(CinnabarServer server)
    {
        Server = server;
        _cron = new ServerCron(server);
    }

    /// <summary>Cinnabar's own version (INFO cinnabar_version).</summary>
    public static string CinnabarVersion => typeof(ServerHost).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public CinnabarServer Server { get; }


    /// <summary>The TCP ports actually bound (useful with port 0 in tests).</summary>
    public List<IPEndPoint> BoundEndPoints { get; } = [];

    /// <summary>The unix socket listener's path, when one is open.</summary>
    public string? UnixSocketPath { get; private set; }

    /// <summary>
    /// False serves clients with the runtime's async sockets even where the event loop runs (as
    /// CINNABAR_EVENT_LOOP=0 does); set before Start. Tests run both transports in one process.
    /// </summary>
    public bool UseEventLoop { get; set; } = true;

    /// <summary>True once Start has chosen the epoll event loop for clients.</summary>
    public bool UsesEventLoop => _loop is not null;

    /// <summary>Binds the listeners; returns false (after logging Redis's messages) when a mandatory bind fails.</summary>
    public bool Listen()
    {
        var config = Server.Config;
        if (!TryBindTcp(config.Bind, config.Port, out var sockets))
        {
            Server.Log.Warning($"Failed listening on port {config.Port} (TCP), aborting.");
            return false;
        }

        AddListeners(sockets);
        if (config.UnixSocket.Length > 0)
        {
            var path = config.UnixSocket;
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                // Redis unlinks a stale socket file first and does not care if that fails.
                File.Delete(path);
                socket.Bind(new UnixDomainSocketEndPoint(path));
                socket.Listen(config.TcpBacklog);
                if (config.UnixSocketPerm != 0 && !OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, (UnixFileMode)config.UnixSocketPerm);
                }
            }
            catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
            {
                socket.Dispose();
                Server.Log.Warning($"Failed opening Unix socket: {(e is SocketException se ? $"bind: {se.Message}" : OsErrorText(e))}");
                return false;
            }

            UnixSocketPath = path;
            lock (_listeners)
            {
                _listeners.Add(socket);
            }
        }

        Server.Config.ApplyHook = ApplyConfig;
        _oomScore.Apply(Server.Config, Server.IsReplica, Server.Log);
        return true;
    }

    /// <summary>Closes the listeners and removes the unix socket file, logging as Redis does.</summary>
    public void CloseListeners()
    {
        lock (_listeners)
        {
            foreach (var l in _listeners)
            {
                l.Dispose();
            }

            _listeners.Clear();
        }

        if (UnixSocketPath is not null)
        {
            Server.Log.Notice("Removing the unix socket file.");
            try
            {
                File.Delete(UnixSocketPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Server.Log.Warning($"Error removing the unix socket file: {OsErrorText(e)}");
            }

            UnixSocketPath = null;
        }
    }

    private static string OsErrorText(Exception e) => Config.OsError.Describe(e);

    // CONFIG SET port / bind: bind the new set first and only then close the old one, so a
    // failure leaves the server listening where it was (Redis's changeListenPort/changeBindAddr).
    private string? ApplyConfig(string name)
    {
        if (name == "hz")
        {
            // Redis's updateHZ: the cron runs at the new frequency from now on.
            int period = Math.Max(1, 1000 / Math.Clamp(Server.Config.Hz, 1, 500));
            _cronTimer?.Change(period, period);
            return null;
        }

        if (name == "repl-backlog-size")
        {
            // resizeReplicationBacklog: a smaller backlog is trimmed now, not at the next write.
            Server.Replication.Trim();
            return null;
        }

        if (name is "oom-score-adj" or "oom-score-adj-values")
        {
            return _oomScore.Apply(Server.Config, Server.IsReplica, Server.Log) ? null : "Failed to set current oom_score_adj. Check server logs.";
        }

        if (name is not ("port" or "bind"))
        {
            return null;
        }

        var config = Server.Config;
        if (!TryBindTcp(config.Bind, config.Port, out var sockets))
        {
            return name == "port" ? "Unable to listen on this port. Check server logs." : "Failed to bind to specified addresses.";
        }

        List<Socket> old;
        lock (_listeners)
        {
            old = [.. _listeners.Where(l => l.AddressFamily != AddressFamily.Unix)];
            _listeners.RemoveAll(old.Contains);
        }

        foreach (var l in old)
        {
            l.Dispose();
        }

        BoundEndPoints.Clear();
        AddListeners(sockets);
        if (_started)
        {
            foreach (var l in sockets)
            {
                _tasks.Add(Task.Run(() => AcceptLoopAsync(l)));
            }
        }

        return null;
    }

    private void AddListeners(List<Socket> sockets)
    {
        lock (_listeners)
        {
            foreach (var socket in sockets)
            {
                _listeners.Add(socket);
                BoundEndPoints.Add((IPEndPoint)socket.LocalEndPoint!);
            }
        }
    }

    // listenToPort: every address of bind; a "-" prefix makes an address optional (skipped
    // when the address family or address is unavailable). Port 0 means no TCP listener.
    private bool TryBindTcp(List<string> bind, int port, out List<Socket> bound)
    {
        bound = [];
        if (port == 0)
        {
            return true;
        }

        // An empty bind list means "all interfaces", like Redis's bindaddr_count == 0.
        IEnumerable<string> addresses = bind.Count == 0 ? ["*", "-::*"] : bind;
        foreach (var raw in addresses)
        {
            bool optional = raw.StartsWith('-');
            var addr = optional ? raw[1..] : raw;
            IPAddress? ip = addr switch
            {
                "*" => IPAddress.Any,
                "::*" => IPAddress.IPv6Any,
                _ => IPAddress.TryParse(addr, out var parsed) ? parsed : null,
            };
            if (ip is null)
            {
                Server.Log.Warning($"Warning: Could not create server TCP listening socket {addr}:{port}: Name or service not known");
                if (optional)
                {
                    continue;
                }

                DisposeAll(bound);
                return false;
            }

            var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (ip.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    socket.DualMode = false;
                }

                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(ip, port));
                socket.Listen(Server.Config.TcpBacklog);
                bound.Add(socket);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                if (optional && e.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.AddressNotAvailable or SocketError.ProtocolNotSupported)
                {
                    continue;
                }

                Server.Log.Warning($"Warning: Could not create server TCP listening socket {addr}:{port}: bind: {e.Message}");
                DisposeAll(bound);
                return false;
            }
        }

        return true;
    }

    private static void DisposeAll(List<Socket> sockets)
    {
        foreach (var s in sockets)
        {
            s.Dispose();
        }

        sockets.Clear();
    }

    /// <summary>Starts accepting clients and the cron.</summary>
    public void Start()
    {
        // Clients are served by the epoll event loop where it runs (Linux x64), else by the
        // runtime's async sockets (ClientConnection).
        _loop = UseEventLoop ? EventLoop.TryCreate() : null;
        if (_loop is not null)
        {
            _loop.Unhandled = e => Server.Log.Warning($"Client dropped after an internal error: {e.GetType().Name}: {e.Message}");
            lock (Server.Gate)
            {
                Server.Loop = _loop;
            }
        }

        lock (_listeners)
        {
            foreach (var l in _listeners)
            {
                _tasks.Add(Task.Run(() => AcceptLoopAsync(l)));
            }

            _started = true;
        }

        int period = Math.Max(1, 1000 / Math.Clamp(Server.Config.Hz, 1, 500));
        _cronTimer = new Timer(_ => CronTick(), null, period, period);
    }

    /// <summary>Stops listening and closes every client.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_cronTimer is not null)
        {
            await _cronTimer.DisposeAsync().ConfigureAwait(false);
        }

        CloseListeners();

        List<IClientTransport> transports;
        lock (Server.Gate)
        {
            transports = [.. Server.Clients.Values.Select(c => c.Transport).OfType<IClientTransport>()];
        }

        foreach (var t in transports)
        {
            t.Close();
        }

        _loop?.Dispose();
    }

    private void CronTick()
    {
        try
        {
            lock (Server.Gate)
            {
                _cron.Tick();
            }
        }
        catch (InvalidOperationException e)
        {
            Server.Log.Warning($"Cron error: {e.Message}");
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode != SocketError.OperationAborted)
            {
                Server.Log.Warning($"Accepting client connection: {e.Message}");
                continue;
            }
            catch (SocketException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        bool unix = socket.AddressFamily == AddressFamily.Unix;
        if (!unix)
        {
            socket.NoDelay = true;
            if (Server.Config.TcpKeepAlive > 0)
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, Server.Config.TcpKeepAlive);
            }
        }

        var remote = socket.RemoteEndPoint as IPEndPoint;
        var local = socket.LocalEndPoint as IPEndPoint;
        ClientSession session;
        lock (Server.Gate)
        {
            if (Server.Clients.Count >= Server.Config.MaxClients)
            {
                Server.Stats.RejectedConnections++;
                TrySendAndClose(socket, "-ERR max number of clients reached\r\n"u8.ToArray());
                return;
            }

            if (ProtectedModeRefuses(Server.Config, remote))
            {
                Server.Stats.RejectedConnections++;
                TrySendAndClose(socket, System.Text.Encoding.ASCII.GetBytes(ProtectedModeMessage));
                return;
            }

            // Redis counts a connection (total_connections_received) only once it is accepted.
            Server.Stats.ConnectionsReceived++;
            session = Server.CreateClient();

            // Unix socket clients show as "<path>:0" in CLIENT LIST, as in Redis.
            session.Address = unix ? $"{Server.Config.UnixSocket}:0" : FormatEndPoint(remote);
            session.LocalAddress = unix ? $"{Server.Config.UnixSocket}:0" : FormatEndPoint(local);
            session.Fd = socket.Handle.ToInt64();
        }

        Server.Log.Verbose($"Accepted {session.Address}");
        if (_loop is not null)
        {
            var looped = new LoopConnection(Server, _loop, socket, session);
            _loop.Post(looped.Start);
            return;
        }

        var connection = new ClientConnection(Server, socket, session);
        await connection.RunAsync().ConfigureAwait(false);
    }

    /// <summary>Formats an endpoint as Redis does ("1.2.3.4:5" or "::1:5").</summary>
    public static string FormatEndPoint(IPEndPoint? ep)
    {
        if (ep is null)
        {
            return "?:0";
        }

        var a = ep.Address.IsIPv4MappedToIPv6 ? ep.Address.MapToIPv4() : ep.Address;
        return $"{a}:{ep.Port}";
    }

    internal const string ProtectedModeMessage = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

    // Redis 7.0 refuses clients other than 127.0.0.1 and ::1 while protected mode is on and the
    // default user has no password, whatever the bind addresses (clientAcceptHandler, islocalClient).
    internal static bool ProtectedModeRefuses(Config.ServerConfig c, IPEndPoint? remote)
    {
        if (!c.ProtectedMode || c.RequirePass.Length > 0 || remote is null)
        {
            return false;
        }

        var ip = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
        return !ip.Equals(IPAddress.Loopback) && !ip.Equals(IPAddress.IPv6Loopback);
    }

    private static void TrySendAndClose(Socket socket, byte[] message)
    {
        try
        {
            socket.Send(message);
        }
        catch (SocketException)
        {
            // The client is gone anyway.
        }
        finally
        {
            socket.Dispose();
        }
    }
}
