// A second Cinnabar for differential test classes, serving its clients with the runtime's async
// sockets (CINNABAR_EVENT_LOOP=0) while DifferentialPair's Cinnabar uses the epoll event loop
// (the default on Linux x64), so one class fixture checks both transports against Redis.
namespace Cinnabar.IntegrationTests.Infrastructure;

/// <summary>Cinnabar on the async-socket transport, started once per test class.</summary>
public sealed class AsyncSocketsCinnabar : IAsyncLifetime
{
    public ServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await ServerProcess.StartAsync(ServerOptions.Cinnabar()
            .WithEnvironment("CINNABAR_EVENT_LOOP", "0")
            .With("enable-debug-command", "yes"));
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
