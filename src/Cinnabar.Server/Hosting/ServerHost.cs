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
    private Timer? _cronTimer;

    public ServerHost(CinnabarServer server)
    {
        Server = server;
        _cron = new ServerCron(server);
    }

    /// <summary>Cinnabar's own version (INFO cinnabar_version).</summary>
    public static string CinnabarVersion => typeof(ServerHost).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public CinnabarServer Server { get; }

    /// <summary>The cron (for INFO's instantaneous figures).</summary>
    public ServerCron Cron => _cron;

    /// <summary>The TCP ports actually bound (useful with port 0 in tests).</summary>
    public List<IPEndPoint> BoundEndPoints { get; } = [];

    /// <summary>Binds the listeners; returns false (after logging Redis's messages) when a mandatory bind fails.</summary>
    public bool Listen()
    {
        var config = Server.Config;
        if (config.Port == 0)
        {
            return true;
        }

        foreach (var raw in config.Bind)
        {
            bool optional = raw.StartsWith('-');
            var addr = optional ? raw[1..] : raw;
            IPAddress ip;
            if (addr == "*")
            {
                ip = IPAddress.Any;
            }
            else if (addr == "::*")
            {
                ip = IPAddress.IPv6Any;
            }
            else if (!IPAddress.TryParse(addr, out ip!))
            {
                Server.Log.Warning($"Warning: Could not create server TCP listening socket {addr}:{config.Port}: Name or service not known");
                if (optional)
                {
                    continue;
                }

                Server.Log.Warning($"Failed listening on port {config.Port} (TCP), aborting.");
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
                socket.Bind(new IPEndPoint(ip, config.Port));
                socket.Listen(config.TcpBacklog);
                _listeners.Add(socket);
                BoundEndPoints.Add((IPEndPoint)socket.LocalEndPoint!);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                if (optional && e.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.AddressNotAvailable)
                {
                    continue;
                }

                Server.Log.Warning($"Warning: Could not create server TCP listening socket {addr}:{config.Port}: bind: {e.Message}");
                Server.Log.Warning($"Failed listening on port {config.Port} (TCP), aborting.");
                return false;
            }
        }

        return true;
    }

    /// <summary>Starts accepting clients and the cron.</summary>
    public void Start()
    {
        foreach (var l in _listeners)
        {
            _tasks.Add(Task.Run(() => AcceptLoopAsync(l)));
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

        foreach (var l in _listeners)
        {
            l.Dispose();
        }

        List<IClientTransport> transports;
        lock (Server.Gate)
        {
            transports = [.. Server.Clients.Values.Select(c => c.Transport).OfType<IClientTransport>()];
        }

        foreach (var t in transports)
        {
            t.Close();
        }
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
        socket.NoDelay = true;
        if (Server.Config.TcpKeepAlive > 0)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, Server.Config.TcpKeepAlive);
        }

        var remote = (IPEndPoint?)socket.RemoteEndPoint;
        var local = (IPEndPoint?)socket.LocalEndPoint;
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
            session.Address = FormatEndPoint(remote);
            session.LocalAddress = FormatEndPoint(local);
            session.Fd = socket.Handle.ToInt64();
        }

        Server.Log.Verbose($"Accepted {session.Address}");
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
