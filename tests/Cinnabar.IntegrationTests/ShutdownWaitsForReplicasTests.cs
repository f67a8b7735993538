// SHUTDOWN on a primary whose replica lags (Redis 7.0's shutdown-timeout): the caller blocks, writes
// are paused and INFO shows shutdown_in_milliseconds while the primary waits for the replica's ACK;
// it exits once the replica has caught up, gives up at the deadline naming the lagging replica, or
// is cancelled with SHUTDOWN ABORT. The same steps run against a real redis-server 7.0.15 primary.
using System.Globalization;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class ShutdownWaitsForReplicasTests
{
    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task ShutdownWaitsUntilAStoppedReplicaHasCaughtUp(ServerKind kind)
    {
        await using var primary = await ReplicationNode.StartAsync(kind, "shutdown-timeout 300");
        await using var replica = await StartReplicaAsync(kind, primary);
        await using var p = await primary.ConnectAsync();
        await using var r = await replica.ConnectAsync();

        replica.Signal("STOP");
        try
        {
            Assert.Equal(":1\r\n", await p.CommandAsync("INCR", "k"));
            await using var caller = await primary.ConnectAsync();
            await caller.SendRawAsync(RawConnection.Encode("SHUTDOWN"u8.ToArray()));
            await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoNumberAsync(p, "server", "shutdown_in_milliseconds") > 0, "shutdown_in_milliseconds");
            Assert.Equal(1, await ReplicationNode.InfoNumberAsync(p, "clients", "blocked_clients"));
        }
        finally
        {
            replica.Signal("CONT");
        }

        await primary.WaitForLogAsync("ready to exit, bye bye");
        Assert.Equal("$1\r\n1\r\n", await r.CommandAsync("GET", "k"));
        Assert.Contains("Waiting for replicas before shutting down.", primary.Log);
        Assert.Contains("1 of 1 replicas are in sync when shutting down.", primary.Log);
        Assert.DoesNotContain("Lagging replica", primary.Log);
    }

    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task ShutdownGivesUpWaitingAtTheTimeoutAndNamesTheLaggingReplica(ServerKind kind)
    {
        await using var primary = await ReplicationNode.StartAsync(kind, "shutdown-timeout 1");
        await using var replica = await StartReplicaAsync(kind, primary);
        await using var p = await primary.ConnectAsync();
        replica.Signal("STOP");
        try
        {
            await p.CommandAsync("INCR", "k");
            await using var caller = await primary.ConnectAsync();
            await caller.SendRawAsync(RawConnection.Encode("SHUTDOWN"u8.ToArray()));
            await primary.WaitForLogAsync("ready to exit, bye bye");
        }
        finally
        {
            replica.Signal("CONT");
        }

        Assert.Matches(@"Lagging replica 127\.0\.0\.1:\d+ reported offset \d+ behind master, lag=\d+, state=online\.", primary.Log);
        Assert.Contains("0 of 1 replicas are in sync when shutting down.", primary.Log);
    }

    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task ShutdownAbortAnswersTheWaitingCallersAndWritesResume(ServerKind kind)
    {
        await using var primary = await ReplicationNode.StartAsync(kind, "shutdown-timeout 300");
        await using var replica = await StartReplicaAsync(kind, primary);
        await using var p = await primary.ConnectAsync();
        replica.Signal("STOP");
        var replies = new List<string>();
        try
        {
            await p.CommandAsync("INCR", "k");
            await using var first = await primary.ConnectAsync();
            await using var second = await primary.ConnectAsync();
            await first.SendRawAsync(RawConnection.Encode("SHUTDOWN"u8.ToArray()));
            await second.SendRawAsync(RawConnection.Encode("SHUTDOWN"u8.ToArray(), "NOSAVE"u8.ToArray()));
            await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoNumberAsync(p, "clients", "blocked_clients") == 2, "two blocked SHUTDOWN callers");
            replies.Add(await p.CommandAsync("SHUTDOWN", "ABORT"));
            replies.Add(await first.ReadReplyAsync());
            replies.Add(await second.ReadReplyAsync());
            replies.Add(await p.CommandAsync("SHUTDOWN", "ABORT"));
            replies.Add(await p.CommandAsync("INCR", "k"));
            replies.Add(await ReplicationNode.InfoFieldAsync(p, "server", "shutdown_in_milliseconds") ?? "none");
        }
        finally
        {
            replica.Signal("CONT");
        }

        Assert.Equal(
            ["+OK\r\n", "-ERR Errors trying to SHUTDOWN. Check logs.\r\n", "-ERR Errors trying to SHUTDOWN. Check logs.\r\n", "-ERR No shutdown in progress.\r\n", ":2\r\n", "none"],
            replies);
        Assert.Contains("Shutdown manually aborted.", primary.Log);
    }

    private static async Task<ReplicationNode> StartReplicaAsync(ServerKind kind, ReplicationNode primary)
    {
        var replica = await ReplicationNode.StartAsync(kind, $"replicaof 127.0.0.1 {primary.Port.ToString(CultureInfo.InvariantCulture)}");
        await replica.WaitForLinkUpAsync();
        await using var p = await primary.ConnectAsync();
        await using var r = await replica.ConnectAsync();
        await p.CommandAsync("SET", "k", "0");
        await ReplicationNode.WaitForAsync(async () => await r.CommandAsync("GET", "k") == "$1\r\n0\r\n", "the first write on the replica");
        await ReplicationNode.WaitForAsync(
            async () => (await p.CommandAsync("INFO", "replication")).Contains($"offset={await ReplicationNode.InfoNumberAsync(p, "replication", "master_repl_offset")},", StringComparison.Ordinal),
            "the replica's ACK of the whole stream");
        return replica;
    }
}
