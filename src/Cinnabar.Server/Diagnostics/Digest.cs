// DEBUG DIGEST and DEBUG DIGEST-VALUE with Redis's algorithm (debug.c), so that the same data
// gives the same 40 hex digits here and in redis-server: the dataset digest XORs one digest per
// key's digest (order-free; xorDigest hashes each key digest again), each built by "mixing" (SHA1 of the running digest XOR SHA1 of the data,
// order-sensitive) the key, the big-endian type number, the value and, when the key has a TTL,
// the marker "!!expire!!" (only its presence, not the time). Databases are mixed in by their
// big-endian index. An empty dataset is 20 zero bytes.
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Diagnostics;

/// <summary>Implemented by value types other than strings to feed DEBUG DIGEST the way Redis does.</summary>
internal interface IDigestValue
{
    /// <summary>Mixes or XORs the value's contents into <paramref name="digest"/> (Redis's xorObjectDigest body for the type).</summary>
    void AddToDigest(Span<byte> digest);
}

/// <summary>Redis-compatible dataset digests.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "SHA1 is what Redis's DEBUG DIGEST uses; it is a checksum here, not security.")]
internal static class Digest
{
    private static readonly byte[] ExpireMarker = "!!expire!!"u8.ToArray();

    /// <summary>digest ^= SHA1(data).</summary>
    public static void Xor(Span<byte> digest, ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(data, hash);
        for (int j = 0; j < 20; j++)
        {
            digest[j] ^= hash[j];
        }
    }

    /// <summary>digest = SHA1(digest ^ SHA1(data)): order-sensitive accumulation.</summary>
    public static void Mix(Span<byte> digest, ReadOnlySpan<byte> data)
    {
        Xor(digest, data);
        Span<byte> copy = stackalloc byte[20];
        digest.CopyTo(copy);
        SHA1.HashData(copy, digest);
    }

    /// <summary>Mixes a double as printf("%.17g") would print it (sorted-set scores).</summary>
    public static void MixScore(Span<byte> digest, double score) =>
        Mix(digest, System.Text.Encoding.ASCII.GetBytes(FormatG17(score)));

    /// <summary>printf's %.17g.</summary>
    public static string FormatG17(double d)
    {
        if (double.IsPositiveInfinity(d))
        {
            return "inf";
        }

        if (double.IsNegativeInfinity(d))
        {
            return "-inf";
        }

        if (d == 0)
        {
            return double.IsNegative(d) ? "-0" : "0";
        }

        string e = d.ToString("E16", CultureInfo.InvariantCulture);
        int exp = int.Parse(e.AsSpan(e.IndexOf('E') + 1), CultureInfo.InvariantCulture);
        if (exp < -4 || exp >= 17)
        {
            var mant = e[..e.IndexOf('E')].TrimEnd('0').TrimEnd('.');
            return mant + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("D2", CultureInfo.InvariantCulture);
        }

        string f = d.ToString("F" + Math.Max(0, 16 - exp).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return f.Contains('.', StringComparison.Ordinal) ? f.TrimEnd('0').TrimEnd('.') : f;
    }

    /// <summary>The digest of one key's value (DEBUG DIGEST-VALUE), without the key itself.</summary>
    public static void AddValue(Span<byte> digest, object data, long expire)
    {
        Span<byte> type = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(type, RedisTypeNumber(Entry.TypeOf(data)));
        Mix(digest, type);
        if (Entry.IsString(data))
        {
            Mix(digest, Entry.StringValue(data));
        }
        else if (data is IDigestValue d)
        {
            d.AddToDigest(digest);
        }
        else
        {
            throw new NotSupportedException($"DEBUG DIGEST does not know how to digest a {Entry.TypeOf(data)} value");
        }

        if (expire != 0)
        {
            Xor(digest, ExpireMarker);
        }
    }

    /// <summary>True when every value can be digested (strings, and types implementing <see cref="IDigestValue"/>).</summary>
    public static bool CanDigest(object data) => Entry.IsString(data) || data is IDigestValue;

    /// <summary>The first value type in the dataset that cannot be digested yet, or null.</summary>
    public static ObjectType? FirstUnsupportedType(Database[] databases)
    {
        ObjectType? found = null;
        foreach (var db in databases)
        {
            db.Table.ForEach((data, _) =>
            {
                if (found is null && !CanDigest(data))
                {
                    found = Entry.TypeOf(data);
                }
            });
        }

        return found;
    }

    /// <summary>The whole dataset's digest (DEBUG DIGEST) as 40 lower-case hex digits.</summary>
    public static string Dataset(Database[] databases)
    {
        var final = new byte[20];
        var aux = new byte[4];
        var keyDigest = new byte[20];
        foreach (var db in databases)
        {
            if (db.Count == 0)
            {
                continue;
            }

            BinaryPrimitives.WriteUInt32BigEndian(aux, (uint)db.Index);
            Mix(final, aux);
            db.Table.ForEach((data, expire) =>
            {
                Array.Clear(keyDigest);
                Mix(keyDigest, Entry.KeyOf(data));
                AddValue(keyDigest, data, expire);

                // xorDigest(final, digest, 20): the key's digest is itself hashed before the XOR.
                Xor(final, keyDigest);
            });
        }

        return Convert.ToHexStringLower(final);
    }

    /// <summary>One key's value digest as hex (20 zero bytes when the key is absent).</summary>
    public static string Value(object? data, long expire)
    {
        var digest = new byte[20];
        if (data is not null)
        {
            AddValue(digest, data, expire);
        }

        return Convert.ToHexStringLower(digest);
    }

    // server.h OBJ_STRING 0, OBJ_LIST 1, OBJ_SET 2, OBJ_ZSET 3, OBJ_HASH 4, OBJ_STREAM 6.
    private static uint RedisTypeNumber(ObjectType t) => t switch
    {
        ObjectType.String => 0,
        ObjectType.List => 1,
        ObjectType.Set => 2,
        ObjectType.ZSet => 3,
        ObjectType.Hash => 4,
        ObjectType.Stream => 6,
        _ => 0,
    };
}
