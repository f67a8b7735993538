// Replication identity and position (replication.c's server.replid/replid2/master_repl_offset/
// second_replid_offset) and the one shared replication buffer (ARCHITECTURE §4, Redis 7.0's
// repl_buffer_blocks): the stream is kept once, in blocks; the backlog is a position in that list
// (its first block) and each replica is another position (ReplicaLink). Nothing is copied per
// replica: a transport sends straight from the blocks. The backlog is trimmed in whole blocks down
// to repl-backlog-size, but never past a block a replica still has to send, so histlen can exceed
// the configured size while a replica lags (as in Redis 7.0); blocks nobody points at any more are
// left to the GC, except that the storage of a trimmed standard-size block is reused for the next
// block when nothing can still be sending from it (see Trim). Without that reuse, every block of
// the stream lived just long enough to be promoted to the oldest GC generation and die there, and
// the background collections that this garbage triggered walked the whole keyspace: the cost of
// a replica grew with the dataset (bench/RESULTS.md).
//
// Offsets are counted exactly as Redis counts them: every byte appended advances Offset, and only
// while a backlog exists (a primary that never had a replica stays at offset 0). The primary's
// formatted writes (ReplicationFeed) and a replica forwarding its primary's bytes unchanged both
// come in through Append, so a chain of replicas shares one offset space (PSYNC2).
using Cinnabar.Server.Persistence.Rdb;

namespace Cinnabar.Server.Replication;

/// <summary>Replication ids, offsets and the shared replication buffer.</summary>
internal sealed class ReplicationState
{
    /// <summary>Redis's PROTO_REPLY_CHUNK_BYTES: the smallest block.</summary>
    public const int MinBlockSize = 16 * 1024;

    /// <summary>Redis's CONFIG_REPL_BACKLOG_MIN_SIZE.</summary>
    public const long MinBacklogSize = 16 * 1024;

    // Trimmed blocks' storage kept for reuse: enough for the steady state, where every new block
    // follows the trim of the oldest one.
    private const int MaxSpareBlocks = 8;

    private readonly CinnabarServer _server;
    private readonly Stack<byte[]> _spare = new();
    private ReplBlock? _head;
    private ReplBlock? _tail;
    private long _nextBlockId;
    private long _reusableFromId;
    private long _offset;

    public ReplicationState(CinnabarServer server)
    {
        _server = server;
        ReplId = NewId();
        NoReplicasSinceMs = server.NowMs;
    }

    /// <summary>master_replid: the history this server's offsets belong to.</summary>
    public string ReplId { get; set; }

    /// <summary>master_replid2: the previous history (PSYNC2), 40 zeros when none.</summary>
    public string ReplId2 { get; set; } = new('0', 40);

    /// <summary>second_repl_offset: up to where ReplId2 is valid, -1 when none.</summary>
    public long SecondReplIdOffset { get; set; } = -1;

    /// <summary>
    /// master_repl_offset: bytes of replication stream produced (only counted while a backlog
    /// exists). Setting it (a replica adopting its primary's offset after a full sync) empties
    /// the backlog, which then starts at the new offset + 1.
    /// </summary>
    public long Offset
    {
        get => _offset;
        set
        {
            _offset = value;
            if (HasBacklog)
            {
                ResetBlocks();
            }
        }
    }

    /// <summary>True while a backlog exists (repl_backlog_active).</summary>
    public bool HasBacklog { get; private set; }

    /// <summary>repl_backlog_first_byte_offset: the offset of the first byte the backlog holds (0 without a backlog).</summary>
    public long BacklogFirstByteOffset => HasBacklog ? _offset - HistLen + 1 : 0;

    /// <summary>repl_backlog_histlen: bytes the backlog holds.</summary>
    public long HistLen { get; private set; }

    /// <summary>repl-backlog-size as in effect (never below Redis's 16 KB minimum).</summary>
    public long BacklogSize => Math.Max(MinBacklogSize, _server.Config.ReplBacklogSize);

    /// <summary>mem_total_replication_buffers: bytes of every block still in the buffer list.</summary>
    public long BufferMemory { get; private set; }

    /// <summary>Replicas attached on this server's primary side (Redis's server.slaves), in arrival order.</summary>
    public List<ReplicaLink> Replicas { get; } = [];

    /// <summary>When the last replica went away (repl_no_slaves_since), unix ms.</summary>
    public long NoReplicasSinceMs { get; set; }

    /// <summary>The last block (where the next byte goes), or null without a backlog.</summary>
    public ReplBlock? Tail => _tail;

    /// <summary>The first block the backlog holds, or null without a backlog.</summary>
    public ReplBlock? Head => _head;

    /// <summary>
    /// The database of the replication stream for a snapshot's repl-stream-db on a replica (its
    /// primary link's selected database), set by the replica side; null on a primary.
    /// </summary>
    public Func<int?>? ReplicaStreamDb { get; set; }

    /// <summary>REPLCONF GETACK from our primary: the replica side sends its ACK now (set by the replica side).</summary>
    public Action? SendAckToPrimary { get; set; }

    /// <summary>createReplicationBacklog: called when the first replica attaches, or on a replica when it links to its primary.</summary>
    public void CreateBacklogIfNeeded()
    {
        if (HasBacklog)
        {
            return;
        }

        HasBacklog = true;
        ResetBlocks();

        // From now on every write has a consumer: the stream must be formatted even with no
        // replica attached, so that the backlog (and the offset) keep up.
        if (!_server.PropagationSinks.Contains(_server.ReplicationFeed))
        {
            _server.PropagationSinks.Add(_server.ReplicationFeed);
        }
    }

    /// <summary>freeReplicationBacklog: drops the backlog and its blocks (no replica may be attached).</summary>
    public void FreeBacklog()
    {
        if (!HasBacklog)
        {
            return;
        }

        HasBacklog = false;
        _head = _tail = null;
        HistLen = 0;
        BufferMemory = 0;
        _server.PropagationSinks.Remove(_server.ReplicationFeed);
    }

    /// <summary>
    /// Appends already-formatted stream bytes (a replica forwarding its primary's stream, or the
    /// primary's own formatted writes): advances Offset and hands them to the backlog and replicas.
    /// Does nothing without a backlog, as feedReplicationBuffer. Caller holds the gate.
    /// </summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (!HasBacklog || bytes.IsEmpty)
        {
            return;
        }

        bool newBlock = false;
        while (!bytes.IsEmpty)
        {
            var tail = _tail!;
            int room = tail.Data.Length - tail.Used;
            if (room == 0)
            {
                // Redis sizes a new block to the write, at least 16 KB and at most
                // repl-backlog-size / 16, so that trimming keeps the backlog close to its size.
                long limit = Math.Max(BacklogSize / 16, MinBlockSize);
                int size = (int)Math.Min(Math.Max(bytes.Length, MinBlockSize), limit);
                var data = size == MinBlockSize && _spare.TryPop(out var spare) ? spare : new byte[size];
                var block = new ReplBlock(data, _offset + 1, _nextBlockId++);
                tail.Next = block;
                _tail = tail = block;
                BufferMemory += size;
                room = size;
                newBlock = true;
            }

            int copy = Math.Min(room, bytes.Length);
            bytes[..copy].CopyTo(tail.Data.AsSpan(tail.Used));
            tail.Used += copy;
            _offset += copy;
            HistLen += copy;
            bytes = bytes[copy..];
        }

        foreach (var link in Replicas)
        {
            link.OnStreamAppended(newBlock);
        }

        if (newBlock)
        {
            Trim();
        }
    }

    /// <summary>
    /// Finds where the byte at <paramref name="offset"/> is (or would be: offset == Offset + 1 is
    /// the end). False when the backlog does not hold it.
    /// </summary>
    public bool TryLocate(long offset, out ReplBlock block, out int position)
    {
        block = null!;
        position = 0;
        if (!HasBacklog || offset < BacklogFirstByteOffset || offset > BacklogFirstByteOffset + HistLen)
        {
            return false;
        }

        for (var b = _head; b is not null; b = b.Next)
        {
            if (b.StartOffset + b.Used >= offset)
            {
                block = b;
                position = (int)(offset - b.StartOffset);
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// incrementalTrimReplicationBacklog: drops whole blocks from the head while the backlog
    /// holds more than repl-backlog-size without them, and no replica still has to send them.
    /// </summary>
    public void Trim()
    {
        while (_head is not null && _head.Next is not null && HistLen - _head.Used > BacklogSize)
        {
            foreach (var link in Replicas)
            {
                if (ReferenceEquals(link.Block, _head))
                {
                    return;
                }
            }

            HistLen -= _head.Used;
            BufferMemory -= _head.Data.Length;
            var dropped = _head;
            _head = _head.Next;

            // A replica sends from a block only while it points at it (its previous chunk is
            // fully sent before it moves to the next block), so a trimmed block is free unless a
            // replica let go of it some other way while a send may still be under way (see
            // ForgetInFlightSends).
            if (dropped.Id >= _reusableFromId && dropped.Data.Length == MinBlockSize && _spare.Count < MaxSpareBlocks)
            {
                _spare.Push(dropped.Data);
            }
        }
    }

    /// <summary>
    /// A replica stopped pointing at the buffer (detached, or re-attached elsewhere) perhaps
    /// while its transport was still sending a slice of a block: no block that exists now is
    /// reused; they are left to the GC.
    /// </summary>
    public void ForgetInFlightSends() => _reusableFromId = _nextBlockId;

    /// <summary>shiftReplicationId: the current id becomes ReplId2 (valid up to Offset + 1) and a new id starts.</summary>
    public void ShiftReplId()
    {
        ReplId2 = ReplId;
        SecondReplIdOffset = Offset + 1;
        ReplId = NewId();
        _server.Log.Warning($"Setting secondary replication ID to {ReplId2}, valid up to offset: {SecondReplIdOffset}. New replication ID is {ReplId}");
    }

    /// <summary>changeReplicationId: a new history with no predecessor kept.</summary>
    public void ChangeReplId() => ReplId = NewId();

    /// <summary>clearReplicationId2.</summary>
    public void ClearReplId2()
    {
        ReplId2 = new string('0', 40);
        SecondReplIdOffset = -1;
    }

    /// <summary>
    /// rdbPopulateSaveInfo: the replication position a snapshot taken now corresponds to, or null
    /// when there is none worth resuming from (a primary without a backlog).
    /// </summary>
    public ReplSaveInfo? PopulateSaveInfo()
    {
        if (ReplicaStreamDb?.Invoke() is { } replicaDb)
        {
            return new ReplSaveInfo(replicaDb, ReplId, Offset);
        }

        if (!_server.IsReplica && HasBacklog)
        {
            int db = _server.ReplicationFeed.SelectedDb;
            return new ReplSaveInfo(db < 0 ? 0 : db, ReplId, Offset);
        }

        return null;
    }

    /// <summary>
    /// loadDataFromDisk's primary half: a primary started from an RDB that carries repl-id,
    /// repl-offset and repl-stream-db keeps that history as its secondary id (valid up to
    /// repl-offset + 1) and continues counting from repl-offset, with a backlog, so the replicas
    /// it had before the restart can continue with a partial resync. Does nothing on a replica
    /// (the replica side builds its cached primary from the same fields). True when restored.
    /// </summary>
    public bool RestoreAsPrimaryFromRdb(IReadOnlyDictionary<string, string> aux)
    {
        if (_server.IsReplica || !string.IsNullOrEmpty(_server.Config.ReplicaOfHost))
        {
            return false;
        }

        if (!aux.TryGetValue("repl-id", out var id) || id.Length != 40
            || !aux.TryGetValue("repl-offset", out var offText) || !long.TryParse(offText, System.Globalization.CultureInfo.InvariantCulture, out long offset) || offset == -1
            || !aux.TryGetValue("repl-stream-db", out var dbText) || dbText == "-1")
        {
            return false;
        }

        ReplId2 = id;
        SecondReplIdOffset = offset + 1;
        CreateBacklogIfNeeded();
        Offset = offset;
        NoReplicasSinceMs = _server.NowMs;
        return true;
    }

    /// <summary>The server this state belongs to.</summary>
    internal CinnabarServer Server => _server;

    private void ResetBlocks()
    {
        // The first block exists from the start so that a replica attached to an empty buffer
        // already has a block to point at (and to pin against trimming).
        _head = _tail = new ReplBlock(new byte[MinBlockSize], _offset + 1, _nextBlockId++);
        HistLen = 0;
        BufferMemory = MinBlockSize;
    }

    private static string NewId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
}
