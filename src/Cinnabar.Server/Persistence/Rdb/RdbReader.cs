// Reads RDB files the way rdb.c rdbLoadRioWithLoadingCtx does: "REDIS" + 4-digit version, then
// opcodes (AUX, SELECTDB, RESIZEDB, EXPIRETIME[_MS], IDLE, FREQ, FUNCTION2, MODULE_AUX) and
// key/value records until EOF, then the CRC64 trailer (0 = written with rdbchecksum off).
// The whole file is read into memory first, so every length can be checked against the bytes
// that remain (an absurd length is an error, never a huge allocation), and keys go into fresh
// databases that the caller swaps in only when the whole file proved valid.
using System.Buffers.Binary;
using System.Text;

using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Persistence.Rdb;

/// <summary>A corrupt, truncated or unsupported RDB file: names the file, the byte offset and the problem.</summary>
internal sealed class RdbLoadException : Exception
{
    public RdbLoadException(string file, long offset, string problem, bool shortRead = false)
        : base($"{file}: {problem} at offset {offset}")
    {
        File = file;
        Offset = offset;
        Problem = problem;
        ShortRead = shortRead;
    }

    public string File { get; }

    public long Offset { get; }

    public string Problem { get; }

    /// <summary>The file ended early (Redis's "Short read" path).</summary>
    public bool ShortRead { get; }

    /// <summary>For a checksum mismatch: the CRC computed over the file and the one it stores.</summary>
    public (ulong Computed, ulong Stored)? Checksums { get; init; }

    /// <summary>Keys read before the problem (redis-check-rdb reports them).</summary>
    public long KeysRead { get; set; }

    /// <summary>Keys with a TTL read before the problem.</summary>
    public long Expires { get; set; }

    /// <summary>Keys already expired read before the problem.</summary>
    public long AlreadyExpired { get; set; }
}

/// <summary>How a load should treat the data.</summary>
internal sealed class RdbLoadOptions
{
    public string FileName { get; init; } = "dump.rdb";

    public int DatabaseCount { get; init; } = 16;

    public long NowMs { get; init; }

    /// <summary>rdbchecksum: verify the CRC64 trailer.</summary>
    public bool VerifyChecksum { get; init; } = true;

    /// <summary>A primary drops keys already expired (counted as expired); a replica keeps them.</summary>
    public bool DropExpired { get; init; } = true;

    /// <summary>Called for every AUX field as it is read (name, value, offset after it).</summary>
    public Action<string, string, long>? OnAux { get; init; }

    /// <summary>Leave unselected databases null (the checker) instead of creating them all.</summary>
    public bool Sparse { get; init; }

    /// <summary>Encoding limits for loaded collections (hash-max-listpack-entries and friends).</summary>
    public TypeLimits Limits { get; init; } = TypeLimits.Default;

    /// <summary>Called for every SELECTDB (database number, offset after it).</summary>
    public Action<ulong, long>? OnSelectDb { get; init; }
}

/// <summary>What a successful load produced.</summary>
internal sealed class RdbLoadResult
{
    public required int Version { get; init; }

    public required Database[] Databases { get; init; }

    /// <summary>AUX fields by name (later ones win), e.g. repl-id, repl-offset, redis-ver, ctime.</summary>
    public Dictionary<string, string> Aux { get; } = new(StringComparer.OrdinalIgnoreCase);

    public long KeysLoaded { get; set; }

    /// <summary>Keys read from the file (loaded or dropped as expired).</summary>
    public long KeysRead { get; set; }

    /// <summary>Keys dropped because their TTL had passed (primary).</summary>
    public long KeysExpired { get; set; }

    /// <summary>Keys read that carried a TTL.</summary>
    public long Expires { get; set; }

    /// <summary>Keys read whose TTL had already passed (dropped or not).</summary>
    public long AlreadyExpired { get; set; }

    /// <summary>Where the file ends (the offset after the checksum).</summary>
    public long Length { get; set; }

    /// <summary>The trailer was 0: the file was written with rdbchecksum off.</summary>
    public bool ChecksumDisabled { get; set; }

    /// <summary>The checksum was verified and matched.</summary>
    public bool ChecksumVerified { get; set; }
}

/// <summary>Parses an RDB image.</summary>
internal sealed class RdbReader
{
    private readonly byte[] _data;
    private readonly RdbLoadOptions _options;
    private int _pos;
    private RdbLoadResult? _result;
    private long _keysRead;

    private RdbReader(byte[] data, RdbLoadOptions options)
    {
        _data = data;
        _options = options;
    }

    /// <summary>Reads and loads a file; throws <see cref="RdbLoadException"/> on any problem.</summary>
    public static RdbLoadResult LoadFile(string path, RdbLoadOptions options) =>
        Load(File.ReadAllBytes(path), options);

    /// <summary>Loads an RDB image; throws <see cref="RdbLoadException"/> on any problem.</summary>
    public static RdbLoadResult Load(byte[] data, RdbLoadOptions options) => new RdbReader(data, options).Run();

    private RdbLoadResult Run()
    {
        var header = Take(9, "reading the header");
        if (!header[..5].SequenceEqual("REDIS"u8))
        {
            throw Fail(0, "wrong signature (not an RDB file)");
        }

        int version = 0;
        foreach (byte b in header[5..])
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                throw Fail(5, "malformed RDB version");
            }

            version = (version * 10) + (b - '0');
        }

        if (version is < RdbFormat.MinVersion or > RdbFormat.MaxVersion)
        {
            throw Fail(5, $"can't handle RDB format version {version} (supported: {RdbFormat.MinVersion} to {RdbFormat.MaxVersion})");
        }

        // Created as selected: a checker may allow many databases without allocating them all.
        var dbs = new Database[_options.DatabaseCount];
        var result = _result = new RdbLoadResult { Version = version, Databases = dbs };
        Database db = dbs[0] = new Database(0);
        long expire = -1;
        while (true)
        {
            int at = _pos;
            int type = Byte("reading a type or opcode");
            switch (type)
            {
                case RdbFormat.ExpireTimeMs:
                    expire = BinaryPrimitives.ReadInt64LittleEndian(Take(8, "reading an expire time"));
                    continue;
                case RdbFormat.ExpireTime:
                    // Old seconds form: a 32-bit little-endian unix time.
                    expire = BinaryPrimitives.ReadInt32LittleEndian(Take(4, "reading an expire time")) * 1000L;
                    continue;
                case RdbFormat.Freq:
                    Byte("reading an LFU frequency");
                    continue;
                case RdbFormat.Idle:
                    Length("reading an LRU idle time");
                    continue;
                case RdbFormat.Eof:
                    break;
                case RdbFormat.SelectDb:
                    {
                        ulong index = Length("reading a database number");
                        if (index >= (ulong)dbs.Length)
                        {
                            throw Fail(at, $"the file selects database {index} but the server is configured with {dbs.Length} databases");
                        }

                        db = dbs[(int)index] ??= new Database((int)index);
                        _options.OnSelectDb?.Invoke(index, _pos);
                        continue;
                    }

                case RdbFormat.ResizeDb:
                    // Sizing hints only; our tables grow as keys arrive.
                    Length("reading a RESIZEDB size");
                    Length("reading a RESIZEDB expires size");
                    continue;
                case RdbFormat.Aux:
                    {
                        string name = Encoding.UTF8.GetString(String("reading an AUX field name"));
                        string value = Encoding.UTF8.GetString(String("reading an AUX field value"));
                        result.Aux[name] = value;
                        _options.OnAux?.Invoke(name, value, _pos);
                        continue;
                    }

                case RdbFormat.ModuleAux:
                    throw Fail(at, "module auxiliary data (MODULE_AUX) found; modules are not supported");
                case RdbFormat.Function2:
                case RdbFormat.FunctionPreGa:
                    throw Fail(at, "the file contains functions (FUNCTION2); functions are not supported yet");
                default:
                    if (type != RdbFormat.TypeString && !RdbTypeDecoders.IsSupported(type))
                    {
                        throw Fail(at, $"unsupported type {type} ({RdbFormat.TypeName(type)})");
                    }

                    ReadKey(result, db, at, expire, type);
                    expire = -1;
                    continue;
            }

            break;
        }

        for (int i = 0; i < dbs.Length && !_options.Sparse; i++)
        {
            dbs[i] ??= new Database(i);
        }

        // The trailer covers every byte before it.
        int crcAt = _pos;
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(Take(8, "reading the checksum"));
        if (_options.VerifyChecksum)
        {
            if (stored == 0)
            {
                result.ChecksumDisabled = true;
            }
            else
            {
                ulong computed = Crc64.Update(0, _data.AsSpan(0, crcAt));
                if (computed != stored)
                {
                    var e = Fail(crcAt, $"RDB CRC error: wrong checksum, expected {computed:x} but the file has {stored:x}");
                    throw new RdbLoadException(e.File, e.Offset, e.Problem) { Checksums = (computed, stored), KeysRead = e.KeysRead, Expires = e.Expires, AlreadyExpired = e.AlreadyExpired };
                }

                result.ChecksumVerified = true;
            }
        }

        result.Length = _pos;
        result.KeysRead = _keysRead;
        return result;
    }

    private void ReadKey(RdbLoadResult result, Database db, int at, long expire, int type)
    {
        byte[] key = String("reading a key");
        object value = type == RdbFormat.TypeString
            ? Entry.MakeString(key, String("reading a string value"))
            : RdbTypeDecoders.Read(type, key, new ValueSource(this), _options.Limits);
        _keysRead++;
        if (expire != -1)
        {
            result.Expires++;
        }

        bool expired = expire != -1 && expire < _options.NowMs;
        if (expired)
        {
            result.AlreadyExpired++;
            if (_options.DropExpired)
            {
                result.KeysExpired++;
                return;
            }
        }

        if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref db.FindRaw(key)))
        {
            throw Fail(at, $"duplicated key '{Encoding.UTF8.GetString(key)}' in DB {db.Index}");
        }

        db.Add(key, value, expire == -1 ? 0 : expire);
        result.KeysLoaded++;
    }

    private RdbLoadException Fail(long offset, string problem, bool shortRead = false) =>
        new(_options.FileName, offset, problem, shortRead)
        {
            KeysRead = _keysRead,
            Expires = _result?.Expires ?? 0,
            AlreadyExpired = _result?.AlreadyExpired ?? 0,
        };

    private ReadOnlySpan<byte> Take(long n, string what)
    {
        if (n > _data.Length - _pos)
        {
            throw Fail(_pos, $"unexpected end of file {what} ({n} bytes needed, {_data.Length - _pos} left)", shortRead: true);
        }

        var span = _data.AsSpan(_pos, (int)n);
        _pos += (int)n;
        return span;
    }

    private byte Byte(string what) => Take(1, what)[0];

    // rdbLoadLenByRef: the top two bits of the first byte pick 6-bit, 14-bit or a 32/64-bit
    // big-endian length; 11 marks a special string encoding (returned through isEncoded).
    private ulong Length(string what, bool allowEncoded, out bool isEncoded)
    {
        int at = _pos;
        byte b = Byte(what);
        isEncoded = false;
        switch (b >> 6)
        {
            case 0:
                return (ulong)(b & 0x3F);
            case 1:
                return ((ulong)(b & 0x3F) << 8) | Byte(what);
            case 2:
                if (b == 0x80)
                {
                    return BinaryPrimitives.ReadUInt32BigEndian(Take(4, what));
                }

                if (b == 0x81)
                {
                    return BinaryPrimitives.ReadUInt64BigEndian(Take(8, what));
                }

                throw Fail(at, $"unknown length encoding 0x{b:x2} {what}");
            default:
                if (!allowEncoded)
                {
                    throw Fail(at, $"unexpected string encoding 0x{b:x2} where a length was expected {what}");
                }

                isEncoded = true;
                return (ulong)(b & 0x3F);
        }
    }

    private ulong Length(string what) => Length(what, false, out _);

    // rdbGenericLoadStringObject: int8/16/32 encodings become their decimal text, LZF
    // strings are decompressed, anything else is a plain length-prefixed string.
    private byte[] String(string what)
    {
        int at = _pos;
        ulong len = Length(what, true, out bool encoded);
        if (encoded)
        {
            switch (len)
            {
                case 0:
                    return Num((sbyte)Byte(what));
                case 1:
                    return Num(BinaryPrimitives.ReadInt16LittleEndian(Take(2, what)));
                case 2:
                    return Num(BinaryPrimitives.ReadInt32LittleEndian(Take(4, what)));
                case 3:
                    {
                        ulong clen = Length(what);
                        ulong ulen = Length(what);
                        CheckFits(clen, what);
                        // LZF expands at most ~ 8 * 257 / 3 times; anything larger is corrupt, and
                        // bounding it by the input keeps a forged length from allocating unboundedly.
                        if (ulen == 0 || ulen > (clen * 700) + 64)
                        {
                            throw Fail(at, $"invalid LZF lengths (compressed {clen}, uncompressed {ulen}) {what}");
                        }

                        var input = Take((long)clen, what);
                        var output = new byte[(int)ulen];
                        if (!Lzf.TryDecompress(input, output))
                        {
                            throw Fail(at, $"invalid LZF compressed string {what}");
                        }

                        return output;
                    }

                default:
                    throw Fail(at, $"unknown string encoding {len} {what}");
            }
        }

        CheckFits(len, what);
        return Take((long)len, what).ToArray();
    }

    private void CheckFits(ulong len, string what)
    {
        if (len > (ulong)(_data.Length - _pos))
        {
            throw Fail(_pos, $"unexpected end of file {what} (length {len} but only {_data.Length - _pos} bytes left)", shortRead: true);
        }
    }

    // The primitive reads RdbTypeDecoders needs, bound to this reader.
    private sealed class ValueSource(RdbReader reader) : IRdbValueSource
    {
        public byte[] ReadString(string what) => reader.String(what);

        public ulong ReadLength(string what) => reader.Length(what);

        public Exception Corrupt(string problem) => reader.Fail(reader._pos, problem);
    }

    private static byte[] Num(long v) => Encoding.ASCII.GetBytes(v.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
