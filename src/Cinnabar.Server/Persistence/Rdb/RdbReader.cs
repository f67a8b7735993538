// Reads RDB files the way rdb.c rdbLoadRioWithLoadingCtx does: "REDIS" + 4-digit version, then
// opcodes (AUX, SELECTDB, RESIZEDB, EXPIRETIME[_MS], IDLE, FREQ, FUNCTION2, MODULE_AUX) and
// key/value records until EOF, then the CRC64 trailer (0 = written with rdbchecksum off).
// It streams: bytes come through a 64 KB window over any Stream (a file, and later a replica's
// socket), so memory stays bounded whatever the file's size, and the CRC64 is computed as the
// bytes go by. When the source's length is known (files, byte arrays) every length is checked
// against the bytes that remain (an absurd length is an error, never a huge allocation); over a
// stream of unknown length a long string grows its buffer only as its bytes actually arrive.
// Keys go into fresh databases that the caller swaps in only when the whole file proved valid.
// ReadValue decodes one typed value (DUMP/RESTORE's payload) with the same code.
// The hot path of a load runs once, at startup, before tiered compilation has promoted
// anything: its methods are marked AggressiveOptimization so a load is not spent in
// unoptimized code (bench/RESULTS.md, RDB load).
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

using Cinnabar.Server.Storage;
using Cinnabar.Server.Storage.Types;

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

    /// <summary>
    /// Keep the (database, key) of each key dropped as expired in <see cref="RdbLoadResult.DroppedExpired"/>
    /// (Redis's RDBFLAGS_FEED_REPL: a primary starting from disk feeds their DELs to its backlog).
    /// </summary>
    public bool RecordDroppedExpired { get; init; }

    /// <summary>Called for every AUX field as it is read (name, value, offset after it).</summary>
    public Action<string, string, long>? OnAux { get; init; }

    /// <summary>Leave unselected databases null (the checker) instead of creating them all.</summary>
    public bool Sparse { get; init; }

    /// <summary>Encoding limits for loaded collections (hash-max-listpack-entries and friends).</summary>
    public TypeLimits Limits { get; init; } = TypeLimits.Default;

    /// <summary>Called for every SELECTDB (database number, offset after it).</summary>
    public Action<ulong, long>? OnSelectDb { get; init; }

    /// <summary>
    /// Called between records each time another <see cref="ProgressIntervalBytes"/> bytes have been
    /// read, with the offset reached and the counts so far (Redis's rdbLoadProgressCallback: the
    /// loader serves clients there).
    /// </summary>
    public Action<long, RdbLoadResult>? OnProgress { get; init; }

    /// <summary>loading-process-events-interval-bytes (Redis's default 2 MB).</summary>
    public long ProgressIntervalBytes { get; init; } = 2 * 1024 * 1024;

    /// <summary>Called after each key is read (key-load-delay's hook).</summary>
    public Action? AfterKey { get; init; }

    /// <summary>
    /// DEBUG RELOAD MERGE (RDBFLAGS_ALLOW_DUP): a key met twice keeps the later value instead of
    /// being an error.
    /// </summary>
    public bool AllowDuplicates { get; init; }
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

    /// <summary>The keys dropped as expired, in file order, when <see cref="RdbLoadOptions.RecordDroppedExpired"/> asked for them.</summary>
    public List<(int Db, byte[] Key)> DroppedExpired { get; } = [];

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

    /// <summary>
    /// Bytes read from a stream past the RDB's end (the reader's window reads ahead): a caller
    /// that goes on reading the same stream (a replica, after a diskless transfer's EOF mark)
    /// starts with these. Empty for files that end with the RDB and for in-memory images.
    /// </summary>
    public byte[] Unconsumed { get; set; } = [];
}

/// <summary>Parses an RDB image from a stream or from memory.</summary>
internal sealed class RdbReader
{
    private const int WindowSize = 64 * 1024;

    // A string longer than this, read from a source of unknown length, gets its buffer in steps
    // as its bytes arrive, so a forged length cannot allocate more than was actually sent.
    private const int GrowthStep = 1 << 20;

    // The most keys a RESIZEDB hint may reserve room for when the source's length is unknown.
    private const long UnknownLengthSizeHintCap = 1 << 23;

    private readonly Stream? _stream;
    private readonly long _length;
    private readonly RdbLoadOptions _options;
    private readonly bool _crcOn;
    private readonly byte[] _buf;
    private int _bufPos;
    private int _bufLen;
    private long _bufStart;
    private ulong _crc;

    // The CRC is computed in bulk over the window's consumed bytes (from here to _bufPos) when
    // the window moves and before the trailer, not per field: thousands of tiny updates per
    // 64 KB would cost more than the eight-bytes-a-step loop over the whole block.
    private int _crcFrom;
    private long _nextProgress;
    private RdbLoadResult? _result;
    private long _keysRead;
    private byte[] _keyScratch = new byte[64];

    // String keys read but not inserted yet (ReadKey, InsertPending), all of _pendingDb.
    private const int BatchSize = 16;
    private readonly byte[]?[] _pendingEntries = new byte[BatchSize][];
    private readonly long[] _pendingTtl = new long[BatchSize];
    private readonly ulong[] _pendingHash = new ulong[BatchSize];
    private readonly long[] _pendingAt = new long[BatchSize];
    private int _pendingCount;
    private Database? _pendingDb;

    private RdbReader(Stream? stream, byte[] buffer, int bufferLength, long length, RdbLoadOptions options, bool crc)
    {
        _stream = stream;
        _buf = buffer;
        _bufLen = bufferLength;
        _length = length;
        _options = options;
        _crcOn = crc;
        _nextProgress = options.ProgressIntervalBytes > 0 ? options.ProgressIntervalBytes : long.MaxValue;
    }

    /// <summary>Where the next byte will be read from (bytes consumed so far).</summary>
    private long Pos => _bufStart + _bufPos;

    /// <summary>Streams and loads a file; throws <see cref="RdbLoadException"/> on any problem.</summary>
    public static RdbLoadResult LoadFile(string path, RdbLoadOptions options)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
        return Load(file, options);
    }

    /// <summary>
    /// Loads an RDB from a stream, reading it once from its current position; throws
    /// <see cref="RdbLoadException"/> on any problem. A seekable stream's length bounds every
    /// length field; an unseekable one (a socket) is read until the checksum.
    /// </summary>
    public static RdbLoadResult Load(Stream stream, RdbLoadOptions options)
    {
        long length = stream.CanSeek ? stream.Length - stream.Position : -1;
        return new RdbReader(stream, new byte[WindowSize], 0, length, options, options.VerifyChecksum).Run();
    }

    /// <summary>Loads an RDB image held in memory; throws <see cref="RdbLoadException"/> on any problem.</summary>
    public static RdbLoadResult Load(byte[] data, RdbLoadOptions options) =>
        new RdbReader(null, data, data.Length, data.Length, options, options.VerifyChecksum).Run();

    /// <summary>
    /// Decodes one value as DUMP writes it (rdbLoadObjectType + rdbLoadObject): a type byte and
    /// its payload, stored under <paramref name="key"/>. Bytes after the value (DUMP's footer)
    /// are not looked at. Throws <see cref="RdbLoadException"/> when the bytes are not a value of
    /// a type this server holds.
    /// </summary>
    public static object ReadValue(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> key, TypeLimits? limits = null)
    {
        var data = payload.ToArray();
        var reader = new RdbReader(null, data, data.Length, data.Length, new RdbLoadOptions { FileName = "DUMP payload" }, crc: false);
        int type = reader.Byte("reading the value type");
        if (type == RdbFormat.TypeString)
        {
            return reader.StringEntry(key, "reading a string value");
        }

        if (!RdbTypeDecoders.IsSupported(type))
        {
            throw reader.Fail(0, $"unsupported type {type} ({RdbFormat.TypeName(type)})");
        }

        return RdbTypeDecoders.Read(type, key.ToArray(), new ValueSource(reader), limits ?? TypeLimits.Default);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        Database db = dbs[0] = NewDatabase(0);
        long expire = -1;
        while (true)
        {
            if (Pos >= _nextProgress)
            {
                _nextProgress = Pos + _options.ProgressIntervalBytes;
                _options.OnProgress?.Invoke(Pos, result);
            }

            long at = Pos;
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
                    InsertPending(result);
                    break;
                case RdbFormat.SelectDb:
                    {
                        ulong index = Length("reading a database number");
                        if (index >= (ulong)dbs.Length)
                        {
                            throw Fail(at, $"the file selects database {index} but the server is configured with {dbs.Length} databases");
                        }

                        InsertPending(result);
                        db = dbs[(int)index] ??= NewDatabase((int)index);
                        _options.OnSelectDb?.Invoke(index, Pos);
                        continue;
                    }

                case RdbFormat.ResizeDb:
                    {
                        // A sizing hint (dictExpand in Redis): the table is sized once instead of
                        // doubling its way up. The hint is untrusted, so it is capped by what the
                        // rest of the file could hold (a key takes at least 3 bytes); from a
                        // stream of unknown length (a primary's EOF-marked transfer) by 8M keys,
                        // so a false hint costs at most a table of that size for the load's time.
                        ulong size = Length("reading a RESIZEDB size");
                        Length("reading a RESIZEDB expires size");
                        long room = _length >= 0 ? (_length - Pos) / 3 : UnknownLengthSizeHintCap;
                        db.Table.Reserve((long)Math.Min(size, (ulong)Math.Max(room, 0)));
                        continue;
                    }

                case RdbFormat.Aux:
                    {
                        string name = Encoding.UTF8.GetString(String("reading an AUX field name"));
                        string value = Encoding.UTF8.GetString(String("reading an AUX field value"));
                        result.Aux[name] = value;
                        _options.OnAux?.Invoke(name, value, Pos);
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
                    _options.AfterKey?.Invoke();
                    continue;
            }

            break;
        }

        for (int i = 0; i < dbs.Length && !_options.Sparse; i++)
        {
            dbs[i] ??= NewDatabase(i);
        }

        // The trailer covers every byte before it. Files before version 5 have none (rdbLoad
        // reads the checksum only from RDB 5 on).
        long crcAt = Pos;
        CrcCatchUp();
        ulong computed = _crc;
        ulong stored = version >= 5 ? BinaryPrimitives.ReadUInt64LittleEndian(Take(8, "reading the checksum")) : 0;
        if (_options.VerifyChecksum && version >= 5)
        {
            if (stored == 0)
            {
                result.ChecksumDisabled = true;
            }
            else
            {
                if (computed != stored)
                {
                    var e = Fail(crcAt, $"RDB CRC error: wrong checksum, expected {computed:x} but the file has {stored:x}");
                    throw new RdbLoadException(e.File, e.Offset, e.Problem) { Checksums = (computed, stored), KeysRead = e.KeysRead, Expires = e.Expires, AlreadyExpired = e.AlreadyExpired };
                }

                result.ChecksumVerified = true;
            }
        }

        result.Length = Pos;
        result.KeysRead = _keysRead;
        if (_stream is not null && _bufLen > _bufPos)
        {
            result.Unconsumed = _buf.AsSpan(_bufPos, _bufLen - _bufPos).ToArray();
        }

        return result;
    }

    // Loaded keys are born with the load's LRU stamp, as createObject gives them in Redis.
    private Database NewDatabase(int index)
    {
        var db = new Database(index);
        db.Table.CurrentLru = (int)((_options.NowMs / 1000) & 0xFFFFFF);
        return db;
    }

    // A string key is read into a scratch buffer and its inline entry built from that and the
    // window: one allocation per key, one hash and one chain walk to insert it. String keys are
    // inserted in batches (InsertPending) so their buckets' cache misses overlap.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadKey(RdbLoadResult result, Database db, long at, long expire, int type)
    {
        ReadOnlySpan<byte> key;
        object value;
        if (type == RdbFormat.TypeString)
        {
            key = KeyToScratch("reading a key");
            value = StringEntry(key, "reading a string value");
        }
        else
        {
            InsertPending(result);
            byte[] keyArray = String("reading a key");
            key = keyArray;
            value = RdbTypeDecoders.Read(type, keyArray, new ValueSource(this), _options.Limits);
        }

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
                if (_options.RecordDroppedExpired)
                {
                    result.DroppedExpired.Add((db.Index, key.ToArray()));
                }

                return;
            }
        }

        long ttl = expire == -1 ? 0 : expire;
        ulong hash = KeyHash.Compute(key);
        if (type != RdbFormat.TypeString)
        {
            Insert(result, db, key, value, ttl, hash, at);
            return;
        }

        if (_pendingDb != db)
        {
            InsertPending(result);
            _pendingDb = db;
        }

        int i = _pendingCount++;
        _pendingEntries[i] = (byte[])value;
        _pendingTtl[i] = ttl;
        _pendingHash[i] = hash;
        _pendingAt[i] = at;
        if (_pendingCount == BatchSize)
        {
            InsertPending(result);
        }
    }

    // Inserts the batched string keys: first their buckets are touched together, then each key
    // goes in, in file order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void InsertPending(RdbLoadResult result)
    {
        if (_pendingCount == 0)
        {
            return;
        }

        var db = _pendingDb!;
        db.Table.Warm(_pendingHash.AsSpan(0, _pendingCount));
        for (int i = 0; i < _pendingCount; i++)
        {
            var entry = _pendingEntries[i]!;
            _pendingEntries[i] = null;
            Insert(result, db, Entry.KeyOf(entry), entry, _pendingTtl[i], _pendingHash[i], _pendingAt[i]);
        }

        _pendingCount = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Insert(RdbLoadResult result, Database db, ReadOnlySpan<byte> key, object value, long ttl, ulong hash, long at)
    {
        ref Slot slot = ref db.AddOrFind(key, value, ttl, hash, out bool added);
        if (!added)
        {
            if (!_options.AllowDuplicates)
            {
                throw Fail(at, $"duplicated key '{Encoding.UTF8.GetString(key)}' in DB {db.Index}");
            }

            // RDBFLAGS_ALLOW_DUP: the later record wins.
            slot.Data = value;
            db.SetExpireOnSlot(ref slot, ttl);
            return;
        }

        result.KeysLoaded++;
    }

    private RdbLoadException Fail(long offset, string problem, bool shortRead = false) =>
        new(_options.FileName, offset, problem, shortRead)
        {
            KeysRead = _keysRead,
            Expires = _result?.Expires ?? 0,
            AlreadyExpired = _result?.AlreadyExpired ?? 0,
        };

    // Up to the window's size, valid until the next read.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ReadOnlySpan<byte> Take(int n, string what)
    {
        if (n > _bufLen - _bufPos && !Fill(n))
        {
            throw Fail(Pos, $"unexpected end of file {what} ({n} bytes needed, {_bufLen - _bufPos} left)", shortRead: true);
        }

        var span = _buf.AsSpan(_bufPos, n);
        _bufPos += n;
        return span;
    }

    // Makes at least n unread bytes available in the window; false at the end of the source.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Fill(int n)
    {
        if (_stream is null)
        {
            return false;
        }

        if (_bufPos > 0)
        {
            CrcCatchUp();
            Buffer.BlockCopy(_buf, _bufPos, _buf, 0, _bufLen - _bufPos);
            _bufStart += _bufPos;
            _bufLen -= _bufPos;
            _bufPos = 0;
            _crcFrom = 0;
        }

        while (_bufLen < n)
        {
            int got = _stream.Read(_buf, _bufLen, _buf.Length - _bufLen);
            if (got == 0)
            {
                return false;
            }

            _bufLen += got;
        }

        return true;
    }

    private byte Byte(string what) => Take(1, what)[0];

    // Folds the bytes consumed since the last catch-up into the running CRC.
    private void CrcCatchUp()
    {
        if (_crcOn && _bufPos > _crcFrom)
        {
            _crc = Crc64.Update(_crc, _buf.AsSpan(_crcFrom, _bufPos - _crcFrom));
        }

        _crcFrom = _bufPos;
    }

    // rdbLoadLenByRef: the top two bits of the first byte pick 6-bit, 14-bit or a 32/64-bit
    // big-endian length; 11 marks a special string encoding (returned through isEncoded).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong Length(string what, bool allowEncoded, out bool isEncoded)
    {
        long at = Pos;
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
        long at = Pos;
        ulong len = Length(what, true, out bool encoded);
        if (encoded)
        {
            return Special(len, what, at, default, out _);
        }

        CheckFits(len, what);
        return Bytes(len, what);
    }

    // A string value read straight into the inline entry of key: no intermediate copy when the
    // value is in the window or LZF-compressed.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private byte[] StringEntry(ReadOnlySpan<byte> key, string what)
    {
        long at = Pos;
        ulong len = Length(what, true, out bool encoded);
        if (encoded)
        {
            var v = Special(len, what, at, key, out bool isEntry);
            return isEntry ? v : Entry.MakeString(key, v);
        }

        CheckFits(len, what);
        return len <= WindowSize ? Entry.MakeString(key, Take((int)len, what)) : Entry.MakeString(key, Bytes(len, what));
    }

    // A key into the reused scratch buffer (valid until the next key), so a string key costs
    // no allocation of its own: it is copied once, into its entry.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ReadOnlySpan<byte> KeyToScratch(string what)
    {
        long at = Pos;
        ulong len = Length(what, true, out bool encoded);
        if (encoded)
        {
            return Special(len, what, at, default, out _);
        }

        CheckFits(len, what);
        if (len > WindowSize)
        {
            return Bytes(len, what);
        }

        var src = Take((int)len, what);
        if (_keyScratch.Length < src.Length)
        {
            _keyScratch = new byte[Math.Max(src.Length, _keyScratch.Length * 2)];
        }

        src.CopyTo(_keyScratch);
        return _keyScratch.AsSpan(0, src.Length);
    }

    // The special encodings (length byte 11xxxxxx). With a non-empty entryKey, an LZF string is
    // decompressed straight into that key's inline entry (isEntry tells).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private byte[] Special(ulong encoding, string what, long at, ReadOnlySpan<byte> entryKey, out bool isEntry)
    {
        isEntry = false;
        switch (encoding)
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
                    if (ulen == 0 || ulen > (clen * 700) + 64 || ulen > (ulong)Array.MaxLength - 64)
                    {
                        throw Fail(at, $"invalid LZF lengths (compressed {clen}, uncompressed {ulen}) {what}");
                    }

                    ReadOnlySpan<byte> input = clen <= WindowSize ? Take((int)clen, what) : Bytes(clen, what);
                    byte[] output;
                    Span<byte> target;
                    if (entryKey.IsEmpty)
                    {
                        output = new byte[(int)ulen];
                        target = output;
                    }
                    else
                    {
                        output = Entry.AllocateString(entryKey, (int)ulen, out int valueAt);
                        target = output.AsSpan(valueAt);
                        isEntry = true;
                    }

                    if (!Lzf.TryDecompress(input, target))
                    {
                        throw Fail(at, $"invalid LZF compressed string {what}");
                    }

                    return output;
                }

            default:
                throw Fail(at, $"unknown string encoding {encoding} {what}");
        }
    }

    // The next len bytes as a new array: from the window when they are there, else straight
    // from the source into the array.
    private byte[] Bytes(ulong len, string what)
    {
        long start = Pos;
        if (len > (ulong)Array.MaxLength)
        {
            throw Fail(start, $"string of {len} bytes is too long {what}");
        }

        int n = (int)len;
        int buffered = _bufLen - _bufPos;
        if (n <= buffered)
        {
            return Take(n, what).ToArray();
        }

        // A known length was checked by CheckFits; an unknown one grows with what arrives.
        var result = new byte[_length >= 0 ? n : Math.Min(n, Math.Max(buffered, GrowthStep))];
        int have = buffered;
        CrcCatchUp();
        _buf.AsSpan(_bufPos, buffered).CopyTo(result);
        _bufStart += _bufLen;
        _bufPos = _bufLen = 0;
        _crcFrom = 0;
        while (have < n && _stream is not null)
        {
            if (have == result.Length)
            {
                Array.Resize(ref result, (int)Math.Min(n, (long)result.Length * 2));
            }

            int got = _stream.Read(result, have, result.Length - have);
            if (got == 0)
            {
                break;
            }

            have += got;
            _bufStart += got;
        }

        if (have < n)
        {
            throw Fail(start, $"unexpected end of file {what} (length {len} but only {have} bytes left)", shortRead: true);
        }

        if (_crcOn)
        {
            _crc = Crc64.Update(_crc, result);
        }

        return result;
    }

    private void CheckFits(ulong len, string what)
    {
        if (_length >= 0 && len > (ulong)(_length - Pos))
        {
            throw Fail(Pos, $"unexpected end of file {what} (length {len} but only {_length - Pos} bytes left)", shortRead: true);
        }
    }

    // The primitive reads RdbTypeDecoders needs, bound to this reader.
    private sealed class ValueSource(RdbReader reader) : IRdbValueSource
    {
        public byte[] ReadString(string what) => reader.String(what);

        public ulong ReadLength(string what) => reader.Length(what);

        public double ReadBinaryDouble(string what) => BinaryPrimitives.ReadDoubleLittleEndian(reader.Take(8, what));

        public double ReadTextDouble(string what)
        {
            byte len = reader.Byte(what);
            switch (len)
            {
                case 255: return double.NegativeInfinity;
                case 254: return double.PositiveInfinity;
                case 253: return double.NaN;
                default:
                    var text = reader.Take(len, what);
                    return ZDouble.TryStrtodWhole(text, out double v) ? v : throw reader.Fail(reader.Pos, "malformed sorted set score");
            }
        }

        public Exception Corrupt(string problem) => reader.Fail(reader.Pos, problem);
    }

    private static byte[] Num(long v) => Encoding.ASCII.GetBytes(v.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
