// CRC-64/Jones as Redis uses it for RDB files and DUMP payloads: polynomial 0xad93d23594c935a9,
// reflected input and output, initial value 0, no final xor. Check value:
// crc64("123456789") = 0xe9c6d914c4b8d9ca (Redis's crc64.c test vector).
namespace Cinnabar.Server.Persistence.Rdb;

/// <summary>Redis's CRC64.</summary>
internal static class Crc64
{
    private const ulong ReflectedPoly = 0x95AC9329AC4BC9B5UL; // bit-reverse of 0xad93d23594c935a9
    private static readonly ulong[] Table = BuildTable();

    /// <summary>Continues a CRC over <paramref name="data"/>.</summary>
    public static ulong Update(ulong crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            crc = Table[(byte)(crc ^ b)] ^ (crc >> 8);
        }

        return crc;
    }

    private static ulong[] BuildTable()
    {
        var table = new ulong[256];
        for (uint i = 0; i < 256; i++)
        {
            ulong c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? (c >> 1) ^ ReflectedPoly : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
