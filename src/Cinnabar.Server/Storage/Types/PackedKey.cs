// The key stored at the end of a compact collection's packed array: [entries][spare room][key]
// [key length as a varint written backwards: the last byte holds the lowest 7 bits, a set high
// bit says more bytes precede]. Entries keep offset 0, so the listpack code is unchanged, and a
// small collection is one object and one array: an array of its own for the key would cost its
// 24-byte header and up to 7 bytes of padding per key (Redis's robj points at an sds key; a
// .NET object with its own key array pays about twice that).
namespace Cinnabar.Server.Storage.Types;

/// <summary>Helpers for packed arrays that end with their key.</summary>
internal static class PackedKey
{
    /// <summary>An array with room for <paramref name="capacity"/> entry bytes, then the key and its length.</summary>
    public static byte[] Allocate(int capacity, ReadOnlySpan<byte> key)
    {
        int lengthSize = 1;
        for (uint v = (uint)key.Length; v >= 0x80; v >>= 7)
        {
            lengthSize++;
        }

        var packed = new byte[capacity + key.Length + lengthSize];
        key.CopyTo(packed.AsSpan(capacity));
        uint n = (uint)key.Length;
        for (int i = packed.Length - 1; ; i--)
        {
            packed[i] = (byte)(n & 0x7F);
            n >>= 7;
            if (n == 0)
            {
                break;
            }

            packed[i] |= 0x80;
        }

        return packed;
    }

    /// <summary>The key at the end of <paramref name="packed"/>.</summary>
    public static ReadOnlySpan<byte> KeyOf(byte[] packed)
    {
        int tail = TailSize(packed, out int keyLength);
        return new ReadOnlySpan<byte>(packed, packed.Length - tail, keyLength);
    }

    /// <summary>Room for entries in <paramref name="packed"/> (used and spare).</summary>
    public static int Capacity(byte[] packed) => packed.Length - TailSize(packed, out _);

    /// <summary>A copy with room for <paramref name="capacity"/> entry bytes, keeping the first <paramref name="used"/> and the key.</summary>
    public static byte[] Resize(byte[] packed, int used, int capacity)
    {
        var grown = Allocate(capacity, KeyOf(packed));
        Buffer.BlockCopy(packed, 0, grown, 0, used);
        return grown;
    }

    /// <summary>A copy under another key, keeping the first <paramref name="used"/> entry bytes and no spare room.</summary>
    public static byte[] WithKey(byte[] packed, int used, ReadOnlySpan<byte> key)
    {
        var moved = Allocate(used, key);
        Buffer.BlockCopy(packed, 0, moved, 0, used);
        return moved;
    }

    // Bytes the key and its length take at the end.
    private static int TailSize(byte[] packed, out int keyLength)
    {
        int i = packed.Length - 1;
        int len = 0, shift = 0;
        byte b;
        do
        {
            b = packed[i--];
            len |= (b & 0x7F) << shift;
            shift += 7;
        }
        while (b >= 0x80);
        keyLength = len;
        return packed.Length - 1 - i + len;
    }
}
