// A primary told REPLICAOF host port (Redis's replicationSetMaster -> disconnectAllBlockedClients):
// every client blocked in WAIT, in SHUTDOWN (waiting for lagging replicas) or on keys gets
// "-UNBLOCKED force unblock ..." and is disconnected, while a client held by CLIENT PAUSE is left
// alone (its command has not started: it runs, or is refused, under the new role). A SHUTDOWN
// whose caller was unblocked this way still goes on. The same steps run against redis-server 7.0.15.
using System.Globalization;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class RoleChangeUnblocksClientsTests
{
    private const string Unblocked = "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n";

    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task AClientBlockedInWaitIsUnblockedWithAnErrorAndDisconnectedWhenThePrimaryBecomesAReplica(ServerKind kind)
    {
        await using var other = await ReplicationNode.StartAsync(kind);
        await using var node = await ReplicationNode.StartAsync(kind);
        await using var admin = await node.ConnectAsync();
        await using var waiter = await node.ConnectAsync();
        Assert.Equal("+OK\r\n", await waiter.CommandAsync("SET", "k", "v"));
        await waiter.SendRawAsync(RawConnection.Encode("WAIT"u8.ToArray(), "1"u8.ToArray(), "0"u8.ToArray()));
        await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoNumberAsync(admin, "clients", "blocked_clients") == 1, "the WAIT to block");

        Assert.Equal("+OK\r\n", await admin.CommandAsync("REPLICAOF", "127.0.0.1", other.Port.ToString(CultureInfo.InvariantCulture)));

        Assert.Equal(Unblocked, await waiter.ReadReplyAsync());
        Assert.Equal(string.Empty, await waiter.ReadToEndAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, await ReplicationNode.InfoNumberAsync(admin, "clients", "blocked_clients"));
        Assert.Contains("\r\nerrorstat_UNBLOCKED:count=1\r\n", await admin.CommandAsync("INFO", "errorstats"));

        // The error is counted, but (unlike CLIENT UNBLOCK ... ERROR) not as a failed call.
        Assert.Matches(@"cmdstat_wait:calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=0\r\n", await admin.CommandAsync("INFO", "commandstats"));
    }

    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task AClientHeldByClientPauseIsNotUnblockedAndItsWriteIsRefusedOnceThePauseEnds(ServerKind kind)
    {
        await using var other = await ReplicationNode.StartAsync(kind);
        await using var node = await ReplicationNode.StartAsync(kind);
        await using var admin = await node.ConnectAsync();
        await using var writer = await node.ConnectAsync();
        await using var popper = await node.ConnectAsync();
        await popper.SendRawAsync(RawConnection.Encode("BLPOP"u8.ToArray(), "list"u8.ToArray(), "0"u8.ToArray()));
        await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoNumberAsync(admin, "clients", "blocked_clients") == 1, "the BLPOP to block");
        Assert.Equal("+OK\r\n", await admin.CommandAsync("CLIENT", "PAUSE", "100000", "WRITE"));
        await writer.SendRawAsync(RawConnection.Encode("SET"u8.ToArray(), "k"u8.ToArray(), "v"u8.ToArray()));
        await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoNumberAsync(admin, "clients", "blocked_clients") == 2, "the paused SET");

        Assert.Equal("+OK\r\n", await admin.CommandAsync("REPLICAOF", "127.0.0.1", other.Port.ToString(CultureInfo.InvariantCulture)));

        Assert.Equal(Unblocked, await popper.ReadReplyAsync());
        Assert.Equal(string.Empty, await popper.ReadToEndAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, await ReplicationNode.InfoNumberAsync(admin, "clients", "blocked_clients"));
        Assert.Equal("+OK\r\n", await admin.CommandAsync("CLIENT", "UNPAUSE"));
        Assert.Equal("-READONLY You can't write against a read only replica.\r\n", await writer.ReadReplyAsync());
        Assert.Equal("+PONG\r\n", await writer.CommandAsync("PING"));
    }

    [Theory]
    [InlineData(ServerKind.Redis)]
    [InlineData(ServerKind.Cinnabar)]
    public async Task AShutdownCallerIsUnblockedWithAnErrorWhenThePrimaryBecomesAReplicaAndTheShutdownGoesOn(ServerKind kind)
    {
        await using var other = await ReplicationNode.StartAsync(kind);
        await using var node = await ReplicationNode.StartAsync(kind, "shutdown-timeout 300");
        await using var replica = await ReplicationNode.StartAsync(kind, $"replicaof 127.0.0.1 {node.Port.ToString(CultureInfo.InvariantCulture)}");
        await replica.WaitForLinkUpAsync();
        await using var admin = await node.ConnectAsync();
        replica.Signal("STOP");
        try
        {
            Assert.Equal(":1\r\n", await admin.CommandAsync("INCR", "k"));
            await using var caller = await node.ConnectAsync();
            await caller.SendRawAsync(RawConnection.Encode("SHUTDOWN"u8.ToArray()));
            await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoNumberAsync(admin, "server", "shutdown_in_milliseconds") > 0, "shutdown_in_milliseconds");

            Assert.Equal("+OK\r\n", await admin.CommandAsync("REPLICAOF", "127.0.0.1", other.Port.ToString(CultureInfo.InvariantCulture)));

            Assert.Equal(Unblocked, await caller.ReadReplyAsync());
            Assert.Equal(string.Empty, await caller.ReadToEndAsync(TimeSpan.FromSeconds(10)));

            // The sync with the new primary drops the stopped replica, so nothing is left to
            // wait for: the shutdown that was still initiated finishes.
            await node.WaitForLogAsync("ready to exit, bye bye");
        }
        finally
        {
            replica.Signal("CONT");
        }

        Assert.Contains("Waiting for replicas before shutting down.", node.Log);
        Assert.DoesNotContain("Shutdown manually aborted.", node.Log);
    }
}
