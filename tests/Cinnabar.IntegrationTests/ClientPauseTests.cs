// CLIENT PAUSE over real connections: a paused client's connection stops before the command,
// resumes the rest of its pipeline once released, and a pause ends on time with no traffic.
using Cinnabar.IntegrationTests.Infrastructure;
using Cinnabar.Server.Networking;

namespace Cinnabar.IntegrationTests;

public class ClientPauseTests
{
    [Fact]
    public async Task WritesWaitForUnpauseAndThenTheWholePipelineRuns()
    {
        await using var server = InProcessServer.Start();
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

    [Fact]
    public async Task APauseEndsOnTimeWithoutAnyOtherTraffic()
    {
        await using var server = InProcessServer.Start();
        await using var admin = await RawConnection.ConnectAsync(server.Port);
        await using var reader = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal("+OK\r\n", await admin.CommandAsync("CLIENT", "PAUSE", "300"));
        await reader.SendRawAsync("*1\r\n$4\r\nPING\r\n"u8.ToArray());
        Assert.Equal("+PONG\r\n", await reader.ReadReplyAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await server.WaitForAsync(s => s.Dispatcher.Pause.Type == PauseType.Off));
    }

    [Fact]
    public async Task ReadsAreNotHeldByAWritePause()
    {
        await using var server = InProcessServer.Start();
        await using var admin = await RawConnection.ConnectAsync(server.Port);
        await using var reader = await RawConnection.ConnectAsync(server.Port);
        await admin.CommandAsync("CLIENT", "PAUSE", "100000", "WRITE");
        Assert.Equal("$-1\r\n", await reader.CommandAsync("GET", "x"));
        Assert.Equal("+PONG\r\n", await reader.CommandAsync("PING"));
        await admin.CommandAsync("CLIENT", "UNPAUSE");
    }

    [Fact]
    public async Task AQueuedWriteTransactionWaitsButItsQueuingDoesNot()
    {
        await using var server = InProcessServer.Start();
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

    [Fact]
    public async Task AClientKilledWhilePausedIsForgotten()
    {
        await using var server = InProcessServer.Start();
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

    [Fact]
    public async Task AClientThatDisconnectsWhilePausedNeverRunsItsCommand()
    {
        await using var server = InProcessServer.Start();
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

    [Fact]
    public async Task CommandsSentWhilePausedRunInOrderAfterwards()
    {
        await using var server = InProcessServer.Start();
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
}
