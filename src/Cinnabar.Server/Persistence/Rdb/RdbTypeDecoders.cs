// Loads the collection types' RDB payloads (rdb.c rdbLoadObject) into Cinnabar's values:
// lists from QUICKLIST_2 (listpack or plain nodes), QUICKLIST (ziplist nodes), ZIPLIST and the
// old linked LIST; hashes from HASH, HASH_LISTPACK and HASH_ZIPLIST; sets; sorted sets from
// ZSET (text scores), ZSET_2 (binary scores), ZSET_ZIPLIST and ZSET_LISTPACK. Every blob is validated
// while it is walked (a malformed listpack or ziplist is an error naming the key's type, never
// a crash), and encodings follow the configured limits as Redis converts on load.
// The reader supplies primitive reads through IRdbValueSource, so the file format's framing
// stays in RdbReader and this file only knows the payloads.
using System.Buffers.Binary;

using Cinnabar.Protocol;
using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Persistence.Rdb;

/// <summary>The primitive reads a payload decoder needs.</summary>
internal interface IRdbValueSource
{
    /// <summary>A string (rdbGenericLoadStringObject: int and LZF encodings decoded).</summary>
    byte[] ReadString(string what);

    /// <summary>A length (rdbLoadLen).</summary>
    ulong ReadLength(string what);

    /// <summary>A little-endian IEEE 754 double (rdbLoadBinaryDoubleValue).</summary>
    double ReadBinaryDouble(string what);

    /// <summary>An old-style text double: a length byte (253 nan, 254 inf, 255 -inf) then its text (rdbLoadDoubleValue).</summary>
    double ReadTextDouble(string what);

    /// <summary>An error at the current position.</summary>
    Exception Corrupt(string problem);
}

/// <summary>The encoding limits in force while loading (hash-max-listpack-entries and friends).</summary>
internal sealed record TypeLimits(int ListFill, long HashMaxEntries, long HashMaxValue, long SetMaxIntsetEntries = 512, long ZSetMaxEntries = 128, long ZSetMaxValue = 64)
{
    public static TypeLimits Default { get; } = new(-2, 512, 64);

    /// <summary>The limits configured now (loading and RESTORE convert as the running server would).</summary>
    public static TypeLimits From(Config.ServerConfig c) =>
        new(c.ListMaxListpackSize, c.HashMaxListpackEntries, c.HashMaxListpackValue, c.SetMaxIntsetEntries, c.ZSetMaxListpackEntries, c.ZSetMaxListpackValue);
}

/// <summary>Per-type RDB payload readers.</summary>
internal static class RdbTypeDecoders
{
    /// <summary>True for the type ids this reader understands besides strings.</summary>
    public static bool IsSupported(int type) => type is RdbFormat.TypeList or RdbFormat.TypeListZiplist or RdbFormat.TypeListQuicklist
        or RdbFormat.TypeListQuicklist2 or RdbFormat.TypeHash or RdbFormat.TypeHashListpack or RdbFormat.TypeHashZiplist
        or RdbFormat.TypeHashZipmap
        or RdbFormat.TypeSet or RdbFormat.TypeSetIntset or RdbFormat.TypeSetListpack
        or RdbFormat.TypeZSet or RdbFormat.TypeZSet2 or RdbFormat.TypeZSetZiplist or RdbFormat.TypeZSetListpack;

    /// <summary>Reads the payload of a value of <paramref name="type"/> stored under <paramref name="key"/>.</summary>
    public static object Read(int type, byte[] key, IRdbValueSource src, TypeLimits limits)
    {
        switch (type)
        {
            case RdbFormat.TypeList:
                {
                    var list = new ListValue(key, limits.ListFill);
                    ulong n = src.ReadLength("reading a list length");
                    for (ulong i = 0; i < n; i++)
                    {
                        list.Push(src.ReadString("reading a list element"), head: false);
                    }

                    return NonEmpty(list, list.Count, src);
                }

            case RdbFormat.TypeListZiplist:
                {
                    var list = new ListValue(key, limits.ListFill);
                    ReadZiplist(src.ReadString("reading a ziplist"), src, e => list.Push(e, head: false));
                    return NonEmpty(list, list.Count, src);
                }

            case RdbFormat.TypeListQuicklist:
            case RdbFormat.TypeListQuicklist2:
                {
                    var list = new ListValue(key, limits.ListFill);
                    ulong nodes = src.ReadLength("reading a quicklist node count");
                    for (ulong i = 0; i < nodes; i++)
                    {
                        ulong container = RdbFormat.QuicklistNodePacked;
                        if (type == RdbFormat.TypeListQuicklist2)
                        {
                            container = src.ReadLength("reading a quicklist node container");
                            if (container is not (RdbFormat.QuicklistNodePacked or RdbFormat.QuicklistNodePlain))
                            {
                                throw src.Corrupt($"quicklist integrity check failed (unknown node container {container})");
                            }
                        }

                        var blob = src.ReadString("reading a quicklist node");
                        if (container == RdbFormat.QuicklistNodePlain)
                        {
                            list.Push(blob, head: false);
                        }
                        else if (type == RdbFormat.TypeListQuicklist2)
                        {
                            ReadListpack(blob, src, "list", e => list.Push(e, head: false));
                        }
                        else
                        {
                            ReadZiplist(blob, src, e => list.Push(e, head: false));
                        }
                    }

                    return NonEmpty(list, list.Count, src);
                }

            case RdbFormat.TypeHash:
                {
                    var hash = new HashValue(key);
                    ulong n = src.ReadLength("reading a hash length");
                    for (ulong i = 0; i < n; i++)
                    {
                        var f = src.ReadString("reading a hash field");
                        var v = src.ReadString("reading a hash value");
                        if (!hash.Set(f, v, limits.HashMaxEntries, limits.HashMaxValue))
                        {
                            throw src.Corrupt("duplicate hash field");
                        }
                    }

                    if (n > (ulong)limits.HashMaxEntries)
                    {
                        hash.ConvertToHashtable();
                    }

                    hash.TrimExcess();
                    return NonEmpty(hash, hash.Count, src);
                }

            case RdbFormat.TypeHashListpack:
            case RdbFormat.TypeHashZiplist:
            case RdbFormat.TypeHashZipmap:
                {
                    var hash = new HashValue(key);
                    byte[]? field = null;
                    void Add(byte[] e)
                    {
                        if (field is null)
                        {
                            field = e;
                            return;
                        }

                        if (!hash.Set(field, e, limits.HashMaxEntries, limits.HashMaxValue))
                        {
                            throw src.Corrupt("hash listpack integrity check failed (duplicate field)");
                        }

                        field = null;
                    }

                    var blob = src.ReadString("reading a hash listpack");
                    if (type == RdbFormat.TypeHashListpack)
                    {
                        ReadListpack(blob, src, "hash", Add);
                    }
                    else if (type == RdbFormat.TypeHashZipmap)
                    {
                        ReadZipmap(blob, src, Add);
                    }
                    else
                    {
                        ReadZiplist(blob, src, Add);
                    }

                    if (field is not null)
                    {
                        throw src.Corrupt("hash listpack integrity check failed (odd number of elements)");
                    }

                    // Fields went in one at a time; Redis keeps the loaded listpack as is.
                    hash.TrimExcess();
                    return NonEmpty(hash, hash.Count, src);
                }

            case RdbFormat.TypeSet:
                {
                    var set = new SetValue(key);
                    ulong n = src.ReadLength("reading a set length");
                    int sizeHint = (int)Math.Min(n, int.MaxValue);
                    if (n > (ulong)limits.SetMaxIntsetEntries)
                    {
                        set.ConvertToHashtable(sizeHint);
                    }

                    for (ulong i = 0; i < n; i++)
                    {
                        var member = src.ReadString("reading a set member");
                        if (set.IsIntset && !SetValue.IsInteger(member, out _))
                        {
                            set.ConvertToHashtable(sizeHint);
                        }

                        if (!set.Add(member, limits.SetMaxIntsetEntries))
                        {
                            throw src.Corrupt("duplicate set member");
                        }
                    }

                    return NonEmpty(set, set.Count, src);
                }

            case RdbFormat.TypeSetIntset:
                {
                    var set = new SetValue(key);
                    ReadIntset(src.ReadString("reading an intset"), src, v => set.Add(Number.ToBytes(v), limits.SetMaxIntsetEntries));
                    return NonEmpty(set, set.Count, src);
                }

            case RdbFormat.TypeSetListpack:
                {
                    var set = new SetValue(key);
                    ReadListpack(src.ReadString("reading a set listpack"), src, "set", e =>
                    {
                        if (!set.Add(e, limits.SetMaxIntsetEntries))
                        {
                            throw src.Corrupt("set listpack integrity check failed (duplicate member)");
                        }
                    });
                    return NonEmpty(set, set.Count, src);
                }

            case RdbFormat.TypeZSet:
            case RdbFormat.TypeZSet2:
                {
                    // Loaded as a skiplist, converted after loading when within the limits.
                    var zset = new ZSetValue(key, skiplist: true);
                    ulong n = src.ReadLength("reading a sorted set length");
                    long maxLen = 0;
                    for (ulong i = 0; i < n; i++)
                    {
                        var member = src.ReadString("reading a sorted set member");
                        double score = type == RdbFormat.TypeZSet2 ? src.ReadBinaryDouble("reading a sorted set score") : src.ReadTextDouble("reading a sorted set score");
                        if (double.IsNaN(score))
                        {
                            throw src.Corrupt("Zset with NAN score detected");
                        }

                        if (zset.Add(member, score, ZAddFlags.Nx, long.MaxValue, long.MaxValue, out _) != ZAddOutcome.Added)
                        {
                            throw src.Corrupt("Duplicate zset fields detected");
                        }

                        maxLen = Math.Max(maxLen, member.Length);
                    }

                    if (maxLen <= limits.ZSetMaxValue)
                    {
                        zset.ConvertToListpackIfNeeded(limits.ZSetMaxEntries, limits.ZSetMaxValue);
                    }

                    return NonEmpty(zset, zset.Count, src);
                }

            case RdbFormat.TypeZSetListpack:
            case RdbFormat.TypeZSetZiplist:
                {
                    // Kept compact whatever the member lengths; only the count converts (rdb.c).
                    var zset = new ZSetValue(key);
                    byte[]? member = null;
                    void Add(byte[] e)
                    {
                        if (member is null)
                        {
                            member = e;
                            return;
                        }

                        if (!ZDouble.TryStrtodWhole(e, out double score) || double.IsNaN(score))
                        {
                            throw src.Corrupt("Zset listpack integrity check failed (bad score)");
                        }

                        if (zset.Add(member, score, ZAddFlags.Nx, long.MaxValue, long.MaxValue, out _) != ZAddOutcome.Added)
                        {
                            throw src.Corrupt("Zset listpack integrity check failed (duplicate member)");
                        }

                        member = null;
                    }

                    var blob = src.ReadString("reading a sorted set listpack");
                    if (type == RdbFormat.TypeZSetListpack)
                    {
                        ReadListpack(blob, src, "zset", Add);
                    }
                    else
                    {
                        ReadZiplist(blob, src, Add);
                    }

                    if (member is not null)
                    {
                        throw src.Corrupt("Zset listpack integrity check failed (odd number of elements)");
                    }

                    if (zset.Count > limits.ZSetMaxEntries)
                    {
                        zset.ConvertToSkiplist();
                    }
                    else
                    {
                        // Members went in one at a time; Redis keeps the loaded listpack as is.
                        zset.TrimExcess();
                    }

                    return NonEmpty(zset, zset.Count, src);
                }

            default:
                throw src.Corrupt($"unsupported type {type} ({RdbFormat.TypeName(type)})");
        }
    }

    // intset.c: uint32 LE width (2/4/8), uint32 LE count, sorted unique values.
    private static void ReadIntset(byte[] blob, IRdbValueSource src, Action<long> add)
    {
        if (blob.Length < 8)
        {
            throw src.Corrupt("intset integrity check failed (bad header)");
        }

        uint width = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(4));
        if (width is not (2 or 4 or 8) || (ulong)blob.Length != 8 + ((ulong)width * count))
        {
            throw src.Corrupt("intset integrity check failed (bad size)");
        }

        long previous = long.MinValue;
        for (int i = 0; i < count; i++)
        {
            var at = blob.AsSpan(8 + (i * (int)width));
            long v = width switch
            {
                2 => BinaryPrimitives.ReadInt16LittleEndian(at),
                4 => BinaryPrimitives.ReadInt32LittleEndian(at),
                _ => BinaryPrimitives.ReadInt64LittleEndian(at),
            };
            if (i > 0 && v <= previous)
            {
                throw src.Corrupt("intset integrity check failed (not sorted or duplicate)");
            }

            previous = v;
            add(v);
        }
    }

    private static object NonEmpty(object value, long count, IRdbValueSource src) =>
        count > 0 ? value : throw src.Corrupt("empty keys are not allowed (an empty collection in the file)");

    private static void ReadListpack(byte[] blob, IRdbValueSource src, string type, Action<byte[]> add)
    {
        var r = new ListpackReader(blob);
        if (!r.Valid)
        {
            throw src.Corrupt($"{type} listpack integrity check failed (bad header)");
        }

        int n = 0;
        while (r.NextBytes() is { } e)
        {
            add(e);
            n++;
        }

        if (!r.Valid || (r.HeaderCount != 65535 && r.HeaderCount != n))
        {
            throw src.Corrupt($"{type} listpack integrity check failed");
        }
    }

    // zipmap.c (hashes in RDB files before 2.6): a count byte (254 = unknown), then per pair
    // <len>field <len><free>value and <free> unused bytes, then 0xFF. A length is one byte
    // below 254, or 254 and a 4-byte little-endian length. Fields and values alternate in add.
    private static void ReadZipmap(byte[] zm, IRdbValueSource src, Action<byte[]> add)
    {
        if (zm.Length < 2 || zm[^1] != 0xFF)
        {
            throw src.Corrupt("zipmap integrity check failed (bad header or end)");
        }

        int p = 1;
        int pairs = 0;
        while (zm[p] != 0xFF)
        {
            for (int part = 0; part < 2; part++)
            {
                long len = zm[p];
                p++;
                if (len == 254)
                {
                    if (p + 4 > zm.Length)
                    {
                        throw src.Corrupt("zipmap integrity check failed (truncated length)");
                    }

                    len = BinaryPrimitives.ReadUInt32LittleEndian(zm.AsSpan(p));
                    p += 4;
                }
                else if (len == 255)
                {
                    throw src.Corrupt("zipmap integrity check failed (end inside a pair)");
                }

                int free = 0;
                if (part == 1)
                {
                    if (p >= zm.Length)
                    {
                        throw src.Corrupt("zipmap integrity check failed (truncated entry)");
                    }

                    free = zm[p++];
                }

                if (len + free > zm.Length - 1 - p)
                {
                    throw src.Corrupt("zipmap integrity check failed (entry past the end)");
                }

                add(zm.AsSpan(p, (int)len).ToArray());
                p += (int)len + free;
            }

            pairs++;
        }

        if (p != zm.Length - 1 || (zm[0] < 254 && zm[0] != pairs))
        {
            throw src.Corrupt("zipmap integrity check failed (count or length mismatch)");
        }
    }

    // ziplist.c: zlbytes u32, zltail u32, zllen u16, entries (prevlen, encoding, data), 0xFF.
    private static void ReadZiplist(byte[] zl, IRdbValueSource src, Action<byte[]> add)
    {
        try
        {
            WalkZiplist(zl, src, add);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            throw src.Corrupt("ziplist integrity check failed (truncated entry)");
        }
    }

    private static void WalkZiplist(byte[] zl, IRdbValueSource src, Action<byte[]> add)
    {
        if (zl.Length < 11 || BinaryPrimitives.ReadUInt32LittleEndian(zl) != (uint)zl.Length || zl[^1] != 0xFF)
        {
            throw src.Corrupt("ziplist integrity check failed (bad header)");
        }

        int p = 10;
        while (p < zl.Length - 1)
        {
            // prevlen: one byte, or 0xFE and four bytes.
            p += zl[p] == 0xFE ? 5 : 1;
            if (p >= zl.Length - 1)
            {
                throw src.Corrupt("ziplist integrity check failed (truncated entry)");
            }

            byte b = zl[p];
            long len;
            int header;
            switch (b >> 6)
            {
                case 0:
                    len = b & 0x3F;
                    header = 1;
                    break;
                case 1:
                    len = ((b & 0x3F) << 8) | zl[p + 1];
                    header = 2;
                    break;
                case 2:
                    len = BinaryPrimitives.ReadUInt32BigEndian(zl.AsSpan(p + 1));
                    header = 5;
                    break;
                default:
                    {
                        long v;
                        int size;
                        var d = zl.AsSpan(p + 1);
                        switch (b)
                        {
                            case 0xC0: v = BinaryPrimitives.ReadInt16LittleEndian(d); size = 2; break;
                            case 0xD0: v = BinaryPrimitives.ReadInt32LittleEndian(d); size = 4; break;
                            case 0xE0: v = BinaryPrimitives.ReadInt64LittleEndian(d); size = 8; break;
                            case 0xF0: v = ((d[0] | (d[1] << 8) | (d[2] << 16)) << 8) >> 8; size = 3; break;
                            case 0xFE: v = (sbyte)d[0]; size = 1; break;
                            default:
                                if (b is >= 0xF1 and <= 0xFD)
                                {
                                    v = (b & 0x0F) - 1;
                                    size = 0;
                                    break;
                                }

                                throw src.Corrupt("ziplist integrity check failed (bad encoding)");
                        }

                        add(Number.ToBytes(v));
                        p += 1 + size;
                        continue;
                    }
            }

            if (p + header + len > zl.Length - 1)
            {
                throw src.Corrupt("ziplist integrity check failed (entry past the end)");
            }

            add(zl.AsSpan(p + header, (int)len).ToArray());
            p += header + (int)len;
        }
    }
}
