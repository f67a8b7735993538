namespace Cinnabar.Server.Commands;

/// <summary>Redis's LOOKUP_* flags for <see cref="CommandContext.Lookup"/>.</summary>
[Flags]
internal enum LookupFlags
{
    /// <summary>Read lookup: expire, touch LRU, count hit/miss.</summary>
    None = 0,

    /// <summary>Do not update the LRU clock (TYPE, TTL, EXISTS, OBJECT).</summary>
    NoTouch = 1,

    /// <summary>Do not count keyspace hits/misses.</summary>
    NoStats = 2,

    /// <summary>Lookup for a write: no hit/miss accounting; a writable replica deletes expired keys.</summary>
    Write = 4,

    /// <summary>Report expired keys as absent without deleting them (no propagation).</summary>
    NoExpire = 8,
}
