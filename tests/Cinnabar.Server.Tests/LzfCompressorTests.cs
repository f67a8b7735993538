using System.Text;

using Cinnabar.Server.Persistence.Rdb;

namespace Cinnabar.Server.Tests;

public class LzfCompressorTests
{
    public static TheoryData<string> Inputs() => new()
    {
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 40)),
        new string('z', 5000),
        string.Concat(Enumerable.Range(0, 3000).Select(i => (i % 97).ToString(System.Globalization.CultureInfo.InvariantCulture))),
        "abcabcabcXabcabcabcYabcabcabcZ-0123456789-0123456789",
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void CompressedTextDecompressesToTheOriginal(string text)
    {
        var input = Encoding.ASCII.GetBytes(text);
        var output = new byte[input.Length];
        int n = LzfCompressor.Compress(input, output);
        Assert.InRange(n, 1, input.Length - 1);
        Assert.Equal(input, Decompress(output.AsSpan(0, n), input.Length));
    }

    [Fact]
    public void RandomAndPartlyRepetitiveBinaryDataRoundTrips()
    {
        var rng = new Random(42);
        for (int round = 0; round < 200; round++)
        {
            var input = new byte[rng.Next(1, 20000)];
            for (int i = 0; i < input.Length; i++)
            {
                // Mix noise, short alphabets and copies from up to ~9000 bytes back (past the 8192 window).
                int mode = (i / 500 + round) % 3;
                input[i] = mode switch
                {
                    0 => (byte)rng.Next(256),
                    1 => (byte)rng.Next(4),
                    _ => i >= 9000 ? input[i - 9000 + (rng.Next(10) == 0 ? 1 : 0)] : (byte)(i % 251),
                };
            }

            var output = new byte[input.Length + (input.Length / 32) + 16];
            int n = LzfCompressor.Compress(input, output);
            Assert.True(n > 0);
            Assert.Equal(input, Decompress(output.AsSpan(0, n), input.Length));
        }
    }

    [Fact]
    public void CompressReturnsZeroWhenTheResultDoesNotFit()
    {
        var input = new byte[64];
        new Random(7).NextBytes(input);
        Assert.Equal(0, LzfCompressor.Compress(input, new byte[60]));
    }

    [Fact]
    public void ARunOfOneByteBecomesALiteralAndLongBackReferences()
    {
        // 'a' literal, then back references of at most 264 bytes each at offset 0 (distance 1).
        var input = Encoding.ASCII.GetBytes(new string('a', 600));
        var output = new byte[600];
        int n = LzfCompressor.Compress(input, output);
        Assert.Equal([0x00, (byte)'a'], output.AsSpan(0, 2).ToArray());
        Assert.Equal(0xE0, output[2]); // 111 00000: long back reference, offset high bits 0
        Assert.Equal(input, Decompress(output.AsSpan(0, n), 600));
    }

    // An independent reading of the LZF format (liblzf lzf_d.c's description).
    internal static byte[] Decompress(ReadOnlySpan<byte> input, int length)
    {
        var o = new byte[length];
        int ip = 0, op = 0;
        while (ip < input.Length)
        {
            int ctrl = input[ip++];
            if (ctrl < 32)
            {
                int run = ctrl + 1;
                input.Slice(ip, run).CopyTo(o.AsSpan(op));
                ip += run;
                op += run;
                continue;
            }

            int len = ctrl >> 5;
            if (len == 7)
            {
                len += input[ip++];
            }

            int back = ((ctrl & 0x1F) << 8) + input[ip++] + 1;
            int from = op - back;
            Assert.True(from >= 0, "back reference before the start");
            for (int k = 0; k < len + 2; k++)
            {
                o[op++] = o[from + k];
            }
        }

        Assert.Equal(length, op);
        return o;
    }
}
