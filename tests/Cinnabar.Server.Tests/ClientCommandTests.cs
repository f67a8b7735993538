using System.Text.RegularExpressions;

using Cinnabar.Server.Networking;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

public partial class ClientCommandTests
{
    [GeneratedRegex(@"^id=\d+ addr=\S+ laddr=\S+ fd=-?\d+ name=\S* age=\d+ idle=\d+ flags=[A-Za-z]+ db=\d+ sub=\d+ psub=\d+ ssub=\d+ multi=-?\d+ qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ multi-mem=\d+ rbs=\d+ rbp=\d+ obl=\d+ oll=\d+ omem=\d+ tot-mem=\d+ events=r?w? cmd=\S+ user=\S+ redir=-?\d+ resp=[23]$")]
    private static partial Regex ClientLine();

    [Fact]
    public void ClientIdIsTheConnectionId()
    {
        var h = new ServerHarness();
        Assert.Equal($":{h.Client.Id}\r\n", h.Run("CLIENT", "ID"));
    }

    [Fact]
    public void SetNameRejectsSpacesAndSpecialCharacters()
    {
        var h = new ServerHarness();
        Assert.Equal("$-1\r\n", h.Run("CLIENT", "GETNAME"));
        Assert.Equal("-ERR Client names cannot contain spaces, newlines or special characters.\r\n", h.Run("CLIENT", "SETNAME", "a b"));
        Assert.Equal("-ERR Client names cannot contain spaces, newlines or special characters.\r\n", h.Run("CLIENT", "SETNAME", "a\nb"));
        Assert.Equal("+OK\r\n", h.Run("CLIENT", "SETNAME", "worker-1"));
        Assert.Equal("$8\r\nworker-1\r\n", h.Run("CLIENT", "GETNAME"));
        Assert.Equal("+OK\r\n", h.Run("CLIENT", "SETNAME", ""));
        Assert.Equal("$-1\r\n", h.Run("CLIENT", "GETNAME"));
    }

    [Fact]
    public void ClientInfoHasRedisFieldsInRedisOrder()
    {
        var h = new ServerHarness();
        h.Run("CLIENT", "SETNAME", "me");
        var reply = h.Run("CLIENT", "INFO");
        var body = BulkBody(reply);
        Assert.EndsWith("\n", body, StringComparison.Ordinal);
        var line = body.TrimEnd('\n');
        Assert.Matches(ClientLine(), line);
        Assert.Contains(" name=me ", line, StringComparison.Ordinal);
        Assert.Contains(" cmd=client|info ", line, StringComparison.Ordinal);
        Assert.Contains(" flags=N ", line, StringComparison.Ordinal);
        Assert.Contains(" argv-mem=10 ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void ClientInfoIsVerbatimInResp3()
    {
        var h = new ServerHarness();
        h.Run("HELLO", "3");
        Assert.StartsWith("=", h.Run("CLIENT", "INFO"), StringComparison.Ordinal);
        Assert.Contains("txt:id=", h.Run("CLIENT", "INFO"), StringComparison.Ordinal);
    }

    [Fact]
    public void ClientListShowsEveryClientAndItsTransactionState()
    {
        var h = new ServerHarness();
        var other = h.NewClient();
        h.Run(other, "MULTI");
        h.Run(other, "SET", "a", "b");
        var lines = BulkBody(h.Run("CLIENT", "LIST")).TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Matches(ClientLine(), l));
        Assert.StartsWith($"id={h.Client.Id} ", lines[0], StringComparison.Ordinal);
        Assert.Contains(" flags=x ", lines[1], StringComparison.Ordinal);
        Assert.Contains(" multi=1 ", lines[1], StringComparison.Ordinal);
        Assert.Contains(" multi-mem=29 ", lines[1], StringComparison.Ordinal);
        Assert.Contains(" cmd=set ", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void ClientListFiltersByTypeAndId()
    {
        var h = new ServerHarness();
        var sub = h.NewClient();
        sub.IsPubSub = true;
        Assert.StartsWith($"id={sub.Id} ", BulkBody(h.Run("CLIENT", "LIST", "TYPE", "pubsub")), StringComparison.Ordinal);
        Assert.StartsWith($"id={h.Client.Id} ", BulkBody(h.Run("CLIENT", "LIST", "TYPE", "NORMAL")), StringComparison.Ordinal);
        Assert.Equal("$0\r\n\r\n", h.Run("CLIENT", "LIST", "TYPE", "replica"));
        Assert.Equal("$0\r\n\r\n", h.Run("CLIENT", "LIST", "TYPE", "master"));
        var byId = BulkBody(h.Run("CLIENT", "LIST", "ID", sub.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "999"));
        Assert.Single(byId.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"id={sub.Id} ", byId, StringComparison.Ordinal);
    }

    [Fact]
    public void ClientListRejectsBadFilters()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR Unknown client type 'foo'\r\n", h.Run("CLIENT", "LIST", "TYPE", "foo"));
        Assert.Equal("-ERR Invalid client ID\r\n", h.Run("CLIENT", "LIST", "ID", "x"));
        Assert.Equal("-ERR syntax error\r\n", h.Run("CLIENT", "LIST", "TYPE"));
        Assert.Equal("-ERR syntax error\r\n", h.Run("CLIENT", "LIST", "foo", "bar"));
    }

    [Fact]
    public void ClientKillOldFormRepliesOkOrNoSuchClient()
    {
        var h = new ServerHarness();
        var other = h.NewClient();
        other.Address = "10.0.0.1:5000";
        Assert.Equal("-ERR No such client\r\n", h.Run("CLIENT", "KILL", "10.0.0.1:5001"));
        Assert.Equal("+OK\r\n", h.Run("CLIENT", "KILL", "10.0.0.1:5000"));
        Assert.True(other.Killed);
        Assert.False(h.Server.Clients.ContainsKey(other.Id));
    }

    [Fact]
    public void ClientKillOldFormMayKillTheCallerItself()
    {
        var h = new ServerHarness();
        h.Client.Address = "10.0.0.2:6000";
        Assert.Equal("+OK\r\n", h.Run("CLIENT", "KILL", "10.0.0.2:6000"));
        Assert.True(h.Client.CloseAfterReply);
    }

    [Fact]
    public void ClientKillNewFormCountsKilledClientsAndSkipsTheCaller()
    {
        var h = new ServerHarness();
        var a = h.NewClient();
        var b = h.NewClient();
        Assert.Equal(":2\r\n", h.Run("CLIENT", "KILL", "TYPE", "normal"));
        Assert.True(a.Killed);
        Assert.True(b.Killed);
        Assert.False(h.Client.CloseAfterReply);
        Assert.Equal(":1\r\n", h.Run("CLIENT", "KILL", "USER", "default", "SKIPME", "no"));
        Assert.True(h.Client.CloseAfterReply);
    }

    [Fact]
    public void ClientKillById()
    {
        var h = new ServerHarness();
        var a = h.NewClient();
        Assert.Equal(":0\r\n", h.Run("CLIENT", "KILL", "ID", "12345"));
        Assert.Equal(":1\r\n", h.Run("CLIENT", "KILL", "ID", a.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("-ERR client-id should be greater than 0\r\n", "ID", "0")]
    [InlineData("-ERR client-id should be greater than 0\r\n", "ID", "x")]
    [InlineData("-ERR Unknown client type 'foo'\r\n", "TYPE", "foo")]
    [InlineData("-ERR No such user 'bob'\r\n", "USER", "bob")]
    [InlineData("-ERR syntax error\r\n", "SKIPME", "maybe")]
    [InlineData("-ERR syntax error\r\n", "MAXAGE", "10")]
    [InlineData("-ERR syntax error\r\n", "ID", "1", "TYPE")]
    public void ClientKillRejectsBadOptions(string expected, params string[] options)
    {
        var h = new ServerHarness();
        Assert.Equal(expected, h.Run(["CLIENT", "KILL", .. options]));
    }

    [Fact]
    public void ClientHelpListsRedisLines()
    {
        var h = new ServerHarness();
        var reply = h.Run("CLIENT", "HELP");
        Assert.StartsWith("*48\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+CACHING (YES|NO)\r\n", reply, StringComparison.Ordinal);
        Assert.EndsWith("+HELP\r\n+    Prints this help.\r\n", reply, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownClientSubcommandPointsToHelp()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n", h.Run("client", "foo"));
        Assert.Equal("-ERR wrong number of arguments for 'client|id' command\r\n", h.Run("CLIENT", "ID", "x"));
        Assert.Equal("-ERR wrong number of arguments for 'client' command\r\n", h.Run("CLIENT"));
    }

    [Fact]
    public void ClientReplyOffSilencesUntilOn()
    {
        var h = new ServerHarness();
        Assert.Equal(string.Empty, h.Run("CLIENT", "REPLY", "OFF"));
        Assert.Equal(string.Empty, h.Run("PING"));
        Assert.Equal("+OK\r\n", h.Run("CLIENT", "REPLY", "ON"));
        Assert.Equal("+PONG\r\n", h.Run("PING"));
    }

    [Fact]
    public void ClientReplySkipDropsOnlyTheNextReply()
    {
        var h = new ServerHarness();
        Assert.Equal(string.Empty, h.Run("CLIENT", "REPLY", "SKIP"));
        Assert.Equal(string.Empty, h.Run("PING"));
        Assert.Equal("+PONG\r\n", h.Run("PING"));
        Assert.Equal("-ERR syntax error\r\n", h.Run("CLIENT", "REPLY", "maybe"));
    }

    [Fact]
    public void ClientReplyOnAfterSkipRepliesAndCancelsTheSkip()
    {
        var h = new ServerHarness();
        Assert.Equal(string.Empty, h.Run("CLIENT", "REPLY", "SKIP"));
        Assert.Equal("+OK\r\n", h.Run("CLIENT", "REPLY", "ON"));
        Assert.Equal("+PONG\r\n", h.Run("PING"));
    }

    [Fact]
    public void ResetAfterSkipIsItselfSkipped()
    {
        var h = new ServerHarness();
        h.Run("CLIENT", "REPLY", "SKIP");
        Assert.Equal(string.Empty, h.Run("RESET"));
        Assert.Equal("+PONG\r\n", h.Run("PING"));
    }

    [Fact]
    public void ClientNoEvictTogglesTheFlag()
    {
        var h = new ServerHarness();
        Assert.Equal("+OK\r\n", h.Run("CLIENT", "NO-EVICT", "on"));
        Assert.True(h.Client.NoEvict);
        Assert.Contains(" flags=e ", h.Run("CLIENT", "INFO"), StringComparison.Ordinal);
        Assert.Equal("+OK\r\n", h.Run("CLIENT", "NO-EVICT", "OFF"));
        Assert.False(h.Client.NoEvict);
        Assert.Equal("-ERR syntax error\r\n", h.Run("CLIENT", "NO-EVICT", "maybe"));
    }

    [Fact]
    public void ClientUnblockAnswersZeroForClientsThatAreNotBlocked()
    {
        var h = new ServerHarness();
        var other = h.NewClient();
        Assert.Equal(":0\r\n", h.Run("CLIENT", "UNBLOCK", other.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(":0\r\n", h.Run("CLIENT", "UNBLOCK", "9999", "ERROR"));
        Assert.Equal("-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n", h.Run("CLIENT", "UNBLOCK", "1", "foo"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", h.Run("CLIENT", "UNBLOCK", "x"));
        Assert.Equal("-ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP.\r\n", h.Run("CLIENT", "UNBLOCK", "1", "2", "3"));
    }

    [Fact]
    public void ClientPauseValidatesItsArguments()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR timeout is not an integer or out of range\r\n", h.Run("CLIENT", "PAUSE", "x"));
        Assert.Equal("-ERR timeout is negative\r\n", h.Run("CLIENT", "PAUSE", "-1"));
        Assert.Equal("-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n", h.Run("CLIENT", "PAUSE", "10", "foo"));
        Assert.Equal("-ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.\r\n", h.Run("CLIENT", "pause", "10", "write", "x"));
        Assert.Equal(PauseType.Off, h.Server.Dispatcher.Pause.Type);
    }

    [Fact]
    public void ClientPauseAllPostponesEveryCommandIncludingTheCallersOwn()
    {
        var h = new ServerHarness();
        var other = h.NewClient();
        Assert.Equal("+OK\r\n", h.Run("CLIENT", "PAUSE", "100000"));
        Assert.Equal(string.Empty, h.Run(other, "GET", "k"));
        Assert.True(other.Blocked);
        Assert.True(other.Postponed);
        Assert.Contains(" flags=b ", Commands.ClientCommands.InfoLine(h.Server, other, null), StringComparison.Ordinal);

        // As in Redis, even CLIENT UNPAUSE waits while everything is paused.
        Assert.Equal(string.Empty, h.Run("CLIENT", "UNPAUSE"));
        Assert.True(h.Client.Blocked);
        bool resumed = false;
        other.Unblock = () => resumed = true;
        lock (h.Server.Gate)
        {
            h.Server.Dispatcher.Pause.Unpause(PausePurpose.ClientCommand);
        }

        Assert.False(other.Blocked);
        Assert.False(h.Client.Blocked);
        Assert.True(resumed);
    }

    [Fact]
    public void ClientUnpauseReleasesWriters()
    {
        var h = new ServerHarness();
        var other = h.NewClient();
        h.Run("CLIENT", "PAUSE", "100000", "WRITE");
        Assert.Equal(string.Empty, h.Run(other, "SET", "k", "v"));
        Assert.True(other.Blocked);
        Assert.Equal("+OK\r\n", h.Run("CLIENT", "UNPAUSE"));
        Assert.False(other.Blocked);
        Assert.Equal("+OK\r\n", h.Run(other, "SET", "k", "v"));
    }

    [Fact]
    public void ClientPauseWriteHoldsOnlyWrites()
    {
        var h = new ServerHarness();
        var other = h.NewClient();
        h.Run("CLIENT", "PAUSE", "100000", "WRITE");
        Assert.Equal("$-1\r\n", h.Run(other, "GET", "k"));
        Assert.Equal("+PONG\r\n", h.Run(other, "PING"));
        Assert.Equal(string.Empty, h.Run(other, "SET", "k", "v"));
        Assert.True(other.Blocked);
    }

    [Fact]
    public void ClientPauseWriteHoldsExecOfQueuedWritesButNotOfReads()
    {
        var h = new ServerHarness();
        var writer = h.NewClient();
        var reader = h.NewClient();
        h.Run(writer, "MULTI");
        h.Run(writer, "SET", "k", "v");
        h.Run(reader, "MULTI");
        h.Run(reader, "GET", "k");
        h.Run("CLIENT", "PAUSE", "100000", "WRITE");
        Assert.Equal("*1\r\n$-1\r\n", h.Run(reader, "EXEC"));
        Assert.Equal(string.Empty, h.Run(writer, "EXEC"));
        Assert.True(writer.Blocked);
    }

    [Fact]
    public void ClientPauseEndsWhenItsTimeHasPassed()
    {
        var h = new ServerHarness();
        var other = h.NewClient();
        h.Run("CLIENT", "PAUSE", "1000");
        h.Run(other, "GET", "k");
        Assert.True(other.Blocked);
        h.Time.Advance(TimeSpan.FromMilliseconds(1001));
        lock (h.Server.Gate)
        {
            Assert.False(h.Server.Dispatcher.Pause.CheckTimeoutAndReturnIfPaused());
        }

        Assert.False(other.Blocked);
        Assert.Equal("$-1\r\n", h.Run(other, "GET", "k"));
    }

    [Fact]
    public void AStrongerPauseIsNotWeakenedByALaterWeakerOne()
    {
        var h = new ServerHarness();
        h.Run("CLIENT", "PAUSE", "100000", "ALL");
        h.Run("CLIENT", "PAUSE", "10", "WRITE");
        Assert.Equal(PauseType.All, h.Server.Dispatcher.Pause.Type);
        Assert.Equal(h.Time.NowMs + 100000, h.Server.Dispatcher.Pause.EndMs);
    }

    [Fact]
    public void TrackingQueriesReportTrackingOff()
    {
        var h = new ServerHarness();
        Assert.Equal(":-1\r\n", h.Run("CLIENT", "GETREDIR"));
        Assert.Equal("*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n", h.Run("CLIENT", "TRACKINGINFO"));
    }

    private static string BulkBody(string reply)
    {
        int nl = reply.IndexOf("\r\n", StringComparison.Ordinal);
        var body = reply[(nl + 2)..^2];
        return body.StartsWith("txt:", StringComparison.Ordinal) ? body[4..] : body;
    }
}
