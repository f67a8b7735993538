namespace Cinnabar.Server.Storage;

/// <summary>
/// A string value that has been grown in place (APPEND, SETRANGE): a buffer with spare capacity,
/// like Redis's sds, so repeated appends are amortized O(1) instead of copying key and value each
/// time. OBJECT ENCODING reports "raw", as Redis does for strings modified in place.
/// It also holds the few values whose Redis encoding an inline entry cannot tell from its bytes
/// (see <paramref name="encoding"/>); growing such a value makes it "raw", as in Redis.
/// </summary>
/// <param name="encoding">What OBJECT ENCODING reports until the value is grown: "embstr" for an
/// INCRBYFLOAT result that looks like an integer, "int" for an unshared copy of a small integer.</param>
internal sealed class RawString(byte[] key, ReadOnlySpan<byte> value, int extra, string encoding = "raw") : KeyedObject(key)
{
    private string _encoding = encoding;

    public byte[] Buffer { get; private set; } = Init(value, extra);

    public int Length { get; private set; } = value.Length;

    public ReadOnlySpan<byte> Value => new(Buffer, 0, Length);

    public override ObjectType Type => ObjectType.String;

    public override string Encoding => _encoding;

    public override RedisObject CloneWithKey(byte[] key) => new RawString(key, Value, 0, _encoding);

    /// <summary>Makes room for <paramref name="length"/> bytes, growing greedily like sdsMakeRoomFor.</summary>
    public void EnsureLength(int length)
    {
        _encoding = "raw";
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

    private static byte[] Init(ReadOnlySpan<byte> value, int extra)
    {
        var buffer = new byte[value.Length + extra];
        value.CopyTo(buffer);
        return buffer;
    }
}
