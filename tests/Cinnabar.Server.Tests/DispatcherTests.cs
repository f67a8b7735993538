using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

public class DispatcherTests
{
    [Fact]
    public void UnknownCommandNamesItsFirstArguments()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR unknown command 'nosuch', with args beginning with: 'a' 'b' \r\n", h.Run("nosuch", "a", "b"));
    }

    [Fact]
    public void WrongArityIsRejectedBeforeTheHandler()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR wrong number of arguments for 'get' command\r\n", h.Run("GET"));
    }

    [Fact]
    public void CommandsOtherThanAuthNeedAuthenticationWhenAPasswordIsSet()
    {
        var h = new ServerHarness(c => c.RequirePass = "centos");
        Assert.Equal("-NOAUTH Authentication required.\r\n", h.Run("GET", "x"));
        Assert.Equal("-WRONGPASS invalid username-password pair or user is disabled.\r\n", h.Run("AUTH", "wrong"));
        Assert.Equal("+OK\r\n", h.Run("AUTH", "centos"));
        Assert.Equal("$-1\r\n", h.Run("GET", "x"));
    }

    [Fact]
    public void SetThenGetReturnsTheValue()
    {
        var h = new ServerHarness();
        Assert.Equal("+OK\r\n", h.Run("SET", "k", "v"));
        Assert.Equal("$1\r\nv\r\n", h.Run("GET", "k"));
    }

    [Fact]
    public void ExecAnswersExecAbortAfterAQueuingError()
    {
        var h = new ServerHarness();
        Assert.Equal("+OK\r\n", h.Run("MULTI"));
        Assert.Equal("+QUEUED\r\n", h.Run("SET", "a", "1"));
        Assert.Equal("-ERR wrong number of arguments for 'get' command\r\n", h.Run("GET"));
        Assert.Equal("-EXECABORT Transaction discarded because of previous errors.\r\n", h.Run("EXEC"));
        Assert.Equal("$-1\r\n", h.Run("GET", "a"));
    }

    [Fact]
    public void WatchedKeyChangedByAnotherClientMakesExecReturnNull()
    {
        var h = new ServerHarness();
        var other = h.NewClient();
        h.Run("WATCH", "w");
        h.Run("MULTI");
        h.Run("SET", "w", "mine");
        h.Run(other, "SET", "w", "theirs");
        Assert.Equal("*-1\r\n", h.Run("EXEC"));
        Assert.Equal("$6\r\ntheirs\r\n", h.Run("GET", "w"));
    }
}
