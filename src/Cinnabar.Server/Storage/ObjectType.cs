namespace Cinnabar.Server.Storage;

/// <summary>Redis's value types (TYPE replies are the lower-case names).</summary>
internal enum ObjectType
{
    /// <summary>string</summary>
    String,

    /// <summary>list</summary>
    List,

    /// <summary>set</summary>
    Set,

    /// <summary>zset</summary>
    ZSet,

    /// <summary>hash</summary>
    Hash,

    /// <summary>stream</summary>
    Stream,
}
