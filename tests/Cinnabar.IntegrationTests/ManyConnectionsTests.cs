using System.Net.Sockets;
using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class ManyConnectionsTests
{
    [Fact]
    public async Task TwoThousandConcurrentClientsEachGetTheirOwnReplies()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("maxclients", "5000"));
        const int clients = 2000;
        var sockets = new List<TcpClient>();
        try
        {
            for (int i = 0; i < clients; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync("127.0.0.1", server.Port);
                sockets.Add(c);
            }

            // Every client pipelines a SET and a GET of its own key, all at once.
            await Task.WhenAll(sockets.Select(async (c, i) =>
            {
                var s = c.GetStream();
                var key = $"client:{i}";
                var value = $"value-{i}";
                await s.WriteAsync(RawConnection.Encode(Encoding.ASCII.GetBytes("SET"), Encoding.ASCII.GetBytes(key), Encoding.ASCII.GetBytes(value)));
                await s.WriteAsync(RawConnection.Encode(Encoding.ASCII.GetBytes("GET"), Encoding.ASCII.GetBytes(key)));
            }));

            await Task.WhenAll(sockets.Select(async (c, i) =>
            {
                var expected = $"+OK\r\n${$"value-{i}".Length}\r\nvalue-{i}\r\n";
                var buffer = new byte[expected.Length];
                int read = 0;
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                while (read < buffer.Length)
                {
                    int n = await c.GetStream().ReadAsync(buffer.AsMemory(read), cts.Token);
                    Assert.True(n > 0, "connection closed early");
                    read += n;
                }

                Assert.Equal(expected, Encoding.ASCII.GetString(buffer));
            }));

            await using var check = await RawConnection.ConnectAsync(server.Port);
            Assert.Equal($":{clients}\r\n", await check.CommandAsync("DBSIZE"));
        }
        finally
        {
            foreach (var c in sockets)
            {
                c.Dispose();
            }
        }
    }
}
