using Cinnabar.IntegrationTests.Infrastructure;

using StackExchange.Redis;

namespace Cinnabar.IntegrationTests;

public class BasicServerTests
{
    [Fact]
    public async Task StackExchangeRedisCanSetAndGetOverTcp()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar());
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},allowAdmin=true");
        var db = mux.GetDatabase();
        Assert.True(await db.StringSetAsync("greeting", "hello"));
        Assert.Equal("hello", (string?)await db.StringGetAsync("greeting"));
        Assert.False((await db.StringGetAsync("missing")).HasValue);
    }

    [Fact]
    public async Task StartupLogHasThePidLineAndReadiness()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("always-show-logo", "yes"));
        await server.WaitForOutputAsync("Ready to accept connections", TimeSpan.FromSeconds(30));
        Assert.Contains($" PID: {server.Pid}", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProtocolErrorRepliesThenClosesTheConnection()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar());
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await c.SendRawAsync("*1\r\n+bad\r\n"u8.ToArray());
        var rest = await c.ReadToEndAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("-ERR Protocol error: expected '$', got '+'\r\n", rest);
    }
}
