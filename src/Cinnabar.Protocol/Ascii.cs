// Byte-level helpers for protocol tokens: case-insensitive comparison without allocating.
namespace Cinnabar.Protocol;

/// <summary>ASCII helpers over bytes.</summary>
public static class Ascii
{
    /// <summary>Compares two byte strings ignoring ASCII case.</summary>
    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Length; i++)
        {
            byte x = a[i], y = b[i];
            if (x == y)
            {
                continue;
            }

            if ((uint)((x | 0x20) - 'a') <= 'z' - 'a' && (x | 0x20) == (y | 0x20))
            {
                continue;
            }

            return false;
        }

        return true;
    }

    /// <summary>Lower-cases ASCII letters into a new string.</summary>
    public static string ToLowerString(ReadOnlySpan<byte> value)
    {
        return string.Create(value.Length, value.ToArray(), static (chars, bytes) =>
        {
            for (int i = 0; i < bytes.Length; i++)
            {
                byte b = bytes[i];
                chars[i] = (char)(b is >= (byte)'A' and <= (byte)'Z' ? b | 0x20 : b);
            }
        });
    }
}
