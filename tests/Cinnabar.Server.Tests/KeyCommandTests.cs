using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

public class KeyCommandTests
{
    [Fact]
    public void ScanOfASingleKeyReturnsItAndCursorZero()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        Assert.Equal("*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n", h.Run("SCAN", "0"));
    }
}
