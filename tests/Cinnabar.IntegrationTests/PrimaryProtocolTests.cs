// The primary side of the replication protocol, byte for byte, through hand-driven replicas:
// +FULLRESYNC and the $EOF framing, the stream held until the first ACK, the exact stream
// bytes and offsets, +CONTINUE with only the missing bytes, SYNC's $len framing, PING and
// GETACK in the stream, WAIT, and the output-buffer limit with the full-sync exemption.
using System.Globalization;
using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;

using static Cinnabar.IntegrationTests.Infrastructure.Replication;

namespace Cinnabar.IntegrationTests;

public class PrimaryProtocolTests
{
    private const string SelectZero = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n";
    private const string SetKv = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";

    private static ServerOptions Primary() => ServerOptions.Cinnabar()
        .With("repl-diskless-sync-delay", "0")
        .With("repl-ping-replica-period", "3600");

    // Handshake as a Redis 7 replica does, then PSYNC; returns the +FULLRESYNC line's id and offset.
    private static async Task<(string ReplId, long Offset)> FullResyncAsync(FakeReplica r, bool eof = true)
    {
        await r.SendAsync("REPLCONF", "listening-port", "7777");
        Assert.Equal("+OK", await r.ReadLineAsync());
        if (eof)
        {
            await r.SendAsync("REPLCONF", "capa", "eof", "capa", "psync2");
            Assert.Equal("+OK", await r.ReadLineAsync());
        }

        await r.SendAsync("PSYNC", "?", "-1");
        var line = await r.ReadLineSkippingKeepalivesAsync();
        var parts = line.Split(' ');
        Assert.Equal("+FULLRESYNC", parts[0]);
        Assert.Equal(40, parts[1].Length);
        return (parts[1], long.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    private static async Task<string> LinkPhaseAsync(int port) => (await InfoFieldAsync(port, "replica_link0"))?.Split(',')[0] ?? string.Empty;

    [Fact]
    public async Task PsyncGetsAnEofFramedRdbAndTheStreamOnlyAfterTheFirstAck()
    {
        await using var primary = await ServerProcess.StartAsync(Primary());
        await using var r = await FakeReplica.ConnectAsync(primary.Port);
        var (replid, offset) = await FullResyncAsync(r);
        Assert.Equal(0, offset);
        var rdb = await r.ReadEofRdbAsync();
        Assert.Equal("REDIS0010", Encoding.ASCII.GetString(rdb, 0, 9));
        Assert.Contains("repl-id", Encoding.Latin1.GetString(rdb), StringComparison.Ordinal);
        Assert.Contains(replid, Encoding.Latin1.GetString(rdb), StringComparison.Ordinal);

        await using (var c = await RawConnection.ConnectAsync(primary.Port))
        {
            Assert.Equal("+OK\r\n", await c.CommandAsync("SET", "k", "v"));
        }

        // Held back until the replica says it loaded the RDB (Redis's repl_start_cmd_stream_on_ack).
        await WaitUntilAsync(async () => await LinkPhaseAsync(primary.Port) == "phase=waiting-ack", "waiting-ack phase");
        Assert.Equal((SelectZero + SetKv).Length.ToString(CultureInfo.InvariantCulture), await InfoFieldAsync(primary.Port, "master_repl_offset"));
        // lag counts whole seconds since the last interaction: a second boundary may pass.
        Assert.Matches("^slave0:ip=127.0.0.1,port=7777,state=online,offset=0,lag=[01]$", "slave0:" + await InfoFieldAsync(primary.Port, "slave0"));

        await r.SendAsync("REPLCONF", "ACK", "0");
        Assert.Equal(SelectZero + SetKv, await r.ReadStreamAsync((SelectZero + SetKv).Length));
        Assert.Equal("phase=streaming", await LinkPhaseAsync(primary.Port));
        await r.SendAsync("REPLCONF", "ACK", (SelectZero + SetKv).Length.ToString(CultureInfo.InvariantCulture));
        await WaitUntilAsync(async () => (await InfoFieldAsync(primary.Port, "slave0"))!.Contains($"offset={(SelectZero + SetKv).Length},", StringComparison.Ordinal), "ack recorded");
    }

    [Fact]
    public async Task PsyncWithAKnownIdGetsContinueAndExactlyTheMissingBytes()
    {
        await using var primary = await ServerProcess.StartAsync(Primary());
        string replid;
        await using (var first = await FakeReplica.ConnectAsync(primary.Port))
        {
            (replid, _) = await FullResyncAsync(first);
            await first.ReadEofRdbAsync();
            await first.SendAsync("REPLCONF", "ACK", "0");
            await using var c = await RawConnection.ConnectAsync(primary.Port);
            await c.CommandAsync("SET", "k", "v");
            await c.CommandAsync("SELECT", "12");
            await c.CommandAsync("SET", "k", "v");
            Assert.Equal(SelectZero + SetKv, await first.ReadStreamAsync((SelectZero + SetKv).Length));
        }

        const string selectTwelve = "*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n";
        await using var second = await FakeReplica.ConnectAsync(primary.Port);
        await second.SendAsync("REPLCONF", "capa", "eof", "capa", "psync2");
        Assert.Equal("+OK", await second.ReadLineAsync());
        await second.SendAsync("PSYNC", replid, (SelectZero.Length + SetKv.Length + 1).ToString(CultureInfo.InvariantCulture));
        Assert.Equal("+CONTINUE " + replid, await second.ReadLineAsync());
        Assert.Equal(selectTwelve + SetKv, await second.ReadStreamAsync(selectTwelve.Length + SetKv.Length));
        await primary.WaitForOutputAsync($"accepted. Sending {selectTwelve.Length + SetKv.Length} bytes of backlog starting from offset {SelectZero.Length + SetKv.Length + 1}.", Deadline);

        // Without capa psync2 the reply carries no id, as Redis answers pre-PSYNC2 replicas.
        await using var third = await FakeReplica.ConnectAsync(primary.Port);
        await third.SendAsync("PSYNC", replid.ToUpperInvariant(), "1");
        Assert.Equal("+CONTINUE", await third.ReadLineAsync());
        Assert.Equal(SelectZero + SetKv + selectTwelve + SetKv, await third.ReadStreamAsync(SelectZero.Length + (2 * SetKv.Length) + selectTwelve.Length));
        Assert.Equal("2", await InfoFieldAsync(primary.Port, "sync_partial_ok", "stats"));
    }

    [Fact]
    public async Task PsyncBeyondTheOffsetOrWithAnUnknownIdGetsAFullResync()
    {
        await using var primary = await ServerProcess.StartAsync(Primary());
        string replid;
        await using (var first = await FakeReplica.ConnectAsync(primary.Port))
        {
            (replid, _) = await FullResyncAsync(first);
            await first.ReadEofRdbAsync();
        }

        await using (var ahead = await FakeReplica.ConnectAsync(primary.Port))
        {
            await ahead.SendAsync("PSYNC", replid, "100");
            Assert.StartsWith("+FULLRESYNC " + replid + " ", await ahead.ReadLineSkippingKeepalivesAsync(), StringComparison.Ordinal);
        }

        await using (var other = await FakeReplica.ConnectAsync(primary.Port))
        {
            await other.SendAsync("PSYNC", new string('a', 40), "1");
            Assert.StartsWith("+FULLRESYNC " + replid, await other.ReadLineSkippingKeepalivesAsync(), StringComparison.Ordinal);
        }

        await primary.WaitForOutputAsync("Unable to partial resync with replica 127.0.0.1:<unknown-replica-port> for lack of backlog (Replica request was: 100).", Deadline);
        await primary.WaitForOutputAsync("tried to PSYNC with an offset that is greater than the master replication offset.", Deadline);
        await primary.WaitForOutputAsync($"Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{new string('a', 40)}', my replication IDs are '{replid}' and '{new string('0', 40)}')", Deadline);
        Assert.Equal("2", await InfoFieldAsync(primary.Port, "sync_partial_err", "stats"));
        Assert.Equal("3", await InfoFieldAsync(primary.Port, "sync_full", "stats"));
    }

    [Fact]
    public async Task SyncGetsALengthFramedRdbWithoutFullresyncAndThenTheStream()
    {
        await using var primary = await ServerProcess.StartAsync(Primary());
        await using var r = await FakeReplica.ConnectAsync(primary.Port);
        await r.SendRawAsync("SYNC\r\n"u8.ToArray());
        var rdb = await r.ReadBulkRdbAsync();
        Assert.Equal("REDIS0010", Encoding.ASCII.GetString(rdb, 0, 9));
        await using (var c = await RawConnection.ConnectAsync(primary.Port))
        {
            await c.CommandAsync("SET", "k", "v");
        }

        Assert.Equal(SelectZero + SetKv, await r.ReadStreamAsync((SelectZero + SetKv).Length));
        Assert.Contains("Starting BGSAVE for SYNC with target: disk", primary.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePrimaryPingsItsReplicasThroughTheStreamAndCountsThePing()
    {
        await using var primary = await ServerProcess.StartAsync(Primary().With("repl-ping-replica-period", "1"));
        await using var r = await FakeReplica.ConnectAsync(primary.Port);
        await FullResyncAsync(r);
        await r.ReadEofRdbAsync();
        await r.SendAsync("REPLCONF", "ACK", "0");
        const string ping = "*1\r\n$4\r\nping\r\n";
        Assert.Equal(ping, await r.ReadStreamAsync(ping.Length));
        Assert.Equal(ping, await r.ReadStreamAsync(ping.Length));
        long offset = long.Parse((await InfoFieldAsync(primary.Port, "master_repl_offset"))!, CultureInfo.InvariantCulture);
        Assert.True(offset >= 2 * ping.Length && offset % ping.Length == 0, $"offset {offset}");
    }

    [Fact]
    public async Task WaitAsksReplicasForAnAckAndReturnsWhenTheyAcknowledge()
    {
        await using var primary = await ServerProcess.StartAsync(Primary());
        await using var r = await FakeReplica.ConnectAsync(primary.Port);
        await FullResyncAsync(r);
        await r.ReadEofRdbAsync();
        await r.SendAsync("REPLCONF", "ACK", "0");
        await using var c = await RawConnection.ConnectAsync(primary.Port);
        await c.CommandAsync("SET", "k", "v");
        Assert.Equal(SelectZero + SetKv, await r.ReadStreamAsync((SelectZero + SetKv).Length));
        await c.SendRawAsync(RawConnection.Encode("WAIT"u8.ToArray(), "1"u8.ToArray(), "0"u8.ToArray()));
        const string getAck = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";
        Assert.Equal(getAck, await r.ReadStreamAsync(getAck.Length));
        await r.SendAsync("REPLCONF", "ACK", (SelectZero + SetKv).Length.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(":1\r\n", await c.ReadReplyAsync());
        Assert.Equal(":1\r\n", await c.CommandAsync("WAIT", "2", "50"));
    }

    [Fact]
    public async Task AStreamingReplicaThatStopsReadingIsDroppedByTheOutputBufferLimit()
    {
        await using var primary = await ServerProcess.StartAsync(Primary().With("client-output-buffer-limit", "replica", "1mb", "0", "0"));
        await using var r = await FakeReplica.ConnectAsync(primary.Port);
        await FullResyncAsync(r);
        await r.ReadEofRdbAsync();
        await r.SendAsync("REPLCONF", "ACK", "0");
        await WaitUntilAsync(async () => await LinkPhaseAsync(primary.Port) == "phase=streaming", "streaming");
        await using var c = await RawConnection.ConnectAsync(primary.Port);
        var value = new string('z', 512 * 1024);
        for (int i = 0; i < 200 && await InfoFieldAsync(c, "connected_slaves") != "0"; i++)
        {
            await c.CommandAsync("SET", "big", value);
        }

        Assert.Equal("0", await InfoFieldAsync(c, "connected_slaves"));
        await primary.WaitForOutputAsync("scheduled to be closed ASAP for overcoming of output buffer limits.", Deadline);
        Assert.Contains("flags=S", primary.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReplicaInFullSyncIsNotDroppedByTheOutputBufferLimitAndInfoSaysWhy()
    {
        await using var primary = await ServerProcess.StartAsync(Primary().With("client-output-buffer-limit", "replica", "1mb", "0", "0"));
        await using var r = await FakeReplica.ConnectAsync(primary.Port);
        await FullResyncAsync(r);
        await r.ReadEofRdbAsync();

        // No ACK yet: Redis would count this stream against the limit and drop the replica,
        // which would then start a new full sync (the endless loop of ARCHITECTURE §5).
        await using var c = await RawConnection.ConnectAsync(primary.Port);
        var value = new string('z', 512 * 1024);
        for (int i = 0; i < 8; i++)
        {
            await c.CommandAsync("SET", "big" + i.ToString(CultureInfo.InvariantCulture), value);
        }

        Assert.Equal("1", await InfoFieldAsync(c, "connected_slaves"));
        var link = await InfoFieldAsync(c, "replica_link0");
        Assert.StartsWith("phase=waiting-ack,", link, StringComparison.Ordinal);
        Assert.Contains("buffer_limit=exempt-full-sync", link, StringComparison.Ordinal);

        await r.SendAsync("REPLCONF", "ACK", "0");
        Assert.Equal(SelectZero, await r.ReadStreamAsync(SelectZero.Length));
    }

    [Fact]
    public async Task AReplicaThatStopsReadingDuringADisklessTransferIsDroppedAfterReplTimeout()
    {
        await using var primary = await ServerProcess.StartAsync(Primary().With("repl-timeout", "2").With("enable-debug-command", "yes"));
        await using (var c = await RawConnection.ConnectAsync(primary.Port))
        {
            // Incompressible, and far more than the socket buffers and the pacing queue hold.
            var random = new Random(42);
            var value = new byte[1024 * 1024];
            for (int i = 0; i < 48; i++)
            {
                random.NextBytes(value);
                Assert.Equal("+OK\r\n", await c.CommandAsync(Encoding.ASCII.GetBytes("SET"), Encoding.ASCII.GetBytes("r" + i.ToString(CultureInfo.InvariantCulture)), value));
            }
        }

        await using var r = await FakeReplica.ConnectAsync(primary.Port);
        await FullResyncAsync(r);

        // Never read the RDB: the socket and the pacing queue fill up and the transfer stalls.
        await primary.WaitForOutputAsync("Disconnecting timedout replica (full sync): 127.0.0.1:7777", Deadline);
        await primary.WaitForOutputAsync("Diskless rdb transfer, last replica dropped, killing fork child.", Deadline);
        await WaitUntilAsync(async () => await InfoFieldAsync(primary.Port, "connected_slaves") == "0", "replica dropped");
    }
}
