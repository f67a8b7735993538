using System.Text;

using Cinnabar.Server.Replication;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

/// <summary>The shared replication buffer: offsets, backlog trimming, positions, ids.</summary>
public class ReplicationBufferTests
{
    private static string StreamText(ReplicationState state)
    {
        var sb = new StringBuilder();
        for (var b = state.Head; b is not null; b = b.Next)
        {
            sb.Append(Encoding.Latin1.GetString(b.Data, 0, b.Used));
        }

        return sb.ToString();
    }

    [Fact]
    public void WritesDoNotAdvanceTheOffsetWithoutABacklog()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        h.Server.Replication.Append("abc"u8);
        Assert.Equal(0, h.Server.Replication.Offset);
        Assert.False(h.Server.Replication.HasBacklog);
        Assert.Equal(0, h.Server.Replication.BacklogFirstByteOffset);
    }

    [Fact]
    public void EveryPropagatedByteIsFormattedOnceIntoTheBacklogWithASelectFirst()
    {
        var h = new ServerHarness();
        var state = h.Server.Replication;
        state.CreateBacklogIfNeeded();
        h.Run("SET", "k", "v");
        h.Run("SELECT", "3");
        h.Run("MULTI");
        h.Run("SET", "a", "1");
        h.Run("INCR", "a");
        h.Run("EXEC");
        const string expected = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
            + "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n*1\r\n$4\r\nEXEC\r\n";
        Assert.Equal(expected, StreamText(state));
        Assert.Equal(expected.Length, state.Offset);
        Assert.Equal(expected.Length, state.HistLen);
        Assert.Equal(1, state.BacklogFirstByteOffset);
        Assert.Equal(expected.Length, h.Client.WriteOffset);
    }

    [Fact]
    public void TheBacklogIsTrimmedInWholeBlocksToItsSizeAndStillLocatesEveryByteItHolds()
    {
        var h = new ServerHarness(c => c.ReplBacklogSize = 16384);
        var state = h.Server.Replication;
        state.CreateBacklogIfNeeded();
        var piece = new byte[1000];
        for (int i = 0; i < 200; i++)
        {
            Array.Fill(piece, (byte)('a' + (i % 26)));
            state.Append(piece);
        }

        Assert.Equal(200_000, state.Offset);
        Assert.True(state.HistLen >= 16384 && state.HistLen <= 16384 + ReplicationState.MinBlockSize, $"histlen {state.HistLen}");
        Assert.Equal(state.Offset - state.HistLen + 1, state.BacklogFirstByteOffset);
        Assert.False(state.TryLocate(state.BacklogFirstByteOffset - 1, out _, out _));
        Assert.False(state.TryLocate(state.Offset + 2, out _, out _));
        for (long off = state.BacklogFirstByteOffset; off <= state.Offset; off += 997)
        {
            Assert.True(state.TryLocate(off, out var block, out int pos));
            long index = (off - 1) / 1000;
            Assert.Equal((byte)('a' + (index % 26)), block.Data[pos]);
        }

        Assert.True(state.TryLocate(state.Offset + 1, out _, out _));
    }

    [Fact]
    public void AReplicaThatHasNotSentItsBytesKeepsThemFromBeingTrimmed()
    {
        var h = new ServerHarness(c => c.ReplBacklogSize = 16384);
        var state = h.Server.Replication;
        state.CreateBacklogIfNeeded();
        var link = new ReplicaLink(h.Server, h.NewClient()) { Attached = true, State = ReplicaState.WaitBgsaveEnd };
        link.AttachAtEnd();
        state.Replicas.Add(link);
        state.Append(new byte[100_000]);
        Assert.Equal(100_000, state.HistLen);
        Assert.Equal(1, state.BacklogFirstByteOffset);
        Assert.Equal(1, link.NextOffset);
        Assert.Equal(100_000, link.UnsentStreamBytes);

        state.Replicas.Remove(link);
        link.Detach();
        Assert.True(state.HistLen <= 16384 + ReplicationState.MinBlockSize);
    }

    [Fact]
    public void AnOnlineReplicaReadsTheStreamAsSlicesOfTheSharedBlocks()
    {
        var h = new ServerHarness();
        var state = h.Server.Replication;
        state.CreateBacklogIfNeeded();
        var link = new ReplicaLink(h.Server, h.NewClient()) { Attached = true, State = ReplicaState.Online };
        link.AttachAtEnd();
        state.Replicas.Add(link);
        state.Append(Encoding.ASCII.GetBytes(new string('x', 20_000)));
        var sent = new StringBuilder();
        for (var chunk = link.NextChunk(); !chunk.IsEmpty; chunk = link.NextChunk())
        {
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(chunk, out var segment));
            Assert.Contains(segment.Array, EnumerateBlocks(state));
            sent.Append(Encoding.ASCII.GetString(chunk.Span));
        }

        Assert.Equal(new string('x', 20_000), sent.ToString());
        Assert.Equal(0, link.UnsentStreamBytes);
    }

    [Fact]
    public void ShiftingTheIdKeepsTheOldOneValidUpToTheNextOffset()
    {
        var h = new ServerHarness();
        var state = h.Server.Replication;
        state.CreateBacklogIfNeeded();
        state.Append("hello"u8);
        string old = state.ReplId;
        state.ShiftReplId();
        Assert.Equal(old, state.ReplId2);
        Assert.Equal(6, state.SecondReplIdOffset);
        Assert.NotEqual(old, state.ReplId);
        state.ClearReplId2();
        Assert.Equal(new string('0', 40), state.ReplId2);
        Assert.Equal(-1, state.SecondReplIdOffset);
    }

    [Fact]
    public void InfoReplicationListsRedisFieldsInRedisOrder()
    {
        var h = new ServerHarness();
        var info = h.Run("INFO", "replication");
        var names = info.Split("\r\n").Where(l => l.Contains(':', StringComparison.Ordinal)).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]).ToArray();
        Assert.Equal(
            ["role", "connected_slaves", "master_failover_state", "master_replid", "master_replid2", "master_repl_offset", "second_repl_offset", "repl_backlog_active", "repl_backlog_size", "repl_backlog_first_byte_offset", "repl_backlog_histlen"],
            names);
        Assert.Contains("repl_backlog_first_byte_offset:0\r\n", info, StringComparison.Ordinal);
        Assert.Equal("*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n", h.Run("ROLE"));
    }

    [Fact]
    public void TheBacklogIsFreedWithANewIdAfterTheTtlWithoutReplicas()
    {
        var h = new ServerHarness();
        var lines = new List<string>();
        h.Server.Log.Sink = lines.Add;
        var state = h.Server.Replication;
        Assert.Equal("+OK\r\n", h.Run("CONFIG", "SET", "repl-backlog-ttl", "10"));
        state.CreateBacklogIfNeeded();
        h.Run("SET", "k", "v");
        string id = state.ReplId;
        h.Time.Advance(TimeSpan.FromSeconds(5));
        lock (h.Server.Gate)
        {
            h.Server.PrimaryReplication.Cron();
        }

        Assert.True(state.HasBacklog);
        h.Time.Advance(TimeSpan.FromSeconds(7));
        lock (h.Server.Gate)
        {
            h.Server.PrimaryReplication.Cron();
        }

        Assert.False(state.HasBacklog);
        Assert.NotEqual(id, state.ReplId);
        Assert.Contains(lines, l => l.EndsWith("Replication backlog freed after 10 seconds without connected replicas.", StringComparison.Ordinal));

        // Without a backlog nothing is formatted and the offset stands still.
        long offset = state.Offset;
        h.Run("SET", "k", "w");
        Assert.Equal(offset, state.Offset);
    }

    [Fact]
    public void TheCronPingsReplicasEveryPingPeriodThroughTheStream()
    {
        var h = new ServerHarness();
        Assert.Equal("+OK\r\n", h.Run("CONFIG", "SET", "repl-ping-replica-period", "2"));
        var state = h.Server.Replication;
        state.CreateBacklogIfNeeded();
        var link = new ReplicaLink(h.Server, h.NewClient()) { Attached = true, State = ReplicaState.Online, AckTimeMs = h.Time.NowMs };
        link.AttachAtEnd();
        state.Replicas.Add(link);
        for (int i = 0; i < 4; i++)
        {
            h.Time.Advance(TimeSpan.FromSeconds(1));
            lock (h.Server.Gate)
            {
                h.Server.PrimaryReplication.Cron();
            }

            // The link's ACKs keep arriving, so repl-timeout does not drop it.
            link.AckTimeMs = h.Time.NowMs;
        }

        Assert.Equal("*1\r\n$4\r\nping\r\n*1\r\n$4\r\nping\r\n", StreamText(state));
        Assert.Equal(28, state.Offset);
    }

    [Fact]
    public void AReplicaForwardsItsPrimarysBytesUnchangedAndFormatsNothingOfItsOwn()
    {
        var h = new ServerHarness();
        var state = h.Server.Replication;
        h.Server.IsReplica = true;
        state.CreateBacklogIfNeeded();
        state.Offset = 1000;
        Assert.Equal(1001, state.BacklogFirstByteOffset);
        var sub = new ReplicaLink(h.Server, h.NewClient()) { Attached = true, State = ReplicaState.Online };
        sub.AttachAtEnd();
        state.Replicas.Add(sub);

        // What the replica applied from its primary, byte for byte, including the PING.
        const string applied = "*1\r\n$4\r\nping\r\n*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n";
        state.Append(Encoding.ASCII.GetBytes(applied));
        h.Server.ReplicationFeed.FeedKeyless(Cinnabar.Protocol.CommandArgs.FromStrings("ping"));
        Assert.Equal(1000 + applied.Length, state.Offset);
        Assert.Equal(applied, Encoding.ASCII.GetString(sub.NextChunk().Span));
        Assert.True(state.TryLocate(1001, out _, out _));
    }

    private static IEnumerable<byte[]> EnumerateBlocks(ReplicationState state)
    {
        for (var b = state.Head; b is not null; b = b.Next)
        {
            yield return b.Data;
        }
    }
}
