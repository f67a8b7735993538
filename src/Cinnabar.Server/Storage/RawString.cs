namespace Cinnabar.Server.Storage;

/// <summary>
/// A string value that has been grown in place (APPEND, SETRANGE): a buffer with spare capacity,
/// like Redis's sds, so repeated appends are amortized O(1) instead of copying key and value each
/// time. OBJECT ENCODING reports "raw", as Redis does for strings modified in place.
/// </summary>
internal sealed class RawString : RedisObject
{
    public RawString(byte[] key, ReadOnlySpan<byte> value, int extra)
        : base(key)
    {
        Buffer = new byte[value.Length + extra];
        value.CopyTo(Buffer);
        Length = value.Length;
    }

    public byte[] Buffer { get; private set; }

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Value => new(Buffer, 0, Length);

    public override ObjectType Type => ObjectType.String;

    public override string Encoding => "raw";

    public override RedisObject CloneWithKey(byte[] key) => new RawString(key, Value, 0);

    /// <summary>Makes room for <paramref name="length"/> bytes, growing greedily like sdsMakeRoomFor.</summary>
    public void EnsureLength(int length)
    {
        if (length > Buffer.Length)
        {
            long grown = length < 1024 * 1024 ? (long)length * 2 : (long)length + (1024 * 1024);
            var nb = new byte[(int)Math.Min(grown, Array.MaxLength)];
            Array.Copy(Buffer, nb, Length);
            Buffer = nb;
        }

        if (length > Length)
        {
            Array.Clear(Buffer, Length, length - Length);
            Length = length;
        }
    }

    /// <summary>Appends bytes.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        int at = Length;
        EnsureLength(Length + bytes.Length);
        bytes.CopyTo(Buffer.AsSpan(at));
    }
}
