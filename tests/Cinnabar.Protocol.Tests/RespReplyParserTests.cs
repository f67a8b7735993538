using System.Text;

using Cinnabar.Protocol;

namespace Cinnabar.Protocol.Tests;

public class RespReplyParserTests
{
    // A stream of replies of every type, and the canonical description of each.
    private static readonly (string Frame, string Expected)[] Corpus =
    [
        ("+OK\r\n", "+OK"),
        ("-ERR unknown command 'foo'\r\n", "-ERR unknown command 'foo'"),
        (":-42\r\n", ":-42"),
        ("$5\r\nhel\r\n\r\n", "$hel\r\n"),
        ("$0\r\n\r\n", "$"),
        ("$-1\r\n", "nil"),
        ("*-1\r\n", "nil"),
        ("_\r\n", "nil"),
        ("*0\r\n", "Array[]"),
        ("*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n+x\r\n", "Array[:1,Array[$a,nil],+x]"),
        ("%2\r\n$1\r\nk\r\n:1\r\n$2\r\nk2\r\n~2\r\n#t\r\n#f\r\n", "Map[$k,:1,$k2,Set[#1,#0]]"),
        (">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n", "Push[$message,$ch,$hi]"),
        (",3.14\r\n", ",3.14"),
        (",inf\r\n", ",inf"),
        ("(12345678901234567890\r\n", "(12345678901234567890"),
        ("=15\r\ntxt:Some string\r\n", "=txt:Some string"),
        ("!21\r\nSYNTAX invalid syntax\r\n", "-SYNTAX invalid syntax"),
        ("%0\r\n", "Map[]"),
        ("*2\r\n*1\r\n*1\r\n:7\r\n*0\r\n", "Array[Array[Array[:7]],Array[]]"),
    ];

    private static string Describe(RespReply r) => r.Type switch
    {
        RespType.SimpleString => "+" + Encoding.Latin1.GetString(r.Bytes),
        RespType.Error => "-" + Encoding.Latin1.GetString(r.Bytes),
        RespType.Integer => ":" + r.Integer,
        RespType.BulkString => "$" + Encoding.Latin1.GetString(r.Bytes),
        RespType.Nil => "nil",
        RespType.Double => "," + Encoding.Latin1.GetString(r.Bytes),
        RespType.BigNumber => "(" + Encoding.Latin1.GetString(r.Bytes),
        RespType.Boolean => "#" + r.Integer,
        RespType.Verbatim => "=" + r.Format + ":" + Encoding.Latin1.GetString(r.Bytes),
        _ => r.Type + "[" + string.Join(",", r.Elements.Select(Describe)) + "]",
    };

    private static List<string> ParseAll(byte[] input, IEnumerable<int> chunkSizes, out string? error)
    {
        var parser = new RespReplyParser();
        var replies = new List<string>();
        var pending = new List<byte>();
        int fed = 0;
        error = null;
        foreach (int size in chunkSizes.Append(input.Length))
        {
            int n = Math.Min(size, input.Length - fed);
            pending.AddRange(input.AsSpan(fed, n).ToArray());
            fed += n;
            while (true)
            {
                var status = parser.TryParse(pending.ToArray(), out int consumed, out var reply);
                pending.RemoveRange(0, consumed);
                if (status == ParseStatus.Incomplete)
                {
                    break;
                }

                if (status == ParseStatus.Error)
                {
                    error = parser.Error;
                    return replies;
                }

                replies.Add(Describe(reply!));
            }

            if (fed == input.Length)
            {
                break;
            }
        }

        Assert.Empty(pending);
        return replies;
    }

    private static byte[] AllFrames => Encoding.Latin1.GetBytes(string.Concat(Corpus.Select(c => c.Frame)));

    private static string[] AllExpected => [.. Corpus.Select(c => c.Expected)];

    [Fact]
    public void EveryReplyTypeParsesWhenFedWhole()
    {
        Assert.Equal(AllExpected, ParseAll(AllFrames, [], out var error));
        Assert.Null(error);
    }

    [Fact]
    public void EveryReplyTypeParsesWhenFedByteByByte()
    {
        Assert.Equal(AllExpected, ParseAll(AllFrames, Enumerable.Repeat(1, AllFrames.Length), out var error));
        Assert.Null(error);
    }

    [Fact]
    public void EveryReplyTypeParsesWhenFedInRandomSplits()
    {
        var random = new Random(6);
        for (int round = 0; round < 200; round++)
        {
            var sizes = Enumerable.Range(0, 60).Select(_ => random.Next(1, 12)).ToArray();
            Assert.Equal(AllExpected, ParseAll(AllFrames, sizes, out var error));
            Assert.Null(error);
        }
    }

    [Fact]
    public void AnUnknownTypeByteIsAProtocolErrorNotAWaitForMoreData()
    {
        var replies = ParseAll(Encoding.Latin1.GetBytes(":1\r\n@oops\r\n"), [], out var error);
        Assert.Equal([":1"], replies);
        Assert.Equal("Protocol error, got \"@\" as reply type byte", error);
    }

    [Fact]
    public void AnAggregateCutShortStaysIncompleteAndKeepsItsWholeElements()
    {
        var parser = new RespReplyParser();
        var first = Encoding.Latin1.GetBytes("*3\r\n:1\r\n$3\r\nab");
        Assert.Equal(ParseStatus.Incomplete, parser.TryParse(first, out int consumed, out _));
        Assert.Equal("*3\r\n:1\r\n".Length, consumed);
        Assert.Equal(ParseStatus.Complete, parser.TryParse(Encoding.Latin1.GetBytes("$3\r\nabc\r\n:9\r\n"), out consumed, out var reply));
        Assert.Equal("Array[:1,$abc,:9]", Describe(reply!));
        Assert.Equal(13, consumed);
    }
}
