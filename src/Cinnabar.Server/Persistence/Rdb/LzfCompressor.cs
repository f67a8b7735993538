// LZF compression in the format liblzf (and so Redis's RDB_ENC_LZF strings) uses. The stream is a
// sequence of chunks, each starting with a control byte:
//   000LLLLL                      a literal run of LLLLL+1 bytes (1..32) that follow;
//   LLLOOOOO OOOOOOOO             a back reference of LLL+2 bytes (3..8), LLL in 1..6;
//   111OOOOO LLLLLLLL OOOOOOOO    a back reference of LLLLLLLL+9 bytes (9..264);
// the offset is the 13-bit value + 1 counted back from the current output position (so at most
// 8192 bytes back). This is an independent greedy implementation (hash of the next three bytes ->
// last position seen): any decoder of the format reads it, though its choices can differ from
// liblzf's, so the bytes are not necessarily identical to Redis's.
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Cinnabar.Server.Persistence.Rdb;

/// <summary>LZF compressor.</summary>
internal static class LzfCompressor
{
    private const int MaxHashBits = 14;

    // Reused per thread: a fresh 64 KB table per string would cost more than compressing a short
    // value, and so would clearing it. Entries hold t_base + position + 1; a call raises t_base
    // past every position the previous call stored, so older entries read as empty without a
    // clear (the table is cleared only when t_base would overflow).
    [ThreadStatic]
    private static int[]? t_table;
    [ThreadStatic]
    private static int t_base;
    private const int MaxOffset = 1 << 13;
    private const int MaxLiteral = 32;
    private const int MaxMatch = 264;

    /// <summary>
    /// Compresses <paramref name="input"/> into <paramref name="output"/> and returns the number of
    /// bytes written, or 0 when the result does not fit in <paramref name="output"/> (lzf_compress's
    /// contract: callers size the output to the most they are willing to store).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Compress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int n = input.Length;
        if (n == 0)
        {
            return 0;
        }

        int bits = Math.Clamp(32 - BitOperations.LeadingZeroCount((uint)n), 8, MaxHashBits);
        var tableArray = t_table ??= new int[1 << MaxHashBits];
        int stamp = t_base;
        if (stamp > int.MaxValue - n - 1)
        {
            Array.Clear(tableArray);
            stamp = 0;
        }

        t_base = stamp + n + 1;
        Span<int> table = tableArray.AsSpan(0, 1 << bits); // stamp + position + 1; older = empty
        int op = 0;
        int litStart = 0;
        int ip = 0;
        while (ip + 2 < n)
        {
            int h = Hash(input[ip], input[ip + 1], input[ip + 2], bits);
            int candidate = table[h] - stamp - 1;
            table[h] = stamp + ip + 1;
            int off = ip - candidate - 1;
            if (candidate >= 0 && off < MaxOffset
                && input[candidate] == input[ip] && input[candidate + 1] == input[ip + 1] && input[candidate + 2] == input[ip + 2])
            {
                int max = Math.Min(MaxMatch, n - ip);
                int len = 3;
                while (len < max && input[candidate + len] == input[ip + len])
                {
                    len++;
                }

                if (!FlushLiterals(input[litStart..ip], output, ref op))
                {
                    return 0;
                }

                int code = len - 2;
                int need = code < 7 ? 2 : 3;
                if (op + need > output.Length)
                {
                    return 0;
                }

                if (code < 7)
                {
                    output[op++] = (byte)((code << 5) | (off >> 8));
                }
                else
                {
                    output[op++] = (byte)((7 << 5) | (off >> 8));
                    output[op++] = (byte)(code - 7);
                }

                output[op++] = (byte)off;

                // Remember the positions inside the match too, so later repeats find them.
                int end = ip + len;
                for (int p = ip + 1; p + 2 < n && p < end; p++)
                {
                    table[Hash(input[p], input[p + 1], input[p + 2], bits)] = stamp + p + 1;
                }

                ip = end;
                litStart = ip;
            }
            else
            {
                ip++;
            }
        }

        return FlushLiterals(input[litStart..], output, ref op) ? op : 0;
    }

    private static int Hash(byte a, byte b, byte c, int bits)
    {
        uint v = ((uint)a << 16) | ((uint)b << 8) | c;
        return (int)((v * 2654435761u) >> (32 - bits));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool FlushLiterals(ReadOnlySpan<byte> lit, Span<byte> output, ref int op)
    {
        while (lit.Length > 0)
        {
            int run = Math.Min(MaxLiteral, lit.Length);
            if (op + 1 + run > output.Length)
            {
                return false;
            }

            output[op++] = (byte)(run - 1);
            lit[..run].CopyTo(output[op..]);
            op += run;
            lit = lit[run..];
        }

        return true;
    }
}
