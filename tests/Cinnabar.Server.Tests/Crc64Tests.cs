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
}
