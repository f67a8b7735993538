// Runs commands through the real dispatcher on a fresh server, without sockets, on a fake clock.
using System.Text;

using Cinnabar.Protocol;
using Cinnabar.Server.Config;
using Cinnabar.Server.Networking;

namespace Cinnabar.Server.Tests.Infrastructure;

/// <summary>A server and one client, driven command by command.</summary>
internal sealed class ServerHarness
{
    public ServerHarness(Action<ServerConfig>? configure = null)
    {
        // Like the integration tests' `--save ""`: no snapshots written into the test's directory
        // by the cron's save points, SHUTDOWN or FLUSHALL.
        var config = new ServerConfig { SavePoints = [] };
        configure?.Invoke(config);
        Server = new CinnabarServer(config, Time);
        Client = Server.CreateClient();
    }

    public FakeTime Time { get; } = new();

    public CinnabarServer Server { get; }

    public ClientSession Client { get; }

    /// <summary>Creates another client on the same server.</summary>
    public ClientSession NewClient() => Server.CreateClient();

    /// <summary>Runs one command and returns the raw reply bytes as a Latin-1 string.</summary>
    public string Run(params string[] args) => Run(Client, args);

    /// <summary>Runs one command as <paramref name="client"/>.</summary>
    public string Run(ClientSession client, params string[] args)
    {
        client.Output.Clear();
        lock (Server.Gate)
        {
            Server.Dispatcher.Process(client, CommandArgs.FromStrings(args));
        }

        var reply = Encoding.Latin1.GetString(client.Output.WrittenSpan);
        client.Output.Clear();
        return reply;
    }
}
