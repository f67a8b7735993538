// LZF decompression (liblzf's format, which Redis uses for compressed RDB strings): a control
// byte below 32 starts a literal run of ctrl+1 bytes; otherwise the top 3 bits are a length
// (7 = one more length byte follows) and the rest plus the next byte a back-reference distance.
namespace Cinnabar.Server.Persistence.Rdb;

/// <summary>LZF decompressor with strict bounds checks.</summary>
internal static class Lzf
{
    /// <summary>Decompresses <paramref name="input"/> into exactly <paramref name="output"/>; false when the data is malformed or does not fill it.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static bool TryDecompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int ip = 0;
        int op = 0;
        while (ip < input.Length)
        {
            int ctrl = input[ip++];
            if (ctrl < 32)
            {
                int run = ctrl + 1;
                if (ip + run > input.Length || op + run > output.Length)
                {
                    return false;
                }

                input.Slice(ip, run).CopyTo(output[op..]);
                ip += run;
                op += run;
                continue;
            }

            int len = ctrl >> 5;
            if (len == 7)
            {
                if (ip >= input.Length)
                {
                    return false;
                }

                len += input[ip++];
            }

            if (ip >= input.Length)
            {
                return false;
            }

            int back = ((ctrl & 0x1F) << 8) + input[ip++] + 1;
            int from = op - back;
            len += 2;
            if (from < 0 || op + len > output.Length)
            {
                return false;
            }

            // Byte by byte: the source may overlap the bytes being written (run-length style).
            for (int i = 0; i < len; i++)
            {
                output[op++] = output[from++];
            }
        }

        return op == output.Length;
    }
}
