using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

// Both client transports: the epoll event loop (default on Linux x64) and the runtime's async
// sockets (CINNABAR_EVENT_LOOP=0). Each keeps a half-parsed command's arguments pointing into
// its receive buffer, so pipelined input whose commands straddle reads exercises the buffer's
// move/grow path, and replies bigger than the socket buffer exercise partial writes.
public class PipelineTests
{
    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task PipelinedCommandsStraddlingReadBoundariesAreAllExecutedInOrder(string eventLoop)
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().WithEnvironment("CINNABAR_EVENT_LOOP", eventLoop));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        const int count = 600;
        var payload = new MemoryStream();
        for (int i = 0; i < count; i++)
        {
            // Sizes from 0 to ~40 KB, so some values are bigger than the initial 16 KB buffer.
            payload.Write(RawConnection.Encode("SET"u8.ToArray(), Key(i), Value(i)));
        }

        await c.SendRawAsync(payload.ToArray());
        for (int i = 0; i < count; i++)
        {
            Assert.Equal("+OK\r\n", await c.ReadReplyAsync());
        }

        var gets = new MemoryStream();
        for (int i = 0; i < count; i++)
        {
            gets.Write(RawConnection.Encode("GET"u8.ToArray(), Key(i)));
        }

        await c.SendRawAsync(gets.ToArray());
        for (int i = 0; i < count; i++)
        {
            var value = Value(i);
            Assert.Equal($"${value.Length}\r\n{Encoding.Latin1.GetString(value)}\r\n", await c.ReadReplyAsync());
        }
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task RepliesLargerThanTheSocketBufferArriveWholeAndInOrder(string eventLoop)
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().WithEnvironment("CINNABAR_EVENT_LOOP", eventLoop));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        var big = new byte[6 << 20];
        for (int i = 0; i < big.Length; i++)
        {
            big[i] = (byte)('A' + (i % 23));
        }

        Assert.Equal("+OK\r\n", await c.CommandAsync("SET"u8.ToArray(), "big"u8.ToArray(), big));

        // 18 MB of replies, then a PING: the server fills the socket and must finish later.
        var pipeline = new MemoryStream();
        for (int i = 0; i < 3; i++)
        {
            pipeline.Write(RawConnection.Encode("GET"u8.ToArray(), "big"u8.ToArray()));
        }

        pipeline.Write(RawConnection.Encode("PING"u8.ToArray()));
        await c.SendRawAsync(pipeline.ToArray());
        var expected = $"${big.Length}\r\n{Encoding.Latin1.GetString(big)}\r\n";
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expected, await c.ReadReplyAsync());
        }

        Assert.Equal("+PONG\r\n", await c.ReadReplyAsync());
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task AClientResetWithRepliesPendingDoesNotDisturbOthers(string eventLoop)
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().WithEnvironment("CINNABAR_EVENT_LOOP", eventLoop));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal("+OK\r\n", await c.CommandAsync("SET"u8.ToArray(), "big"u8.ToArray(), new byte[4 << 20]));
        for (int i = 0; i < 10; i++)
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync("127.0.0.1", server.Port);
            client.LingerState = new System.Net.Sockets.LingerOption(true, 0);
            var get = RawConnection.Encode("GET"u8.ToArray(), "big"u8.ToArray());
            await client.GetStream().WriteAsync(RawConnection.Encode("GET"u8.ToArray(), "big"u8.ToArray()).Concat(get).ToArray());
        }

        Assert.Equal("+PONG\r\n", await c.CommandAsync("PING"));
        Assert.Equal(":1\r\n", await c.CommandAsync("EXISTS", "big"));
    }

    private static byte[] Key(int i) => Encoding.ASCII.GetBytes($"key:{i}");

    private static byte[] Value(int i)
    {
        int length = (int)((i * 7919L) % 40000);
        var v = new byte[length];
        for (int j = 0; j < length; j++)
        {
            v[j] = (byte)('a' + ((i + j) % 26));
        }

        return v;
    }
}
