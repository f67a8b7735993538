using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>
/// Keyspace notifications of the list, hash and set commands and of SORT STORE against
/// redis-server 7.0.15: a subscriber on __keyspace@0__:* and __keyevent@0__:* must receive the
/// same messages in the same order from both servers (new-key and key-miss events included), and
/// every command the same reply.
/// </summary>
public class KeyspaceEventsDifferentialTests : IClassFixture<DifferentialPair>
{
    private const string EndChannel = "__keyevent@0__:zz-end-of-script";

    private readonly DifferentialPair _pair;

    public KeyspaceEventsDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public Task ListCommandsNotifyLikeRedis() => AssertSameEventsAsync(
        ["lpush", "l", "a", "b"],
        ["rpush", "l", "c"],
        ["lpushx", "l", "d"],
        ["rpushx", "l", "e"],
        ["lpushx", "nolist", "x"],
        ["linsert", "l", "before", "c", "c0"],
        ["linsert", "l", "after", "zz", "x"],
        ["lset", "l", "0", "D"],
        ["lrem", "l", "0", "c0"],
        ["lrem", "l", "0", "none"],
        ["ltrim", "l", "0", "-1"],
        ["ltrim", "l", "1", "-1"],
        ["lpop", "l"],
        ["rpop", "l", "2"],
        ["lpop", "l", "0"],
        ["rpush", "m", "1", "2", "3"],
        ["lmove", "m", "n", "left", "right"],
        ["rpoplpush", "m", "n"],
        ["lmove", "m", "n", "right", "left"],
        ["lmove", "n", "n", "left", "left"],
        ["lmpop", "2", "nolist", "n", "right", "count", "10"],
        ["rpush", "t", "x"],
        ["ltrim", "t", "5", "10"],
        ["rpush", "r", "x", "x", "y"],
        ["lrem", "r", "0", "x"],
        ["lrem", "r", "1", "y"],
        ["rpush", "bl", "v"],
        ["blpop", "bl", "0"],
        ["rpush", "bl", "v", "w"],
        ["brpop", "bl", "0"],
        ["blmove", "bl", "bl2", "left", "right", "0"],
        ["brpoplpush", "bl2", "bl3", "0"],
        ["blmpop", "0", "1", "bl3", "left", "count", "5"],
        ["del", "l", "m", "n"]);

    [Fact]
    public Task HashCommandsNotifyLikeRedis() => AssertSameEventsAsync(
        ["hset", "h", "a", "1", "b", "2"],
        ["hset", "h", "a", "1"],
        ["hmset", "h", "c", "3"],
        ["hsetnx", "h", "a", "9"],
        ["hsetnx", "h", "d", "4"],
        ["hincrby", "h", "a", "5"],
        ["hincrbyfloat", "h", "b", "1.5"],
        ["hincrby", "h", "d", "notanumber"],
        ["hdel", "h", "zz"],
        ["hdel", "h", "a", "zz"],
        ["hdel", "h", "b", "c", "d"],
        ["hdel", "h", "a"]);

    [Fact]
    public Task SetCommandsNotifyLikeRedis() => AssertSameEventsAsync(
        ["sadd", "s", "1", "2", "3"],
        ["sadd", "s", "1"],
        ["srem", "s", "9"],
        ["srem", "s", "1"],
        ["smove", "s", "t", "2"],
        ["smove", "s", "t", "9"],
        ["smove", "s", "t", "3"],
        ["sadd", "t", "4"],
        ["smove", "t", "t", "4"],
        ["spop", "t", "0"],
        ["sadd", "u", "only"],
        ["spop", "u"],
        ["sadd", "a", "1", "2", "3"],
        ["sadd", "b", "2", "3", "4"],
        ["sinterstore", "i", "a", "b"],
        ["sinterstore", "i", "a", "nokey"],
        ["sinterstore", "i", "a", "nokey"],
        ["sunionstore", "un", "a", "b"],
        ["sdiffstore", "d", "a", "b"],
        ["sdiffstore", "d", "a", "a"],
        ["sunionstore", "un", "nokey"],
        ["~spop", "a", "1"],
        ["~spop", "a", "5"],
        ["srem", "b", "2", "3", "4"]);

    [Fact]
    public Task SortStoreNotifiesSortstoreOrDel() => AssertSameEventsAsync(
        ["rpush", "src", "3", "1", "2"],
        ["sort", "src", "store", "dst"],
        ["sort", "src", "store", "dst"],
        ["sort", "src", "limit", "0", "0", "store", "dst"],
        ["sort", "nokey", "store", "dst"],
        ["sort", "src"],
        ["set", "w_1", "5"],
        ["sort", "src", "by", "w_*", "get", "name_*", "store", "out"]);

    [Fact]
    public async Task ClientsServedAfterBlockingNotifyPopsAndPushesLikeRedis()
    {
        // Each blocked command is parked on its own connection, then a push serves it.
        string[][][] rounds =
        [
            [["blpop", "q1", "0"], ["rpush", "q1", "a", "b"]],
            [["brpop", "q2", "0"], ["lpush", "q2", "a"]],
            [["blmpop", "0", "1", "q3", "right", "count", "5"], ["rpush", "q3", "a", "b"]],
            [["blmove", "q4", "d4", "right", "left", "0"], ["rpush", "q4", "a"]],
            [["brpoplpush", "q5", "q5", "0"], ["rpush", "q5", "a"]],
        ];
        var transcripts = new List<List<string>>();
        foreach (var server in new[] { _pair.Redis, _pair.Cinnabar })
        {
            await using var sub = await RawConnection.ConnectAsync(server.Port);
            await using var pub = await RawConnection.ConnectAsync(server.Port);
            var got = new List<string> { await pub.CommandAsync("FLUSHALL"), await pub.CommandAsync("CONFIG", "SET", "notify-keyspace-events", "KEAnm") };
            got.Add(await sub.CommandAsync("PSUBSCRIBE", "__keyspace@0__:*", "__keyevent@0__:*"));
            got.Add(await sub.ReadReplyAsync(TimeSpan.FromSeconds(10)));
            foreach (var round in rounds)
            {
                await using var blocked = await RawConnection.ConnectAsync(server.Port);
                await blocked.SendRawAsync(RawConnection.Encode([.. round[0].Select(a => System.Text.Encoding.ASCII.GetBytes(a))]));
                await WaitForBlockedClientAsync(pub);
                got.Add(await pub.CommandAsync(round[1]));
                got.Add(await blocked.ReadReplyAsync(TimeSpan.FromSeconds(10)));
            }

            await pub.CommandAsync("PUBLISH", EndChannel, "end");
            got.AddRange(await ReadUntilEndAsync(sub));
            await pub.CommandAsync("CONFIG", "SET", "notify-keyspace-events", "");
            transcripts.Add(got);
        }

        Assert.Equal(transcripts[0].Select(DifferentialPair.Escape), transcripts[1].Select(DifferentialPair.Escape));
    }

    private static async Task WaitForBlockedClientAsync(RawConnection conn)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(await conn.CommandAsync("INFO", "clients")).Contains("blocked_clients:1", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the client never blocked");
            await Task.Delay(10);
        }
    }

    private static async Task<List<string>> ReadUntilEndAsync(RawConnection sub)
    {
        var messages = new List<string>();
        while (true)
        {
            var message = await sub.ReadReplyAsync(TimeSpan.FromSeconds(10));
            if (message.Contains(EndChannel, StringComparison.Ordinal))
            {
                return messages;
            }

            messages.Add(message);
        }
    }

    // Runs the script on both servers with a pattern subscriber listening, ends it with a marker
    // message, and compares replies and every message received up to the marker.
    private async Task AssertSameEventsAsync(params string[][] script)
    {
        var transcripts = new List<List<string>>();
        foreach (var server in new[] { _pair.Redis, _pair.Cinnabar })
        {
            await using var sub = await RawConnection.ConnectAsync(server.Port);
            await using var pub = await RawConnection.ConnectAsync(server.Port);
            var got = new List<string>
            {
                await pub.CommandAsync("FLUSHALL"),
                await pub.CommandAsync("CONFIG", "SET", "notify-keyspace-events", "KEAnm"),
                await sub.CommandAsync("PSUBSCRIBE", "__keyspace@0__:*", "__keyevent@0__:*"),
            };
            got.Add(await sub.ReadReplyAsync(TimeSpan.FromSeconds(10)));
            foreach (var cmd in script)
            {
                // "~" marks a command whose reply is random (SPOP): only its events are compared.
                if (cmd[0].StartsWith('~'))
                {
                    await pub.CommandAsync([cmd[0][1..], .. cmd[1..]]);
                    continue;
                }

                got.Add(await pub.CommandAsync(cmd));
            }

            await pub.CommandAsync("PUBLISH", EndChannel, "end");
            got.AddRange(await ReadUntilEndAsync(sub));

            await pub.CommandAsync("CONFIG", "SET", "notify-keyspace-events", "");
            transcripts.Add(got);
        }

        Assert.Equal(transcripts[0].Select(DifferentialPair.Escape), transcripts[1].Select(DifferentialPair.Escape));
    }
}
