// sd_notify without libsystemd: one datagram to the unix socket named by NOTIFY_SOCKET
// ('@' names an abstract socket), as supervised systemd expects from a Type=notify service.
using System.Net.Sockets;
using System.Text;

namespace Cinnabar.Server.Hosting;

/// <summary>Sends readiness and status messages to systemd.</summary>
internal static class SystemdNotifier
{
    /// <summary>The environment variable systemd sets for Type=notify services.</summary>
    public const string SocketVariable = "NOTIFY_SOCKET";

    /// <summary>True when NOTIFY_SOCKET is set.</summary>
    public static bool Available => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(SocketVariable));

    /// <summary>Sends one message ("READY=1\n"); returns false when there is no socket or sending fails.</summary>
    public static bool Notify(string message)
    {
        var path = Environment.GetEnvironmentVariable(SocketVariable);
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }

        if (path[0] == '@')
        {
            path = "\0" + path[1..];
        }

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(message), new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
