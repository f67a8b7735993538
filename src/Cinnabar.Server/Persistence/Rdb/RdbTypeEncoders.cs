// The RDB payloads of the collection types, as Redis 7.0's rdbSaveObject writes them:
// - list: RDB_TYPE_LIST_QUICKLIST_2, one PACKED node per in-memory node, each a real listpack
//   (integers in listpack integer encodings), written as a string (so LZF applies as in Redis);
// - hash: RDB_TYPE_HASH_LISTPACK (field, value, ...) when small, RDB_TYPE_HASH otherwise;
// - set: RDB_TYPE_SET_INTSET (an intset blob) or RDB_TYPE_SET;
// - sorted set: RDB_TYPE_ZSET_LISTPACK (member, score, ... ascending; scores that double2ll
//   accepts as listpack integers, others as their d2string text, as zzlInsertAt stores them) or
//   RDB_TYPE_ZSET_2 (count, then member and binary double from the highest to the lowest).
// The key and type byte are the caller's (RdbWriter); these write what follows the key.
using Cinnabar.Server.Storage;
using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Persistence.Rdb;

/// <summary>Per-type RDB payload writers.</summary>
internal static class RdbTypeEncoders
{
    /// <summary>The RDB type id Redis 7.0 writes for a value (rdbSaveObjectType).</summary>
    public static byte TypeOf(object data) => data switch
    {
        ListValue => RdbFormat.TypeListQuicklist2,
        HashValue h => h.IsListpack ? (byte)RdbFormat.TypeHashListpack : (byte)RdbFormat.TypeHash,
        SetValue s => s.IsIntset ? (byte)RdbFormat.TypeSetIntset : (byte)RdbFormat.TypeSet,
        ZSetValue z => z.IsListpack ? (byte)RdbFormat.TypeZSetListpack : (byte)RdbFormat.TypeZSet2,
        _ => throw new NotSupportedException($"RDB encoding for type {Entry.TypeOf(data)} is not implemented"),
    };

    /// <summary>Writes the payload after the key (rdbSaveObject).</summary>
    public static void WritePayload(RdbWriter w, object data)
    {
        switch (data)
        {
            case ListValue list:
                WriteList(w, list);
                break;
            case HashValue hash:
                WriteHash(w, hash);
                break;
            case SetValue set:
                WriteSet(w, set);
                break;
            case ZSetValue zset:
                WriteZSet(w, zset);
                break;
            default:
                throw new NotSupportedException($"RDB encoding for type {Entry.TypeOf(data)} is not implemented");
        }
    }

    private static void WriteList(RdbWriter w, ListValue list)
    {
        // Redis refuses empty nodes; a node reserved for a push is never left empty, but be sure.
        int nodes = 0;
        for (int n = 0; n < list.NodeCount; n++)
        {
            list.IterateNode(n, out int c);
            nodes += c > 0 ? 1 : 0;
        }

        w.Length((ulong)nodes);
        for (int n = 0; n < list.NodeCount; n++)
        {
            var lp = new ListpackBuilder();
            var it = list.IterateNode(n, out int count);
            if (count == 0)
            {
                continue;
            }

            while (it.Next(out var e))
            {
                lp.Append(e);
            }

            w.Length(RdbFormat.QuicklistNodePacked);
            w.String(lp.ToArray());
        }
    }

    // intset.c: uint32 LE encoding (2, 4 or 8 bytes per value, the smallest that fits them all),
    // uint32 LE count, then the values ascending, little-endian.
    private static void WriteSet(RdbWriter w, SetValue set)
    {
        if (!set.IsIntset)
        {
            w.Length((ulong)set.Count);
            foreach (var m in set.Members())
            {
                w.String(m);
            }

            return;
        }

        var ints = set.Integers;
        int width = 2;
        foreach (long v in ints)
        {
            if (v is < int.MinValue or > int.MaxValue)
            {
                width = 8;
                break;
            }

            if (v is < short.MinValue or > short.MaxValue)
            {
                width = 4;
            }
        }

        var blob = new byte[8 + (width * ints.Length)];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(blob, (uint)width);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), (uint)ints.Length);
        for (int i = 0; i < ints.Length; i++)
        {
            var at = blob.AsSpan(8 + (i * width));
            switch (width)
            {
                case 2: System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(at, (short)ints[i]); break;
                case 4: System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(at, (int)ints[i]); break;
                default: System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(at, ints[i]); break;
            }
        }

        w.String(blob);
    }

    private static void WriteZSet(RdbWriter w, ZSetValue z)
    {
        if (z.IsListpack)
        {
            var lp = new ListpackBuilder();
            var it = z.Walk(0, reverse: false);
            while (it.Next(out var member, out double score))
            {
                lp.Append(member);
                if (ZSetValue.IsLongScore(score, out long l))
                {
                    lp.AppendInteger(l);
                }
                else
                {
                    lp.Append(ZDouble.D2String(score));
                }
            }

            w.String(lp.ToArray());
            return;
        }

        // rdbSaveObject writes a skiplist from the tail, so loading inserts at the head.
        w.Length((ulong)z.Count);
        var back = z.Walk(z.Count - 1, reverse: true);
        while (back.Next(out var member, out double score))
        {
            w.String(member);
            w.BinaryDouble(score);
        }
    }

    private static void WriteHash(RdbWriter w, HashValue hash)
    {
        if (hash.IsListpack)
        {
            var lp = new ListpackBuilder();
            var it = hash.Iterate();
            while (it.Next(out var f, out var v))
            {
                lp.Append(f);
                lp.Append(v);
            }

            w.String(lp.ToArray());
            return;
        }

        w.Length((ulong)hash.Count);
        var all = hash.Iterate();
        while (all.Next(out var f, out var v))
        {
            w.String(f);
            w.String(v);
        }
    }
}
