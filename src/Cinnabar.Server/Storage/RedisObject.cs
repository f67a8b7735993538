namespace Cinnabar.Server.Storage;

/// <summary>
/// A stored value that is not an inline string: it carries its key. Where the key lives is the
/// type's choice: most keep it in an array of their own (<see cref="KeyedObject"/>); a compact
/// sorted set keeps it inside its packed array, which saves an array header per key.
/// </summary>
internal abstract class RedisObject
{
    /// <summary>The key this value is stored under.</summary>
    public abstract ReadOnlySpan<byte> Key { get; }

    /// <summary>The Redis type.</summary>
    public abstract ObjectType Type { get; }

    /// <summary>OBJECT ENCODING's answer.</summary>
    public abstract string Encoding { get; }

    /// <summary>Stores the value under another key (RENAME, MOVE keep the value object).</summary>
    public abstract void ChangeKey(byte[] key);

    /// <summary>A deep copy stored under another key (COPY).</summary>
    public abstract RedisObject CloneWithKey(byte[] key);
}
