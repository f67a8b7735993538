// SORT and SORT_RO (sort.c). Registered: SORT SORT_RO.
//
// SORT reads the elements of a list, a set or a sorted set (SourceOf), gives each a weight --
// the element itself, or the string/hash field a BY pattern names -- sorts by number (C's strtod on the weight) or, with ALPHA, by bytes, and
// replies the LIMIT window, or for each element the values its GET patterns name. STORE
// writes the result as a list (the only write SORT does; SORT_RO does not know the option).
//
// Redis quirks kept here on purpose:
// - A BY pattern without '*' ("nosort") skips sorting: a list keeps its order (DESC and LIMIT
//   walk it from the right end), a set keeps its iteration order, except with STORE, where the
//   set is sorted ALPHA so a replica re-running the command stores the same list.
// - A listpack sorted set is converted to a skiplist by any SORT or SORT_RO that gets past its
//   syntax and type checks.
// - Numeric weights are parsed like strtod: leading blanks, hex and "inf" are accepted, an
//   empty string is 0, a missing BY key is 0; anything else ("1 ", "abc", NaN, overflow and
//   inexact underflow) makes the reply "One or more scores can't be converted into double"
//   after sorting, and nothing is stored.
// - Equal numeric weights are ordered by comparing the elements' bytes, so the result is
//   deterministic; ALPHA ties keep the input order (glibc's qsort is a stable merge sort),
//   except for BY with a LIMIT window, which Redis sorts with its partial quicksort: there ties
//   land where that algorithm leaves them (PartialQuickSort reproduces it).
//   Without STORE, ALPHA compares C strings (strcoll in the C locale: bytes up to a NUL); with
//   STORE it compares whole binary strings, as sortCompare does.
// - GET of a missing key or field replies nil, and stores an empty string.
// - SORT is flagged write (a read-only replica refuses it even without STORE); SORT_RO is
//   read-only. SORT STORE is propagated verbatim: the result is deterministic.
using System.Globalization;
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Execution;
using Cinnabar.Server.Storage;
using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Commands;

/// <summary>SORT and SORT_RO.</summary>
internal static class SortCommands
{
    public static void Register(CommandTable t)
    {
        const string byGetNotes = "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort";
        t.Add(new CommandSpec("sort", -2, CommandFlags.Write | CommandFlags.DenyOom, 1, 1, 1, Sort)
        {
            Group = "generic",
            Since = "1.0.0",
            AclCategories = ["write", "set", "sortedset", "list", "slow", "dangerous"],
            Summary = "Sort the elements in a list, set or sorted set",
            KeySpecs =
            [
                new KeySpec("RO access", 1, 0),
                new KeySpec("RO access", 0, 0) { Notes = byGetNotes, Unknown = true },
                new KeySpec("OW update", 0, 0) { Notes = "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array", Unknown = true },
            ],
            KeyFinder = SortKeyPositions,
            KeyFlagsFinder = (args, pos) => pos == 1 ? "RO access" : "OW update",
        });
        t.Add(new CommandSpec("sort_ro", -2, CommandFlags.ReadOnly, 1, 1, 1, SortRo)
        {
            Group = "generic",
            Since = "7.0.0",
            AclCategories = ["read", "set", "sortedset", "list", "slow", "dangerous"],
            Summary = "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
            KeySpecs =
            [
                new KeySpec("RO access", 1, 0),
                new KeySpec("RO access", 0, 0) { Notes = byGetNotes, Unknown = true },
            ],
            KeyFinder = _ => [1],
        });
    }

    // SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] [STORE destination]
    private static void Sort(CommandContext ctx) => SortGeneric(ctx, readOnly: false);

    // SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]
    private static void SortRo(CommandContext ctx) => SortGeneric(ctx, readOnly: true);

    /// <summary>
    /// sortGetKeys: the sorted key, then the destination of the last STORE. Like Redis it skips
    /// the arguments of LIMIT, GET and BY while looking for STORE.
    /// </summary>
    internal static List<int> SortKeyPositions(CommandArgs args)
    {
        var keys = new List<int> { 1 };
        int store = -1;
        for (int i = 2; i < args.Count; i++)
        {
            if (args.Is(i, "limit"u8))
            {
                i += 2;
            }
            else if (args.Is(i, "get"u8) || args.Is(i, "by"u8))
            {
                i += 1;
            }
            else if (args.Is(i, "store"u8) && i + 1 < args.Count)
            {
                store = i + 1;
            }
        }

        if (store > 0)
        {
            keys.Add(store);
        }

        return keys;
    }

    // Redis's sortCommandGeneric.
    private static void SortGeneric(CommandContext ctx, bool readOnly)
    {
        var args = ctx.Args;
        bool desc = false, alpha = false, dontSort = false;
        long limitStart = 0, limitCount = -1;
        byte[]? sortBy = null, storeKey = null;
        var gets = new List<byte[]>();
        for (int j = 2; j < args.Count; j++)
        {
            int left = args.Count - j - 1;
            if (args.Is(j, "asc"u8))
            {
                desc = false;
            }
            else if (args.Is(j, "desc"u8))
            {
                desc = true;
            }
            else if (args.Is(j, "alpha"u8))
            {
                alpha = true;
            }
            else if (args.Is(j, "limit"u8) && left >= 2)
            {
                if (!ListCommands.TryLongOrReply(ctx, args[j + 1], out limitStart) || !ListCommands.TryLongOrReply(ctx, args[j + 2], out limitCount))
                {
                    return;
                }

                j += 2;
            }
            else if (!readOnly && args.Is(j, "store"u8) && left >= 1)
            {
                storeKey = args.ToArray(j + 1);
                j++;
            }
            else if (args.Is(j, "by"u8) && left >= 1)
            {
                sortBy = args.ToArray(j + 1);

                // A BY pattern without '*' names one constant key: nothing to weigh, no sorting.
                dontSort = CString(sortBy).IndexOf((byte)'*') < 0;
                j++;
            }
            else if (args.Is(j, "get"u8) && left >= 1)
            {
                gets.Add(args.ToArray(j + 1));
                j++;
            }
            else
            {
                ctx.Error(Errors.Syntax);
                return;
            }
        }

        ref Slot s = ref ctx.LookupRead(args[1]);
        SortSource? source = Unsafe.IsNullRef(ref s) ? null : SourceOf(s.Data!);
        if (!Unsafe.IsNullRef(ref s) && source is null)
        {
            ctx.Error(Errors.WrongType);
            return;
        }

        // sortCommandGeneric converts a listpack sorted set to a skiplist for good, even for
        // SORT_RO: OBJECT ENCODING (and what a later save writes) shows it.
        if (!Unsafe.IsNullRef(ref s) && s.Data is ZSetValue { IsListpack: true } zset)
        {
            zset.ConvertToSkiplist();
        }

        // Without sorting, a set's order is its iteration order; STORE must be deterministic
        // for replicas, so Redis sorts it ALPHA instead.
        if (dontSort && source is { Ordered: false } && storeKey is not null)
        {
            dontSort = false;
            alpha = true;
            sortBy = null;
        }

        long length = source?.Count ?? 0;

        // LIMIT sanity as Redis does it: clamp to the collection, an empty window past the end.
        long start = Math.Min(Math.Max(limitStart, 0), length);
        limitCount = Math.Min(Math.Max(limitCount, -1), length);
        long end = limitCount < 0 ? length - 1 : start + limitCount - 1;
        if (start >= length)
        {
            start = length - 1;
            end = length - 2;
        }

        if (end >= length)
        {
            end = length - 1;
        }

        SortItem[] vector;
        if (source is { Ordered: true } ordered && dontSort)
        {
            // The window is read straight from the collection in its own order (from the
            // right end with DESC), so the output loop starts at 0.
            vector = end >= start ? OrderedWindow(ordered, start, end - start + 1, desc) : [];
            if (end >= start)
            {
                end -= start;
                start = 0;
            }
        }
        else
        {
            vector = source is null ? [] : [.. source.Value.Elements().Select(e => new SortItem(e))];
        }

        bool conversionError = false;
        if (!dontSort)
        {
            for (int j = 0; j < vector.Length; j++)
            {
                byte[]? weight = sortBy is null ? vector[j].Element : LookupByPattern(ctx, sortBy, vector[j].Element);
                if (weight is null)
                {
                    continue;
                }

                if (alpha)
                {
                    if (sortBy is not null)
                    {
                        vector[j].Weight = weight;
                    }
                }
                else if (!TryStrtod(weight, out vector[j].Score))
                {
                    conversionError = true;
                }
            }

            // Redis sorts a BY with a LIMIT window with its partial quicksort (ties land where
            // that algorithm leaves them), everything else with glibc's qsort, a stable merge sort.
            if (sortBy is not null && (start != 0 || end != vector.Length - 1))
            {
                PartialQuickSort.Sort(vector, new SortComparer(desc, alpha, byPattern: true, storeKey is not null, stable: false), start, end);
            }
            else
            {
                for (int j = 0; j < vector.Length; j++)
                {
                    vector[j].Index = j;
                }

                Array.Sort(vector, new SortComparer(desc, alpha, sortBy is not null, storeKey is not null, stable: true));
            }
        }

        long outputLength = gets.Count > 0 ? gets.Count * (end - start + 1) : end - start + 1;
        if (conversionError)
        {
            ctx.Error(Errors.SortScoresNotDoubles);
            return;
        }

        if (storeKey is null)
        {
            ctx.Reply.ArrayHeader(outputLength);
            for (long j = start; j <= end; j++)
            {
                var element = vector[j].Element;
                if (gets.Count == 0)
                {
                    ctx.Reply.Bulk(element);
                }

                foreach (var pattern in gets)
                {
                    var got = LookupByPattern(ctx, pattern, element);
                    if (got is null)
                    {
                        ctx.Reply.NullBulk();
                    }
                    else
                    {
                        ctx.Reply.Bulk(got);
                    }
                }
            }

            return;
        }

        var result = new ListValue(storeKey, ctx.Server.Config.ListMaxListpackSize);
        for (long j = start; j <= end; j++)
        {
            var element = vector[j].Element;
            if (gets.Count == 0)
            {
                result.Push(element, head: false);
            }

            foreach (var pattern in gets)
            {
                result.Push(LookupByPattern(ctx, pattern, element) ?? [], head: false);
            }
        }

        // setKey looks the destination up for writing first (an expired key is deleted as such).
        ctx.LookupWrite(storeKey);
        if (outputLength > 0)
        {
            ctx.Db.SetObject(result, 0, keepTtl: false);
            ctx.SignalModifiedKey(storeKey);
            ctx.Notify(KeyspaceEvents.List, "sortstore", storeKey);
            ctx.Dirty(outputLength);
        }
        else if (ctx.Db.Delete(storeKey))
        {
            ctx.SignalModifiedKey(storeKey);
            ctx.Notify(KeyspaceEvents.Generic, "del", storeKey);
            ctx.Dirty();
        }

        ctx.Reply.Integer(outputLength);
    }

    /// <summary>
    /// What SORT needs of a collection: whether it has an order of its own (kept by BY nosort),
    /// its size, and its elements (in that order; any order serves the sorting path).
    /// </summary>
    private readonly record struct SortSource(bool Ordered, long Count, Func<IReadOnlyList<byte[]>> Elements);

    // The one place a type joins SORT: whether it has an order of its own, its size, and its
    // elements in that order (a sorted set's rank order, which BY nosort keeps, DESC from the top).
    private static SortSource? SourceOf(object value) => value switch
    {
        ListValue list => new SortSource(true, list.Count, () => ListElements(list)),
        SetValue set => new SortSource(false, set.Count, () => [.. set.Members()]),
        ZSetValue zset => new SortSource(true, zset.Count, () => ZSetElements(zset)),
        _ => null,
    };

    private static List<byte[]> ZSetElements(ZSetValue zset)
    {
        var all = new List<byte[]>((int)Math.Min(zset.Count, int.MaxValue));
        var it = zset.Walk(0, reverse: false);
        while (it.Next(out var member, out _))
        {
            all.Add(member.ToArray());
        }

        return all;
    }

    private static List<byte[]> ListElements(ListValue list)
    {
        var all = new List<byte[]>((int)Math.Min(list.Count, int.MaxValue));
        var it = list.Iterate(0);
        while (it.Next(out var e))
        {
            all.Add(e.ToArray());
        }

        return all;
    }

    // The window [start, start+count) of an ordered collection, counted from the right end
    // when descending (Redis's direct load for BY nosort).
    private static SortItem[] OrderedWindow(SortSource source, long start, long count, bool desc)
    {
        var all = source.Elements();
        var window = new SortItem[count];
        for (long j = 0; j < count; j++)
        {
            long index = desc ? all.Count - start - 1 - j : start + j;
            window[j] = new SortItem(all[(int)index]);
        }

        return window;
    }

    /// <summary>
    /// lookupKeyByPattern: "#" is the element itself; otherwise the first '*' is replaced by the
    /// element and the key's string value (or, with "->field" after the '*', that hash field)
    /// is returned; null for a pattern without '*', a missing key or field, or another type.
    /// </summary>
    private static byte[]? LookupByPattern(CommandContext ctx, byte[] pattern, byte[] element)
    {
        if (pattern.Length >= 1 && pattern[0] == (byte)'#' && (pattern.Length == 1 || pattern[1] == 0))
        {
            return element;
        }

        // strchr/strstr: the searches stop at a NUL byte; the lengths do not.
        var searchable = CString(pattern);
        int star = searchable.IndexOf((byte)'*');
        if (star < 0)
        {
            return null;
        }

        int arrow = searchable[(star + 1)..].IndexOf("->"u8);
        int fieldLength = 0;
        byte[]? field = null;
        if (arrow >= 0)
        {
            int fieldStart = star + 1 + arrow + 2;
            if (fieldStart < pattern.Length && pattern[fieldStart] != 0)
            {
                fieldLength = pattern.Length - fieldStart;
                field = pattern[fieldStart..];
            }
        }

        int postfixLength = pattern.Length - (star + 1) - (field is null ? 0 : fieldLength + 2);
        var key = new byte[star + element.Length + postfixLength];
        pattern.AsSpan(0, star).CopyTo(key);
        element.CopyTo(key, star);
        pattern.AsSpan(star + 1, postfixLength).CopyTo(key.AsSpan(star + element.Length));

        ref Slot s = ref ctx.LookupRead(key);
        if (Unsafe.IsNullRef(ref s))
        {
            return null;
        }

        if (field is not null)
        {
            return s.Data is HashValue hash && hash.TryGet(field, out var v) ? v.ToArray() : null;
        }

        return s.Data is not null && Entry.IsString(s.Data) ? Entry.StringValue(s.Data).ToArray() : null;
    }

    // The part of a binary string C's string functions see: up to the first NUL.
    private static ReadOnlySpan<byte> CString(ReadOnlySpan<byte> s) => CStrtod.CString(s);

    /// <summary>
    /// SORT's use of C's strtod: the whole C string must be consumed (leading blanks, a sign,
    /// decimal or hex digits with an exponent, "inf"/"infinity"; "" is 0) and the result must be
    /// a number without ERANGE (overflow, or an inexact result below the normal range).
    /// </summary>
    internal static bool TryStrtod(ReadOnlySpan<byte> input, out double value)
    {
        var s = CString(input);
        if (s.Length == 0)
        {
            value = 0;
            return true;
        }

        value = CStrtod.Parse(s, out int consumed, out bool range);
        return consumed == s.Length && !range && !double.IsNaN(value);
    }

    // One element of the sorting vector: the element, its numeric score or ALPHA weight, and
    // its input position (ties keep the input order, like glibc's stable qsort).
    private struct SortItem(byte[] element)
    {
        public readonly byte[] Element = element;
        public double Score;
        public byte[]? Weight;
        public int Index;
    }

    // Redis's sortCompare, made stable by the input position.
    private sealed class SortComparer(bool desc, bool alpha, bool byPattern, bool store, bool stable) : IComparer<SortItem>
    {
        public int Compare(SortItem a, SortItem b)
        {
            int cmp;
            if (!alpha)
            {
                cmp = a.Score > b.Score ? 1 : a.Score < b.Score ? -1 : Binary(a.Element, b.Element);
            }
            else if (byPattern)
            {
                if (a.Weight is null || b.Weight is null)
                {
                    cmp = a.Weight == b.Weight ? 0 : a.Weight is null ? -1 : 1;
                }
                else
                {
                    cmp = store ? Binary(a.Weight, b.Weight) : Collate(a.Weight, b.Weight);
                }
            }
            else
            {
                cmp = store ? Binary(a.Element, b.Element) : Collate(a.Element, b.Element);
            }

            if (desc)
            {
                cmp = -cmp;
            }

            return cmp != 0 || !stable ? cmp : a.Index.CompareTo(b.Index);
        }

        // compareStringObjects: memcmp over the shorter length, then the shorter sorts first.
        private static int Binary(byte[] a, byte[] b) => Math.Sign(a.AsSpan().SequenceCompareTo(b));

        // strcoll in the C locale: byte order of the C strings (up to a NUL).
        private static int Collate(byte[] a, byte[] b) => Math.Sign(CString(a).SequenceCompareTo(CString(b)));
    }
}
