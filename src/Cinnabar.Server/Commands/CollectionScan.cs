// The parts of Redis's scanGenericCommand shared by HSCAN (and later SSCAN/ZSCAN): option
// parsing (COUNT, MATCH; TYPE only applies to SCAN) and the [cursor, [items]] reply.
using Cinnabar.Protocol;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>Option parsing and replies for the collection SCAN commands.</summary>
internal static class CollectionScan
{
    /// <summary>Parses [MATCH pattern] [COUNT count] from <paramref name="start"/>; pattern is null when it matches everything.</summary>
    public static bool TryParseOptionsOrReply(CommandContext ctx, int start, out long count, out byte[]? pattern)
    {
        count = 10;
        pattern = null;
        var args = ctx.Args;
        for (int i = start; i < args.Count; i++)
        {
            int remaining = args.Count - i;
            if (args.Is(i, "count"u8) && remaining >= 2)
            {
                if (!Number.TryParseInt64(args[i + 1], out count))
                {
                    ctx.Error(Errors.NotInteger);
                    return false;
                }

                if (count < 1)
                {
                    ctx.Error(Errors.Syntax);
                    return false;
                }

                i++;
            }
            else if (args.Is(i, "match"u8) && remaining >= 2)
            {
                pattern = args.ToArray(i + 1);
                i++;
            }
            else
            {
                ctx.Error(Errors.Syntax);
                return false;
            }
        }

        if (pattern is not null && GlobPattern.MatchesEverything(pattern))
        {
            pattern = null;
        }

        return true;
    }

    /// <summary>Replies [cursor, [items...]].</summary>
    public static void Reply(CommandContext ctx, ulong cursor, List<byte[]> items)
    {
        ctx.Reply.ArrayHeader(2);
        ctx.Reply.Bulk(System.Text.Encoding.ASCII.GetBytes(cursor.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        ctx.Reply.ArrayHeader(items.Count);
        foreach (var item in items)
        {
            ctx.Reply.Bulk(item);
        }
    }
}
