// Keyed 64-bit mixing hash for binary keys. Redis uses SipHash against hash flooding; we use a
// cheaper multiply-xorshift mix with a per-process random seed, which keeps collisions
// unpredictable to clients while costing a few nanoseconds for typical 10-30 byte keys.
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Cinnabar.Server.Storage;

/// <summary>Hash function for keys.</summary>
internal static class KeyHash
{
    private static readonly ulong Seed = (ulong)Random.Shared.NextInt64() | 1;

    /// <summary>Hashes a key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ulong Compute(ReadOnlySpan<byte> key)
    {
        const ulong M = 0x9E3779B97F4A7C15UL;
        ulong h = Seed ^ ((ulong)key.Length * M);
        int i = 0;
        for (; i + 8 <= key.Length; i += 8)
        {
            h = Mix(h ^ BinaryPrimitives.ReadUInt64LittleEndian(key[i..]));
        }

        ulong tail = 0;
        for (int shift = 0; i < key.Length; i++, shift += 8)
        {
            tail |= (ulong)key[i] << shift;
        }

        h = Mix(h ^ tail ^ 0xA5);
        return h ^ (h >> 29);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong x)
    {
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 31;
        x *= 0x94D049BB133111EBUL;
        return x;
    }
}
