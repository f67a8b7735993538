using Cinnabar.Server.Storage;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

/// <summary>
/// String commands against a key of another type. No other type exists yet, so a stand-in
/// object plays the list; the string commands only rely on Entry.IsString.
/// </summary>
public class StringWrongTypeTests
{
    private const string WrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    private sealed class StandInList : KeyedObject
    {
        public StandInList(byte[] key)
            : base(key)
        {
        }

        public override ObjectType Type => ObjectType.List;

        public override string Encoding => "listpack";

        public override RedisObject CloneWithKey(byte[] key) => new StandInList(key);
    }

    private static ServerHarness WithList(string key = "l")
    {
        var h = new ServerHarness();
        h.Server.Databases[0].SetObject(new StandInList(System.Text.Encoding.UTF8.GetBytes(key)), 0, keepTtl: false);
        return h;
    }

    [Theory]
    [InlineData("GET", "l")]
    [InlineData("GETDEL", "l")]
    [InlineData("GETEX", "l", "PERSIST")]
    [InlineData("GETEX", "l", "EX", "-1")]
    [InlineData("GETSET", "l", "v")]
    [InlineData("SET", "l", "v", "GET")]
    [InlineData("SET", "l", "v", "GET", "NX")]
    [InlineData("APPEND", "l", "v")]
    [InlineData("STRLEN", "l")]
    [InlineData("INCR", "l")]
    [InlineData("DECRBY", "l", "2")]
    [InlineData("INCRBYFLOAT", "l", "1.5")]
    [InlineData("GETRANGE", "l", "0", "-1")]
    [InlineData("SUBSTR", "l", "0", "-1")]
    [InlineData("SETRANGE", "l", "0", "v")]
    [InlineData("SETRANGE", "l", "0", "")]
    public void StringCommandsAnswerWrongTypeAndLeaveTheKeyAlone(params string[] command)
    {
        var h = WithList();
        Assert.Equal(WrongType, h.Run(command));
        Assert.Equal(ObjectType.List, Entry.TypeOf(h.Server.Databases[0].FindRaw("l"u8).Data!));
    }

    [Fact]
    public void ArgumentErrorsComeBeforeTheTypeCheckWhereRedisChecksThemFirst()
    {
        var h = WithList();
        Assert.Equal("-ERR syntax error\r\n", h.Run("GETEX", "l", "FOO"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", h.Run("GETRANGE", "l", "x", "0"));
        Assert.Equal("-ERR offset is out of range\r\n", h.Run("SETRANGE", "l", "-1", "v"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", h.Run("INCRBY", "l", "x"));
        Assert.Equal("-ERR invalid expire time in 'set' command\r\n", h.Run("SET", "l", "v", "GET", "EX", "0"));
    }

    [Fact]
    public void MGetReadsOtherTypesAsNil()
    {
        var h = WithList();
        h.Run("SET", "s", "v");
        Assert.Equal("*2\r\n$-1\r\n$1\r\nv\r\n", h.Run("MGET", "l", "s"));
    }

    [Fact]
    public void PlainSetAndMSetReplaceAValueOfAnotherType()
    {
        var h = WithList();
        Assert.Equal("+OK\r\n", h.Run("SET", "l", "v"));
        Assert.Equal("$1\r\nv\r\n", h.Run("GET", "l"));
        var h2 = WithList();
        Assert.Equal("+OK\r\n", h2.Run("MSET", "l", "v"));
        Assert.Equal("$1\r\nv\r\n", h2.Run("GET", "l"));
        var h3 = WithList();
        Assert.Equal("$-1\r\n", h3.Run("SET", "l", "v", "NX"));
        Assert.Equal(":0\r\n", h3.Run("MSETNX", "l", "v"));
    }

    [Fact]
    public void LcsRefusesKeysOfOtherTypesBeforeParsingOptions()
    {
        var h = WithList();
        h.Run("SET", "s", "v");
        Assert.Equal("-ERR The specified keys must contain string values\r\n", h.Run("LCS", "s", "l", "BADOPTION"));
        Assert.Equal("-ERR The specified keys must contain string values\r\n", h.Run("LCS", "l", "missing"));
    }
}
