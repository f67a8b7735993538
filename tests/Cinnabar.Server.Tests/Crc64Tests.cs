using System.Text;

using Cinnabar.Server.Persistence.Rdb;

namespace Cinnabar.Server.Tests;

public class Crc64Tests
{
    [Fact]
    public void Crc64MatchesRedisTestVector()
    {
        Assert.Equal(0xe9c6d914c4b8d9caUL, Crc64.Update(0, Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void Crc64CanBeComputedInPieces()
    {
        var data = Encoding.ASCII.GetBytes("This is a test of the emergency broadcast system.");
        Assert.Equal(Crc64.Update(0, data), Crc64.Update(Crc64.Update(0, data.AsSpan(0, 10)), data.AsSpan(10)));
    }

    [Fact]
    public void Crc64MatchesRedisLongTestVector()
    {
        // crc64.c's second vector, over sizeof(li): the text and its terminating NUL.
        var li = Encoding.ASCII.GetBytes("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed "
            + "do eiusmod tempor incididunt ut labore et dolore magna "
            + "aliqua. Ut enim ad minim veniam, quis nostrud exercitation "
            + "ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis "
            + "aute irure dolor in reprehenderit in voluptate velit esse "
            + "cillum dolore eu fugiat nulla pariatur. Excepteur sint "
            + "occaecat cupidatat non proident, sunt in culpa qui officia "
            + "deserunt mollit anim id est laborum.\0");
        Assert.Equal(0xc7794709e69683b3UL, Crc64.Update(0, li));
    }

    [Fact]
    public void EightByteStepsAgreeWithTheBytewiseDefinitionForEveryLengthAndAlignment()
    {
        var random = new Random(3);
        var data = new byte[300];
        random.NextBytes(data);
        for (int start = 0; start < 9; start++)
        {
            for (int length = 0; length < data.Length - start; length += 7)
            {
                var span = data.AsSpan(start, length);
                Assert.Equal(Bytewise(span), Crc64.Update(0, span));
            }
        }
    }

    private static ulong Bytewise(ReadOnlySpan<byte> data)
    {
        const ulong poly = 0x95AC9329AC4BC9B5UL;
        ulong crc = 0;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ poly : crc >> 1;
            }
        }

        return crc;
    }
}
