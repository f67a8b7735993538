using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>
/// BZPOPMIN, BZPOPMAX and BZMPOP with several connections, run as the same scenario against
/// redis-server and Cinnabar; every reply (of blocked and writing clients alike) must match.
/// </summary>
public class ZSetBlockingDifferentialTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public ZSetBlockingDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public Task BlockedPoppersAreServedInArrivalOrderWhenAnotherClientAdds() => Transcript.AssertSameAsync(_pair, async (t, a, b, c) =>
    {
        await t.SendAsync(a, "BZPOPMIN", "z1", "z2", "0");
        await Transcript.WaitBlockedAsync(c, 1);
        await t.SendAsync(b, "BZPOPMAX", "z2", "0");
        await Transcript.WaitBlockedAsync(c, 2);
        await t.CommandAsync(c, "ZADD", "z2", "1", "x", "2", "y", "3", "z");
        await t.ReadAsync(a);
        await t.ReadAsync(b);
        await t.CommandAsync(c, "ZRANGE", "z2", "0", "-1", "WITHSCORES");
        await t.CommandAsync(c, "ZADD", "z3", "1", "a", "2", "b");
        await t.CommandAsync(a, "BZPOPMAX", "z3", "0");
        await t.CommandAsync(a, "BZMPOP", "0", "2", "nokey", "z3", "MIN", "COUNT", "5");
    });

    [Fact]
    public Task BzmpopIsServedWithItsCountAndResp3Shapes() => Transcript.AssertSameAsync(_pair, async (t, a, b, c) =>
    {
        await a.CommandAsync("HELLO", "3");
        await t.SendAsync(a, "BZMPOP", "0", "2", "m1", "m2", "MAX", "COUNT", "2");
        await Transcript.WaitBlockedAsync(c, 1);
        await t.SendAsync(b, "BZPOPMIN", "m2", "0");
        await Transcript.WaitBlockedAsync(c, 2);
        await t.CommandAsync(c, "ZADD", "m2", "1", "p", "2.5", "q", "3", "r");
        await t.ReadAsync(a);
        await t.ReadAsync(b);
        await t.CommandAsync(c, "EXISTS", "m2");
    });

    [Fact]
    public Task TimeoutsClientUnblockAndMultiAnswerLikeRedis() => Transcript.AssertSameAsync(_pair, async (t, a, b, c) =>
    {
        await t.CommandAsync(a, "BZPOPMIN", "t", "0.05");
        await t.CommandAsync(a, "BZMPOP", "0.05", "1", "t", "MIN");
        await t.CommandAsync(a, "BZPOPMIN", "t", "-1");
        await t.CommandAsync(a, "BZPOPMIN", "t", "abc");
        await t.CommandAsync(a, "BZMPOP", "abc", "1", "t", "MIN");
        await t.CommandAsync(a, "BZMPOP", "0", "0", "t", "MIN");
        await t.CommandAsync(a, "BZMPOP", "0", "1", "t", "LEFT");
        var id = (await a.CommandAsync("CLIENT", "ID")).Trim()[1..];
        await t.SendAsync(a, "BZPOPMAX", "u", "0");
        await Transcript.WaitBlockedAsync(c, 1);
        await t.UnblockAsync(c, id);
        await t.ReadAsync(a);
        await t.SendAsync(a, "BZMPOP", "0", "1", "u", "MIN");
        await Transcript.WaitBlockedAsync(c, 1);
        await t.UnblockAsync(c, id, "ERROR");
        await t.ReadAsync(a);
        await t.CommandAsync(a, "MULTI");
        await t.CommandAsync(a, "BZPOPMIN", "empty", "0");
        await t.CommandAsync(a, "BZMPOP", "0", "1", "empty", "MAX");
        await t.CommandAsync(a, "EXEC");
    });

    [Fact]
    public Task AListPushDoesNotServeASortedSetWaiterNorTheOtherWayRound() => Transcript.AssertSameAsync(_pair, async (t, a, b, c) =>
    {
        await t.SendAsync(a, "BZPOPMIN", "k", "0");
        await Transcript.WaitBlockedAsync(c, 1);
        await t.SendAsync(b, "BLPOP", "k", "0");
        await Transcript.WaitBlockedAsync(c, 2);
        await t.CommandAsync(c, "RPUSH", "k", "v");
        await t.ReadAsync(b);
        await t.CommandAsync(c, "ZADD", "k", "1", "m");
        await t.ReadAsync(a);
        await t.CommandAsync(c, "SET", "s", "x");
        await t.CommandAsync(c, "BZPOPMIN", "s", "0");
    });
}
