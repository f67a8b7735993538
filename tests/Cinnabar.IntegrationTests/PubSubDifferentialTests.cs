using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>
/// Pub/Sub and keyspace notifications, byte for byte against redis-server 7.0.15: each scenario
/// runs on both servers with a subscriber and a publisher connection, and every reply and every
/// message the subscriber receives must be identical.
/// </summary>
public class PubSubDifferentialTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public PubSubDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    /// <summary>A step: which connection sends what, or reads how many pushes.</summary>
    private sealed record Step(bool Subscriber, string[] Command, int ExtraReads = 0);

    [Fact]
    public async Task SubscribePublishAndUnsubscribeGiveRedisRepliesAndMessages()
    {
        await AssertSameAsync(
            Sub(["SUBSCRIBE", "news", "sport"], extra: 1),
            Pub(["PUBLISH", "news", "hello"]),
            Read(),
            Pub(["PUBLISH", "nobody", "x"]),
            Pub(["PUBSUB", "NUMSUB", "news", "sport", "nobody"]),
            Pub(["PUBSUB", "CHANNELS", "n*"]),
            Sub(["SUBSCRIBE", "news"]),
            Sub(["UNSUBSCRIBE", "sport"]),
            Sub(["UNSUBSCRIBE", "never"]),
            Sub(["GET", "k"]),
            Sub(["PING"]),
            Sub(["PING", "hi"]),
            Sub(["UNSUBSCRIBE"]),
            Sub(["UNSUBSCRIBE"]),
            Sub(["GET", "k"]));
    }

    [Fact]
    public async Task PatternSubscriptionsReceivePmessagesAndCountInPublishReplies()
    {
        await AssertSameAsync(
            Sub(["PSUBSCRIBE", "news.*"]),
            Sub(["SUBSCRIBE", "news.tech"]),
            Pub(["PUBLISH", "news.tech", "chips"]),
            Read(),
            Read(),
            Pub(["PUBLISH", "news.art", "paint"]),
            Read(),
            Pub(["PUBSUB", "NUMPAT"]),
            Sub(["PUNSUBSCRIBE", "news.*"]),
            Sub(["PUNSUBSCRIBE"]),
            Pub(["PUBSUB", "NUMPAT"]),
            Sub(["UNSUBSCRIBE", "news.tech"]));
    }

    [Fact]
    public async Task Resp3SubscribersGetPushesAndMayRunOtherCommands()
    {
        await AssertSameAsync(
            Sub(["HELLO", "3"]),
            Sub(["SUBSCRIBE", "c"]),
            Sub(["SET", "k", "v"]),
            Sub(["GET", "k"]),
            Pub(["PUBLISH", "c", "m"]),
            Read(),
            Sub(["UNSUBSCRIBE"]),
            Sub(["UNSUBSCRIBE"]),
            Sub(["DEL", "k"]));
    }

    [Fact]
    public async Task ShardChannelsAreASeparateNamespace()
    {
        await AssertSameAsync(
            Sub(["SSUBSCRIBE", "s1", "s2"], extra: 1),
            Pub(["PUBLISH", "s1", "plain"]),
            Pub(["SPUBLISH", "s1", "sharded"]),
            Read(),
            Pub(["PUBSUB", "SHARDCHANNELS", "*1"]),
            Pub(["PUBSUB", "SHARDNUMSUB", "s1", "zz"]),
            Pub(["PUBSUB", "CHANNELS"]),
            Sub(["SUNSUBSCRIBE", "s1"]),
            Sub(["SUNSUBSCRIBE"]),
            Sub(["SUNSUBSCRIBE"]));
    }

    [Fact]
    public async Task PubsubIntrospectionErrorsMatchRedis()
    {
        await _pair.AssertSameRepliesAsync(
            ["PUBSUB"],
            ["PUBSUB", "NOPE"],
            ["PUBSUB", "CHANNELS", "a", "b"],
            ["PUBSUB", "NUMPAT", "x"],
            ["PUBSUB", "NUMSUB"],
            ["PUBSUB", "HELP"],
            ["PUBLISH", "onlychannel"],
            ["SUBSCRIBE"]);
    }

    [Fact]
    public async Task ResetAndClientReplyOffKeepRedisBehaviour()
    {
        await AssertSameAsync(
            Sub(["SUBSCRIBE", "a", "b"], extra: 1),
            Sub(["RESET"]),
            Pub(["PUBSUB", "NUMSUB", "a", "b"]),
            Sub(["CLIENT", "REPLY", "OFF"], extra: -1),
            Sub(["SUBSCRIBE", "z"]),
            Pub(["PUBLISH", "z", "still delivered"]),
            Read());
    }

    [Fact]
    public async Task KeyspaceAndKeyeventNotificationsMatchRedis()
    {
        await AssertSameAsync(
            Pub(["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
            Sub(["PSUBSCRIBE", "__key*__:*"]),
            Pub(["SET", "n:k", "1"]),
            Read(),
            Read(),
            Pub(["INCRBY", "n:k", "5"]),
            Read(),
            Read(),
            Pub(["APPEND", "n:k", "x"]),
            Read(),
            Read(),
            Pub(["EXPIRE", "n:k", "100"]),
            Read(),
            Read(),
            Pub(["RENAME", "n:k", "n:j"]),
            Read(),
            Read(),
            Read(),
            Read(),
            Pub(["DEL", "n:j"]),
            Read(),
            Read(),
            Pub(["CONFIG", "SET", "notify-keyspace-events", "En$"]),
            Pub(["SET", "n:new", "v"]),
            Read(),
            Read(),
            Pub(["CONFIG", "SET", "notify-keyspace-events", ""]),
            Pub(["DEL", "n:new"]),
            Sub(["PUNSUBSCRIBE"]));
    }

    private static Step Sub(string[] command, int extra = 0) => new(true, command, extra);

    private static Step Pub(string[] command) => new(false, command);

    private static Step Read() => new(true, [], 1);

    private async Task AssertSameAsync(params Step[] steps)
    {
        var transcripts = new List<List<string>>();
        foreach (var server in new[] { _pair.Redis, _pair.Cinnabar })
        {
            await using var sub = await RawConnection.ConnectAsync(server.Port);
            await using var pub = await RawConnection.ConnectAsync(server.Port);
            var got = new List<string>();
            foreach (var step in steps)
            {
                var conn = step.Subscriber ? sub : pub;
                if (step.Command.Length > 0)
                {
                    if (step.ExtraReads < 0)
                    {
                        // No reply expected (CLIENT REPLY OFF).
                        await conn.SendRawAsync(RawConnection.Encode([.. step.Command.Select(a => System.Text.Encoding.ASCII.GetBytes(a))]));
                        continue;
                    }

                    var reply = await conn.CommandAsync(step.Command);

                    // HELLO's map carries the connection id, which differs between the servers.
                    got.Add(step.Command[0] == "HELLO" ? reply[..2] : reply);
                }

                for (int i = 0; i < step.ExtraReads; i++)
                {
                    got.Add(await conn.ReadReplyAsync(TimeSpan.FromSeconds(10)));
                }
            }

            transcripts.Add(got);
        }

        Assert.Equal(transcripts[0].Select(DifferentialPair.Escape), transcripts[1].Select(DifferentialPair.Escape));
    }
}
