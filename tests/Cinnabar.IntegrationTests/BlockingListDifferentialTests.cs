using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>
/// Blocking pops with several connections, run as the same scenario against redis-server and
/// Cinnabar; every reply (of blocked and pushing clients alike) must be identical.
/// </summary>
public class BlockingListDifferentialTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public BlockingListDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public Task BlockedClientsAreServedInArrivalOrderWhenAnotherClientPushes() => SameTranscriptAsync(async (t, a, b, c) =>
    {
        await t.SendAsync(a, "BLPOP", "q1", "q2", "0");
        await WaitBlockedAsync(c, 1);
        await t.SendAsync(b, "BRPOP", "q2", "0");
        await WaitBlockedAsync(c, 2);
        await t.CommandAsync(c, "RPUSH", "q2", "x", "y", "z");
        await t.ReadAsync(a);
        await t.ReadAsync(b);
        await t.CommandAsync(c, "LRANGE", "q2", "0", "-1");
    });

    [Fact]
    public Task BlmoveServedByAPushFeedsAClientBlockedOnItsDestination() => SameTranscriptAsync(async (t, a, b, c) =>
    {
        await t.SendAsync(a, "BLMOVE", "s1", "s2", "LEFT", "RIGHT", "0");
        await WaitBlockedAsync(c, 1);
        await t.SendAsync(b, "BLPOP", "s2", "0");
        await WaitBlockedAsync(c, 2);
        await t.CommandAsync(c, "LPUSH", "s1", "v");
        await t.ReadAsync(a);
        await t.ReadAsync(b);
        await t.CommandAsync(c, "EXISTS", "s1", "s2");
    });

    [Fact]
    public Task TimeoutsAndClientUnblockAnswerLikeRedis() => SameTranscriptAsync(async (t, a, b, c) =>
    {
        await t.CommandAsync(a, "BLPOP", "t", "0.05");
        await t.CommandAsync(a, "BLMOVE", "t", "t2", "LEFT", "LEFT", "0.05");
        await t.CommandAsync(a, "BLMPOP", "0.05", "1", "t", "LEFT");
        var id = (await a.CommandAsync("CLIENT", "ID")).Trim()[1..];
        await t.SendAsync(a, "BRPOPLPUSH", "u", "v", "0");
        await WaitBlockedAsync(c, 1);
        await t.UnblockAsync(c, id);
        await t.ReadAsync(a);
        await t.SendAsync(a, "BLPOP", "u", "0");
        await WaitBlockedAsync(c, 1);
        await t.UnblockAsync(c, id, "ERROR");
        await t.ReadAsync(a);
        await t.UnblockAsync(c, id, "ERROR");
        await t.UnblockAsync(c, id, "FOO");
    });

    [Fact]
    public Task InsideMultiBlockingPopsDoNotBlockAndPushesInExecServeAfterIt() => SameTranscriptAsync(async (t, a, b, c) =>
    {
        await t.CommandAsync(a, "MULTI");
        await t.CommandAsync(a, "BLPOP", "empty", "0");
        await t.CommandAsync(a, "BRPOPLPUSH", "empty", "x", "0");
        await t.CommandAsync(a, "BLMOVE", "empty", "x", "LEFT", "LEFT", "0");
        await t.CommandAsync(a, "BLMPOP", "0", "1", "empty", "LEFT");
        await t.CommandAsync(a, "EXEC");
        await t.SendAsync(a, "BLMPOP", "0", "2", "m1", "m2", "RIGHT", "COUNT", "2");
        await WaitBlockedAsync(c, 1);
        await t.CommandAsync(b, "MULTI");
        await t.CommandAsync(b, "RPUSH", "m2", "1", "2", "3");
        await t.CommandAsync(b, "DEL", "m2");
        await t.CommandAsync(b, "RPUSH", "m2", "4", "5", "6");
        await t.CommandAsync(b, "EXEC");
        await t.ReadAsync(a);
        await t.CommandAsync(b, "LRANGE", "m2", "0", "-1");
    });

    [Fact]
    public Task AWrongTypeDestinationAnswersTheBlockedClientWithWrongType() => SameTranscriptAsync(async (t, a, b, c) =>
    {
        await t.SendAsync(a, "BLMOVE", "w1", "wstr", "LEFT", "LEFT", "0");
        await WaitBlockedAsync(c, 1);
        await t.CommandAsync(c, "SET", "wstr", "x");
        await t.CommandAsync(c, "RPUSH", "w1", "a");
        await t.ReadAsync(a);
        await t.CommandAsync(c, "LRANGE", "w1", "0", "-1");
        await t.SendAsync(a, "BLPOP", "p", "0");
        await t.SendAsync(a, "PING");
        await WaitBlockedAsync(c, 1);
        await t.CommandAsync(c, "RPUSH", "p", "1");
        await t.ReadAsync(a);
        await t.ReadAsync(a);
    });

    private static Task WaitBlockedAsync(RawConnection c, int n) => Transcript.WaitBlockedAsync(c, n);

    private Task SameTranscriptAsync(Func<Transcript, RawConnection, RawConnection, RawConnection, Task> scenario) =>
        Transcript.AssertSameAsync(_pair, scenario);
}
