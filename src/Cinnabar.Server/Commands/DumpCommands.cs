// DUMP and RESTORE (Redis's cluster.c createDumpPayload / verifyDumpPayload / restoreCommand).
// Registered:
//   DUMP RESTORE
// A DUMP payload is one RDB value (the type byte and rdbSaveObject's bytes, written by the same
// RdbWriter code as a snapshot, so rdbcompression applies), then the RDB version as two bytes
// little endian (10) and the CRC64 of everything before it as eight bytes little endian. It moves
// between Cinnabar and redis-server both ways. RESTORE checks in Redis's order: options, BUSYKEY,
// TTL, footer (version <= 10 and the checksum, unless DEBUG SET-SKIP-CHECKSUM-VALIDATION 1),
// then the value itself. MIGRATE and RESTORE-ASKING belong to cluster support and are absent.
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Persistence.Rdb;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>DUMP and RESTORE.</summary>
internal static class DumpCommands
{
    /// <summary>The RDB version written in (and the highest accepted from) a DUMP footer.</summary>
    public const int PayloadRdbVersion = 10;

    public static void Register(CommandTable t)
    {
        t.Add(new CommandSpec("dump", 2, CommandFlags.ReadOnly, 1, 1, 1, Dump)
        {
            Group = "generic",
            Since = "2.6.0",
            AclCategories = ["keyspace", "read", "slow"],
            Summary = "Return a serialized version of the value stored at the specified key.",
            Tips = ["nondeterministic_output"],
        });
        t.Add(new CommandSpec("restore", -4, CommandFlags.Write | CommandFlags.DenyOom, 1, 1, 1, Restore)
        {
            Group = "generic",
            Since = "2.6.0",
            AclCategories = ["keyspace", "write", "slow", "dangerous"],
            Summary = "Create a key using the provided serialized value, previously obtained using DUMP.",
        });
    }

    /// <summary>createDumpPayload: the value, the 2-byte RDB version and the CRC64 of both.</summary>
    public static byte[] CreatePayload(object data, bool compress)
    {
        using var ms = new MemoryStream();
        new RdbWriter(ms, compress).WriteValue(data);
        Span<byte> version = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(version, PayloadRdbVersion);
        ms.Write(version);
        Span<byte> crc = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(crc, Crc64.Update(0, ms.GetBuffer().AsSpan(0, (int)ms.Length)));
        ms.Write(crc);
        return ms.ToArray();
    }

    /// <summary>
    /// verifyDumpPayload: at least the 10-byte footer, an RDB version this server reads, and a
    /// matching CRC64 (unless checksum validation is switched off for testing).
    /// </summary>
    public static bool VerifyPayload(ReadOnlySpan<byte> p, bool skipChecksum)
    {
        if (p.Length < 10)
        {
            return false;
        }

        var footer = p[^10..];
        if (BinaryPrimitives.ReadUInt16LittleEndian(footer) > PayloadRdbVersion)
        {
            return false;
        }

        return skipChecksum || Crc64.Update(0, p[..^8]) == BinaryPrimitives.ReadUInt64LittleEndian(footer[2..]);
    }

    // DUMP key
    private static void Dump(CommandContext ctx)
    {
        ref Slot s = ref ctx.LookupRead(ctx.Args[1]);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Reply.NullBulk();
            return;
        }

        ctx.Reply.Bulk(CreatePayload(s.Data!, ctx.Server.Config.RdbCompression));
    }

    // RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
    private static void Restore(CommandContext ctx)
    {
        var a = ctx.Args;
        bool replace = false, absTtl = false;
        long lfuFreq = -1, lruIdle = -1;
        for (int j = 4; j < a.Count; j++)
        {
            bool more = j + 1 < a.Count;
            if (a.Is(j, "replace"u8))
            {
                replace = true;
            }
            else if (a.Is(j, "absttl"u8))
            {
                absTtl = true;
            }
            else if (a.Is(j, "idletime"u8) && more && lfuFreq == -1)
            {
                // Redis: IDLETIME and FREQ exclude each other; the second one is a syntax error.
                if (!LongOrReply(ctx, a[j + 1], out lruIdle))
                {
                    return;
                }

                if (lruIdle < 0)
                {
                    ctx.Error("ERR Invalid IDLETIME value, must be >= 0");
                    return;
                }

                j++;
            }
            else if (a.Is(j, "freq"u8) && more && lruIdle == -1)
            {
                if (!LongOrReply(ctx, a[j + 1], out lfuFreq))
                {
                    return;
                }

                if (lfuFreq is < 0 or > 255)
                {
                    ctx.Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
                    return;
                }

                j++;
            }
            else
            {
                ctx.Error(Errors.Syntax);
                return;
            }
        }

        var key = a[1];
        if (!replace && !Unsafe.IsNullRef(ref ctx.LookupWrite(key)))
        {
            ctx.Error(Errors.BusyKey);
            return;
        }

        if (!LongOrReply(ctx, a[2], out long ttl))
        {
            return;
        }

        if (ttl < 0)
        {
            ctx.Error("ERR Invalid TTL value, must be >= 0");
            return;
        }

        var payload = a[3];
        if (!VerifyPayload(payload, ctx.Server.SkipChecksumValidation))
        {
            ctx.Error("ERR DUMP payload version or checksum are wrong");
            return;
        }

        var keyArray = key.ToArray();
        object value;
        try
        {
            value = RdbReader.ReadValue(payload, keyArray, TypeLimits.From(ctx.Server.Config));
        }
        catch (RdbLoadException)
        {
            ctx.Error("ERR Bad data format");
            return;
        }

        var db = ctx.Db;
        bool deleted = replace && db.Delete(key);
        if (!replace)
        {
            // Only a logically expired key that lookup could not delete (a paused primary) can
            // still be here; it makes room rather than being inserted twice.
            db.Delete(key);
        }

        if (ttl != 0 && !absTtl)
        {
            ttl += ctx.NowMs;
        }

        // checkAlreadyExpired: a primary does not create a key that is already gone; what it
        // replaced is deleted and that deletion is what replicas see.
        if (ttl != 0 && ttl <= ctx.NowMs && !ctx.Server.Loading && !ctx.Server.IsReplica)
        {
            if (deleted)
            {
                ctx.RewriteForPropagation(CommandArgs.From("DEL"u8.ToArray(), keyArray));
                ctx.SignalModifiedKey(key);
                ctx.Dirty();
            }

            ctx.Reply.Ok();
            return;
        }

        ref Slot slot = ref db.Add(keyArray, value, ttl);
        if (ttl != 0 && !absTtl)
        {
            // The TTL is propagated as the absolute time it became, flagged ABSTTL.
            var op = a.Clone();
            op.Set(2, Number.ToBytes(ttl));
            op.Add("ABSTTL"u8.ToArray());
            ctx.RewriteForPropagation(op);
        }

        // objectSetLRUOrLFU: IDLETIME back-dates the LRU stamp unless an LFU policy is in use
        // (Cinnabar keeps no LFU counters, so FREQ is validated and has no effect).
        if (lruIdle >= 0 && !IsLfuPolicy(ctx.Server.Config.Store.GetEnumName("maxmemory-policy")))
        {
            long abs = ctx.LruClock - lruIdle;
            if (abs < 0)
            {
                abs += CommandContext.LruClockMax;
            }

            // The object header's lru field is 24 bits wide: Redis keeps the low bits.
            slot.Lru = (int)(abs & CommandContext.LruClockMax);
        }

        ctx.SignalModifiedKey(key);
        ctx.Reply.Ok();
        ctx.Dirty();
    }

    // getLongLongFromObjectOrReply
    private static bool LongOrReply(CommandContext ctx, ReadOnlySpan<byte> arg, out long value)
    {
        if (Number.TryParseInt64(arg, out value))
        {
            return true;
        }

        ctx.Error(Errors.NotInteger);
        return false;
    }

    private static bool IsLfuPolicy(string policy) => policy.EndsWith("-lfu", StringComparison.Ordinal);
}
