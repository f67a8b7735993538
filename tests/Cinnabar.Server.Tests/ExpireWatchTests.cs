using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

public class ExpireWatchTests
{
    [Fact]
    public void AWatchedKeyRemovedByTheActiveCycleFailsTheTransaction()
    {
        var h = new ServerHarness();
        h.Run("SET", "x", "foo");
        h.Run("EXPIRE", "x", "1");
        h.Run("WATCH", "x");
        h.Time.Advance(TimeSpan.FromSeconds(2));
        h.Server.Cron().Tick();
        Assert.Equal(":0\r\n", h.Run("DBSIZE"));
        h.Run("MULTI");
        h.Run("PING");
        Assert.Equal("*-1\r\n", h.Run("EXEC"));
    }
}
