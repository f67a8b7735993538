// Malformed and unusual requests sent to redis-server 7.0.15 and to Cinnabar, whole, one byte
// at a time and in random pieces; everything each server sends back until it closes the
// connection must be identical. Inputs that do not end in an error close with a trailing QUIT.
using System.Net.Sockets;
using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class ProtocolDifferentialTests : IClassFixture<DifferentialPair>, IClassFixture<AsyncSocketsCinnabar>
{
    private const string Quit = "*1\r\n$4\r\nQUIT\r\n";
    private readonly DifferentialPair _pair;
    private readonly AsyncSocketsCinnabar _asyncSockets;

    public ProtocolDifferentialTests(DifferentialPair pair, AsyncSocketsCinnabar asyncSockets)
    {
        _pair = pair;
        _asyncSockets = asyncSockets;
    }

    public enum Delivery
    {
        Whole,
        ByteByByte,
        RandomSplits,
    }

    public static TheoryData<string, Delivery> Cases()
    {
        string[] inputs =
        [
            "\r\n" + Quit,
            "*-10\r\n" + Quit,
            "*0\r\n" + Quit,
            "*3000000000\r\n",
            "*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n",
            "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n",
            "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n",
            "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n",
            "*1\r\nfoo\r\n",
            "*a\r\n",
            "*1\r\n$-1\r\n",
            "*+1\r\n$4\r\nPING\r\n" + Quit,
            "*1\r\n$04\r\nPING\r\n" + Quit,
            "*1\r\n$4\r\nPINGxx" + Quit,
            "set \"\"\"test-key\"\"\" test-value\r\nping\r\n",
            "ping\r\n  ping   \r\nping\n" + Quit,
            "echo \"a\\x41\\n\\t\"\r\necho 'a\\'b'\r\n" + Quit,
            "echo \"a\"b\r\n",
            "echo 'x\r\n",
            "ping\r\n*x\r\nping\r\n",
            "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n" + Quit,
            "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n" + Quit,
            "HELLO 3\r\nGET missing\r\nPING\r\nHELLO 2\r\nGET missing\r\n" + Quit,
            "MULTI\r\nSET a 1\r\nNOSUCH\r\nEXEC\r\n" + Quit,
            "POST / HTTP/1.1\r\nPING\r\n",
            "Host: example.com\r\n",
            "CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\nCLIENT REPLY SKIP\r\nPING\r\nPING\r\n" + Quit,
            "CLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nPING\r\nCLIENT REPLY SKIP\r\nRESET\r\nPING\r\n" + Quit,
            "CLIENT KILL ID 1 SKIPME maybe\r\nCLIENT NO-EVICT x\r\n" + Quit,
        ];
        var data = new TheoryData<string, Delivery>();
        foreach (var input in inputs)
        {
            foreach (var d in Enum.GetValues<Delivery>())
            {
                data.Add(input, d);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task MalformedAndUnusualRequestsGetRedisRepliesAndClosing(string input, Delivery delivery)
    {
        var bytes = Encoding.Latin1.GetBytes(input);
        var expected = ConnectionDifferentialTests.MaskHelloId(await ExchangeAsync(_pair.Redis.Port, bytes, delivery));
        foreach (var (transport, port) in CinnabarPorts())
        {
            var actual = ConnectionDifferentialTests.MaskHelloId(await ExchangeAsync(port, bytes, delivery));
            Assert.True(expected == actual, $"redis:    {DifferentialPair.Escape(expected)}\ncinnabar ({transport}): {DifferentialPair.Escape(actual)}");
        }
    }

    [Fact]
    public async Task LongInlineRequestWithoutNewlineIsRefusedLikeRedis()
    {
        var bytes = Encoding.ASCII.GetBytes("ping " + new string('a', 70000));
        var expected = await ExchangeAsync(_pair.Redis.Port, bytes, Delivery.Whole);
        foreach (var (_, port) in CinnabarPorts())
        {
            Assert.Equal(expected, await ExchangeAsync(port, bytes, Delivery.Whole));
        }
    }

    [Fact]
    public async Task LongMultibulkCountWithoutNewlineIsRefusedLikeRedis()
    {
        var bytes = Encoding.ASCII.GetBytes("*1\r\n$" + new string('1', 70000));
        var expected = await ExchangeAsync(_pair.Redis.Port, bytes, Delivery.Whole);
        foreach (var (_, port) in CinnabarPorts())
        {
            Assert.Equal(expected, await ExchangeAsync(port, bytes, Delivery.Whole));
        }
    }

    [Fact]
    public async Task NulByteDesyncEndsWithAProtocolErrorLikeRedis()
    {
        // unit/protocol.tcl "Protocol desync regression test": a NUL byte and lines without a
        // newline until the server gives up.
        foreach (var port in new[] { _pair.Redis.Port, _pair.Cinnabar.Port, _asyncSockets.Server.Port })
        {
            using var socket = new TcpClient();
            await socket.ConnectAsync("127.0.0.1", port);
            var stream = socket.GetStream();
            var payload = Encoding.ASCII.GetBytes(new string('A', 1024));
            await stream.WriteAsync("*\0"u8.ToArray());
            var received = new StringBuilder();
            var readTask = ReadAllAsync(stream, received);
            try
            {
                for (int i = 0; i < 200 && !readTask.IsCompleted; i++)
                {
                    await stream.WriteAsync(payload);
                }
            }
            catch (IOException)
            {
                // The server closed the connection while we were still sending.
            }

            await readTask.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.StartsWith("-ERR Protocol error: too big mbulk count string", received.ToString(), StringComparison.Ordinal);
        }
    }

    // The Cinnabar of each transport.
    private (string Transport, int Port)[] CinnabarPorts() =>
        [("event loop", _pair.Cinnabar.Port), ("async sockets", _asyncSockets.Server.Port)];

    private static async Task ReadAllAsync(NetworkStream stream, StringBuilder into)
    {
        var buf = new byte[4096];
        try
        {
            while (true)
            {
                int n = await stream.ReadAsync(buf);
                if (n == 0)
                {
                    return;
                }

                into.Append(Encoding.Latin1.GetString(buf, 0, n));
            }
        }
        catch (IOException)
        {
            // Reset by the peer after its error reply.
        }
    }

    // Sends the input in the chosen pieces and returns everything received until the server closes.
    private static async Task<string> ExchangeAsync(int port, byte[] input, Delivery delivery)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync("127.0.0.1", port);
        socket.NoDelay = true;
        var stream = socket.GetStream();
        var received = new StringBuilder();
        var reader = ReadAllAsync(stream, received);
        var random = new Random(input.Length);
        try
        {
            int at = 0;
            while (at < input.Length)
            {
                int size = delivery switch
                {
                    Delivery.Whole => input.Length,
                    Delivery.ByteByByte => 1,
                    _ => random.Next(1, 8),
                };
                size = Math.Min(size, input.Length - at);
                await stream.WriteAsync(input.AsMemory(at, size));
                await stream.FlushAsync();
                at += size;
            }
        }
        catch (IOException)
        {
            // Closed after a protocol error before we finished sending.
        }

        await reader.WaitAsync(TimeSpan.FromSeconds(30));
        return received.ToString();
    }
}
