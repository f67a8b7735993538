using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class ActiveExpiryTests
{
    [Fact]
    public async Task KeysWithATtlDisappearWithoutBeingAccessed()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar());
        await using var c = await RawConnection.ConnectAsync(server.Port);
        for (int i = 0; i < 300; i++)
        {
            await c.CommandAsync("SET", "volatile:" + i, "x");
            await c.CommandAsync("PEXPIRE", "volatile:" + i, "50");
            await c.CommandAsync("SET", "persistent:" + i, "x");
        }

        // DBSIZE reads no key, so only the active expire cycle can bring the count down.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string size;
        do
        {
            size = await c.CommandAsync("DBSIZE");
            if (size == ":300\r\n")
            {
                break;
            }

            await Task.Delay(20);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal(":300\r\n", size);
        Assert.Equal(":1\r\n", await c.CommandAsync("EXISTS", "persistent:299"));
    }
}
