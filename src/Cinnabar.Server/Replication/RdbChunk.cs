// A piece of a diskless snapshot shared by the replicas of one sync. Chunks are pooled: a
// million-key snapshot is ~600 writes of 64 KB, and a fresh array per write (most of them
// surviving a gen0 collection while they wait in a replica's queue) made a full sync under
// writes the primary's biggest source of GC work and committed memory. Each replica that
// queues a chunk holds one reference; it gives it back when its transport asks for the next
// chunk (the transports send one chunk at a time, so the previous one is out by then). A chunk
// of a replica that went away is simply left to the GC.
namespace Cinnabar.Server.Replication;

/// <summary>Pooled, reference-counted snapshot bytes.</summary>
internal sealed class RdbChunk
{
    /// <summary>Capacity of a pooled chunk (the snapshot writer's buffer size).</summary>
    public const int Size = 64 * 1024;

    // Enough for the pace limit of a few replicas; more chunks than this are left to the GC.
    private const int MaxPooled = 64;

    private static readonly Stack<RdbChunk> s_pool = new();
    private readonly byte[] _data = GC.AllocateUninitializedArray<byte>(Size, pinned: true);
    private int _refs;

    private RdbChunk()
    {
    }

    /// <summary>Bytes used.</summary>
    public int Length { get; private set; }

    /// <summary>The chunk's bytes.</summary>
    public ReadOnlyMemory<byte> Memory => _data.AsMemory(0, Length);

    /// <summary>A chunk holding a copy of <paramref name="bytes"/> (at most <see cref="Size"/>), referenced <paramref name="refs"/> times.</summary>
    public static RdbChunk Rent(ReadOnlySpan<byte> bytes, int refs)
    {
        RdbChunk? chunk;
        lock (s_pool)
        {
            s_pool.TryPop(out chunk);
        }

        chunk ??= new RdbChunk();
        bytes.CopyTo(chunk._data);
        chunk.Length = bytes.Length;
        chunk._refs = refs;
        return chunk;
    }

    /// <summary>Gives back one reference; the last one returns the chunk to the pool.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0)
        {
            return;
        }

        lock (s_pool)
        {
            if (s_pool.Count < MaxPooled)
            {
                s_pool.Push(this);
            }
        }
    }
}
