// A redis-server 7.0.15 and a Cinnabar server started side by side with the same directives,
// shared by the tests of a class (xunit class fixture). Tests send the same commands to both
// and compare the raw reply bytes.
namespace Cinnabar.IntegrationTests.Infrastructure;

/// <summary>Both servers, started once per test class.</summary>
public sealed class DifferentialPair : IAsyncLifetime
{
    public ServerProcess Redis { get; private set; } = null!;

    public ServerProcess Cinnabar { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var redisTask = ServerProcess.StartAsync(ServerOptions.Redis().With("enable-debug-command", "yes"));
        var cinnabarTask = ServerProcess.StartAsync(ServerOptions.Cinnabar().With("enable-debug-command", "yes"));
        Redis = await redisTask;
        Cinnabar = await cinnabarTask;
    }

    public async Task DisposeAsync()
    {
        await Redis.DisposeAsync();
        await Cinnabar.DisposeAsync();
    }

    /// <summary>Opens one connection to each server.</summary>
    public async Task<(RawConnection Redis, RawConnection Cinnabar)> ConnectAsync()
    {
        return (await RawConnection.ConnectAsync(Redis.Port), await RawConnection.ConnectAsync(Cinnabar.Port));
    }

    /// <summary>Sends the same script of commands to both and asserts equal raw replies, command by command.</summary>
    public async Task AssertSameRepliesAsync(params string[][] script)
    {
        var (r, c) = await ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        await r.CommandAsync("FLUSHALL");
        await c.CommandAsync("FLUSHALL");
        foreach (var cmd in script)
        {
            var expected = await r.CommandAsync(cmd);
            var actual = await c.CommandAsync(cmd);
            Assert.True(Same(cmd, expected, actual), $"{string.Join(' ', cmd)}\n redis:    {Escape(expected)}\n cinnabar: {Escape(actual)}");
        }
    }

    /// <summary>As <see cref="AssertSameRepliesAsync"/> on RESP3 connections (HELLO 3 first; its reply, which carries the client id, is not compared).</summary>
    public async Task AssertSameResp3RepliesAsync(params string[][] script)
    {
        var (r, c) = await ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        await r.CommandAsync("FLUSHALL");
        await c.CommandAsync("FLUSHALL");
        await r.CommandAsync("HELLO", "3");
        await c.CommandAsync("HELLO", "3");
        foreach (var cmd in script)
        {
            var expected = await r.CommandAsync(cmd);
            var actual = await c.CommandAsync(cmd);
            Assert.True(Same(cmd, expected, actual), $"{string.Join(' ', cmd)}\n redis:    {Escape(expected)}\n cinnabar: {Escape(actual)}");
        }
    }

    public static string Escape(string s) => s.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    // Equal raw replies; a remaining time to live or an idle time may differ by the rounding
    // step it crossed between the two servers' turns (TTL rounds to seconds, the LRU clock
    // ticks in seconds: one server's reply can fall after a boundary), never in shape or sign.
    private static bool Same(string[] cmd, string expected, string actual)
    {
        if (expected == actual)
        {
            return true;
        }

        bool idle = cmd.Length > 1 && cmd[0].Equals("OBJECT", StringComparison.OrdinalIgnoreCase) && cmd[1].Equals("IDLETIME", StringComparison.OrdinalIgnoreCase);
        long tolerance = idle ? 1 : cmd[0].ToUpperInvariant() switch
        {
            "TTL" => 1,
            "PTTL" => 1000,
            _ => -1,
        };
        long floor = idle ? 0 : 1;
        return tolerance > 0 && TryInteger(expected, out long e) && TryInteger(actual, out long a) && e >= floor && a >= floor && Math.Abs(e - a) <= tolerance;
    }

    private static bool TryInteger(string reply, out long value)
    {
        value = 0;
        return reply.StartsWith(':') && reply.EndsWith("\r\n", StringComparison.Ordinal) && long.TryParse(reply.AsSpan(1, reply.Length - 3), out value);
    }
}
