// LCS (t_string.c), registered by StringCommands: the classic dynamic-programming table, walked
// back from the end exactly as Redis walks it, so IDX ranges come out in Redis's order.
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>LCS (t_string.c).</summary>
internal static class LcsCommand
{
    // LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
    internal static void Lcs(CommandContext ctx)
    {
        ref Slot sa = ref ctx.LookupRead(ctx.Args[1]);
        var dataA = Unsafe.IsNullRef(ref sa) ? null : sa.Data;
        ref Slot sb = ref ctx.LookupRead(ctx.Args[2]);
        var dataB = Unsafe.IsNullRef(ref sb) ? null : sb.Data;
        if ((dataA is not null && !Entry.IsString(dataA)) || (dataB is not null && !Entry.IsString(dataB)))
        {
            ctx.Error(Errors.LcsNotStrings);
            return;
        }

        bool getLen = false, getIdx = false, withMatchLen = false;
        long minMatchLen = 0;
        for (int j = 3; j < ctx.Args.Count; j++)
        {
            bool more = j < ctx.Args.Count - 1;
            if (StringCommands.OptionIs(ctx.Args[j], "idx"u8))
            {
                getIdx = true;
            }
            else if (StringCommands.OptionIs(ctx.Args[j], "len"u8))
            {
                getLen = true;
            }
            else if (StringCommands.OptionIs(ctx.Args[j], "withmatchlen"u8))
            {
                withMatchLen = true;
            }
            else if (StringCommands.OptionIs(ctx.Args[j], "minmatchlen"u8) && more)
            {
                if (!Number.TryParseInt64(ctx.Args[j + 1], out minMatchLen))
                {
                    ctx.Error(Errors.NotInteger);
                    return;
                }

                minMatchLen = Math.Max(minMatchLen, 0);
                j++;
            }
            else
            {
                ctx.Error(Errors.Syntax);
                return;
            }
        }

        if (getLen && getIdx)
        {
            ctx.Error(Errors.LcsLenAndIdx);
            return;
        }

        var a = dataA is null ? ReadOnlySpan<byte>.Empty : Entry.StringValue(dataA);
        var b = dataB is null ? ReadOnlySpan<byte>.Empty : Entry.StringValue(dataB);
        long cells = ((long)a.Length + 1) * ((long)b.Length + 1);
        if (cells * sizeof(uint) > ctx.Server.Config.ProtoMaxBulkLen)
        {
            ctx.Error(Errors.LcsExceedsBulkLen);
            return;
        }

        if (cells > Array.MaxLength)
        {
            ctx.Error(Errors.LcsAllocationFailed);
            return;
        }

        var table = LcsTable(a, b);
        int stride = b.Length + 1;
        uint total = table[(a.Length * stride) + b.Length];
        bool computeLcs = getIdx || !getLen;
        var result = computeLcs ? new byte[total] : [];
        int matchesSlot = -1;
        long ranges = 0;
        if (getIdx)
        {
            ctx.Reply.MapHeader(2);
            ctx.Reply.Bulk("matches"u8);
            matchesSlot = ctx.Reply.BeginDeferredLength();
        }

        // Walk the table back from the end, collecting the LCS and, for IDX, the matching
        // ranges, exactly in Redis's order (from the end of the strings towards the start).
        int i = a.Length, k = b.Length, idx = (int)total;
        int aStart = a.Length, aEnd = 0, bStart = 0, bEnd = 0;
        while (computeLcs && i > 0 && k > 0)
        {
            bool emit = false;
            if (a[i - 1] == b[k - 1])
            {
                result[idx - 1] = a[i - 1];
                if (aStart == a.Length)
                {
                    aStart = aEnd = i - 1;
                    bStart = bEnd = k - 1;
                }
                else if (aStart == i && bStart == k)
                {
                    aStart--;
                    bStart--;
                }
                else
                {
                    emit = true;
                }

                if (aStart == 0 || bStart == 0)
                {
                    emit = true;
                }

                idx--;
                i--;
                k--;
            }
            else
            {
                if (table[((i - 1) * stride) + k] > table[(i * stride) + k - 1])
                {
                    i--;
                }
                else
                {
                    k--;
                }

                if (aStart != a.Length)
                {
                    emit = true;
                }
            }

            if (emit)
            {
                long matchLen = aEnd - aStart + 1;
                if ((minMatchLen == 0 || matchLen >= minMatchLen) && getIdx)
                {
                    ctx.Reply.ArrayHeader(withMatchLen ? 3 : 2);
                    ctx.Reply.ArrayHeader(2);
                    ctx.Reply.Integer(aStart);
                    ctx.Reply.Integer(aEnd);
                    ctx.Reply.ArrayHeader(2);
                    ctx.Reply.Integer(bStart);
                    ctx.Reply.Integer(bEnd);
                    if (withMatchLen)
                    {
                        ctx.Reply.Integer(matchLen);
                    }

                    ranges++;
                }

                aStart = a.Length;
            }
        }

        if (getIdx)
        {
            ctx.Reply.Bulk("len"u8);
            ctx.Reply.Integer(total);
            ctx.Reply.EndDeferredLength(matchesSlot, ranges);
        }
        else if (getLen)
        {
            ctx.Reply.Integer(total);
        }
        else
        {
            ctx.Reply.Bulk(result);
        }
    }

    // The dynamic-programming table: cell (i, j) holds the LCS length of a[..i] and b[..j].
    private static uint[] LcsTable(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int stride = b.Length + 1;
        var table = new uint[(a.Length + 1) * stride];
        for (int i = 1; i <= a.Length; i++)
        {
            int row = i * stride;
            int prev = row - stride;
            for (int j = 1; j <= b.Length; j++)
            {
                table[row + j] = a[i - 1] == b[j - 1]
                    ? table[prev + j - 1] + 1
                    : Math.Max(table[prev + j], table[row + j - 1]);
            }
        }

        return table;
    }
}
