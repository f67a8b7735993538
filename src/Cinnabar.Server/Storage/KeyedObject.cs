namespace Cinnabar.Server.Storage;

/// <summary>A <see cref="RedisObject"/> that keeps its key in an array of its own.</summary>
internal abstract class KeyedObject(byte[] key) : RedisObject
{
    private byte[] _key = key;

    public override ReadOnlySpan<byte> Key => _key;

    public override void ChangeKey(byte[] key) => _key = key;
}
