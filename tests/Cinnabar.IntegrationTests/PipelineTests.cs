using System.Text;
using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

// The connection loop parses everything complete in its receive buffer and keeps a half-parsed
// command's arguments pointing into that buffer, so pipelined input whose commands straddle
// read boundaries exercises the buffer's move/grow path (ClientConnection.MakeRoom).
public class PipelineTests
{
    [Fact]
    public async Task PipelinedCommandsStraddlingReadBoundariesAreAllExecutedInOrder()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar());
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
