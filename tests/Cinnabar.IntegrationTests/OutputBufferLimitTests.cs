// client-output-buffer-limit for normal and pub/sub clients, on both servers: a subscriber that
// stops reading is closed once its pending output passes the hard limit (with Redis's log line),
// and a client whose own reply passes the normal class's limit gets none of it.
using System.Net.Sockets;
using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class OutputBufferLimitTests
{
    public static TheoryData<ServerKind> Kinds => new() { ServerKind.Cinnabar, ServerKind.Redis };

    private static ServerOptions Options(ServerKind kind) =>
        (kind == ServerKind.Redis ? ServerOptions.Redis() : ServerOptions.Cinnabar()).With("enable-debug-command", "yes");

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ASubscriberThatStopsReadingIsClosedAtThePubSubHardLimit(ServerKind kind)
    {
        await using var server = await ServerProcess.StartAsync(Options(kind));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal("+OK\r\n", await c.CommandAsync("CONFIG", "SET", "client-output-buffer-limit", "pubsub 200000 0 0"));

        // A subscriber that never reads after its SUBSCRIBE reply.
        using var subscriber = new TcpClient();
        subscriber.ReceiveBufferSize = 4096;
        await subscriber.ConnectAsync("127.0.0.1", server.Port);
        var stream = subscriber.GetStream();
        await stream.WriteAsync("SUBSCRIBE feed\r\n"u8.ToArray());
        var buf = new byte[256];
        int n = await stream.ReadAsync(buf);
        Assert.Contains("subscribe", Encoding.ASCII.GetString(buf, 0, n), StringComparison.Ordinal);

        string message = new('m', 4000);
        bool gone = false;
        for (int i = 0; i < 20000 && !gone; i++)
        {
            await c.CommandAsync("PUBLISH", "feed", message);
            if (i % 50 == 0)
            {
                gone = await c.CommandAsync("PUBSUB", "NUMSUB", "feed") == "*2\r\n$4\r\nfeed\r\n:0\r\n";
            }
        }

        Assert.True(gone, "the subscriber was never closed");
        await server.WaitForOutputAsync("scheduled to be closed ASAP for overcoming of output buffer limits", TimeSpan.FromSeconds(30));
        Assert.Equal("+PONG\r\n", await c.CommandAsync("PING"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task AReplyOverTheNormalHardLimitIsDroppedAndItsClientClosed(ServerKind kind)
    {
        await using var server = await ServerProcess.StartAsync(Options(kind));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        var items = Enumerable.Range(0, 150).Select(_ => new string('x', 1000)).ToArray();
        await c.CommandAsync(["RPUSH", "big", .. items]);
        Assert.Equal("+OK\r\n", await c.CommandAsync("CONFIG", "SET", "client-output-buffer-limit", "normal 100000 0 0"));

        using var victim = new TcpClient();
        await victim.ConnectAsync("127.0.0.1", server.Port);
        var stream = victim.GetStream();
        await stream.WriteAsync("LRANGE big 0 -1\r\n"u8.ToArray());
        var buf = new byte[65536];
        int total = 0;
        while (true)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(buf).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (IOException)
            {
                break;
            }

            if (n == 0)
            {
                break;
            }

            total += n;
        }

        Assert.Equal(0, total);
        Assert.Equal("+OK\r\n", await c.CommandAsync("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"));
        Assert.StartsWith("*150\r\n", await c.CommandAsync("LRANGE", "big", "0", "-1"), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task AHugeRandomReplyStopsMidRunAtTheLimitInsteadOfBeingBuiltWhole(ServerKind kind)
    {
        // HRANDFIELD with a count of -999999999 would be a reply of several GB: the command must
        // stop once its client is over the normal limit, and the server must go on serving.
        await using var server = await ServerProcess.StartAsync(Options(kind));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await c.CommandAsync("HSET", "h", "a", "b");
        await c.CommandAsync("SADD", "s", "x");
        await c.CommandAsync("ZADD", "z", "1", "m");
        Assert.Equal("+OK\r\n", await c.CommandAsync("CONFIG", "SET", "client-output-buffer-limit", "normal 1000000 0 0"));
        foreach (var command in new[] { new[] { "HRANDFIELD", "h", "-999999999" }, ["SRANDMEMBER", "s", "-999999999"], ["ZRANDMEMBER", "z", "-999999999"] })
        {
            await using var victim = await RawConnection.ConnectAsync(server.Port);
            await Assert.ThrowsAnyAsync<Exception>(() => victim.CommandAsync(command).WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal("+PONG\r\n", await c.CommandAsync("PING"));
        }
    }
}
