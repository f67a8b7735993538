using System.Text;

using Cinnabar.Server.Networking;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

/// <summary>Blocking pops through the dispatcher: serving order, propagation, timeouts on the fake clock.</summary>
public class BlockingListTests
{
    private static string Pending(ClientSession c)
    {
        var s = Encoding.Latin1.GetString(c.Output.WrittenSpan);
        c.Output.Clear();
        return s;
    }

    [Fact]
    public void ABlockedPopIsServedByAPushAndPropagatedAsAPlainPopAfterThePush()
    {
        var h = new ServerHarness();
        var sink = RecordingSink.AttachTo(h);
        var waiter = h.NewClient();
        Assert.Equal(string.Empty, h.Run(waiter, "BLPOP", "q", "0"));
        Assert.True(waiter.Blocked);
        Assert.Equal(":1\r\n", h.Run("RPUSH", "q", "v"));
        Assert.False(waiter.Blocked);
        Assert.Equal("*2\r\n$1\r\nq\r\n$1\r\nv\r\n", Pending(waiter));
        Assert.Equal(["0|RPUSH q v", "0|LPOP q"], sink.Ops);
        Assert.Equal(":0\r\n", h.Run("EXISTS", "q"));
    }

    [Fact]
    public void WaitersAreServedInTheOrderTheyBlocked()
    {
        var h = new ServerHarness();
        var first = h.NewClient();
        var second = h.NewClient();
        h.Run(first, "BRPOP", "q", "0");
        h.Run(second, "BLPOP", "q", "0");
        h.Run("RPUSH", "q", "a", "b", "c");
        Assert.Equal("*2\r\n$1\r\nq\r\n$1\r\nc\r\n", Pending(first));
        Assert.Equal("*2\r\n$1\r\nq\r\n$1\r\na\r\n", Pending(second));
        Assert.Equal("*1\r\n$1\r\nb\r\n", h.Run("LRANGE", "q", "0", "-1"));
    }

    [Fact]
    public void BlmoveIsPropagatedAsLmoveAndBlmpopAsAPopWithCount()
    {
        var h = new ServerHarness();
        var sink = RecordingSink.AttachTo(h);
        var a = h.NewClient();
        var b = h.NewClient();
        h.Run(a, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0");
        h.Run(b, "BLMPOP", "0", "1", "other", "LEFT", "COUNT", "5");
        h.Run("RPUSH", "src", "x");
        h.Run("RPUSH", "other", "1", "2");
        Assert.Equal("$1\r\nx\r\n", Pending(a));
        Assert.Equal("*2\r\n$5\r\nother\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n", Pending(b));
        Assert.Equal(["0|RPUSH src x", "0|LMOVE src dst RIGHT LEFT", "0|RPUSH other 1 2", "0|LPOP other 2"], sink.Ops);
    }

    [Fact]
    public void AnImmediatePopIsPropagatedAsItsNonBlockingForm()
    {
        var h = new ServerHarness();
        var sink = RecordingSink.AttachTo(h);
        h.Run("RPUSH", "q", "a", "b", "c", "d");
        Assert.Equal("*2\r\n$1\r\nq\r\n$1\r\nd\r\n", h.Run("BRPOP", "q", "0"));
        Assert.Equal("$1\r\nc\r\n", h.Run("BRPOPLPUSH", "q", "d", "0"));
        h.Run("BLMPOP", "0", "1", "q", "LEFT", "COUNT", "9");
        Assert.Equal(["0|RPUSH q a b c d", "0|RPOP q", "0|RPOPLPUSH q d", "0|LPOP q 2"], sink.Ops);
    }

    [Fact]
    public void ATimedOutWaiterGetsANullArrayWhenTheClockPassesItsDeadline()
    {
        var h = new ServerHarness();
        var waiter = h.NewClient();
        h.Run(waiter, "BLPOP", "q", "1.5");
        h.Time.Advance(TimeSpan.FromMilliseconds(1000));
        h.Server.Cron().Tick();
        Assert.True(waiter.Blocked);
        h.Time.Advance(TimeSpan.FromMilliseconds(600));
        h.Server.Cron().Tick();
        Assert.False(waiter.Blocked);
        Assert.Equal("*-1\r\n", Pending(waiter));
    }

    [Fact]
    public void ClientUnblockEndsTheWaitWithATimeoutOrAnError()
    {
        var h = new ServerHarness();
        var waiter = h.NewClient();
        string id = waiter.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        h.Run(waiter, "BLMOVE", "q", "d", "LEFT", "LEFT", "0");
        Assert.Equal(":1\r\n", h.Run("CLIENT", "UNBLOCK", id));
        Assert.Equal("*-1\r\n", Pending(waiter));
        h.Run(waiter, "BLPOP", "q", "0");
        Assert.Equal(":1\r\n", h.Run("CLIENT", "UNBLOCK", id, "ERROR"));
        Assert.Equal("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n", Pending(waiter));
        Assert.Equal(":0\r\n", h.Run("CLIENT", "UNBLOCK", id));
    }

    [Fact]
    public void TimeoutArgumentsAreCheckedLikeRedis()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR timeout is not a float or out of range\r\n", h.Run("BLPOP", "q", "abc"));
        Assert.Equal("-ERR timeout is negative\r\n", h.Run("BLPOP", "q", "-1"));
        Assert.Equal("-ERR numkeys should be greater than 0\r\n", h.Run("BLMPOP", "0", "0", "q", "LEFT"));
        Assert.Equal("-ERR syntax error\r\n", h.Run("BLMOVE", "a", "b", "UP", "LEFT", "0"));
    }

    [Fact]
    public void ADisconnectedWaiterIsForgotten()
    {
        var h = new ServerHarness();
        var waiter = h.NewClient();
        h.Run(waiter, "BLPOP", "q", "0");
        lock (h.Server.Gate)
        {
            h.Server.Dispatcher.Forget(waiter);
        }

        h.Run("RPUSH", "q", "v");
        Assert.Equal("*1\r\n$1\r\nv\r\n", h.Run("LRANGE", "q", "0", "-1"));
        Assert.Equal(0, h.Server.Blocking.Count);
    }
}
