// Keyspace iteration (Redis's db.c): KEYS and SCAN. Registered: KEYS SCAN
// SCAN walks the key table with Redis's reverse-binary cursor (KeyTable.Scan), collects the
// keys of the visited buckets, then filters them in Redis's order; the cursor parser here is
// Redis's strtoul-based one, shared with HSCAN/SSCAN/ZSCAN.
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>KEYS and SCAN.</summary>
internal static class ScanCommands
{
    public static void Register(CommandTable t)
    {
        t.Add("keys", 2, CommandFlags.ReadOnly, 0, 0, 0, Keys, "generic", "1.0.0", "keyspace read slow dangerous", "Find all keys matching the given pattern");
        t.Add("scan", -2, CommandFlags.ReadOnly | CommandFlags.TouchesArbitraryKeys, 0, 0, 0, Scan, "generic", "2.8.0", "keyspace read slow", "Incrementally iterate the keys space");
    }

    // KEYS pattern
    // Logically expired keys are skipped but not deleted (Redis's keysCommand uses keyIsExpired).
    private static void Keys(CommandContext ctx)
    {
        var pattern = ctx.Args.ToArray(1);
        bool all = GlobPattern.MatchesEverything(pattern);
        var reply = ctx.Reply;
        int slot = reply.BeginDeferredLength();
        long n = 0;
        ctx.Db.Table.ForEach((data, expire) =>
        {
            var key = Entry.KeyOf(data);
            if ((all || GlobPattern.IsMatch(pattern, key)) && !ctx.IsExpired(expire))
            {
                reply.Bulk(key);
                n++;
            }
        });
        reply.EndDeferredLength(slot, n);
    }

    // SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
    private static void Scan(CommandContext ctx)
    {
        if (!TryParseCursorOrReply(ctx, ctx.Args[1], out ulong cursor))
        {
            return;
        }

        long count = 10;
        byte[]? pattern = null;
        byte[]? typeName = null;
        for (int i = 2; i < ctx.Args.Count; i++)
        {
            int remaining = ctx.Args.Count - i;
            if (ctx.Args.Is(i, "count"u8) && remaining >= 2)
            {
                if (!Number.TryParseInt64(ctx.Args[i + 1], out count))
                {
                    ctx.Error(Errors.NotInteger);
                    return;
                }

                if (count < 1)
                {
                    ctx.Error(Errors.Syntax);
                    return;
                }

                i++;
            }
            else if (ctx.Args.Is(i, "match"u8) && remaining >= 2)
            {
                pattern = ctx.Args.ToArray(i + 1);
                i++;
            }
            else if (ctx.Args.Is(i, "type"u8) && remaining >= 2)
            {
                typeName = ctx.Args.ToArray(i + 1);
                i++;
            }
            else
            {
                ctx.Error(Errors.Syntax);
                return;
            }
        }

        bool usePattern = pattern is not null && !GlobPattern.MatchesEverything(pattern);
        var db = ctx.Db;
        var keys = new List<byte[]>();
        SlotVisitorState state = new(keys);
        // Redis bounds the steps at COUNT*10, testing the counter for non-zero, so a COUNT so large
        // that the product wraps negative simply means "no bound"; unchecked keeps that.
        long maxIterations = unchecked(count * 10);
        do
        {
            cursor = db.Table.Scan(cursor, state.Collect);
        }
        while (cursor != 0 && maxIterations-- != 0 && keys.Count < count);

        // Filter afterwards, as Redis does: the pattern, then TYPE (a NOTOUCH read lookup that
        // counts a hit or miss), then expiry, which deletes expired keys on a primary.
        int kept = 0;
        for (int i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            if (usePattern && !GlobPattern.IsMatch(pattern, key))
            {
                continue;
            }

            if (typeName is not null)
            {
                ref Slot t = ref ctx.Lookup(db, key, LookupFlags.NoTouch);
                if (!Ascii.EqualsIgnoreCase(typeName, KeyCommands.TypeName(ref t)))
                {
                    continue;
                }
            }

            ref Slot s = ref db.FindRaw(key);
            if (!Unsafe.IsNullRef(ref s) && ctx.IsExpired(s.Expire) && ctx.ExpireIfNeeded(db, key))
            {
                continue;
            }

            keys[kept++] = key;
        }

        ctx.Reply.ArrayHeader(2);
        Span<byte> digits = stackalloc byte[20];
        ctx.Reply.Bulk(digits[..FormatUnsigned(cursor, digits)]);
        ctx.Reply.ArrayHeader(kept);
        for (int i = 0; i < kept; i++)
        {
            ctx.Reply.Bulk(keys[i]);
        }
    }

    /// <summary>
    /// Redis's parseScanCursorOrReply (strtoul): optional sign ('-' wraps around), decimal digits,
    /// nothing else; an empty cursor is 0; a leading space or a value past 2^64-1 is invalid.
    /// </summary>
    internal static bool TryParseCursorOrReply(CommandContext ctx, ReadOnlySpan<byte> s, out ulong cursor)
    {
        if (TryParseCursor(s, out cursor))
        {
            return true;
        }

        ctx.Error(Errors.InvalidCursor);
        return false;
    }

    /// <summary>strtoul(s, &amp;end, 10) accepting only a fully consumed string, as SCAN does.</summary>
    internal static bool TryParseCursor(ReadOnlySpan<byte> s, out ulong cursor)
    {
        cursor = 0;
        if (s.IsEmpty)
        {
            return true;
        }

        if (IsCSpace(s[0]))
        {
            return false;
        }

        int i = 0;
        bool negative = false;
        if (s[0] is (byte)'+' or (byte)'-')
        {
            negative = s[0] == (byte)'-';
            i = 1;
        }

        if (i == s.Length)
        {
            // strtoul consumed nothing, so the end pointer is the sign: invalid.
            return false;
        }

        ulong value = 0;
        for (; i < s.Length; i++)
        {
            uint d = (uint)(s[i] - '0');
            if (d > 9)
            {
                return false;
            }

            if (value > (ulong.MaxValue - d) / 10)
            {
                return false;
            }

            value = (value * 10) + d;
        }

        cursor = negative ? unchecked(0UL - value) : value;
        return true;
    }

    private static bool IsCSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    private static int FormatUnsigned(ulong value, Span<byte> destination)
    {
        value.TryFormat(destination, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        return written;
    }

    // Collects keys visited by one SCAN step; a class so the delegate is created once per call.
    private sealed class SlotVisitorState
    {
        private readonly List<byte[]> _keys;

        public SlotVisitorState(List<byte[]> keys)
        {
            _keys = keys;
            Collect = (data, _) => _keys.Add(Entry.KeyArray(data));
        }

        public KeyTable.SlotVisitor Collect { get; }
    }
}
