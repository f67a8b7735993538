using System.Diagnostics;
using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class SyncStreamTests
{
    [Fact]
    public async Task SyncSendsASnapshotThatRedisCheckRdbAcceptsAndThenTheWriteStream()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar());
        await using (var w = await RawConnection.ConnectAsync(server.Port))
        {
            await w.CommandAsync("SET", "plain", "value");
            await w.CommandAsync("SET", "number", "12345");
            await w.CommandAsync("SET", "ttl", "v", "EX", "1000");
            await w.CommandAsync("SELECT", "3");
            await w.CommandAsync("SET", "big", new string('x', 20000));
        }

        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync("SYNC\r\n"u8.ToArray());
        var reader = new BufferedStream(stream);
        var line = new StringBuilder();
        int b;
        while ((b = reader.ReadByte()) != '\n')
        {
            if (b != '\r')
            {
                line.Append((char)b);
            }
        }

        Assert.StartsWith("$", line.ToString(), StringComparison.Ordinal);
        int len = int.Parse(line.ToString(1, line.Length - 1), System.Globalization.CultureInfo.InvariantCulture);
        var rdb = new byte[len];
        int read = 0;
        while (read < len)
        {
            read += await reader.ReadAsync(rdb.AsMemory(read));
        }

        Assert.Equal("REDIS0010", Encoding.ASCII.GetString(rdb, 0, 9));
        var file = Path.Combine(server.Dir, "sync.rdb");
        await File.WriteAllBytesAsync(file, rdb);
        var check = Process.Start(new ProcessStartInfo("redis-check-rdb", file) { RedirectStandardOutput = true })!;
        var report = await check.StandardOutput.ReadToEndAsync();
        await check.WaitForExitAsync();
        Assert.True(check.ExitCode == 0, report);
        Assert.Contains("RDB looks OK!", report, StringComparison.Ordinal);
        Assert.Contains("[info] 4 keys read", report, StringComparison.Ordinal);
        Assert.Contains("[info] 1 expires", report, StringComparison.Ordinal);

        await using (var w = await RawConnection.ConnectAsync(server.Port))
        {
            await w.CommandAsync("SELECT", "5");
            await w.CommandAsync("SET", "after", "1", "EX", "100");
        }

        var expectedStart = "*2\r\n$6\r\nSELECT\r\n$1\r\n5\r\n*5\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n1\r\n$4\r\nPXAT\r\n";
        var got = new StringBuilder();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buf = new byte[1024];
        while (got.Length < expectedStart.Length)
        {
            int n = await reader.ReadAsync(buf, cts.Token);
            Assert.True(n > 0);
            got.Append(Encoding.Latin1.GetString(buf, 0, n));
        }

        Assert.StartsWith(expectedStart, got.ToString(), StringComparison.Ordinal);
    }
}
