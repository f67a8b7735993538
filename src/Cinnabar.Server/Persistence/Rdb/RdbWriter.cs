// Writes RDB version 10 files (rdb.c rdbSaveRio): header, AUX fields, per database SELECTDB and
// RESIZEDB, then each key with its optional EXPIRETIME_MS, EOF and the CRC64 trailer.
// Strings are written as rdbSaveRawString does: integer encoding when the value is a canonical
// 32-bit-or-smaller integer, else (with rdbcompression) LZF when longer than 20 bytes and the
// compressed form is at least 5 bytes shorter, else a length-prefixed raw string. Bytes collect in
// a 64 KB buffer that is checksummed and written out whenever it fills (and by WriteFooter,
// WriteValue and Flush), so a snapshot never exists as a whole in memory and the per-key cost
// is a few copies rather than a stream call per field. Other types' payloads: RdbTypeEncoders.
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

using Cinnabar.Protocol;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Persistence.Rdb;

/// <summary>Serializes a dataset in Redis's RDB format.</summary>
internal sealed class RdbWriter
{
    private readonly Stream _out;
    private readonly bool _compress;
    private readonly bool _checksum;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _buffered;
    private ulong _crc;
    private byte[]? _lzfBuffer;

    /// <param name="output">Where the bytes go, in order, as they are produced.</param>
    /// <param name="compress">rdbcompression: LZF for strings longer than 20 bytes.</param>
    /// <param name="checksum">rdbchecksum: when off the CRC64 trailer is eight zero bytes.</param>
    public RdbWriter(Stream output, bool compress = true, bool checksum = true)
    {
        _out = output;
        _compress = compress;
        _checksum = checksum;
    }

    /// <summary>Bytes produced so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Writes a whole snapshot of <paramref name="databases"/>.</summary>
    public void WriteSnapshot(IReadOnlyList<Database> databases, IEnumerable<(string Key, string Value)> aux, long nowMs)
    {
        WriteHeader(aux);
        foreach (var db in databases)
        {
            if (db.Count == 0)
            {
                continue;
            }

            WriteSelectDb(db.Index);
            WriteResizeDb(db.Count, db.VolatileCount);
            db.Table.ForEach(WriteEntry);
        }

        WriteFooter();
    }

    /// <summary>The magic "REDIS0010" and the AUX fields.</summary>
    public void WriteHeader(IEnumerable<(string Key, string Value)> aux)
    {
        Raw("REDIS0010"u8);
        foreach (var (k, v) in aux)
        {
            Byte((byte)RdbFormat.Aux);
            String(Encoding.UTF8.GetBytes(k));
            String(Encoding.UTF8.GetBytes(v));
        }
    }

    /// <summary>SELECTDB: the keys that follow belong to database <paramref name="db"/>.</summary>
    public void WriteSelectDb(int db)
    {
        Byte((byte)RdbFormat.SelectDb);
        Length((ulong)db);
    }

    /// <summary>RESIZEDB: a sizing hint for the loader.</summary>
    public void WriteResizeDb(long keys, long volatileKeys)
    {
        Byte((byte)RdbFormat.ResizeDb);
        Length((ulong)keys);
        Length((ulong)volatileKeys);
    }

    /// <summary>One key: its optional EXPIRETIME_MS, then type, key and value.</summary>
    public void WriteEntry(object data, long expire)
    {
        WriteExpire(expire);
        WriteEntryWithoutExpire(data);
    }

    /// <summary>A string key from its parts (the snapshot engine's copied records).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteStringEntry(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expire)
    {
        WriteExpire(expire);
        Byte((byte)RdbFormat.TypeString);
        String(key);
        String(value);
    }

    /// <summary>A key whose type byte and payload were encoded already (<see cref="WriteValue"/>'s output).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteEncodedEntry(ReadOnlySpan<byte> key, ReadOnlySpan<byte> typeAndPayload, long expire)
    {
        WriteExpire(expire);
        Raw(typeAndPayload[..1]);
        String(key);
        Raw(typeAndPayload[1..]);
    }

    /// <summary>EOF and the CRC64 trailer (eight zero bytes when rdbchecksum is off).</summary>
    public void WriteFooter()
    {
        Byte((byte)RdbFormat.Eof);
        Flush();
        Span<byte> crc = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(crc, _checksum ? _crc : 0);
        _out.Write(crc);
        BytesWritten += 8;
    }

    /// <summary>
    /// A value's type byte and payload, as DUMP embeds it (rdbSaveObjectType + rdbSaveObject).
    /// </summary>
    public void WriteValue(object data)
    {
        if (Entry.IsString(data))
        {
            Byte((byte)RdbFormat.TypeString);
            String(Entry.StringValue(data));
        }
        else
        {
            Byte(RdbTypeEncoders.TypeOf(data));
            RdbTypeEncoders.WritePayload(this, data);
        }

        Flush();
    }

    /// <summary>One raw byte (type ids, container kinds).</summary>
    public void WriteByte(byte b) => Byte(b);

    /// <summary>rdbSaveBinaryDoubleValue: eight bytes, little-endian IEEE-754.</summary>
    public void BinaryDouble(double d)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(b, d);
        Raw(b);
    }

    /// <summary>rdbSaveLen: 6-bit, 14-bit, 32-bit or 64-bit big-endian lengths.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Length(ulong len)
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

    private void WriteExpire(long expire)
    {
        if (expire != 0)
        {
            Byte((byte)RdbFormat.ExpireTimeMs);
            Span<byte> ms = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(ms, expire);
            Raw(ms);
        }
    }

    private void WriteEntryWithoutExpire(object data)
    {
        if (!Entry.IsString(data))
        {
            Byte(RdbTypeEncoders.TypeOf(data));
            String(Entry.KeyOf(data));
            RdbTypeEncoders.WritePayload(this, data);
            return;
        }

        Byte((byte)RdbFormat.TypeString);
        String(Entry.KeyOf(data));
        String(Entry.StringValue(data));
    }

    /// <summary>
    /// The AUX fields in rdbSaveInfoAuxFields's order. <paramref name="repl"/> is Redis's rdbSaveInfo
    /// (rdbPopulateSaveInfo): null unless this server has replication state worth resuming from
    /// (a backlog as primary, or a primary link as replica), in which case repl-stream-db, repl-id
    /// and repl-offset follow used-mem. <paramref name="aofBase"/> is set only for an AOF preamble.
    /// Integer values are written through the string path, which gives them the integer
    /// encoding as rdbSaveAuxFieldStrInt does.
    /// </summary>
    public static IEnumerable<(string, string)> StandardAux(long nowMs, long usedMemory, ReplSaveInfo? repl = null, bool aofBase = false)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        yield return ("redis-ver", Hosting.ServerHost.RedisVersion);
        yield return ("redis-bits", "64");
        yield return ("ctime", (nowMs / 1000).ToString(inv));
        yield return ("used-mem", usedMemory.ToString(inv));
        if (repl is { } r)
        {
            yield return ("repl-stream-db", r.StreamDb.ToString(inv));
            yield return ("repl-id", r.ReplId);
            yield return ("repl-offset", r.Offset.ToString(inv));
        }

        yield return ("aof-base", aofBase ? "1" : "0");
    }

    /// <summary>Checksums and writes out what is buffered.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Flush()
    {
        if (_buffered > 0)
        {
            var pending = _buffer.AsSpan(0, _buffered);
            if (_checksum)
            {
                _crc = Crc64.Update(_crc, pending);
            }

            _out.Write(pending);
            _buffered = 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Byte(byte b)
    {
        if (_buffered == _buffer.Length)
        {
            Flush();
        }

        _buffer[_buffered++] = b;
        BytesWritten++;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Raw(ReadOnlySpan<byte> bytes)
    {
        BytesWritten += bytes.Length;
        if (bytes.Length > _buffer.Length - _buffered)
        {
            Flush();
            if (bytes.Length > _buffer.Length / 2)
            {
                if (_checksum)
                {
                    _crc = Crc64.Update(_crc, bytes);
                }

                _out.Write(bytes);
                return;
            }
        }

        bytes.CopyTo(_buffer.AsSpan(_buffered));
        _buffered += bytes.Length;
    }

    /// <summary>rdbSaveRawString: small canonical integers use the int8/16/32 encodings, long strings LZF.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void String(ReadOnlySpan<byte> s)
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

        // rdbSaveLzfStringObject: only strings over 20 bytes, and the compressed form must fit in
        // len - 4 bytes, otherwise the raw form is written.
        if (_compress && s.Length > 20)
        {
            int room = s.Length - 4;
            if (_lzfBuffer is null || _lzfBuffer.Length < room)
            {
                _lzfBuffer = new byte[Math.Max(room, 256)];
            }

            int clen = LzfCompressor.Compress(s, _lzfBuffer.AsSpan(0, room));
            if (clen > 0)
            {
                Byte(0xC3); // RDB_ENCVAL << 6 | RDB_ENC_LZF
                Length((ulong)clen);
                Length((ulong)s.Length);
                Raw(_lzfBuffer.AsSpan(0, clen));
                return;
            }
        }

        Length((ulong)s.Length);
        Raw(s);
    }
}

/// <summary>Redis's rdbSaveInfo: the replication position a snapshot corresponds to.</summary>
internal readonly record struct ReplSaveInfo(int StreamDb, string ReplId, long Offset);
