// The replica's offset accounting and PSYNC2 id shift, checked byte for byte against a scripted
// primary: the offset counts exactly the applied stream bytes, a MULTI block counts at its EXEC,
// REPLCONF GETACK is answered with the offset before the GETACK, and +CONTINUE <newid> moves the
// old id to master_replid2.
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class ReplicaStreamTests
{
    private static readonly string FirstId = new('a', 40);
    private static readonly string SecondId = new('b', 40);

    // The same with the client event loop (the default on Linux x64) and without it
    // (CINNABAR_EVENT_LOOP=0): the stream's writes must reach the replica's clients either way.
    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task OffsetsCountAppliedBytesAndGetackAnswersWithTheOffsetBeforeIt(string eventLoop)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var replica = await ReplicationNode.StartAsync(ServerKind.Cinnabar, new Dictionary<string, string> { ["CINNABAR_EVENT_LOOP"] = eventLoop }, $"replicaof 127.0.0.1 {port}");
        await using var r = await replica.ConnectAsync();

        using var link = await listener.AcceptTcpClientAsync();
        using var peer = new Peer(link.GetStream());
        Assert.Equal("PING", (await peer.ReadCommandAsync())[0]);
        await peer.SendAsync("+PONG\r\n");
        Assert.Equal(["REPLCONF", "listening-port", replica.Port.ToString(CultureInfo.InvariantCulture)], await peer.ReadCommandAsync());
        Assert.Equal(["REPLCONF", "capa", "eof", "capa", "psync2"], await peer.ReadCommandAsync());
        await peer.SendAsync("+OK\r\n+OK\r\n");
        Assert.Equal(["PSYNC", "?", "-1"], await peer.ReadCommandAsync());

        // An empty RDB (checksum 0 = not checked), sized framing, after two keepalives.
        var rdb = Encoding.Latin1.GetBytes("REDIS0010\u00ff\0\0\0\0\0\0\0\0");
        await peer.SendAsync($"\n\n+FULLRESYNC {FirstId} 100\r\n${rdb.Length}\r\n");
        await peer.SendAsync(rdb);
        await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoFieldAsync(r, "replication", "master_link_status") == "up", "link up");

        string select = Cmd("SELECT", "4");
        string set = Cmd("SET", "k", "v");
        string multi = Cmd("MULTI");
        string incr = Cmd("INCR", "n");
        string exec = Cmd("EXEC");
        string getack = Cmd("REPLCONF", "GETACK", "*");
        await peer.SendAsync(select + set + multi + incr);
        long applied = 100 + select.Length + set.Length;
        long read = applied + multi.Length + incr.Length;
        await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoNumberAsync(r, "replication", "slave_read_repl_offset") == read, "read offset");

        // Inside an open MULTI only the read offset has moved.
        Assert.Equal(applied, await ReplicationNode.InfoNumberAsync(r, "replication", "slave_repl_offset"));
        Assert.Equal(applied, await ReplicationNode.InfoNumberAsync(r, "replication", "master_repl_offset"));

        await peer.SendAsync(exec + getack);
        long beforeGetack = read + exec.Length;
        var ack = await peer.ReadCommandAsync();
        while (ack[2] == "100" || ack[2] == applied.ToString(CultureInfo.InvariantCulture))
        {
            // A periodic ACK (once a second) sent before the EXEC arrived.
            ack = await peer.ReadCommandAsync();
        }

        Assert.Equal(["REPLCONF", "ACK", beforeGetack.ToString(CultureInfo.InvariantCulture)], ack);
        long afterGetack = beforeGetack + getack.Length;
        Assert.Equal(["REPLCONF", "ACK", afterGetack.ToString(CultureInfo.InvariantCulture)], await peer.ReadCommandAsync());
        Assert.Equal(afterGetack, await ReplicationNode.InfoNumberAsync(r, "replication", "slave_repl_offset"));
        Assert.Equal(afterGetack, await ReplicationNode.InfoNumberAsync(r, "replication", "master_repl_offset"));
        Assert.Equal($"*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:{port}\r\n$9\r\nconnected\r\n:{afterGetack}\r\n", await r.CommandAsync("ROLE"));
        await r.CommandAsync("SELECT", "4");
        Assert.Equal("$1\r\nv\r\n", await r.CommandAsync("GET", "k"));
        Assert.Equal("$1\r\n1\r\n", await r.CommandAsync("GET", "n"));

        // The link drops; the replica reconnects at once and asks for the next byte. The primary
        // continues under a new id: ours shifts, the old one stays valid up to here.
        link.Close();
        using var again = await listener.AcceptTcpClientAsync();
        using var peer2 = new Peer(again.GetStream());
        Assert.Equal("PING", (await peer2.ReadCommandAsync())[0]);
        await peer2.SendAsync("+PONG\r\n");
        await peer2.ReadCommandAsync();
        await peer2.ReadCommandAsync();
        await peer2.SendAsync("+OK\r\n+OK\r\n");
        Assert.Equal(["PSYNC", FirstId, (afterGetack + 1).ToString(CultureInfo.InvariantCulture)], await peer2.ReadCommandAsync());
        await peer2.SendAsync($"+CONTINUE {SecondId}\r\n");
        await ReplicationNode.WaitForAsync(async () => await ReplicationNode.InfoFieldAsync(r, "replication", "master_link_status") == "up", "link up again");
        var info = await r.CommandAsync("INFO", "replication");
        Assert.Contains($"master_replid:{SecondId}\r\n", info);
        Assert.Contains($"master_replid2:{FirstId}\r\n", info);
        Assert.Contains($"second_repl_offset:{afterGetack + 1}\r\n", info);
        Assert.Contains($"Master replication ID changed to {SecondId}", replica.Log);

        // The cached position kept the selected database (no SELECT is re-sent on a partial resync).
        await peer2.SendAsync(Cmd("SET", "k", "after"));
        await ReplicationNode.WaitForAsync(async () => await r.CommandAsync("GET", "k") == "$5\r\nafter\r\n", "the write in db 4");

        // A write pause postpones the stream's writes; they run, in order, when it ends.
        Assert.Equal("+OK\r\n", await r.CommandAsync("CLIENT", "PAUSE", "300", "WRITE"));
        await peer2.SendAsync(Cmd("SET", "k", "paused") + Cmd("APPEND", "k", "+more"));
        await ReplicationNode.WaitForAsync(async () => await r.CommandAsync("GET", "k") == "$11\r\npaused+more\r\n", "the postponed writes");

        // REPLICAOF NO ONE closes the streaming link from outside the stream's reader: the
        // primary sees the close, and the server goes on serving.
        Assert.Equal("+OK\r\n", await r.CommandAsync("REPLICAOF", "NO", "ONE"));
        var rest = new byte[4096];
        using var closed = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await again.GetStream().ReadAsync(rest, closed.Token) > 0)
        {
            // REPLCONF ACKs sent before the close.
        }

        Assert.Equal("+OK\r\n", await r.CommandAsync("SET", "k", "mine"));
        Assert.Equal("$4\r\nmine\r\n", await r.CommandAsync("GET", "k"));
    }

    private static string Cmd(params string[] args)
    {
        var sb = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
        foreach (var a in args)
        {
            sb.Append('$').Append(a.Length).Append("\r\n").Append(a).Append("\r\n");
        }

        return sb.ToString();
    }

    private sealed class Peer : IDisposable
    {
        private readonly NetworkStream _stream;
        private readonly StreamReader _reader;

        public Peer(NetworkStream stream)
        {
            _stream = stream;
            _reader = new StreamReader(stream, Encoding.Latin1);
        }

        public void Dispose() => _reader.Dispose();

        public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

        public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

        public async Task<string[]> ReadCommandAsync()
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string line = (await _reader.ReadLineAsync(cts.Token))!;
            int argc = int.Parse(line[1..], CultureInfo.InvariantCulture);
            var args = new string[argc];
            for (int i = 0; i < argc; i++)
            {
                await _reader.ReadLineAsync(cts.Token);
                args[i] = (await _reader.ReadLineAsync(cts.Token))!;
            }

            return args;
        }
    }
}
