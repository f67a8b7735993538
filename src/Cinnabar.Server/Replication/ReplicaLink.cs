// One replica as the primary sees it (the replication half of Redis's client struct: replstate,
// slave_capa, slave_listening_port, slave_addr, repl_ack_off/time, ref_repl_buf_node/pos,
// repldbfd, repl_start_cmd_stream_on_ack). It is also the replica connection's output source:
// the transport sends, in order, the session's own replies (+FULLRESYNC, +CONTINUE, newline
// keepalives), then the snapshot (NextChunk: the diskless RDB as the snapshot produces it, or the
// disk file), then the shared replication buffer from this replica's position. The stream is not
// copied per replica; a chunk is a slice of a shared block.
using System.Text;

using Cinnabar.Server.Networking;

namespace Cinnabar.Server.Replication;

/// <summary>Redis's replica states (SLAVE_STATE_*), as INFO names them.</summary>
internal enum ReplicaState
{
    /// <summary>Waiting for a snapshot to start (diskless delay, or another snapshot running).</summary>
    WaitBgsaveStart,

    /// <summary>The snapshot is being produced (and, diskless, streamed).</summary>
    WaitBgsaveEnd,

    /// <summary>Disk-based: the RDB file is being sent.</summary>
    SendBulk,

    /// <summary>Synchronized: the stream flows.</summary>
    Online,
}

/// <summary>A replica connected to this server.</summary>
internal sealed class ReplicaLink
{
    private const int FileChunkSize = 64 * 1024;
    private readonly object _rdbLock = new();
    private readonly Queue<RdbChunk> _rdbChunks = new();
    private RdbChunk? _rdbInFlight;
    private long _rdbQueuedBytes;
    private byte[]? _fileBuffer;

    public ReplicaLink(CinnabarServer server, ClientSession session)
    {
        Server = server;
        Session = session;
    }

    public CinnabarServer Server { get; }

    public ClientSession Session { get; }

    public ReplicaState State { get; set; } = ReplicaState.WaitBgsaveStart;

    /// <summary>REPLCONF capa eof.</summary>
    public bool CapaEof { get; set; }

    /// <summary>REPLCONF capa psync2.</summary>
    public bool CapaPsync2 { get; set; }

    /// <summary>REPLCONF listening-port (0 when not told).</summary>
    public int ListeningPort { get; set; }

    /// <summary>REPLCONF ip-address, or null.</summary>
    public string? AnnouncedIp { get; set; }

    /// <summary>Attached with SYNC (CLIENT_PRE_PSYNC): no +FULLRESYNC, no ACKs expected.</summary>
    public bool PrePsync { get; set; }

    /// <summary>True once it is in the replica list (after SYNC/PSYNC).</summary>
    public bool Attached { get; set; }

    /// <summary>repl_ack_off: the highest offset it acknowledged.</summary>
    public long AckOffset { get; set; }

    /// <summary>repl_ack_time (unix ms).</summary>
    public long AckTimeMs { get; set; }

    /// <summary>psync_initial_offset: the offset of its full sync (+FULLRESYNC).</summary>
    public long InitialOffset { get; set; }

    /// <summary>repl_start_cmd_stream_on_ack: after an EOF-marked transfer the stream waits for the first ACK.</summary>
    public bool StartStreamOnAck { get; set; }

    /// <summary>The full sync uses a socket (diskless) transfer.</summary>
    public bool SocketTarget { get; set; }

    /// <summary>The disk-based transfer's file and what is left to send of it.</summary>
    public FileStream? BulkFile { get; set; }

    /// <summary>The "$len\r\n" preamble still to send before the file.</summary>
    public byte[]? BulkPreamble { get; set; }

    /// <summary>RDB bytes sent (both framings, preamble and EOF marks included).</summary>
    public long RdbBytesSent { get; set; }

    /// <summary>RDB size when known (disk-based), else -1.</summary>
    public long RdbSize { get; set; } = -1;

    /// <summary>When the current full sync started (unix ms), 0 when none.</summary>
    public long SyncStartedMs { get; set; }

    /// <summary>Number of full syncs this connection went through (0 or 1; kept for INFO).</summary>
    public long FullSyncs { get; set; }

    /// <summary>The block holding the next stream byte to send (ref_repl_buf_node), or null when not fed yet.</summary>
    public ReplBlock? Block { get; private set; }

    /// <summary>Position of the next byte inside <see cref="Block"/> (ref_block_pos).</summary>
    public int Position { get; private set; }

    /// <summary>The offset of the next stream byte to send.</summary>
    public long NextOffset => Block is null ? -1 : Block.StartOffset + Position;

    /// <summary>A snapshot is producing RDB bytes for this replica (diskless) and has not finished.</summary>
    public bool RdbStreaming { get; set; }

    /// <summary>Bytes of the snapshot waiting in memory to be sent (diskless).</summary>
    public long RdbQueuedBytes
    {
        get
        {
            lock (_rdbLock)
            {
                return _rdbQueuedBytes;
            }
        }
    }

    /// <summary>When the diskless transfer last handed a chunk to the socket (unix ms, Redis's repl_last_partial_write idea).</summary>
    public long RdbProgressMs { get; set; }

    /// <summary>When the soft output-buffer limit was first reached (unix ms), 0 when not.</summary>
    public long SoftLimitSinceMs { get; set; }

    /// <summary>The connection is gone: the snapshot writer must not wait for it.</summary>
    public bool Closed { get; set; }

    /// <summary>The name Redis logs a replica by (replicationGetSlaveName): ip:listening-port.</summary>
    public string Name
    {
        get
        {
            string ip = AnnouncedIp ?? HostOf(Session.Address);
            return ListeningPort != 0 ? FormatAddr(ip, ListeningPort) : $"{ip}:<unknown-replica-port>";
        }
    }

    /// <summary>The IP shown in INFO (REPLCONF ip-address or the peer address).</summary>
    public string Ip => AnnouncedIp ?? HostOf(Session.Address);

    /// <summary>True while stream bytes may be sent (online and not waiting for the first ACK).</summary>
    public bool Streaming => State == ReplicaState.Online && !StartStreamOnAck;

    /// <summary>Bytes of the shared buffer from this replica's block to the end (Redis's replica output-buffer usage).</summary>
    public long PendingStreamBytes
    {
        get
        {
            var tail = Server.Replication.Tail;
            if (Block is null || tail is null)
            {
                return 0;
            }

            return tail.StartOffset + tail.Data.Length - Block.StartOffset;
        }
    }

    /// <summary>Stream bytes not yet sent (offset distance to the end of the stream).</summary>
    public long UnsentStreamBytes => Block is null ? 0 : Server.Replication.Offset + 1 - NextOffset;

    /// <summary>Starts feeding the stream from <paramref name="block"/>/<paramref name="position"/> (attach at a snapshot's offset, or at a PSYNC offset).</summary>
    public void AttachAt(ReplBlock block, int position)
    {
        if (Block is not null)
        {
            Server.Replication.ForgetInFlightSends();
        }

        Block = block;
        Position = position;
    }

    /// <summary>Attaches at the current end of the stream (the next byte appended is the first sent).</summary>
    public void AttachAtEnd()
    {
        var tail = Server.Replication.Tail!;
        AttachAt(tail, tail.Used);
    }

    /// <summary>Stops referencing the shared buffer (freeReplicaReferencedReplBuffer).</summary>
    public void Detach()
    {
        if (Block is not null)
        {
            Server.Replication.ForgetInFlightSends();
        }

        Block = null;
        Position = 0;
        Server.Replication.Trim();
    }

    /// <summary>Called under the gate after bytes were appended to the shared buffer.</summary>
    public void OnStreamAppended(bool newBlock)
    {
        if (Block is null)
        {
            return;
        }

        if (Streaming)
        {
            Session.Transport?.RequestFlush();
        }

        if (newBlock)
        {
            Server.PrimaryReplication.CheckOutputBufferLimit(this);
        }
    }

    /// <summary>Queues snapshot bytes for sending (diskless; any thread).</summary>
    public void EnqueueRdb(RdbChunk chunk)
    {
        lock (_rdbLock)
        {
            _rdbChunks.Enqueue(chunk);
            _rdbQueuedBytes += chunk.Length;
        }

        Session.Transport?.RequestFlush();
    }

    /// <summary>Waits (snapshot writer thread) until at most <paramref name="limit"/> bytes wait to be sent, or the link closes.</summary>
    public void WaitForRdbRoom(long limit)
    {
        lock (_rdbLock)
        {
            while (_rdbQueuedBytes > limit && !Closed)
            {
                Monitor.Wait(_rdbLock, 100);
            }
        }
    }

    /// <summary>
    /// The next bytes to send after the session's own replies, or empty when there is nothing
    /// now (caller holds the gate; the memory stays valid after the gate is released).
    /// </summary>
    public ReadOnlyMemory<byte> NextChunk()
    {
        // A replica dropped (output-buffer limit, timeout) gets nothing more, as Redis's
        // CLOSE_ASAP clients: it must not receive the stream that made it exceed its limit.
        if (Session.Killed)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        lock (_rdbLock)
        {
            // The transport asks for the next chunk once the previous one is sent.
            _rdbInFlight?.Release();
            _rdbInFlight = null;
            if (_rdbChunks.TryDequeue(out var chunk))
            {
                _rdbQueuedBytes -= chunk.Length;
                RdbBytesSent += chunk.Length;
                RdbProgressMs = Server.NowMs;
                Monitor.PulseAll(_rdbLock);
                _rdbInFlight = chunk;
                return chunk.Memory;
            }
        }

        if (State == ReplicaState.SendBulk)
        {
            return NextFileChunk();
        }

        if (!Streaming || Block is null)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        while (Position == Block.Used && Block.Next is not null)
        {
            Block = Block.Next;
            Position = 0;
        }

        int available = Block.Used - Position;
        if (available == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var slice = new ReadOnlyMemory<byte>(Block.Data, Position, available);
        Position += available;
        return slice;
    }

    /// <summary>Closes the transfer file, if any.</summary>
    public void CloseBulkFile()
    {
        BulkFile?.Dispose();
        BulkFile = null;
    }

    private ReadOnlyMemory<byte> NextFileChunk()
    {
        if (BulkPreamble is { } preamble)
        {
            BulkPreamble = null;
            RdbBytesSent += preamble.Length;
            return preamble;
        }

        if (BulkFile is null)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        _fileBuffer ??= new byte[FileChunkSize];
        int n;
        try
        {
            // The previous chunk has been sent completely before the next is asked for, so one
            // buffer per link is enough.
            n = BulkFile.Read(_fileBuffer, 0, _fileBuffer.Length);
        }
        catch (IOException e)
        {
            Server.Log.Warning($"Read error sending DB to replica: {e.Message}");
            CloseBulkFile();
            Session.Killed = true;
            Session.Transport?.Close();
            return ReadOnlyMemory<byte>.Empty;
        }

        if (n > 0)
        {
            RdbBytesSent += n;
            return new ReadOnlyMemory<byte>(_fileBuffer, 0, n);
        }

        // sendBulkToSlave: the whole file is out, the replica is online and the stream follows.
        CloseBulkFile();
        Server.PrimaryReplication.PutOnline(this);
        return NextChunk();
    }

    private static string HostOf(string address)
    {
        int colon = address.LastIndexOf(':');
        var host = colon < 0 ? address : address[..colon];
        return host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
    }

    // anetFormatAddr: IPv6 addresses in brackets.
    private static string FormatAddr(string ip, int port) => ip.Contains(':', StringComparison.Ordinal) ? $"[{ip}]:{port}" : $"{ip}:{port}";

    /// <summary>The INFO state name (replstateToString).</summary>
    public string StateName => State switch
    {
        ReplicaState.WaitBgsaveStart or ReplicaState.WaitBgsaveEnd => "wait_bgsave",
        ReplicaState.SendBulk => "send_bulk",
        _ => "online",
    };

    /// <summary>What the link is doing, in words (INFO's extra field).</summary>
    public string Phase => State switch
    {
        ReplicaState.WaitBgsaveStart => "waiting-snapshot",
        ReplicaState.WaitBgsaveEnd when SocketTarget => "rdb-transfer",
        ReplicaState.WaitBgsaveEnd => "rdb-saving",
        ReplicaState.SendBulk => "rdb-transfer",
        _ when StartStreamOnAck => "waiting-ack",
        _ => "streaming",
    };

    internal static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);
}
