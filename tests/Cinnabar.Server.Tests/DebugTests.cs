using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

public class DebugTests
{
    private static ServerHarness NewHarness() => new(c => c.EnableDebugCommand = "yes");

    [Fact]
    public void DebugIsRefusedUnlessEnabled()
    {
        var h = new ServerHarness();
        Assert.StartsWith("-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\"", h.Run("DEBUG", "DIGEST"), StringComparison.Ordinal);
    }

    [Fact]
    public void ConfigRewriteForceAllWritesDefaultsTooAndFailsLikeRedisWithoutAFile()
    {
        var h = NewHarness();
        Assert.Equal("-ERR CONFIG-REWRITE-FORCE-ALL failed: Bad address\r\n", h.Run("DEBUG", "CONFIG-REWRITE-FORCE-ALL"));

        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "port 7000\n");
            h.Server.Config.ConfigFile = path;
            Assert.Equal("+OK\r\n", h.Run("DEBUG", "CONFIG-REWRITE-FORCE-ALL"));
            var lines = File.ReadAllLines(path);
            Assert.Contains("timeout 0", lines);
            Assert.Contains("hz 10", lines);

            // A plain CONFIG REWRITE leaves defaults out.
            File.WriteAllText(path, "port 7000\n");
            Assert.Equal("+OK\r\n", h.Run("CONFIG", "REWRITE"));
            Assert.DoesNotContain("timeout 0", File.ReadAllLines(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void DigestOfAnEmptyDatasetIsFortyZeros()
    {
        Assert.Equal("+" + new string('0', 40) + "\r\n", NewHarness().Run("DEBUG", "DIGEST"));
    }

    [Fact]
    public void DigestMatchesTheValueRedisComputesForTheSameKey()
    {
        // redis-server 7.0.15: SET a b; DEBUG DIGEST
        var h = NewHarness();
        h.Run("SET", "a", "b");
        Assert.Equal("+479783d7290f02957dfbe3408a858ba13eea1709\r\n", h.Run("DEBUG", "DIGEST"));
    }

    [Fact]
    public void DigestMarksKeysWithATimeToLive()
    {
        // The expected value follows debug.c: only the presence of a TTL counts, not its time.
        var h = NewHarness();
        h.Run("SET", "a", "b");
        ref var slot = ref h.Server.Databases[0].FindRaw("a"u8);
        h.Server.Databases[0].SetExpireOnSlot(ref slot, h.Time.NowMs + 100_000);
        Assert.Equal("+f3ab785a0fb529fedf3d4009f7fbe16909f6078c\r\n", h.Run("DEBUG", "DIGEST"));
    }

    [Fact]
    public void DigestDependsOnTheDatabaseButNotOnInsertionOrder()
    {
        var a = NewHarness();
        a.Run("SET", "x", "1");
        a.Run("SET", "y", "2");
        var b = NewHarness();
        b.Run("SET", "y", "2");
        b.Run("SET", "x", "1");
        Assert.Equal(a.Run("DEBUG", "DIGEST"), b.Run("DEBUG", "DIGEST"));
        b.Run("SELECT", "1");
        b.Run("SET", "z", "3");
        Assert.NotEqual(a.Run("DEBUG", "DIGEST"), b.Run("DEBUG", "DIGEST"));
    }

    [Fact]
    public void DigestValueRepliesOneDigestPerKey()
    {
        var h = NewHarness();
        h.Run("SET", "a", "b");
        var reply = h.Run("DEBUG", "DIGEST-VALUE", "a", "missing");
        Assert.Matches(@"^\*2\r\n\+[0-9a-f]{40}\r\n\+0{40}\r\n$", reply);
    }

    [Fact]
    public void PopulateCreatesKeysWithoutDirtyingTheDataset()
    {
        var h = NewHarness();
        h.Run("SET", "key:1", "mine");
        Assert.Equal("+OK\r\n", h.Run("DEBUG", "POPULATE", "3"));
        Assert.Equal(":3\r\n", h.Run("DBSIZE"));
        Assert.Equal("$7\r\nvalue:0\r\n", h.Run("GET", "key:0"));
        Assert.Equal("$4\r\nmine\r\n", h.Run("GET", "key:1"));
        Assert.Equal(1, h.Server.Dirty);
        Assert.Equal("+OK\r\n", h.Run("DEBUG", "POPULATE", "1", "p", "10"));
        Assert.Equal("$10\r\nvalue:0\0\0\0\r\n", h.Run("GET", "p:0"));
        Assert.Equal("-ERR value is out of range, must be positive\r\n", h.Run("DEBUG", "POPULATE", "-1"));
    }

    [Fact]
    public void ObjectShowsEncodingAndSharedIntegers()
    {
        var h = NewHarness();
        h.Run("SET", "s", "hello");
        h.Run("SET", "n", "12");
        Assert.Matches(@"^\+Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:6 lru:\d+ lru_seconds_idle:\d+\r\n$", h.Run("DEBUG", "OBJECT", "s"));
        Assert.Contains("refcount:2147483647 encoding:int serializedlength:2 ", h.Run("DEBUG", "OBJECT", "n"), StringComparison.Ordinal);
        Assert.Equal("-ERR no such key\r\n", h.Run("DEBUG", "OBJECT", "missing"));
    }

    [Fact]
    public void SetActiveExpireTogglesTheCycle()
    {
        var h = NewHarness();
        Assert.Equal("+OK\r\n", h.Run("DEBUG", "SET-ACTIVE-EXPIRE", "0"));
        Assert.False(h.Server.ActiveExpireEnabled);
        h.Run("DEBUG", "SET-ACTIVE-EXPIRE", "1");
        Assert.True(h.Server.ActiveExpireEnabled);
    }

    [Fact]
    public void SleepZeroAndLogReplyOk()
    {
        var h = NewHarness();
        var lines = new List<string>();
        h.Server.Log.Sink = lines.Add;
        Assert.Equal("+OK\r\n", h.Run("DEBUG", "SLEEP", "0"));
        Assert.Equal("+OK\r\n", h.Run("DEBUG", "LOG", "hello there"));
        Assert.Contains(lines, l => l.EndsWith("# DEBUG LOG: hello there", StringComparison.Ordinal));
    }

    [Fact]
    public void UnknownDebugActionsGetRedisSyntaxError()
    {
        Assert.Equal("-ERR unknown subcommand or wrong number of arguments for 'nope'. Try DEBUG HELP.\r\n", NewHarness().Run("DEBUG", "nope"));
    }

    [Fact]
    public void DigestOfATypeWithoutDigestSupportIsAnErrorNotACrash()
    {
        var h = NewHarness();
        h.Server.Databases[0].SetObject(new OpaqueValue("l"u8.ToArray()), 0, keepTtl: false);
        Assert.Equal("-ERR DEBUG DIGEST does not support List values yet\r\n", h.Run("DEBUG", "DIGEST"));
        Assert.Equal("*1\r\n-ERR DEBUG DIGEST-VALUE does not support List values yet\r\n", h.Run("DEBUG", "DIGEST-VALUE", "l"));
    }

    [Fact]
    public void ErrorRepliesWithTheGivenText()
    {
        Assert.Equal("-FOO bar baz\r\n", NewHarness().Run("DEBUG", "ERROR", "FOO bar\nbaz"));
    }
}

internal sealed class OpaqueValue : Storage.KeyedObject
{
    public OpaqueValue(byte[] key)
        : base(key)
    {
    }

    public override Storage.ObjectType Type => Storage.ObjectType.List;

    public override string Encoding => "quicklist";

    public override Storage.RedisObject CloneWithKey(byte[] key) => new OpaqueValue(key);
}
