// --status against real redis-server processes (a master and two replicas on 127.0.0.1 ports,
// stopped by PID), since it must work with any server exposing Redis's INFO fields; and against
// a scripted node for master_link_down_reason, the field Cinnabar's replication adds to INFO.
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests.Cli;

public sealed class CliStatusTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static async Task<(ServerProcess Master, ServerProcess A, ServerProcess B)> StartTrioAsync()
    {
        var master = await ServerProcess.StartAsync(ServerOptions.Redis().With("repl-diskless-sync-delay", "0"));
        var a = await ServerProcess.StartAsync(ServerOptions.Redis().With("replicaof", "127.0.0.1", P(master.Port)));
        var b = await ServerProcess.StartAsync(ServerOptions.Redis().With("replicaof", "127.0.0.1", P(master.Port)));
        await using var c = await RawConnection.ConnectAsync(master.Port);
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            var info = await c.CommandAsync("INFO", "replication");
            if (info.Split("state=online").Length == 3)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, info);
            await Task.Delay(50);
        }

        await c.CommandAsync("SET", "k", "v");
        return (master, a, b);
    }

    private static string[][] Rows(string table) =>
        [.. table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))];

    [Fact]
    public async Task StatusShowsTheMasterAndBothReplicasWithTheirOffsets()
    {
        var (master, a, b) = await StartTrioAsync();
        await using var _ = master;
        await using var __ = a;
        await using var ___ = b;

        // Wait until both replicas acknowledged the write, then the table must show no lag in bytes.
        var deadline = DateTime.UtcNow + Deadline;
        string[][] rows;
        while (true)
        {
            var result = await CliProcess.RunAsync(CliKind.Cinnabar, ["-p", P(master.Port), "--status"]);
            Assert.True(result.ExitCode == 0, result.ToString());
            rows = Rows(result.Out);
            if (rows.Length == 4 && rows[2][5] == "0" && rows[3][5] == "0")
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, result.Out);
            await Task.Delay(100);
        }

        Assert.Equal(["NODE", "ROLE", "STATE", "LINK", "OFFSET", "LAG_BYTES", "LAG_SEC", "LINK_DOWN_REASON"], rows[0]);
        Assert.Equal([$"127.0.0.1:{master.Port}", "master"], rows[1][..2]);
        var replicaPorts = rows[2..].Select(r => r[0]).Order().ToArray();
        Assert.Equal(new[] { $"127.0.0.1:{a.Port}", $"127.0.0.1:{b.Port}" }.Order(), replicaPorts);
        foreach (var row in rows[2..])
        {
            Assert.Equal(["replica", "online", "up"], row[1..4]);
            Assert.Equal(rows[1][4], row[4]);
            Assert.Equal("-", row[7]);
        }

        // Started on a replica, it finds the same master.
        var fromReplica = await CliProcess.RunAsync(CliKind.Cinnabar, ["-p", P(a.Port), "--status"]);
        Assert.Equal($"127.0.0.1:{master.Port}", Rows(fromReplica.Out)[1][0]);
    }

    [Fact]
    public async Task RefreshingStatusShowsLinksGoingDownWhenTheMasterStops()
    {
        var (master, a, b) = await StartTrioAsync();
        await using var _ = a;
        await using var __ = b;
        int masterPort = master.Port;
        await using var cli = CliProcess.Start(CliKind.Cinnabar, ["-p", P(masterPort), "--status", "-i", "0.2"]);
        try
        {
            await cli.WaitForOutputAsync($"127.0.0.1:{b.Port}", Deadline);
        }
        finally
        {
            await master.DisposeAsync();
        }

        // Both replicas stay in the table, now reporting their link down; the master is unreachable.
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            var tables = cli.Out.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
            var rows = tables.Length > 1 ? Rows(tables[^2]) : [];
            if (rows.Length == 4 && rows[1][1] == "unreachable" && rows[2][3] == "down" && rows[3][3] == "down")
            {
                Assert.Equal("Connection refused", string.Join(' ', rows[1][7..]));
                Assert.All(rows[2..], r => Assert.Equal("unlisted", r[2]));
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, cli.Out);
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task StatusOfCinnabarNodesShowsTwoReplicasThenADownedLinkWithItsReason()
    {
        await using var master = await ServerProcess.StartAsync(ServerOptions.Cinnabar()
            .With("requirepass", "centos").With("repl-diskless-sync-delay", "0"));
        await using var a = await ServerProcess.StartAsync(ServerOptions.Cinnabar()
            .With("requirepass", "centos").With("masterauth", "centos").With("replicaof", "127.0.0.1", P(master.Port)));
        await using var b = await ServerProcess.StartAsync(ServerOptions.Cinnabar()
            .With("requirepass", "centos").With("masterauth", "centos").With("replicaof", "127.0.0.1", P(master.Port)));
        await using var cli = CliProcess.Start(CliKind.Cinnabar, ["-p", P(master.Port), "-a", "centos", "--no-auth-warning", "--status", "-i", "0.2"]);
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            var tables = cli.Out.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
            var rows = tables.Length > 1 ? Rows(tables[^2]) : [];
            if (rows.Length == 4 && rows[2][3] == "up" && rows[3][3] == "up")
            {
                Assert.Equal("master", rows[1][1]);
                Assert.All(rows[2..], r => Assert.Equal(["replica", "online", "up"], r[1..4]));
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, cli.Out);
            await Task.Delay(100);
        }

        // B's next handshake uses a wrong password: its link goes down and says why.
        await using (var rb = await RawConnection.ConnectAsync(b.Port))
        {
            await rb.CommandAsync("AUTH", "centos");
            Assert.Equal("+OK\r\n", await rb.CommandAsync("CONFIG", "SET", "masterauth", "wrong"));
        }

        await using (var rm = await RawConnection.ConnectAsync(master.Port))
        {
            await rm.CommandAsync("AUTH", "centos");
            await rm.CommandAsync("CLIENT", "KILL", "TYPE", "replica");
        }

        string bNode = $"127.0.0.1:{b.Port}";
        while (true)
        {
            var tables = cli.Out.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
            var rows = tables.Length > 1 ? Rows(tables[^2]) : [];
            var bRow = rows.FirstOrDefault(r => r[0] == bNode);
            if (bRow is not null && bRow[3] == "down" && bRow.Length > 7 && bRow[7] == "auth")
            {
                Assert.StartsWith("auth refused:", string.Join(' ', bRow[7..]), StringComparison.Ordinal);
                Assert.Contains(rows, r => r[0] == $"127.0.0.1:{a.Port}" && r[3] == "up");
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, cli.Out);
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task StatusShowsWhyALinkIsDownWhenTheServerSaysSo()
    {
        using var replica = new ScriptedNode();
        using var master = new ScriptedNode();
        master.Info = $"# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port={replica.Port},state=online,offset=100,lag=3\r\nmaster_repl_offset:250\r\n";
        replica.Info = $"# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:{master.Port}\r\nmaster_link_status:down\r\n" +
            "master_last_io_seconds_ago:-1\r\nmaster_sync_in_progress:0\r\nslave_repl_offset:100\r\nmaster_link_down_since_seconds:7\r\n" +
            "master_link_down_reason:authentication failed: WRONGPASS\r\n";
        var result = await CliProcess.RunAsync(CliKind.Cinnabar, ["-p", P(master.Port), "--status"]);
        var rows = Rows(result.Out);
        Assert.Equal([$"127.0.0.1:{master.Port}", "master", "-", "-", "250", "-", "-", "-"], rows[1]);
        Assert.Equal([$"127.0.0.1:{replica.Port}", "replica", "online", "down", "100", "150", "7", "authentication", "failed:", "WRONGPASS"], rows[2]);
    }

    [Fact]
    public async Task StatusOfAnUnreachableMasterExitsWithAnError()
    {
        int port = ServerProcess.FreePort();
        var result = await CliProcess.RunAsync(CliKind.Cinnabar, ["-p", P(port), "--status"]);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal([$"127.0.0.1:{port}", "unreachable", "-", "-", "-", "-", "-", "Connection", "refused"], Rows(result.Out)[1]);
    }

    // A node that answers every command with its INFO text (enough for --status). It serves on
    // its own threads so a busy thread pool in the test run cannot stall it.
    private sealed class ScriptedNode : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public ScriptedNode()
        {
            _listener.Start();
            new Thread(AcceptLoop) { IsBackground = true }.Start();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public string Info { get; set; } = string.Empty;

        public void Dispose() => _listener.Stop();

        private void AcceptLoop()
        {
            try
            {
                while (true)
                {
                    var client = _listener.AcceptSocket();
                    new Thread(() => Serve(client)) { IsBackground = true }.Start();
                }
            }
            catch (SocketException)
            {
                // Stopped.
            }
            catch (ObjectDisposedException)
            {
                // Stopped.
            }
        }

        private void Serve(Socket client)
        {
            using var _ = client;
            var buffer = new byte[4096];
            try
            {
                while (client.Receive(buffer) > 0)
                {
                    var body = Encoding.UTF8.GetBytes(Info);
                    client.Send(Encoding.ASCII.GetBytes($"${body.Length}\r\n").Concat(body).Concat("\r\n"u8.ToArray()).ToArray());
                }
            }
            catch (SocketException)
            {
                // Client went away.
            }
        }
    }
}
