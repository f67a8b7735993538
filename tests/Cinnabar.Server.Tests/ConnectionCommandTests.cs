using Cinnabar.Server.Networking;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

public class ConnectionCommandTests
{
    private const string HelloPrefix = "$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n";

    [Fact]
    public void PingAnswersPongOrEchoesItsArgument()
    {
        var h = new ServerHarness();
        Assert.Equal("+PONG\r\n", h.Run("PING"));
        Assert.Equal("$5\r\nhello\r\n", h.Run("PING", "hello"));
        Assert.Equal("-ERR wrong number of arguments for 'ping' command\r\n", h.Run("PING", "a", "b"));
    }

    [Fact]
    public void PingInsideSubscribedResp2ContextAnswersAnArray()
    {
        var h = new ServerHarness();
        h.Client.IsPubSub = true;
        Assert.Equal("*2\r\n$4\r\npong\r\n$0\r\n\r\n", h.Run("PING"));
        Assert.Equal("*2\r\n$4\r\npong\r\n$1\r\nx\r\n", h.Run("PING", "x"));
    }

    [Fact]
    public void SelectValidatesTheIndex()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR value is not an integer or out of range\r\n", h.Run("SELECT", "x"));
        Assert.Equal("-ERR DB index is out of range\r\n", h.Run("SELECT", "16"));
        Assert.Equal("-ERR DB index is out of range\r\n", h.Run("SELECT", "-1"));
        Assert.Equal("+OK\r\n", h.Run("SELECT", "15"));
        Assert.Equal(15, h.Client.DbIndex);
    }

    [Fact]
    public void QuitRepliesOkAndClosesAfterTheReply()
    {
        var h = new ServerHarness();
        Assert.Equal("+OK\r\n", h.Run("QUIT"));
        Assert.True(h.Client.CloseAfterReply);
    }

    [Fact]
    public void AuthWithoutAConfiguredPasswordExplainsTheMistake()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n", h.Run("AUTH", "x"));
        Assert.Equal("+OK\r\n", h.Run("AUTH", "default", "anything"));
        Assert.Equal("-WRONGPASS invalid username-password pair or user is disabled.\r\n", h.Run("AUTH", "bob", "x"));
        Assert.Equal("-ERR syntax error\r\n", h.Run("AUTH", "a", "b", "c"));
    }

    [Fact]
    public void AuthWithUserAndPasswordAuthenticatesTheDefaultUser()
    {
        var h = new ServerHarness(c => c.RequirePass = "secret");
        Assert.Equal("-WRONGPASS invalid username-password pair or user is disabled.\r\n", h.Run("AUTH", "default", "nope"));
        Assert.False(h.Client.Authenticated);
        Assert.Equal("+OK\r\n", h.Run("AUTH", "default", "secret"));
        Assert.True(h.Client.Authenticated);
    }

    [Fact]
    public void HelloWithoutArgumentsDescribesTheServerInResp2()
    {
        var h = new ServerHarness();
        string expected = "*14\r\n" + HelloPrefix + ":2\r\n$2\r\nid\r\n:" + h.Client.Id + "\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n";
        Assert.Equal(expected, h.Run("HELLO"));
    }

    [Fact]
    public void Hello3SwitchesTheConnectionToResp3()
    {
        var h = new ServerHarness();
        var reply = h.Run("HELLO", "3");
        Assert.StartsWith("%7\r\n" + HelloPrefix + ":3\r\n", reply, StringComparison.Ordinal);
        Assert.Equal(3, h.Client.Protocol);
        Assert.Equal("_\r\n", h.Run("GET", "missing"));
        h.Run("HELLO", "2");
        Assert.Equal("$-1\r\n", h.Run("GET", "missing"));
    }

    [Fact]
    public void HelloReportsReplicaRoleOnAReplica()
    {
        var h = new ServerHarness();
        h.Server.IsReplica = true;
        Assert.Contains("$4\r\nrole\r\n$7\r\nreplica\r\n", h.Run("HELLO"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("4")]
    [InlineData("-3")]
    public void HelloRejectsUnsupportedProtocolVersions(string version)
    {
        var h = new ServerHarness();
        Assert.Equal("-NOPROTO unsupported protocol version\r\n", h.Run("HELLO", version));
        Assert.Equal(2, h.Client.Protocol);
    }

    [Fact]
    public void HelloRejectsMalformedArguments()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR Protocol version is not an integer or out of range\r\n", h.Run("HELLO", "x"));
        Assert.Equal("-ERR Syntax error in HELLO option 'foo'\r\n", h.Run("HELLO", "3", "foo"));
        Assert.Equal("-ERR Syntax error in HELLO option 'auth'\r\n", h.Run("HELLO", "3", "auth", "a"));
        Assert.Equal("-ERR Client names cannot contain spaces, newlines or special characters.\r\n", h.Run("HELLO", "3", "setname", "a b"));
        Assert.Equal(2, h.Client.Protocol);
    }

    [Fact]
    public void HelloAuthenticatesAndNamesTheClient()
    {
        var h = new ServerHarness(c => c.RequirePass = "pw");
        Assert.StartsWith("-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option", h.Run("HELLO", "3"), StringComparison.Ordinal);
        Assert.Equal("-WRONGPASS invalid username-password pair or user is disabled.\r\n", h.Run("HELLO", "3", "AUTH", "default", "bad"));
        Assert.StartsWith("%7\r\n", h.Run("HELLO", "3", "AUTH", "default", "pw", "SETNAME", "app"), StringComparison.Ordinal);
        Assert.True(h.Client.Authenticated);
        Assert.Equal("app", h.Client.Name);
    }

    [Fact]
    public void ResetRestoresAFreshConnectionState()
    {
        var h = new ServerHarness(c => c.RequirePass = "pw");
        h.Run("AUTH", "pw");
        h.Run("HELLO", "3", "SETNAME", "app");
        h.Run("SELECT", "3");
        h.Run("WATCH", "k");
        h.Run("MULTI");
        h.Run("SET", "k", "v");
        Assert.Equal("+RESET\r\n", h.Run("RESET"));
        Assert.Equal(0, h.Client.DbIndex);
        Assert.Equal(2, h.Client.Protocol);
        Assert.Null(h.Client.Name);
        Assert.False(h.Client.InMulti);
        Assert.Empty(h.Client.Queued);
        Assert.Empty(h.Client.WatchedKeys);
        Assert.False(h.Client.Authenticated);
        Assert.Equal("-NOAUTH Authentication required.\r\n", h.Run("GET", "k"));
    }

    [Fact]
    public void ResetTurnsRepliesBackOnAndLeavesMonitorMode()
    {
        var h = new ServerHarness();
        h.Client.IsMonitor = true;
        h.Server.Monitors.Add(h.Client);
        h.Run("CLIENT", "REPLY", "OFF");
        Assert.Equal("+RESET\r\n", h.Run("RESET"));
        Assert.Equal(ReplyMode.On, h.Client.ReplyMode);
        Assert.False(h.Client.IsMonitor);
        Assert.Empty(h.Server.Monitors);
        Assert.Equal("+PONG\r\n", h.Run("PING"));
    }

    [Fact]
    public void ResetIsRefusedForReplicationLinks()
    {
        // Redis refuses with "can only reset normal client connections"; on a replica's link that
        // error is a reply the link cannot carry, so the replica is dropped without it.
        var h = new ServerHarness();
        h.Client.IsReplica = true;
        Assert.Equal(string.Empty, h.Run("RESET"));
        Assert.True(h.Client.Killed);
    }

    [Fact]
    public void HttpRequestLinesCloseTheConnectionSilently()
    {
        var h = new ServerHarness();
        Assert.Equal(string.Empty, h.Run("POST", "/", "HTTP/1.1"));
        Assert.True(h.Client.CloseAfterReply);
        var other = h.NewClient();
        Assert.Equal(string.Empty, h.Run(other, "Host:", "example.com"));
        Assert.True(other.CloseAfterReply);
    }

    [Theory]
    [InlineData("127.0.0.1", true, "", false)]
    [InlineData("::1", true, "", false)]
    [InlineData("192.0.2.7", true, "", true)]
    [InlineData("127.0.0.2", true, "", true)]
    [InlineData("192.0.2.7", false, "", false)]
    [InlineData("192.0.2.7", true, "pw", false)]
    public void ProtectedModeRefusesOnlyNonLoopbackClientsWithoutAPassword(string ip, bool protectedMode, string password, bool refused)
    {
        var config = new Config.ServerConfig { ProtectedMode = protectedMode, RequirePass = password, Bind = ["192.0.2.1"] };
        var remote = new System.Net.IPEndPoint(System.Net.IPAddress.Parse(ip), 40000);
        Assert.Equal(refused, Hosting.ServerHost.ProtectedModeRefuses(config, remote));
    }

    [Fact]
    public void ProtectedModeMessageIsRedisText()
    {
        Assert.StartsWith("-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.", Hosting.ServerHost.ProtectedModeMessage, StringComparison.Ordinal);
        Assert.Contains(" 4) Setup a an authentication password for the default user. NOTE:", Hosting.ServerHost.ProtectedModeMessage, StringComparison.Ordinal);
        Assert.EndsWith("the server to start accepting connections from the outside.\r\n", Hosting.ServerHost.ProtectedModeMessage, StringComparison.Ordinal);
    }
}
