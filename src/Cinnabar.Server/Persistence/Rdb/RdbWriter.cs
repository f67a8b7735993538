// Writes RDB version 10 files (rdb.c rdbSaveRio): header, AUX fields, per database SELECTDB and
// RESIZEDB, then each key with its optional EXPIRETIME_MS, EOF and the CRC64 trailer.
// Strings are written as Redis does (integer encoding when the value is a canonical 32-bit-or-
// smaller integer, else a length-prefixed raw string). Other types arrive with their issues.
using System.Buffers.Binary;
using System.Text;

using Cinnabar.Protocol;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Persistence.Rdb;

/// <summary>Serializes a dataset in Redis's RDB format.</summary>
internal sealed class RdbWriter
{
    private readonly Stream _out;
    private ulong _crc;

    public RdbWriter(Stream output)
    {
        _out = output;
    }

    /// <summary>Writes a whole snapshot of <paramref name="databases"/>.</summary>
    public void WriteSnapshot(IReadOnlyList<Database> databases, IEnumerable<(string Key, string Value)> aux, long nowMs)
    {
        Raw("REDIS0010"u8);
        foreach (var (k, v) in aux)
        {
            Byte(0xFA);
            String(Encoding.UTF8.GetBytes(k));
            String(Encoding.UTF8.GetBytes(v));
        }

        foreach (var db in databases)
        {
            if (db.Count == 0)
            {
                continue;
            }

            Byte(0xFE);
            Length((ulong)db.Index);
            Byte(0xFB);
            Length((ulong)db.Count);
            Length((ulong)db.VolatileCount);
            db.Table.ForEach((data, expire) =>
            {
                if (expire != 0)
                {
                    Byte(0xFC);
                    Span<byte> ms = stackalloc byte[8];
                    BinaryPrimitives.WriteInt64LittleEndian(ms, expire);
                    Raw(ms);
                }

                if (!Entry.IsString(data))
                {
                    throw new NotSupportedException($"RDB encoding for type {Entry.TypeOf(data)} is not implemented");
                }

                Byte(0); // RDB_TYPE_STRING
                String(Entry.KeyOf(data));
                String(Entry.StringValue(data));
            });
        }

        Byte(0xFF);
        Span<byte> crc = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(crc, _crc);
        _out.Write(crc);
    }

    /// <summary>The standard AUX fields Redis 7.0 writes.</summary>
    public static IEnumerable<(string, string)> StandardAux(long nowMs, long usedMemory)
    {
        yield return ("redis-ver", Hosting.ServerHost.RedisVersion);
        yield return ("redis-bits", "64");
        yield return ("ctime", (nowMs / 1000).ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return ("used-mem", usedMemory.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return ("aof-base", "0");
    }

    private void Byte(byte b) => Raw([b]);

    private void Raw(ReadOnlySpan<byte> bytes)
    {
        _crc = Crc64.Update(_crc, bytes);
        _out.Write(bytes);
    }

    // rdbSaveLen: 6-bit, 14-bit, 32-bit or 64-bit big-endian lengths.
    private void Length(ulong len)
    {
        Span<byte> b = stackalloc byte[9];
        if (len < 1 << 6)
        {
            b[0] = (byte)len;
            Raw(b[..1]);
        }
        else if (len < 1 << 14)
        {
            b[0] = (byte)(((len >> 8) & 0xFF) | 0x40);
            b[1] = (byte)len;
            Raw(b[..2]);
        }
        else if (len <= uint.MaxValue)
        {
            b[0] = 0x80;
            BinaryPrimitives.WriteUInt32BigEndian(b[1..], (uint)len);
            Raw(b[..5]);
        }
        else
        {
            b[0] = 0x81;
            BinaryPrimitives.WriteUInt64BigEndian(b[1..], len);
            Raw(b[..9]);
        }
    }

    // rdbSaveRawString: small canonical integers use the int8/16/32 encodings.
    private void String(ReadOnlySpan<byte> s)
    {
        if (s.Length <= 11 && Number.TryParseInt64(s, out long v))
        {
            Span<byte> b = stackalloc byte[5];
            if (v >= sbyte.MinValue && v <= sbyte.MaxValue)
            {
                b[0] = 0xC0;
                b[1] = (byte)(sbyte)v;
                Raw(b[..2]);
                return;
            }

            if (v >= short.MinValue && v <= short.MaxValue)
            {
                b[0] = 0xC1;
                BinaryPrimitives.WriteInt16LittleEndian(b[1..], (short)v);
                Raw(b[..3]);
                return;
            }

            if (v >= int.MinValue && v <= int.MaxValue)
            {
                b[0] = 0xC2;
                BinaryPrimitives.WriteInt32LittleEndian(b[1..], (int)v);
                Raw(b[..5]);
                return;
            }
        }

        Length((ulong)s.Length);
        Raw(s);
    }
}
