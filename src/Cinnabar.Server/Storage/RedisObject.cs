namespace Cinnabar.Server.Storage;

/// <summary>A stored value that is not an inline string: it carries its key.</summary>
internal abstract class RedisObject
{
    protected RedisObject(byte[] key)
    {
        Key = key;
    }

    /// <summary>The key this value is stored under.</summary>
    public byte[] Key { get; set; }

    /// <summary>The Redis type.</summary>
    public abstract ObjectType Type { get; }

    /// <summary>OBJECT ENCODING's answer.</summary>
    public abstract string Encoding { get; }

    /// <summary>A deep copy stored under another key (COPY).</summary>
    public abstract RedisObject CloneWithKey(byte[] key);
}
