namespace Cinnabar.Server.Replication;

/// <summary>
/// One block of the shared replication buffer (Redis 7.0's replBufBlock): stream bytes that the
/// backlog and every replica read at their own positions. Bytes up to <see cref="Used"/> never
/// change once written, so a transport may send straight from <see cref="Data"/> outside the
/// executor gate; a trimmed block stays alive for as long as anything still points at it, unless
/// ReplicationState can prove nothing does and reuses its storage.
/// </summary>
internal sealed class ReplBlock
{
    public ReplBlock(byte[] data, long startOffset, long id)
    {
        Data = data;
        StartOffset = startOffset;
        Id = id;
    }

    /// <summary>The block's storage; bytes [0, Used) are stream bytes.</summary>
    public byte[] Data { get; }

    /// <summary>Bytes written (only grows, under the gate).</summary>
    public int Used { get; set; }

    /// <summary>Replication offset of Data[0] (Redis's repl_offset: master_repl_offset + 1 when created).</summary>
    public long StartOffset { get; }

    /// <summary>Creation order (Redis's block id), for output-buffer accounting.</summary>
    public long Id { get; }

    /// <summary>The next block, or null for the tail.</summary>
    public ReplBlock? Next { get; set; }
}
