using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

public class TransactionTests
{
    [Fact]
    public void ExecRunsQueuedCommandsAndRepliesWithAnArray()
    {
        var h = new ServerHarness();
        Assert.Equal("+OK\r\n", h.Run("MULTI"));
        Assert.Equal("+QUEUED\r\n", h.Run("SET", "a", "1"));
        Assert.Equal("+QUEUED\r\n", h.Run("GET", "a"));
        Assert.Equal("+QUEUED\r\n", h.Run("PING"));
        Assert.Equal("*3\r\n+OK\r\n$1\r\n1\r\n+PONG\r\n", h.Run("EXEC"));
        Assert.False(h.Client.InMulti);
    }

    [Fact]
    public void CommandsInsideExecAllSeeTheTimeExecStarted()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v", "PX", "1500");
        h.Run("MULTI");
        h.Run("GET", "k");
        h.Run("GET", "k");
        h.Run("GET", "k");

        // Every clock reading now moves time by a second: a command that read the clock again
        // would see the key expired by the second GET.
        h.Time.TickPerRead = TimeSpan.FromSeconds(1);
        Assert.Equal("*3\r\n$1\r\nv\r\n$1\r\nv\r\n$1\r\nv\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void ErrorsInsideExecAreRepliesOfTheirCommand()
    {
        var h = new ServerHarness();
        h.Run("MULTI");
        h.Run("SELECT", "99");
        h.Run("SET", "a", "1");
        Assert.Equal("*2\r\n-ERR DB index is out of range\r\n+OK\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void NestedMultiIsAnErrorThatDoesNotAbortTheTransaction()
    {
        var h = new ServerHarness();
        h.Run("MULTI");
        Assert.Equal("-ERR MULTI calls can not be nested\r\n", h.Run("MULTI"));
        h.Run("SET", "a", "1");
        Assert.Equal("*1\r\n+OK\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void WatchInsideMultiIsRefused()
    {
        var h = new ServerHarness();
        h.Run("MULTI");
        Assert.Equal("-ERR WATCH inside MULTI is not allowed\r\n", h.Run("WATCH", "x"));
        Assert.Equal("*0\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void ExecAndDiscardWithoutMultiAreErrors()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR EXEC without MULTI\r\n", h.Run("EXEC"));
        Assert.Equal("-ERR DISCARD without MULTI\r\n", h.Run("DISCARD"));
    }

    [Fact]
    public void UnknownCommandWhileQueuingAbortsExecAndClearsTheState()
    {
        var h = new ServerHarness();
        h.Run("MULTI");
        Assert.StartsWith("-ERR unknown command 'NOSUCH'", h.Run("NOSUCH"), StringComparison.Ordinal);
        h.Run("SET", "a", "1");
        Assert.Equal("-EXECABORT Transaction discarded because of previous errors.\r\n", h.Run("EXEC"));
        Assert.False(h.Client.InMulti);
        Assert.Equal("$-1\r\n", h.Run("GET", "a"));
        Assert.Equal("-ERR EXEC without MULTI\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void DiscardDropsQueuedCommandsAndWatches()
    {
        var h = new ServerHarness();
        var other = h.NewClient();
        h.Run("WATCH", "x");
        h.Run("MULTI");
        h.Run("SET", "x", "1");
        Assert.Equal("+OK\r\n", h.Run("DISCARD"));
        Assert.Empty(h.Client.WatchedKeys);
        h.Run(other, "SET", "x", "2");
        h.Run("MULTI");
        h.Run("GET", "x");
        Assert.Equal("*1\r\n$1\r\n2\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void DiscardClearsTheDirtyFlag()
    {
        var h = new ServerHarness();
        h.Run("WATCH", "x");
        h.Run("SET", "x", "1");
        h.Run("MULTI");
        h.Run("DISCARD");
        h.Run("MULTI");
        h.Run("GET", "x");
        Assert.Equal("*1\r\n$1\r\n1\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void ExecSucceedsWhenWatchedKeysAreUntouched()
    {
        var h = new ServerHarness();
        h.Run("SET", "x", "30");
        h.Run("WATCH", "x");
        h.Run("MULTI");
        h.Run("PING");
        Assert.Equal("*1\r\n+PONG\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void WatchRemembersTheDatabaseOfTheKey()
    {
        var h = new ServerHarness();
        h.Run("SELECT", "9");
        h.Run("WATCH", "x");
        h.Run("SELECT", "10");
        h.Run("SET", "x", "other-db");
        h.Run("MULTI");
        h.Run("PING");
        Assert.Equal("*1\r\n+PONG\r\n", h.Run("EXEC"));
        h.Run("SELECT", "9");
        h.Run("WATCH", "x");
        h.Run("SET", "x", "same-db");
        h.Run("MULTI");
        h.Run("PING");
        Assert.Equal("*-1\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void AfterExecKeysAreNoLongerWatched()
    {
        var h = new ServerHarness();
        var other = h.NewClient();
        h.Run("WATCH", "x");
        h.Run(other, "SET", "x", "1");
        h.Run("MULTI");
        Assert.Equal("*-1\r\n", h.Run("EXEC"));
        h.Run(other, "SET", "x", "2");
        h.Run("MULTI");
        h.Run("PING");
        Assert.Equal("*1\r\n+PONG\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void UnwatchForgetsTheKeys()
    {
        var h = new ServerHarness();
        h.Run("WATCH", "x");
        h.Run("SET", "x", "1");
        Assert.Equal("+OK\r\n", h.Run("UNWATCH"));
        h.Run("MULTI");
        h.Run("PING");
        Assert.Equal("*1\r\n+PONG\r\n", h.Run("EXEC"));
        Assert.Empty(h.Server.Databases[0].Watchers);
    }

    [Fact]
    public void ExecAnswersNullInResp3WithTheResp3Null()
    {
        var h = new ServerHarness();
        h.Run("HELLO", "3");
        h.Run("WATCH", "x");
        h.Run("SET", "x", "1");
        h.Run("MULTI");
        Assert.Equal("_\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void AWatchedKeyThatExpiresBeforeExecFailsTheTransaction()
    {
        var h = new ServerHarness();
        h.Server.Databases[0].SetString("x"u8, "1"u8, h.Time.NowMs + 100, keepTtl: false);
        h.Run("WATCH", "x");
        h.Time.Advance(TimeSpan.FromMilliseconds(200));
        h.Run("MULTI");
        h.Run("PING");
        Assert.Equal("*-1\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void WatchingAnAlreadyStaleKeyDoesNotFailExec()
    {
        var h = new ServerHarness();
        h.Server.Databases[0].SetString("x"u8, "1"u8, h.Time.NowMs - 10, keepTtl: false);
        h.Run("WATCH", "x");
        h.Run("MULTI");
        h.Run("PING");
        Assert.Equal("*1\r\n+PONG\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void DeletingAWatchedStaleKeyDoesNotFailExec()
    {
        var h = new ServerHarness();
        h.Server.Databases[0].SetString("x"u8, "1"u8, h.Time.NowMs - 10, keepTtl: false);
        h.Run("WATCH", "x");
        Assert.Equal(":0\r\n", h.Run("DEL", "x"));
        h.Run("MULTI");
        h.Run("PING");
        Assert.Equal("*1\r\n+PONG\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void WritingAWatchedStaleKeyAfterItsDeletionFailsExec()
    {
        var h = new ServerHarness();
        h.Server.Databases[0].SetString("x"u8, "1"u8, h.Time.NowMs - 10, keepTtl: false);
        h.Run("WATCH", "x");
        h.Run("GET", "x");
        h.Run("SET", "x", "2");
        h.Run("MULTI");
        h.Run("PING");
        Assert.Equal("*-1\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void FlushdbWhileWatchingStaleKeysDoesNotFailExec()
    {
        var h = new ServerHarness();
        h.Server.Databases[0].SetString("x"u8, "1"u8, h.Time.NowMs - 10, keepTtl: false);
        h.Run("WATCH", "x");
        h.Run("FLUSHDB");
        h.Run("MULTI");
        h.Run("PING");
        Assert.Equal("*1\r\n+PONG\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void FlushallTouchesOnlyWatchedKeysThatExist()
    {
        var h = new ServerHarness();
        h.Run("SET", "x", "1");
        h.Run("WATCH", "x");
        h.Run("FLUSHALL");
        h.Run("MULTI");
        h.Run("PING");
        Assert.Equal("*-1\r\n", h.Run("EXEC"));

        h.Run("WATCH", "missing");
        h.Run("FLUSHALL");
        h.Run("MULTI");
        h.Run("PING");
        Assert.Equal("*1\r\n+PONG\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void SwapdbTouchesKeysThatExistOnEitherSide()
    {
        var h = new ServerHarness();
        var db0 = h.Server.Databases[0];
        var db1 = h.Server.Databases[1];
        db1.SetString("x"u8, "1"u8, 0, keepTtl: false);
        h.Run("WATCH", "x");
        lock (h.Server.Gate)
        {
            Commands.TransactionCommands.TouchAllWatchedKeys(h.Server, db0, db1, h.Time.NowMs);
            Commands.TransactionCommands.TouchAllWatchedKeys(h.Server, db1, db0, h.Time.NowMs);
        }

        h.Run("MULTI");
        h.Run("PING");
        Assert.Equal("*-1\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void SwapdbDoesNotTouchAMissingKeyReplacedByAStaleOne()
    {
        var h = new ServerHarness();
        var db0 = h.Server.Databases[0];
        var db1 = h.Server.Databases[1];
        db1.SetString("x"u8, "1"u8, h.Time.NowMs - 10, keepTtl: false);
        h.Run("WATCH", "x");
        lock (h.Server.Gate)
        {
            Commands.TransactionCommands.TouchAllWatchedKeys(h.Server, db0, db1, h.Time.NowMs);
        }

        h.Run("MULTI");
        h.Run("PING");
        Assert.Equal("*1\r\n+PONG\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void CommandsMarkedNoMultiAreRejectedWhileQueuing()
    {
        var h = new ServerHarness();
        h.Server.Commands.Add("nomulti-test", 1, Commands.CommandFlags.NoMulti, 0, 0, 0, ctx => ctx.Reply.Ok());
        h.Run("MULTI");
        Assert.Equal("-ERR Command not allowed inside a transaction\r\n", h.Run("nomulti-test"));
        Assert.Equal("-EXECABORT Transaction discarded because of previous errors.\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void ExecRejectedOnAReadOnlyReplicaSaysWhy()
    {
        var h = new ServerHarness();
        h.Run("MULTI");
        h.Run("SET", "a", "1");
        h.Server.IsReplica = true;
        Assert.Equal("-EXECABORT Transaction discarded because of: READONLY You can't write against a read only replica.\r\n", h.Run("EXEC"));
        Assert.False(h.Client.InMulti);
    }

    [Fact]
    public void ExecOfReadsRunsOnAReadOnlyReplica()
    {
        var h = new ServerHarness();
        h.Run("MULTI");
        h.Run("GET", "a");
        h.Server.IsReplica = true;
        Assert.Equal("*1\r\n$-1\r\n", h.Run("EXEC"));
    }

    [Fact]
    public void LastCommandShownByClientListIsExecNotTheQueuedCommands()
    {
        var h = new ServerHarness();
        h.Run("MULTI");
        h.Run("SET", "a", "1");
        h.Run("EXEC");
        Assert.Equal("exec", h.Client.LastCommand);
    }

    [Fact]
    public void ATransactionWithSeveralWritesIsPropagatedAsOneAtomicBlock()
    {
        var h = new ServerHarness();
        var sink = new RecordingSink();
        h.Server.PropagationSinks.Add(sink);
        h.Run("MULTI");
        h.Run("SET", "a", "1");
        h.Run("GET", "a");
        h.Run("SET", "b", "2");
        h.Run("EXEC");
        var batch = Assert.Single(sink.Batches);
        Assert.True(batch.Atomic);
        Assert.Equal(2, batch.Ops.Count);
    }

    [Fact]
    public void ATransactionWithASingleWriteIsPropagatedWithoutMulti()
    {
        var h = new ServerHarness();
        var sink = new RecordingSink();
        h.Server.PropagationSinks.Add(sink);
        h.Run("MULTI");
        h.Run("SET", "a", "1");
        h.Run("GET", "a");
        h.Run("EXEC");
        var batch = Assert.Single(sink.Batches);
        Assert.False(batch.Atomic);
    }

    private sealed class RecordingSink : Replication.IPropagationSink
    {
        public List<(int Db, List<Protocol.CommandArgs> Ops, bool Atomic)> Batches { get; } = [];

        public void Propagate(int db, IReadOnlyList<Protocol.CommandArgs> ops, bool atomic) => Batches.Add((db, [.. ops], atomic));
    }
}
