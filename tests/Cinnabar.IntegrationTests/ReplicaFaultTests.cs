// A Cinnabar replica facing a broken primary (a fake one that sends a corrupt or truncated
// snapshot): it says why, keeps the data it had, and retries. Plus the replica's error replies
// and ROLE/INFO shapes, compared with a real redis-server replica in the same situation.
using System.Net;
using System.Net.Sockets;
using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class ReplicaFaultTests
{
    [Theory]
    [InlineData("corrupt")]
    [InlineData("truncated")]
    [InlineData("corrupt-eof")]
    public async Task ABadTransferKeepsTheOldDataAndSaysWhy(string fault)
    {
        using var fake = new FakePrimary(fault);
        await using var replica = await ReplicationNode.StartAsync(ServerKind.Cinnabar);
        await using var r = await replica.ConnectAsync();
        await r.CommandAsync("SET", "precious", "data");
        await r.CommandAsync("SET", "other", "value");
        Assert.Equal("+OK\r\n", await r.CommandAsync("REPLICAOF", "127.0.0.1", fake.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await ReplicationNode.WaitForAsync(() => Task.FromResult(fake.Transfers >= 2), "a retry after the bad transfer");

        // The replica keeps retrying, and while it loads a received snapshot it answers
        // -LOADING (as Redis does): ask between two attempts.
        async Task<string> BetweenLoads(params string[] command)
        {
            string reply = "";
            await ReplicationNode.WaitForAsync(async () => !(reply = await r.CommandAsync(command)).StartsWith("-LOADING", StringComparison.Ordinal), "a reply between two loads");
            return reply;
        }

        Assert.Equal("$4\r\ndata\r\n", await BetweenLoads("GET", "precious"));
        Assert.Equal(":2\r\n", await BetweenLoads("DBSIZE"));
        var info = await r.CommandAsync("INFO", "replication");
        Assert.Contains("master_link_status:down\r\n", info);
        if (fault == "truncated")
        {
            Assert.Contains("I/O error trying to sync with MASTER: connection lost", replica.Log);
            Assert.Contains("master_link_down_reason:connection lost during the transfer", info);
        }
        else
        {
            Assert.Contains("Failed trying to load the MASTER synchronization DB from disk", replica.Log);
            Assert.Contains("the received RDB was not loaded; the previous dataset (2 keys) is kept", replica.Log);
            Assert.Contains("master_link_down_reason:protocol error: bad RDB from the primary", info);
        }

        // Stopping the retries (the fake keeps failing) leaves no temp file and no dump.rdb behind.
        Assert.Equal("+OK\r\n", await BetweenLoads("REPLICAOF", "NO", "ONE"));
        await ReplicationNode.WaitForAsync(() => Task.FromResult(Directory.GetFiles(replica.Dir, "temp-*.rdb").Length == 0), "temp files to be removed");
        Assert.False(File.Exists(Path.Combine(replica.Dir, "dump.rdb")));
        Assert.Equal(":2\r\n", await BetweenLoads("DBSIZE"));
    }

    // Redis retries a failed attempt on its once-a-second cron tick; a Cinnabar replica retries
    // after 100 ms during the first second of failures, then backs off to that once-a-second
    // pace. The bounds are loose (the expected span of the first six attempts is 0.5 s, Redis's
    // 5 s); the later gaps must not be shorter than the ladder says (a timer never fires early).
    [Fact]
    public async Task AFailedAttemptIsRetriedWithinTheSecondThenOnceASecond()
    {
        using var refuser = new HangingUpPrimary();
        await using var replica = await ReplicationNode.StartAsync(ServerKind.Cinnabar);
        await using var r = await replica.ConnectAsync();
        Assert.Equal("+OK\r\n", await r.CommandAsync("REPLICAOF", "127.0.0.1", refuser.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await ReplicationNode.WaitForAsync(() => Task.FromResult(refuser.Attempts.Count >= 16), "sixteen connection attempts");
        string info = await r.CommandAsync("INFO", "replication");
        Assert.Equal("+OK\r\n", await r.CommandAsync("REPLICAOF", "NO", "ONE"));

        var at = refuser.Attempts.ToArray();
        Assert.True(at[5] - at[0] < TimeSpan.FromSeconds(2.5), $"six attempts took {at[5] - at[0]}");
        for (int i = 11; i < 16; i++)
        {
            int expectedMs = Cinnabar.Server.Replication.PrimaryLink.RetryDelayMs(i);
            Assert.True(at[i] - at[i - 1] >= TimeSpan.FromMilliseconds(expectedMs - 20), $"attempt {i + 1} came {at[i] - at[i - 1]} after the one before, {expectedMs} ms expected");
        }

        Assert.Equal(1000, Cinnabar.Server.Replication.PrimaryLink.RetryDelayMs(15));
        Assert.Contains("master_link_status:down\r\n", info, StringComparison.Ordinal);
        Assert.Contains("master_link_down_reason:protocol error: connection lost\r\n", info, StringComparison.Ordinal);
        // Sixteen identical failures, one warning (Redis would log sixteen).
        Assert.Equal(1, replica.CountInLog("Master did not respond to command during SYNC handshake"));
    }

    [Fact]
    public async Task ReadOnlyAndMasterDownRepliesMatchARealRedisReplica()
    {
        int nobody = ServerProcess.FreePort();
        await using var redis = await ReplicationNode.StartAsync(ServerKind.Redis, "replica-serve-stale-data no", $"replicaof 127.0.0.1 {nobody}");
        await using var cinnabar = await ReplicationNode.StartAsync(ServerKind.Cinnabar, "replica-serve-stale-data no", $"replicaof 127.0.0.1 {nobody}");
        await using var rc = await redis.ConnectAsync();
        await using var cc = await cinnabar.ConnectAsync();
        string[][] script =
        [
            ["GET", "k"],
            ["SET", "k", "v"],
            ["PING"],
            ["CONFIG", "SET", "replica-serve-stale-data", "yes"],
            ["GET", "k"],
            ["SET", "k", "v"],
            ["INCR", "n"],
            ["REPLICAOF", "127.0.0.1", "notaport"],
            ["REPLICAOF", "127.0.0.1", "70000"],
            ["REPLICAOF", "127.0.0.1", nobody.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            ["SLAVEOF", "127.0.0.1"],
        ];
        foreach (var cmd in script)
        {
            Assert.Equal(await rc.CommandAsync(cmd), await cc.CommandAsync(cmd));
        }

        // ROLE while the primary is unreachable: slave, host, port, connect|connecting, -1.
        var redisRole = await rc.CommandAsync("ROLE");
        var cinnabarRole = await cc.CommandAsync("ROLE");
        Assert.Equal(Normalize(redisRole), Normalize(cinnabarRole));

        // INFO replication names the same fields in the same order (Cinnabar adds its own two).
        Assert.Equal(await FieldNamesAsync(rc), (await FieldNamesAsync(cc)).Where(n => n is not ("master_sync_phase" or "master_link_down_reason")).ToList());
        Assert.Equal("unreachable: Connection refused", await ReplicationNode.InfoFieldAsync(cc, "replication", "master_link_down_reason"));
        Assert.Contains("Error condition on socket for SYNC: Connection refused", cinnabar.Log);

        Assert.Equal("+OK\r\n", await rc.CommandAsync("REPLICAOF", "NO", "ONE"));
        Assert.Equal("+OK\r\n", await cc.CommandAsync("REPLICAOF", "NO", "ONE"));
        Assert.Equal(await rc.CommandAsync("SET", "k", "v"), await cc.CommandAsync("SET", "k", "v"));
        Assert.Equal(await FieldNamesAsync(rc), await FieldNamesAsync(cc));
    }

    [Fact]
    public async Task InfoAndRoleOfAConnectedReplicaHaveRedisShape()
    {
        await using var primary = await ReplicationNode.StartAsync(ServerKind.Redis);
        string replicaof = $"replicaof 127.0.0.1 {primary.Port}";
        await using var redis = await ReplicationNode.StartAsync(ServerKind.Redis, replicaof);
        await using var cinnabar = await ReplicationNode.StartAsync(ServerKind.Cinnabar, replicaof);
        await redis.WaitForLinkUpAsync();
        await cinnabar.WaitForLinkUpAsync();
        await using var p = await primary.ConnectAsync();
        await p.CommandAsync("SET", "k", "v");
        await using var rc = await redis.ConnectAsync();
        await using var cc = await cinnabar.ConnectAsync();
        string offset = (await ReplicationNode.InfoFieldAsync(p, "replication", "master_repl_offset"))!;
        await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoFieldAsync(rc, "replication", "slave_repl_offset") == offset, "redis replica offset");
        await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoFieldAsync(cc, "replication", "slave_repl_offset") == offset, "cinnabar replica offset");

        Assert.Equal(await FieldNamesAsync(rc), (await FieldNamesAsync(cc)).Where(n => n != "master_sync_phase").ToList());
        foreach (var field in new[] { "role", "master_host", "master_port", "master_link_status", "master_sync_in_progress", "slave_read_repl_offset", "slave_repl_offset", "slave_priority", "slave_read_only", "replica_announced", "connected_slaves", "master_replid", "master_replid2", "master_repl_offset", "second_repl_offset", "repl_backlog_active" })
        {
            Assert.Equal(await ReplicationNode.InfoFieldAsync(rc, "replication", field), await ReplicationNode.InfoFieldAsync(cc, "replication", field));
        }

        Assert.Equal(await rc.CommandAsync("ROLE"), await cc.CommandAsync("ROLE"));
        Assert.Equal("-READONLY You can't write against a read only replica.\r\n", await cc.CommandAsync("SET", "x", "y"));
        Assert.Equal(await rc.CommandAsync("REPLICAOF", "127.0.0.1", primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)), await cc.CommandAsync("REPLICAOF", "127.0.0.1", primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static string Normalize(string role) => role.Replace("connecting", "connect", StringComparison.Ordinal);

    private static async Task<List<string>> FieldNamesAsync(RawConnection c)
    {
        var info = await c.CommandAsync("INFO", "replication");
        return [.. info.Split("\r\n").Skip(1).Where(l => l.Contains(':', StringComparison.Ordinal) && !l.StartsWith('#')).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)])];
    }

    // A listener on a free loopback port that hands every connection it accepts to ServeAsync.
    private abstract class FakeListener : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        protected FakeListener()
        {
            _listener.Start();
            _ = Task.Run(AcceptLoopAsync);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public void Dispose() => _listener.Stop();

        protected abstract Task ServeAsync(TcpClient client);

        private async Task AcceptLoopAsync()
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = ServeAsync(client);
            }
        }
    }

    // Accepts every connection and closes it at once, noting when each attempt came.
    private sealed class HangingUpPrimary : FakeListener
    {
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

        public System.Collections.Concurrent.ConcurrentQueue<TimeSpan> Attempts { get; } = new();

        protected override async Task ServeAsync(TcpClient client)
        {
            Attempts.Enqueue(_clock.Elapsed);
            using (client)
            {
                // Reads the PING (so the close is a clean FIN, not a reset) and hangs up.
                var seen = new StringBuilder();
                var buffer = new byte[64];
                try
                {
                    while (!seen.ToString().Contains("PING\r\n", StringComparison.OrdinalIgnoreCase))
                    {
                        int n = await client.GetStream().ReadAsync(buffer);
                        if (n == 0)
                        {
                            break;
                        }

                        seen.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }
                }
                catch (IOException)
                {
                    // The replica hung up first.
                }
            }
        }
    }

    // Answers the handshake like a primary, then sends a broken snapshot, on every connection.
    private sealed class FakePrimary(string fault) : FakeListener
    {
        private readonly string _fault = fault;
        private int _transfers;

        public int Transfers => Volatile.Read(ref _transfers);

        protected override async Task ServeAsync(TcpClient client)
        {
            using (client)
            {
                var stream = client.GetStream();
                var reader = new StreamReader(stream, Encoding.Latin1);
                try
                {
                    while (await reader.ReadLineAsync() is { } line)
                    {
                        if (!line.StartsWith('*'))
                        {
                            continue;
                        }

                        int argc = int.Parse(line[1..], System.Globalization.CultureInfo.InvariantCulture);
                        var args = new List<string>();
                        for (int i = 0; i < argc; i++)
                        {
                            await reader.ReadLineAsync();
                            args.Add((await reader.ReadLineAsync())!);
                        }

                        string name = args[0].ToUpperInvariant();
                        if (name == "PING")
                        {
                            await stream.WriteAsync("+PONG\r\n"u8.ToArray());
                        }
                        else if (name != "PSYNC")
                        {
                            await stream.WriteAsync("+OK\r\n"u8.ToArray());
                        }
                        else
                        {
                            await SendBadSnapshotAsync(stream);
                            Interlocked.Increment(ref _transfers);
                            return;
                        }
                    }
                }
                catch (IOException)
                {
                    // The replica hung up.
                }
            }
        }

        private async Task SendBadSnapshotAsync(NetworkStream stream)
        {
            var payload = Encoding.ASCII.GetBytes("REDIS0010\u00fa\u0009redis-ver\u00067.0.15" + new string('x', 200));
            string mark = new('a', 40);
            var header = _fault switch
            {
                "corrupt-eof" => $"+FULLRESYNC {new string('f', 40)} 0\r\n$EOF:{mark}\r\n",
                "truncated" => $"+FULLRESYNC {new string('f', 40)} 0\r\n${payload.Length + 5000}\r\n",
                _ => $"+FULLRESYNC {new string('f', 40)} 0\r\n${payload.Length}\r\n",
            };
            await stream.WriteAsync(Encoding.ASCII.GetBytes("\n\n" + header));
            await stream.WriteAsync(payload);
            if (_fault == "corrupt-eof")
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(mark));
            }

            await stream.FlushAsync();
            if (_fault != "truncated")
            {
                // Give the replica time to read and judge the payload before the close.
                await Task.Delay(2000);
            }
        }
    }
}
