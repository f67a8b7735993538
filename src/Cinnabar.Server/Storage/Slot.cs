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

    /// <summary>LRU clock (seconds, 32-bit wrapping) of the last access.</summary>
    public int Lru;

    /// <summary>Index+1 of the next slot in the bucket chain (or the free list); 0 = end.</summary>
    public int Next;
}
