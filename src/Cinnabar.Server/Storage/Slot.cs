namespace Cinnabar.Server.Storage;

/// <summary>
/// One key in a <see cref="KeyTable"/>: 24 bytes. <see cref="Data"/> is either a byte[] holding
/// the key and an inline string value (see <see cref="Entry"/>), or a <see cref="RedisObject"/>
/// that carries its own key. Keeping key and small value in one array is what keeps memory per
/// key near Redis's (one allocation per key instead of three).
/// </summary>
internal struct Slot
{
    /// <summary>byte[] (inline string) or RedisObject; null for a free slot.</summary>
    public object? Data;

    /// <summary>Absolute expiry in Unix milliseconds; 0 = persistent.</summary>
    public long Expire;

    // Low 24 bits: the LRU clock (seconds, wrapping at 2^24 as Redis's LRU_CLOCK_MAX); high 8
    // bits: a tag from the key's hash, so a chain walk skips most non-matching slots without
    // dereferencing their data (the cache miss that dominates lookups of absent keys).
    private int _lruAndTag;

    /// <summary>LRU clock (seconds, 24-bit wrapping) of the last access.</summary>
    public int Lru
    {
        readonly get => _lruAndTag & 0xFFFFFF;
        set => _lruAndTag = (_lruAndTag & ~0xFFFFFF) | (value & 0xFFFFFF);
    }

    /// <summary>The top byte of the key's hash (set by the owning table).</summary>
    internal byte Tag
    {
        readonly get => (byte)((uint)_lruAndTag >> 24);
        set => _lruAndTag = (_lruAndTag & 0xFFFFFF) | (value << 24);
    }

    /// <summary>Index+1 of the next slot in the bucket chain (or the free list); 0 = end.</summary>
    public int Next;
}
