using System.Text;

using Cinnabar.Protocol;

namespace Cinnabar.Protocol.Tests;

public class RequestParserTests
{
    private static List<List<string>> ParseAll(byte[] input, IEnumerable<int> chunkSizes, out string? error)
    {
        var parser = new RequestParser();
        var commands = new List<List<string>>();
        var buffer = new byte[input.Length];
        int end = 0, pos = 0, fed = 0;
        var args = new CommandArgs();
        error = null;
        foreach (int size in chunkSizes.Append(input.Length))
        {
            int n = Math.Min(size, input.Length - fed);
            Array.Copy(input, fed, buffer, end, n);
            fed += n;
            end += n;
            while (true)
            {
                var status = parser.TryParse(buffer, ref pos, end, args);
                if (status == ParseStatus.Incomplete)
                {
                    break;
                }

                if (status == ParseStatus.Error)
                {
                    error = parser.Error;
                    return commands;
                }

                if (args.Count > 0)
                {
                    var cmd = new List<string>();
                    for (int i = 0; i < args.Count; i++)
                    {
                        cmd.Add(Encoding.Latin1.GetString(args[i]));
                    }

                    commands.Add(cmd);
                }

                args.Clear();
            }

            if (fed == input.Length)
            {
                break;
            }
        }

        return commands;
    }

    private static readonly byte[] Pipeline = Encoding.Latin1.GetBytes(
        "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\r\nb\0\r\n" +
        "PING\r\n" +
        "*0\r\n" +
        "\r\n" +
        "set \"x y\" 'z'\n" +
        "*1\r\n$4\r\nPING\r\n");

    private static void AssertPipeline(List<List<string>> cmds)
    {
        Assert.Equal(4, cmds.Count);
        Assert.Equal(["SET", "k", "a\r\nb\0"], cmds[0]);
        Assert.Equal(["PING"], cmds[1]);
        Assert.Equal(["set", "x y", "z"], cmds[2]);
        Assert.Equal(["PING"], cmds[3]);
    }

    [Fact]
    public void PipelineParsesWhole()
    {
        AssertPipeline(ParseAll(Pipeline, [], out var error));
        Assert.Null(error);
    }

    [Fact]
    public void PipelineParsesByteByByte()
    {
        AssertPipeline(ParseAll(Pipeline, Enumerable.Repeat(1, Pipeline.Length), out var error));
        Assert.Null(error);
    }

    [Fact]
    public void PipelineParsesInRandomSplits()
    {
        var rng = new Random(42);
        for (int round = 0; round < 200; round++)
        {
            var sizes = Enumerable.Range(0, 40).Select(_ => rng.Next(1, 9)).ToList();
            AssertPipeline(ParseAll(Pipeline, sizes, out var error));
            Assert.Null(error);
        }
    }

    [Theory]
    [InlineData("*x\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*1\r\n+foo\r\n", "Protocol error: expected '$', got '+'")]
    [InlineData("*1\r\n$-5\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$600000000\r\n", "Protocol error: invalid bulk length")]
    [InlineData("set \"unbalanced\n", "Protocol error: unbalanced quotes in request")]
    public void MalformedInputGetsRedisErrorText(string input, string expected)
    {
        ParseAll(Encoding.Latin1.GetBytes(input), [], out var error);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void UnauthenticatedClientsCannotSendLongCommands()
    {
        var p = new RequestParser { AuthRequired = true };
        var buf = Encoding.ASCII.GetBytes("*11\r\n");
        int pos = 0;
        Assert.Equal(ParseStatus.Error, p.TryParse(buf, ref pos, buf.Length, new CommandArgs()));
        Assert.Equal("Protocol error: unauthenticated multibulk length", p.Error);
    }

    [Fact]
    public void InlineRequestWithoutNewlineOver64KiBIsRejected()
    {
        var input = Encoding.ASCII.GetBytes(new string('a', 70000));
        ParseAll(input, [], out var error);
        Assert.Equal("Protocol error: too big inline request", error);
    }
}
