// Redis's listpack blob (listpack.c), written and read for RDB: a 4-byte little-endian total
// size, a 2-byte little-endian element count (65535 = "count it"), the entries, and 0xFF. Each
// entry is an encoding byte (with data) followed by a "backlen" of 1-5 bytes holding the size of
// encoding+data, so the blob can be walked from either end. A string that is a canonical integer
// (lpStringToInt64) is stored in the smallest integer encoding, exactly as Redis chooses, so a
// blob we write is byte-identical to the one redis-server would write for the same elements.
// In memory Cinnabar keeps its own layouts; listpacks exist only at the RDB boundary.
using System.Buffers;
using System.Buffers.Binary;

using Cinnabar.Protocol;

namespace Cinnabar.Server.Persistence.Rdb;

/// <summary>Builds a listpack blob element by element.</summary>
internal sealed class ListpackBuilder
{
    private readonly ArrayBufferWriter<byte> _buf = new();
    private int _count;

    public ListpackBuilder()
    {
        _buf.GetSpan(6);
        _buf.Advance(6);
    }

    /// <summary>Elements appended so far.</summary>
    public int Count => _count;

    /// <summary>Bytes the finished blob will take (header, entries, terminator).</summary>
    public int Size => _buf.WrittenCount + 1;

    /// <summary>Appends an element, integer-encoded when it is a canonical integer (lpAppend).</summary>
    public void Append(ReadOnlySpan<byte> element)
    {
        if (element.Length < 21 && Number.TryParseInt64(element, out long v))
        {
            AppendInteger(v);
            return;
        }

        int len = element.Length;
        int header = len < 64 ? 1 : len < 4096 ? 2 : 5;
        var span = _buf.GetSpan(header + len + 5);
        if (len < 64)
        {
            span[0] = (byte)(0x80 | len);
        }
        else if (len < 4096)
        {
            span[0] = (byte)(0xE0 | (len >> 8));
            span[1] = (byte)len;
        }
        else
        {
            span[0] = 0xF0;
            BinaryPrimitives.WriteUInt32LittleEndian(span[1..], (uint)len);
        }

        element.CopyTo(span[header..]);
        int n = header + len;
        n += WriteBacklen(span[n..], (ulong)(header + len));
        _buf.Advance(n);
        _count++;
    }

    /// <summary>Appends an integer element in its smallest encoding (lpEncodeIntegerGetType).</summary>
    public void AppendInteger(long v)
    {
        var span = _buf.GetSpan(9 + 5);
        int n;
        if (v is >= 0 and <= 127)
        {
            span[0] = (byte)v;
            n = 1;
        }
        else if (v is >= -4096 and <= 4095)
        {
            ulong uv = v < 0 ? (ulong)((1 << 13) + v) : (ulong)v;
            span[0] = (byte)((uv >> 8) | 0xC0);
            span[1] = (byte)uv;
            n = 2;
        }
        else if (v is >= short.MinValue and <= short.MaxValue)
        {
            span[0] = 0xF1;
            BinaryPrimitives.WriteInt16LittleEndian(span[1..], (short)v);
            n = 3;
        }
        else if (v is >= -8388608 and <= 8388607)
        {
            span[0] = 0xF2;
            span[1] = (byte)v;
            span[2] = (byte)(v >> 8);
            span[3] = (byte)(v >> 16);
            n = 4;
        }
        else if (v is >= int.MinValue and <= int.MaxValue)
        {
            span[0] = 0xF3;
            BinaryPrimitives.WriteInt32LittleEndian(span[1..], (int)v);
            n = 5;
        }
        else
        {
            span[0] = 0xF4;
            BinaryPrimitives.WriteInt64LittleEndian(span[1..], v);
            n = 9;
        }

        n += WriteBacklen(span[n..], (ulong)n);
        _buf.Advance(n);
        _count++;
    }

    /// <summary>The finished blob.</summary>
    public byte[] ToArray()
    {
        var blob = new byte[_buf.WrittenCount + 1];
        _buf.WrittenSpan.CopyTo(blob);
        blob[^1] = 0xFF;
        BinaryPrimitives.WriteUInt32LittleEndian(blob, (uint)blob.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(blob.AsSpan(4), (ushort)Math.Min(_count, 65535));
        return blob;
    }

    // lpEncodeBacklen: the most significant 7-bit group first; every byte but the first has bit 7 set.
    private static int WriteBacklen(Span<byte> dest, ulong l)
    {
        int n = l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
        for (int i = n - 1; i >= 0; i--)
        {
            dest[i] = (byte)((l & 127) | (i > 0 ? 128u : 0u));
            l >>= 7;
        }

        return n;
    }
}

/// <summary>Walks a listpack blob front to back, validating as it goes.</summary>
internal ref struct ListpackReader
{
    private readonly ReadOnlySpan<byte> _blob;
    private int _pos;

    /// <summary>Checks the header; <see cref="Valid"/> is false when the blob is malformed.</summary>
    public ListpackReader(ReadOnlySpan<byte> blob)
    {
        _blob = blob;
        _pos = 6;
        Valid = blob.Length >= 7 && BinaryPrimitives.ReadUInt32LittleEndian(blob) == (uint)blob.Length && blob[^1] == 0xFF;
        HeaderCount = Valid ? BinaryPrimitives.ReadUInt16LittleEndian(blob[4..]) : 0;
    }

    /// <summary>False once the blob proved malformed.</summary>
    public bool Valid { get; private set; }

    /// <summary>The count in the header (65535 = unknown).</summary>
    public int HeaderCount { get; }

    /// <summary>
    /// Reads the next element: either a string (<paramref name="str"/>, isInt false) or an
    /// integer (<paramref name="integer"/>). Returns false at the end or when malformed.
    /// </summary>
    public bool Next(out ReadOnlySpan<byte> str, out long integer, out bool isInt)
    {
        str = default;
        integer = 0;
        isInt = false;
        if (!Valid || _pos >= _blob.Length - 1)
        {
            return false;
        }

        var s = _blob[_pos..^1];
        byte b = s[0];
        int size;
        if (b < 0x80)
        {
            integer = b;
            isInt = true;
            size = 1;
        }
        else if ((b & 0xC0) == 0x80)
        {
            int len = b & 0x3F;
            size = 1 + len;
            if (size > s.Length)
            {
                return Malformed();
            }

            str = s.Slice(1, len);
        }
        else if ((b & 0xE0) == 0xC0)
        {
            if (s.Length < 2)
            {
                return Malformed();
            }

            int uv = ((b & 0x1F) << 8) | s[1];
            integer = uv >= 1 << 12 ? uv - (1 << 13) : uv;
            isInt = true;
            size = 2;
        }
        else if ((b & 0xF0) == 0xE0)
        {
            if (s.Length < 2)
            {
                return Malformed();
            }

            int len = ((b & 0x0F) << 8) | s[1];
            size = 2 + len;
            if (size > s.Length)
            {
                return Malformed();
            }

            str = s.Slice(2, len);
        }
        else
        {
            switch (b)
            {
                case 0xF0:
                    {
                        if (s.Length < 5)
                        {
                            return Malformed();
                        }

                        uint len = BinaryPrimitives.ReadUInt32LittleEndian(s[1..]);
                        if (len > (uint)(s.Length - 5))
                        {
                            return Malformed();
                        }

                        size = 5 + (int)len;
                        str = s.Slice(5, (int)len);
                        break;
                    }

                case 0xF1:
                    size = 3;
                    if (s.Length < size)
                    {
                        return Malformed();
                    }

                    integer = BinaryPrimitives.ReadInt16LittleEndian(s[1..]);
                    isInt = true;
                    break;
                case 0xF2:
                    size = 4;
                    if (s.Length < size)
                    {
                        return Malformed();
                    }

                    integer = ((s[1] | (s[2] << 8) | (s[3] << 16)) << 8) >> 8;
                    isInt = true;
                    break;
                case 0xF3:
                    size = 5;
                    if (s.Length < size)
                    {
                        return Malformed();
                    }

                    integer = BinaryPrimitives.ReadInt32LittleEndian(s[1..]);
                    isInt = true;
                    break;
                case 0xF4:
                    size = 9;
                    if (s.Length < size)
                    {
                        return Malformed();
                    }

                    integer = BinaryPrimitives.ReadInt64LittleEndian(s[1..]);
                    isInt = true;
                    break;
                default:
                    return Malformed();
            }
        }

        int backlen = size <= 127 ? 1 : size < 16383 ? 2 : size < 2097151 ? 3 : size < 268435455 ? 4 : 5;
        if (size + backlen > s.Length)
        {
            return Malformed();
        }

        _pos += size + backlen;
        return true;
    }

    /// <summary>The next element as bytes (integers as their decimal text); null at the end.</summary>
    public byte[]? NextBytes()
    {
        if (!Next(out var str, out long v, out bool isInt))
        {
            return null;
        }

        return isInt ? Number.ToBytes(v) : str.ToArray();
    }

    private bool Malformed()
    {
        Valid = false;
        return false;
    }
}
