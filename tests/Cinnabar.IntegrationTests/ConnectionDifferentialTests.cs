// Connection, CLIENT and transaction replies compared byte for byte with redis-server 7.0.15.
// Client ids differ between the two servers, so HELLO's id is compared after masking it, and
// CLIENT LIST/INFO lines are compared by their field names and order.
using System.Text.RegularExpressions;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public partial class ConnectionDifferentialTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public ConnectionDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [GeneratedRegex(@"(\$2\r\nid\r\n):\d+")]
    private static partial Regex HelloId();

    [GeneratedRegex(@"(\S+?)=\S*")]
    private static partial Regex Field();

    [Fact]
    public Task PingEchoSelectAndQuitErrorsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["PING", "a", "b"],
        ["ECHO"],
        ["ECHO", "a", "b"],
        ["SELECT", "16"],
        ["SELECT", "-1"],
        ["SELECT", "99999999999999999999"],
        ["QUIT", "extra"]);

    [Fact]
    public Task AuthWithoutPasswordMatchesRedis() => _pair.AssertSameRepliesAsync(
        ["AUTH", "x"],
        ["AUTH", "default", "x"],
        ["AUTH", "bob", "x"],
        ["AUTH", "a", "b", "c"],
        ["AUTH"]);

    [Fact]
    public Task ClientErrorsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["CLIENT"],
        ["CLIENT", "foo"],
        ["CLIENT", "ID", "x"],
        ["CLIENT", "HELP"],
        ["CLIENT", "HELP", "x"],
        ["client", "setname", "a b"],
        ["CLIENT", "SETNAME", "a\nb"],
        ["CLIENT", "SETNAME", "\u00e9"],
        ["CLIENT", "GETNAME"],
        ["CLIENT", "SETNAME", "ok-name"],
        ["CLIENT", "GETNAME"],
        ["CLIENT", "SETNAME", ""],
        ["CLIENT", "GETNAME"],
        ["CLIENT", "LIST", "TYPE"],
        ["CLIENT", "LIST", "TYPE", "foo"],
        ["CLIENT", "LIST", "TYPE", "master"],
        ["CLIENT", "LIST", "TYPE", "replica"],
        ["CLIENT", "LIST", "TYPE", "slave"],
        ["CLIENT", "LIST", "ID", "x"],
        ["CLIENT", "LIST", "ID", "999999"],
        ["CLIENT", "LIST", "foo", "bar"],
        ["CLIENT", "KILL", "1.2.3.4:5"],
        ["CLIENT", "KILL", "ID", "x"],
        ["CLIENT", "KILL", "ID", "0"],
        ["CLIENT", "KILL", "ID", "999999"],
        ["CLIENT", "KILL", "TYPE", "foo"],
        ["CLIENT", "KILL", "USER", "bob"],
        ["CLIENT", "KILL", "SKIPME", "maybe"],
        ["CLIENT", "KILL", "foo", "bar"],
        ["CLIENT", "KILL", "ID"],
        ["CLIENT", "KILL", "ID", "999999", "TYPE"],
        ["CLIENT", "KILL", "ADDR", "1.2.3.4:5", "LADDR", "1.2.3.4:6", "TYPE", "pubsub"],
        ["CLIENT", "PAUSE", "x"],
        ["CLIENT", "PAUSE", "-1"],
        ["CLIENT", "PAUSE", "10", "foo"],
        ["CLIENT", "PAUSE", "10", "write", "x"],
        ["CLIENT", "UNPAUSE"],
        ["CLIENT", "UNPAUSE", "x"],
        ["CLIENT", "UNBLOCK", "1", "foo"],
        ["CLIENT", "UNBLOCK", "x"],
        ["CLIENT", "UNBLOCK", "999999"],
        ["CLIENT", "UNBLOCK", "999999", "ERROR"],
        ["CLIENT", "UNBLOCK", "1", "2", "3"],
        ["CLIENT", "REPLY", "maybe"],
        ["CLIENT", "NO-EVICT", "maybe"],
        ["CLIENT", "NO-EVICT", "on"],
        ["CLIENT", "NO-EVICT", "off"],
        ["CLIENT", "GETREDIR"],
        ["CLIENT", "TRACKINGINFO"]);

    [Fact]
    public Task TransactionsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["EXEC"],
        ["DISCARD"],
        ["MULTI"],
        ["MULTI"],
        ["SET", "a", "1"],
        ["GET", "a"],
        ["SELECT", "99"],
        ["PING"],
        ["EXEC"],
        ["MULTI"],
        ["WATCH", "x"],
        ["SET", "b", "1"],
        ["GET"],
        ["NOSUCH", "x"],
        ["EXEC"],
        ["GET", "b"],
        ["MULTI"],
        ["EXEC"],
        ["WATCH"],
        ["WATCH", "k1", "k2"],
        ["SET", "k1", "v"],
        ["MULTI"],
        ["GET", "k1"],
        ["EXEC"],
        ["UNWATCH"],
        ["MULTI"],
        ["DISCARD"],
        ["UNWATCH", "x"]);

    [Fact]
    public Task Resp3TransactionRepliesMatchRedis() => AssertSameMaskingIdsAsync(
        ["HELLO", "3", "SETNAME", "r3"],
        ["WATCH", "x"],
        ["SET", "x", "1"],
        ["MULTI"],
        ["GET", "x"],
        ["EXEC"],
        ["MULTI"],
        ["GET", "nokey"],
        ["PING"],
        ["EXEC"],
        ["CLIENT", "GETNAME"],
        ["CLIENT", "TRACKINGINFO"],
        ["RESET"],
        ["GET", "nokey"],
        ["CLIENT", "GETNAME"]);

    [Fact]
    public Task HelloRepliesMatchRedisApartFromTheClientId() => AssertSameMaskingIdsAsync(
        ["HELLO"],
        ["HELLO", "3"],
        ["HELLO", "2"],
        ["HELLO", "4"],
        ["HELLO", "1"],
        ["HELLO", "x"],
        ["HELLO", "3", "foo"],
        ["HELLO", "3", "AUTH", "a"],
        ["HELLO", "3", "AUTH", "default", "any"],
        ["HELLO", "3", "AUTH", "bob", "any"],
        ["HELLO", "2", "SETNAME", "a b"],
        ["HELLO", "2", "SETNAME", "n1"],
        ["CLIENT", "GETNAME"]);

    /// <summary>Masks the client id in HELLO replies, the one value that differs between the two servers.</summary>
    public static string MaskHelloId(string reply) => HelloId().Replace(reply, "$1:ID");

    [Fact]
    public async Task ClientListAndInfoHaveRedisFieldsInRedisOrder()
    {
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        foreach (var conn in new[] { r, c })
        {
            await conn.CommandAsync("CLIENT", "SETNAME", "shape");
            await conn.CommandAsync("MULTI");
            await conn.CommandAsync("PING");
        }

        foreach (var cmd in new[] { new[] { "CLIENT", "INFO" }, ["CLIENT", "LIST", "TYPE", "normal"] })
        {
            await r.CommandAsync("DISCARD");
            await c.CommandAsync("DISCARD");
            var expected = await r.CommandAsync(cmd);
            var actual = await c.CommandAsync(cmd);
            Assert.Equal(FieldNames(expected), FieldNames(actual));
            Assert.EndsWith("\n\r\n", actual, StringComparison.Ordinal);
        }

        await r.CommandAsync("MULTI");
        await c.CommandAsync("MULTI");
        var inMulti = await c.CommandAsync("CLIENT", "INFO");
        Assert.Equal("+QUEUED\r\n", inMulti);
        var execReply = await c.CommandAsync("EXEC");
        Assert.Contains(" flags=x ", execReply, StringComparison.Ordinal);
        Assert.Contains(" multi=1 ", execReply, StringComparison.Ordinal);
        Assert.Contains(" name=shape ", execReply, StringComparison.Ordinal);
        Assert.Contains(" cmd=exec ", execReply, StringComparison.Ordinal);
        Assert.Equal(FieldNames(await r.CommandAsync("EXEC")), FieldNames(execReply));
    }

    [Fact]
    public async Task ClientKillOfAnotherConnectionClosesItLikeRedis()
    {
        foreach (var port in new[] { _pair.Redis.Port, _pair.Cinnabar.Port })
        {
            await using var killer = await RawConnection.ConnectAsync(port);
            await using var victim = await RawConnection.ConnectAsync(port);
            var id = (await victim.CommandAsync("CLIENT", "ID"))[1..^2];
            Assert.Equal(":1\r\n", await killer.CommandAsync("CLIENT", "KILL", "ID", id));
            Assert.Equal(string.Empty, await victim.ReadToEndAsync(TimeSpan.FromSeconds(30)));
            Assert.DoesNotContain($"id={id} ", await killer.CommandAsync("CLIENT", "LIST"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ClientKillOfItselfRepliesBeforeClosing()
    {
        foreach (var port in new[] { _pair.Redis.Port, _pair.Cinnabar.Port })
        {
            await using var conn = await RawConnection.ConnectAsync(port);
            var id = (await conn.CommandAsync("CLIENT", "ID"))[1..^2];
            await conn.SendRawAsync(RawConnection.Encode("CLIENT"u8.ToArray(), "KILL"u8.ToArray(), "ID"u8.ToArray(), System.Text.Encoding.ASCII.GetBytes(id), "SKIPME"u8.ToArray(), "no"u8.ToArray()));
            Assert.Equal(":1\r\n", await conn.ReadToEndAsync(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public async Task AuthFlowWithRequirepassMatchesRedis()
    {
        await using var redis = await ServerProcess.StartAsync(ServerOptions.Redis().With("requirepass", "s3cret"));
        await using var cinnabar = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("requirepass", "s3cret"));
        string[][] script =
        [
            ["GET", "x"],
            ["PING"],
            ["HELLO", "3"],
            ["CLIENT", "ID"],
            ["AUTH", "wrong"],
            ["AUTH", "default", "wrong"],
            ["AUTH", "nobody", "s3cret"],
            ["AUTH", "s3cret"],
            ["GET", "x"],
            ["RESET"],
            ["GET", "x"],
            ["AUTH", "default", "s3cret"],
            ["GET", "x"],
        ];
        await using var r = await RawConnection.ConnectAsync(redis.Port);
        await using var c = await RawConnection.ConnectAsync(cinnabar.Port);
        foreach (var cmd in script)
        {
            var expected = await r.CommandAsync(cmd);
            var actual = await c.CommandAsync(cmd);
            Assert.True(expected == actual, $"{string.Join(' ', cmd)}\n redis:    {DifferentialPair.Escape(expected)}\n cinnabar: {DifferentialPair.Escape(actual)}");
        }

        foreach (var port in new[] { redis.Port, cinnabar.Port })
        {
            await using var unauth = await RawConnection.ConnectAsync(port);
            await unauth.SendRawAsync("*11\r\n"u8.ToArray());
            Assert.Equal("-ERR Protocol error: unauthenticated multibulk length\r\n", await unauth.ReadToEndAsync(TimeSpan.FromSeconds(30)));
            await using var unauthBulk = await RawConnection.ConnectAsync(port);
            await unauthBulk.SendRawAsync("*1\r\n$16385\r\n"u8.ToArray());
            Assert.Equal("-ERR Protocol error: unauthenticated bulk length\r\n", await unauthBulk.ReadToEndAsync(TimeSpan.FromSeconds(30)));
        }
    }

    private async Task AssertSameMaskingIdsAsync(params string[][] script)
    {
        var (r, c) = await _pair.ConnectAsync();
        await using var _ = r;
        await using var __ = c;
        foreach (var cmd in script)
        {
            var expected = MaskHelloId(await r.CommandAsync(cmd));
            var actual = MaskHelloId(await c.CommandAsync(cmd));
            Assert.True(expected == actual, $"{string.Join(' ', cmd)}\n redis:    {DifferentialPair.Escape(expected)}\n cinnabar: {DifferentialPair.Escape(actual)}");
        }
    }

    private static string FieldNames(string reply) =>
        string.Join(' ', Field().Matches(reply.Replace("txt:", string.Empty, StringComparison.Ordinal).Split('\n')[1]).Select(m => m.Groups[1].Value));
}
