using System.Text;

using Cinnabar.Protocol;
using Cinnabar.Server.Replication;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

/// <summary>What string commands put on the replication stream (Redis 7.0's rewrites).</summary>
public class StringPropagationTests
{
    private sealed class RecordingSink : IPropagationSink
    {
        public List<string> Lines { get; } = [];

        public void Propagate(int db, IReadOnlyList<CommandArgs> ops, bool atomic)
        {
            if (atomic)
            {
                Lines.Add("MULTI");
            }

            foreach (var op in ops)
            {
                var parts = new string[op.Count];
                for (int i = 0; i < op.Count; i++)
                {
                    parts[i] = Encoding.Latin1.GetString(op[i]);
                }

                Lines.Add(string.Join(' ', parts));
            }

            if (atomic)
            {
                Lines.Add("EXEC");
            }
        }
    }

    private static (ServerHarness H, RecordingSink Sink) Start(Action<Cinnabar.Server.Config.ServerConfig>? configure = null)
    {
        var h = new ServerHarness(configure);
        var sink = new RecordingSink();
        h.Server.PropagationSinks.Add(sink);
        return (h, sink);
    }

    [Fact]
    public void SetWithARelativeOrAbsoluteExpireIsPropagatedWithPxat()
    {
        var (h, sink) = Start();
        long now = h.Time.NowMs;
        h.Run("set", "a", "1", "EX", "10");
        h.Run("SET", "b", "2", "px", "100", "NX");
        h.Run("SET", "c", "3", "EXAT", "4000000000", "GET");
        h.Run("SET", "d", "4", "PXAT", "4000000000123", "XX");
        h.Run("SETEX", "e", "5", "v");
        h.Run("PSETEX", "f", "6", "v");
        Assert.Equal(
            [
                $"SET a 1 PXAT {now + 10_000}",
                $"SET b 2 PXAT {now + 100}",
                "SET c 3 PXAT 4000000000000",
                $"SET e v PXAT {now + 5000}",
                $"SET f v PXAT {now + 6}",
            ],
            sink.Lines);
    }

    [Fact]
    public void SetWithGetIsPropagatedWithoutItsGetTokens()
    {
        var (h, sink) = Start();
        h.Run("set", "k", "v", "get", "KEEPTTL", "GeT");
        Assert.Equal(["set k v KEEPTTL"], sink.Lines);
    }

    [Fact]
    public void PlainWritesArePropagatedAsSent()
    {
        var (h, sink) = Start();
        h.Run("set", "k", "v");
        h.Run("mset", "a", "1", "b", "2");
        h.Run("incr", "n");
        h.Run("append", "k", "x");
        h.Run("setrange", "k", "0", "y");
        h.Run("setnx", "z", "1");
        Assert.Equal(["set k v", "mset a 1 b 2", "incr n", "append k x", "setrange k 0 y", "setnx z 1"], sink.Lines);
    }

    [Fact]
    public void CommandsThatChangeNothingAreNotPropagated()
    {
        var (h, sink) = Start();
        h.Run("SET", "k", "v");
        sink.Lines.Clear();
        h.Run("SET", "k", "w", "NX");
        h.Run("SETNX", "k", "w");
        h.Run("MSETNX", "k", "w");
        h.Run("GETEX", "k");
        h.Run("GETEX", "k", "PERSIST");
        h.Run("GETDEL", "missing");
        h.Run("SETRANGE", "k", "0", "");
        h.Run("INCR", "k");
        h.Run("SET", "k", "v", "EX", "0");
        Assert.Empty(sink.Lines);
    }

    [Fact]
    public void GetExIsPropagatedAsPexpireatPersistOrDel()
    {
        var (h, sink) = Start();
        long now = h.Time.NowMs;
        h.Run("SET", "k", "v");
        h.Run("getex", "k", "ex", "10");
        h.Run("getex", "k", "persist");
        h.Run("getex", "k", "pxat", "1");
        Assert.Equal(["SET k v", $"PEXPIREAT k {now + 10_000}", "PERSIST k", "DEL k"], sink.Lines);
    }

    [Fact]
    public void GetExWithAPastTimeIsPropagatedAsUnlinkWithLazyFreeLazyExpire()
    {
        var (h, sink) = Start(c => c.LazyFreeLazyExpire = true);
        h.Run("SET", "k", "v");
        h.Run("GETEX", "k", "EXAT", "1");
        Assert.Equal(["SET k v", "UNLINK k"], sink.Lines);
    }

    [Fact]
    public void GetDelIsPropagatedAsDelOrUnlink()
    {
        var (h, sink) = Start();
        h.Run("SET", "k", "v");
        h.Run("getdel", "k");
        h.Server.Config.LazyFreeLazyUserDel = true;
        h.Run("SET", "k", "v");
        h.Run("getdel", "k");
        Assert.Equal(["SET k v", "DEL k", "SET k v", "UNLINK k"], sink.Lines);
    }

    [Fact]
    public void GetSetIsPropagatedAsSet()
    {
        var (h, sink) = Start();
        h.Run("getset", "k", "v");
        Assert.Equal(["SET k v"], sink.Lines);
    }

    [Fact]
    public void IncrByFloatIsPropagatedAsSetWithTheResultAndKeepTtl()
    {
        var (h, sink) = Start();
        h.Run("incrbyfloat", "f", "10.5");
        h.Run("incrbyfloat", "f", "0.1");
        Assert.Equal(["SET f 10.5 KEEPTTL", "SET f 10.6 KEEPTTL"], sink.Lines);
    }

    [Fact]
    public void WritingOverAnExpiredKeyPropagatesItsDelFirstInsideMultiExec()
    {
        var (h, sink) = Start();
        long now = h.Time.NowMs;
        h.Run("SET", "k", "v", "PX", "10");
        h.Time.Advance(TimeSpan.FromMilliseconds(20));
        h.Run("set", "k", "w");
        Assert.Equal([$"SET k v PXAT {now + 10}", "MULTI", "DEL k", "set k w", "EXEC"], sink.Lines);
    }
}
