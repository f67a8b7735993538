// CLIENT PAUSE over real connections: a paused client's connection stops before the command,
// resumes the rest of its pipeline once released, and a pause ends on time with no traffic.
// Each runs on both client transports: the epoll event loop ("1") and async sockets ("0").
using Cinnabar.IntegrationTests.Infrastructure;
using Cinnabar.Server.Networking;

namespace Cinnabar.IntegrationTests;

public class ClientPauseTests
{
    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task WritesWaitForUnpauseAndThenTheWholePipelineRuns(string eventLoop)
    {
        await using var server = InProcessServer.Start(eventLoop);
        await using var admin = await RawConnection.ConnectAsync(server.Port);
        await using var writer = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal("+OK\r\n", await admin.CommandAsync("CLIENT", "PAUSE", "100000", "WRITE"));
        await writer.SendRawAsync("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n*1\r\n$4\r\nPING\r\n"u8.ToArray());
        Assert.True(await server.WaitForAsync(s => s.Dispatcher.Pause.PostponedCount == 1));
        Assert.Equal("$-1\r\n", await admin.CommandAsync("GET", "a"));
        Assert.Contains(" flags=b ", await admin.CommandAsync("CLIENT", "LIST"), StringComparison.Ordinal);
        Assert.Equal("+OK\r\n", await admin.CommandAsync("CLIENT", "UNPAUSE"));
        Assert.Equal("+OK\r\n", await writer.ReadReplyAsync());
        Assert.Equal("$1\r\n1\r\n", await writer.ReadReplyAsync());
        Assert.Equal("+PONG\r\n", await writer.ReadReplyAsync());
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task APauseEndsOnTimeWithoutAnyOtherTraffic(string eventLoop)
    {
        await using var server = InProcessServer.Start(eventLoop);
        await using var admin = await RawConnection.ConnectAsync(server.Port);
        await using var reader = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal("+OK\r\n", await admin.CommandAsync("CLIENT", "PAUSE", "300"));
        await reader.SendRawAsync("*1\r\n$4\r\nPING\r\n"u8.ToArray());
        Assert.Equal("+PONG\r\n", await reader.ReadReplyAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await server.WaitForAsync(s => s.Dispatcher.Pause.Type == PauseType.Off));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task ReadsAreNotHeldByAWritePause(string eventLoop)
    {
        await using var server = InProcessServer.Start(eventLoop);
        await using var admin = await RawConnection.ConnectAsync(server.Port);
        await using var reader = await RawConnection.ConnectAsync(server.Port);
        await admin.CommandAsync("CLIENT", "PAUSE", "100000", "WRITE");
        Assert.Equal("$-1\r\n", await reader.CommandAsync("GET", "x"));
        Assert.Equal("+PONG\r\n", await reader.CommandAsync("PING"));
        await admin.CommandAsync("CLIENT", "UNPAUSE");
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task AQueuedWriteTransactionWaitsButItsQueuingDoesNot(string eventLoop)
    {
        await using var server = InProcessServer.Start(eventLoop);
        await using var admin = await RawConnection.ConnectAsync(server.Port);
        await using var tx = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal("+OK\r\n", await tx.CommandAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await tx.CommandAsync("SET", "foo", "bar"));
        await admin.CommandAsync("CLIENT", "PAUSE", "60000", "WRITE");
        await tx.SendRawAsync(RawConnection.Encode("EXEC"u8.ToArray()));
        Assert.True(await server.WaitForAsync(s => s.Dispatcher.Pause.PostponedCount == 1));
        await admin.CommandAsync("CLIENT", "UNPAUSE");
        Assert.Equal("*1\r\n+OK\r\n", await tx.ReadReplyAsync());
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task AClientKilledWhilePausedIsForgotten(string eventLoop)
    {
        await using var server = InProcessServer.Start(eventLoop);
        await using var admin = await RawConnection.ConnectAsync(server.Port);
        await using var victim = await RawConnection.ConnectAsync(server.Port);
        var id = (await victim.CommandAsync("CLIENT", "ID"))[1..^2];
        await admin.CommandAsync("CLIENT", "PAUSE", "100000", "WRITE");
        await victim.SendRawAsync(RawConnection.Encode("SET"u8.ToArray(), "k"u8.ToArray(), "v"u8.ToArray()));
        Assert.True(await server.WaitForAsync(s => s.Dispatcher.Pause.PostponedCount == 1));
        Assert.Equal(":1\r\n", await admin.CommandAsync("CLIENT", "KILL", "ID", id));
        Assert.Equal(string.Empty, await victim.ReadToEndAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await server.WaitForAsync(s => s.Dispatcher.Pause.PostponedCount == 0));
        await admin.CommandAsync("CLIENT", "UNPAUSE");
        Assert.Equal("$-1\r\n", await admin.CommandAsync("GET", "k"));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task AClientThatDisconnectsWhilePausedNeverRunsItsCommand(string eventLoop)
    {
        await using var server = InProcessServer.Start(eventLoop);
        await using var admin = await RawConnection.ConnectAsync(server.Port);
        var leaver = await RawConnection.ConnectAsync(server.Port);
        await admin.CommandAsync("CLIENT", "PAUSE", "100000", "WRITE");
        await leaver.SendRawAsync(RawConnection.Encode("SET"u8.ToArray(), "gone"u8.ToArray(), "v"u8.ToArray()));
        Assert.True(await server.WaitForAsync(s => s.Dispatcher.Pause.PostponedCount == 1));
        await leaver.DisposeAsync();
        Assert.True(await server.WaitForAsync(s => s.Clients.Count == 1));
        Assert.Equal(0, server.Server.Dispatcher.Pause.PostponedCount);
        await admin.CommandAsync("CLIENT", "UNPAUSE");
        Assert.Equal("$-1\r\n", await admin.CommandAsync("GET", "gone"));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task CommandsSentWhilePausedRunInOrderAfterwards(string eventLoop)
    {
        await using var server = InProcessServer.Start(eventLoop);
        await using var admin = await RawConnection.ConnectAsync(server.Port);
        await using var writer = await RawConnection.ConnectAsync(server.Port);
        await admin.CommandAsync("CLIENT", "PAUSE", "100000", "WRITE");
        await writer.SendRawAsync(RawConnection.Encode("SET"u8.ToArray(), "k"u8.ToArray(), "1"u8.ToArray()));
        Assert.True(await server.WaitForAsync(s => s.Dispatcher.Pause.PostponedCount == 1));
        await writer.SendRawAsync(RawConnection.Encode("GET"u8.ToArray(), "k"u8.ToArray()));
        await writer.SendRawAsync("*1\r\n$4\r\nPI"u8.ToArray());
        await writer.SendRawAsync("NG\r\n"u8.ToArray());
        await admin.CommandAsync("CLIENT", "UNPAUSE");
        Assert.Equal("+OK\r\n", await writer.ReadReplyAsync());
        Assert.Equal("$1\r\n1\r\n", await writer.ReadReplyAsync());
        Assert.Equal("+PONG\r\n", await writer.ReadReplyAsync());
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task APipelineLargerThanTheReceiveBufferSentWhilePausedRunsWhollyInOrderAfterwards(string eventLoop)
    {
        // The postponed SET's arguments point into the receive buffer, so the input that follows
        // fills it up to its end and then waits in the socket until the client is released.
        await using var server = InProcessServer.Start(eventLoop);
        await using var admin = await RawConnection.ConnectAsync(server.Port);
        await using var writer = await RawConnection.ConnectAsync(server.Port);
        await admin.CommandAsync("CLIENT", "PAUSE", "100000", "WRITE");
        const int count = 2000;
        var value = new byte[100];
        Array.Fill(value, (byte)'v');
        var pipeline = new MemoryStream();
        for (int i = 0; i < count; i++)
        {
            pipeline.Write(RawConnection.Encode("SET"u8.ToArray(), System.Text.Encoding.ASCII.GetBytes($"k{i}"), value));
        }

        var sending = writer.SendRawAsync(pipeline.ToArray());
        Assert.True(await server.WaitForAsync(s => s.Dispatcher.Pause.PostponedCount == 1));
        Assert.Equal("$-1\r\n", await admin.CommandAsync("GET", "k0"));
        Assert.Equal("+OK\r\n", await admin.CommandAsync("CLIENT", "UNPAUSE"));
        await sending;
        for (int i = 0; i < count; i++)
        {
            Assert.Equal("+OK\r\n", await writer.ReadReplyAsync());
        }

        Assert.Equal($":{count}\r\n", await admin.CommandAsync("DBSIZE"));
    }
}
