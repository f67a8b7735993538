// Connection-level limits and clients: maxclients, idle timeout, the query buffer limit with
// Redis's log line, and StackExchange.Redis with a password and with RESP3. Each runs on both
// client transports: the epoll event loop ("1") and async sockets ("0").
using Cinnabar.IntegrationTests.Infrastructure;

using StackExchange.Redis;

namespace Cinnabar.IntegrationTests;

public class ConnectionLimitTests
{
    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task ConnectionsBeyondMaxclientsAreRefusedWithRedisError(string eventLoop)
    {
        await using var server = InProcessServer.Start(eventLoop, c => c.MaxClients = 1);
        await using var first = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal("+PONG\r\n", await first.CommandAsync("PING"));
        await using var second = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal("-ERR max number of clients reached\r\n", await second.ReadToEndAsync(TimeSpan.FromSeconds(30)));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task IdleClientsAreClosedAfterTheTimeout(string eventLoop)
    {
        await using var server = InProcessServer.Start(eventLoop, c => c.Timeout = 1);
        await using var idle = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal("+PONG\r\n", await idle.CommandAsync("PING"));
        Assert.Equal(string.Empty, await idle.ReadToEndAsync(TimeSpan.FromSeconds(30)));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task QueryBufferLimitClosesTheClientAndLogsLikeRedis(string eventLoop)
    {
        await using var server = InProcessServer.Start(eventLoop, c => c.ClientQueryBufferLimit = 1024 * 1024);
        await using var big = await RawConnection.ConnectAsync(server.Port);
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'x');
        try
        {
            await big.SendRawAsync("*2\r\n$3\r\nGET\r\n$4000000\r\n"u8.ToArray());
            for (int i = 0; i < 40; i++)
            {
                await big.SendRawAsync(chunk);
            }
        }
        catch (IOException)
        {
            // Closed by the server while we were still sending.
        }

        Assert.Equal(string.Empty, await big.ReadToEndAsync(TimeSpan.FromSeconds(30)));
        Assert.Matches(@"Closing client that reached max query buffer length: id=\d+ addr=\S+ laddr=\S+ fd=\d+ name= .* resp=2 \(qbuf initial bytes: ""x{64}""\)", server.Log);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task ProtocolErrorsAreLoggedAtVerboseLevelWithTheClientAndTheInput(string eventLoop)
    {
        await using var server = InProcessServer.Start(eventLoop);
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await c.SendRawAsync("*1\r\nfoo\r\n"u8.ToArray());
        Assert.Equal("-ERR Protocol error: expected '$', got 'f'\r\n", await c.ReadToEndAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await server.WaitForAsync(_ => server.Log.Contains("Protocol error (Protocol error: expected '$', got 'f') from client: id=", StringComparison.Ordinal)));
        Assert.Contains(". Query buffer during protocol error: 'foo..'", server.Log, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task StackExchangeRedisAuthenticatesWithAPassword(string eventLoop)
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().WithEnvironment("CINNABAR_EVENT_LOOP", eventLoop).With("requirepass", "pw1"));
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},password=pw1");
        var db = mux.GetDatabase();
        Assert.True(await db.StringSetAsync("k", "v"));
        Assert.Equal("v", (string?)await db.StringGetAsync("k"));
        var tran = db.CreateTransaction();
        tran.AddCondition(Condition.StringEqual("k", "v"));
        _ = tran.StringSetAsync("k", "w");
        Assert.True(await tran.ExecuteAsync());
        Assert.Equal("w", (string?)await db.StringGetAsync("k"));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task StackExchangeRedisRejectsAWrongPassword(string eventLoop)
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().WithEnvironment("CINNABAR_EVENT_LOOP", eventLoop).With("requirepass", "pw1"));
        await Assert.ThrowsAsync<RedisConnectionException>(async () =>
        {
            await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},password=wrong,abortConnect=true,connectTimeout=5000");
        });
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task StackExchangeRedisSpeaksResp3(string eventLoop)
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().WithEnvironment("CINNABAR_EVENT_LOOP", eventLoop));
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},protocol=resp3");
        var db = mux.GetDatabase();
        Assert.True(await db.StringSetAsync("k", "v"));
        Assert.Equal("v", (string?)await db.StringGetAsync("k"));
        Assert.False((await db.StringGetAsync("missing")).HasValue);
        Assert.Equal(RedisProtocol.Resp3, mux.GetServer(mux.GetEndPoints()[0]).Protocol);
        var tran = db.CreateTransaction();
        tran.AddCondition(Condition.KeyNotExists("fresh"));
        _ = tran.StringSetAsync("fresh", "1");
        Assert.True(await tran.ExecuteAsync());
    }
}
