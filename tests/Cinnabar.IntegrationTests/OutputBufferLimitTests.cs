// client-output-buffer-limit for normal and pub/sub clients, on both servers: a subscriber that
// stops reading is closed once its pending output passes the hard limit (with Redis's log line),
// and a client whose own reply passes the normal class's limit gets none of it. The limit is
// checked while a reply is being built, so a reply of hundreds of MB never exists in memory.
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

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task KeysAndLRangeOverTheLimitCloseTheirClientWithoutAnyReply(ServerKind kind)
    {
        await using var server = await ServerProcess.StartAsync(Options(kind));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal("+OK\r\n", await c.CommandAsync("DEBUG", "POPULATE", "200000"));
        var items = Enumerable.Range(0, 1000).Select(i => new string('v', 90) + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        for (int round = 0; round < 20; round++)
        {
            await c.CommandAsync(["RPUSH", "list", .. items]);
        }

        Assert.Equal("+OK\r\n", await c.CommandAsync("CONFIG", "SET", "client-output-buffer-limit", "normal 100000 0 0"));
        foreach (var command in new[] { new[] { "KEYS", "*" }, ["LRANGE", "list", "0", "-1"], ["SMEMBERS", "nosuchset"] })
        {
            if (command[0] == "SMEMBERS")
            {
                // A small reply passes untouched.
                await using var fine = await RawConnection.ConnectAsync(server.Port);
                Assert.Equal("*0\r\n", await fine.CommandAsync(command));
                continue;
            }

            Assert.Equal(0, await BytesReceivedUntilClosedAsync(server.Port, command));
        }

        await server.WaitForOutputAsync("scheduled to be closed ASAP for overcoming of output buffer limits", TimeSpan.FromSeconds(30));
        Assert.Equal("+PONG\r\n", await c.CommandAsync("PING"));
        Assert.Equal(":200001\r\n", await c.CommandAsync("DBSIZE"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task AReplyOfHundredsOfMegabytesIsNeverBufferedWhole(ServerKind kind)
    {
        // SORT ... GET big* over 3000 empty list elements fetches the one 100 KB string "big"
        // 3000 times: a 300 MB reply built from a tiny dataset, by a command with no limit
        // handling of its own. The server's peak resident memory (VmHWM) must not grow by
        // anything near that.
        await using var server = await ServerProcess.StartAsync(Options(kind));
        await using var c = await RawConnection.ConnectAsync(server.Port);
        Assert.Equal("+OK\r\n", await c.CommandAsync("SET", "big", new string('b', 100_000)));
        for (int round = 0; round < 3; round++)
        {
            await c.CommandAsync(["RPUSH", "idx", .. Enumerable.Repeat("", 1000)]);
        }

        Assert.Equal("+OK\r\n", await c.CommandAsync("CONFIG", "SET", "client-output-buffer-limit", "normal 1000000 0 0"));
        long peakBefore = PeakResidentBytes(server.Pid);
        Assert.Equal(0, await BytesReceivedUntilClosedAsync(server.Port, ["SORT", "idx", "BY", "nosort", "GET", "big*"]));
        Assert.Equal("+PONG\r\n", await c.CommandAsync("PING"));
        long growth = PeakResidentBytes(server.Pid) - peakBefore;
        Assert.True(growth < 64L * 1024 * 1024, $"peak RSS grew by {growth} bytes");
    }

    // Sends one command on a fresh connection and counts the bytes received until the server closes it.
    private static async Task<long> BytesReceivedUntilClosedAsync(int port, string[] command)
    {
        using var victim = new TcpClient();
        await victim.ConnectAsync("127.0.0.1", port);
        var stream = victim.GetStream();
        await stream.WriteAsync(RawConnection.Encode(command.Select(a => Encoding.Latin1.GetBytes(a)).ToArray()));
        var buf = new byte[65536];
        long total = 0;
        while (true)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(buf).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (IOException)
            {
                return total;
            }

            if (n == 0)
            {
                return total;
            }

            total += n;
        }
    }

    // The kernel's high-water mark of the process's resident set (VmHWM in /proc/<pid>/status).
    private static long PeakResidentBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("no VmHWM line");
    }
}
