// Sorted-set algebra (t_zset.c zunionInterDiffGenericCommand). Registered: ZUNION ZINTER ZDIFF
// ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZINTERCARD.
// Inputs may be sorted sets or plain sets (a set member scores 1). WEIGHTS multiply input
// scores (a NaN product, inf * 0, counts as 0), AGGREGATE SUM|MIN|MAX combines them (a NaN sum
// becomes 0). Intersections walk the smallest input and probe the others, as Redis orders
// inputs by size. Results are built as a skiplist and, for the STORE forms, converted to a
// listpack when within the limits (zsetConvertToListpackIfNeeded), the one place besides RDB
// loading where Redis goes back to the compact encoding.
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Execution;
using Cinnabar.Server.Storage;
using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Commands;

/// <summary>ZUNION/ZINTER/ZDIFF and their STORE forms, ZINTERCARD.</summary>
internal static class ZSetStoreCommands
{
    private const string Group = "sorted-set";

    private enum SetOp
    {
        Union,
        Inter,
        Diff,
    }

    private enum Aggregate
    {
        Sum,
        Min,
        Max,
    }

    public static void Register(CommandTable t)
    {
        AddNumKeys(t, "zunion", -3, CommandFlags.ReadOnly, ZUnion, "6.2.0", "read sortedset slow", "Add multiple sorted sets", store: false);
        AddNumKeys(t, "zinter", -3, CommandFlags.ReadOnly, ZInter, "6.2.0", "read sortedset slow", "Intersect multiple sorted sets", store: false);
        AddNumKeys(t, "zintercard", -3, CommandFlags.ReadOnly, ZInterCard, "7.0.0", "read sortedset slow", "Intersect multiple sorted sets and return the cardinality of the result", store: false);
        AddNumKeys(t, "zdiff", -3, CommandFlags.ReadOnly, ZDiff, "6.2.0", "read sortedset slow", "Subtract multiple sorted sets", store: false);
        AddNumKeys(t, "zunionstore", -4, CommandFlags.Write | CommandFlags.DenyOom, ZUnionStore, "2.0.0", "write sortedset slow", "Add multiple sorted sets and store the resulting sorted set in a new key", store: true);
        AddNumKeys(t, "zinterstore", -4, CommandFlags.Write | CommandFlags.DenyOom, ZInterStore, "2.0.0", "write sortedset slow", "Intersect multiple sorted sets and store the resulting sorted set in a new key", store: true);
        AddNumKeys(t, "zdiffstore", -4, CommandFlags.Write | CommandFlags.DenyOom, ZDiffStore, "6.2.0", "write sortedset slow", "Subtract multiple sorted sets and store the resulting sorted set in a new key", store: true);
    }

    // ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
    private static void ZUnion(CommandContext ctx) => Generic(ctx, null, 1, SetOp.Union, cardinalityOnly: false);

    // ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
    private static void ZInter(CommandContext ctx) => Generic(ctx, null, 1, SetOp.Inter, cardinalityOnly: false);

    // ZINTERCARD numkeys key [key ...] [LIMIT limit]
    private static void ZInterCard(CommandContext ctx) => Generic(ctx, null, 1, SetOp.Inter, cardinalityOnly: true);

    // ZDIFF numkeys key [key ...] [WITHSCORES]
    private static void ZDiff(CommandContext ctx) => Generic(ctx, null, 1, SetOp.Diff, cardinalityOnly: false);

    // ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]
    private static void ZUnionStore(CommandContext ctx) => Generic(ctx, ctx.Args.ToArray(1), 2, SetOp.Union, cardinalityOnly: false);

    // ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]
    private static void ZInterStore(CommandContext ctx) => Generic(ctx, ctx.Args.ToArray(1), 2, SetOp.Inter, cardinalityOnly: false);

    // ZDIFFSTORE destination numkeys key [key ...]
    private static void ZDiffStore(CommandContext ctx) => Generic(ctx, ctx.Args.ToArray(1), 2, SetOp.Diff, cardinalityOnly: false);

    /// <summary>setKey or dbDelete of a *STORE destination, with the reply, event and dirty count Redis gives.</summary>
    internal static void StoreResult(CommandContext ctx, byte[] dstKey, ZSetValue result, string eventName)
    {
        if (result.Count > 0)
        {
            ctx.LookupWrite(dstKey);
            ctx.Db.SetObject(result, 0, keepTtl: false);
            ctx.SignalModifiedKey(dstKey);
            ctx.Reply.Integer(result.Count);
            ctx.Notify(KeyspaceEvents.ZSet, eventName, dstKey);
            ctx.Dirty();
            return;
        }

        ctx.Reply.Integer(0);
        if (ctx.Db.Delete(dstKey))
        {
            ctx.SignalModifiedKey(dstKey);
            ctx.Notify(KeyspaceEvents.Generic, "del", dstKey);
            ctx.Dirty();
        }
    }

    private static void AddNumKeys(CommandTable t, string name, int arity, CommandFlags flags, CommandHandler handler, string since, string acl, string summary, bool store)
    {
        int numKeysIndex = store ? 2 : 1;
        t.Add(new CommandSpec(name, arity, flags, store ? 1 : 0, store ? 1 : 0, store ? 1 : 0, handler)
        {
            Group = Group,
            Since = since,
            AclCategories = acl.Split(' '),
            Summary = summary,
            KeySpecs = store
                ? [new KeySpec("OW update", 1, 0), new KeySpec("RO access", 2, 0) { KeyNumIndex = 0, FirstKey = 1 }]
                : [new KeySpec("RO access", 1, 0) { KeyNumIndex = 0, FirstKey = 1 }],
            KeyFinder = args =>
            {
                var keys = ListCommands.NumKeysPositions(args, numKeysIndex);
                if (store)
                {
                    keys.Insert(0, 1);
                }

                return keys;
            },
        });
    }

    private static void Generic(CommandContext ctx, byte[]? dstKey, int numKeysIndex, SetOp op, bool cardinalityOnly)
    {
        var args = ctx.Args;
        if (!Number.TryParseInt64(args[numKeysIndex], out long setNum))
        {
            ctx.Error(Errors.NotInteger);
            return;
        }

        if (setNum < 1)
        {
            ctx.Error($"ERR at least 1 input key is needed for '{ctx.Spec.FullName}' command");
            return;
        }

        if (setNum > args.Count - (numKeysIndex + 1))
        {
            ctx.Error(Errors.Syntax);
            return;
        }

        var src = new Source[setNum];
        int j = numKeysIndex + 1;
        for (int i = 0; i < setNum; i++, j++)
        {
            ref Slot s = ref ctx.LookupRead(args[j]);
            object? data = Unsafe.IsNullRef(ref s) ? null : s.Data;
            if (data is not null and not ZSetValue and not SetValue)
            {
                ctx.Error(Errors.WrongType);
                return;
            }

            src[i] = new Source(data);
        }

        var aggregate = Aggregate.Sum;
        bool withScores = false;
        long limit = 0;
        while (j < args.Count)
        {
            int remaining = args.Count - j;
            if (op != SetOp.Diff && !cardinalityOnly && remaining >= setNum + 1 && args.Is(j, "weights"u8))
            {
                j++;
                for (int i = 0; i < setNum; i++, j++)
                {
                    if (!ZDouble.TryParseStrict(args[j], out double weight))
                    {
                        ctx.Error("ERR weight value is not a float");
                        return;
                    }

                    src[i].Weight = weight;
                }
            }
            else if (op != SetOp.Diff && !cardinalityOnly && remaining >= 2 && args.Is(j, "aggregate"u8))
            {
                j++;
                if (args.Is(j, "sum"u8))
                {
                    aggregate = Aggregate.Sum;
                }
                else if (args.Is(j, "min"u8))
                {
                    aggregate = Aggregate.Min;
                }
                else if (args.Is(j, "max"u8))
                {
                    aggregate = Aggregate.Max;
                }
                else
                {
                    ctx.Error(Errors.Syntax);
                    return;
                }

                j++;
            }
            else if (dstKey is null && !cardinalityOnly && args.Is(j, "withscores"u8))
            {
                j++;
                withScores = true;
            }
            else if (cardinalityOnly && remaining >= 2 && args.Is(j, "limit"u8))
            {
                j++;
                if (!ListCommands.TryRangeOrReply(ctx, args[j], 0, long.MaxValue, "ERR LIMIT can't be negative", out limit))
                {
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

        if (op != SetOp.Diff)
        {
            // Smallest first (a stable sort; Redis's qsort order among equal sizes is unspecified).
            src = [.. src.OrderBy(x => x.Count)];
        }

        var result = new ZSetValue(dstKey ?? [], skiplist: true);
        long maxLen = 0;
        long cardinality = 0;
        void Insert(byte[] member, double score)
        {
            result.Add(member, score, ZAddFlags.None, long.MaxValue, long.MaxValue, out _);
            maxLen = Math.Max(maxLen, member.Length);
        }

        switch (op)
        {
            case SetOp.Inter when src[0].Count > 0:
                foreach (var (member, value) in src[0].Members())
                {
                    double score = src[0].Weight * value;
                    if (double.IsNaN(score))
                    {
                        score = 0;
                    }

                    int k = 1;
                    for (; k < src.Length; k++)
                    {
                        double other;
                        if (ReferenceEquals(src[k].Data, src[0].Data))
                        {
                            other = value * src[k].Weight;
                        }
                        else if (src[k].TryFind(member, out double found))
                        {
                            other = found * src[k].Weight;
                        }
                        else
                        {
                            break;
                        }

                        score = Combine(score, other, aggregate);
                    }

                    if (k < src.Length)
                    {
                        continue;
                    }

                    if (cardinalityOnly)
                    {
                        cardinality++;
                        if (limit > 0 && cardinality >= limit)
                        {
                            break;
                        }
                    }
                    else
                    {
                        Insert(member, score);
                    }
                }

                break;
            case SetOp.Union:
                {
                    var acc = new Dictionary<byte[], double>(ByteArrayComparer.Instance);
                    foreach (var source in src)
                    {
                        foreach (var (member, value) in source.Members())
                        {
                            double score = source.Weight * value;
                            if (double.IsNaN(score))
                            {
                                score = 0;
                            }

                            ref double slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(acc, member, out bool exists);
                            slot = exists ? Combine(slot, score, aggregate) : score;
                        }
                    }

                    foreach (var (member, score) in acc)
                    {
                        Insert(member, score);
                    }

                    break;
                }

            case SetOp.Diff:
                foreach (var (member, value) in src[0].Members())
                {
                    bool elsewhere = false;
                    for (int k = 1; k < src.Length && !elsewhere; k++)
                    {
                        elsewhere = src[k].Data is not null && (ReferenceEquals(src[k].Data, src[0].Data) || src[k].TryFind(member, out _));
                    }

                    if (!elsewhere)
                    {
                        Insert(member, value);
                    }
                }

                break;
        }

        if (dstKey is not null)
        {
            var cfg = ctx.Server.Config;
            if (maxLen <= cfg.ZSetMaxListpackValue)
            {
                result.ConvertToListpackIfNeeded(cfg.ZSetMaxListpackEntries, cfg.ZSetMaxListpackValue);
            }

            StoreResult(ctx, dstKey, result, op switch
            {
                SetOp.Union => "zunionstore",
                SetOp.Inter => "zinterstore",
                _ => "zdiffstore",
            });
            return;
        }

        if (cardinalityOnly)
        {
            ctx.Reply.Integer(cardinality);
            return;
        }

        var r = ctx.Reply;
        r.ArrayHeader(withScores && r.Protocol == 2 ? result.Count * 2 : result.Count);
        var w = result.Walk(0, reverse: false);
        while (w.Next(out var m, out double s))
        {
            if (withScores && r.Protocol > 2)
            {
                r.ArrayHeader(2);
            }

            r.Bulk(m);
            if (withScores)
            {
                SortedSetCommands.ReplyScore(r, s);
            }
        }
    }

    // zunionInterAggregate.
    private static double Combine(double target, double value, Aggregate aggregate)
    {
        switch (aggregate)
        {
            case Aggregate.Sum:
                target += value;
                return double.IsNaN(target) ? 0 : target;
            case Aggregate.Min:
                return value < target ? value : target;
            default:
                return value > target ? value : target;
        }
    }

    // zsetopsrc: one input, a sorted set, a set or missing (empty).
    private sealed class Source(object? data)
    {
        public object? Data { get; } = data;

        public double Weight { get; set; } = 1.0;

        public long Count => Data switch
        {
            ZSetValue z => z.Count,
            SetValue s => s.Count,
            _ => 0,
        };

        public IEnumerable<(byte[] Member, double Score)> Members()
        {
            switch (Data)
            {
                case ZSetValue z:
                    // zuiInitIterator walks sorted sets from the highest member down.
                    var all = z.ToArray();
                    for (int i = all.Length - 1; i >= 0; i--)
                    {
                        yield return all[i];
                    }

                    break;
                case SetValue s:
                    foreach (var m in s.ToArray())
                    {
                        yield return (m, 1.0);
                    }

                    break;
            }
        }

        public bool TryFind(byte[] member, out double score)
        {
            switch (Data)
            {
                case ZSetValue z:
                    return z.TryGetScore(member, out score);
                case SetValue s:
                    score = 1.0;
                    return s.Contains(member);
                default:
                    score = 0;
                    return false;
            }
        }
    }
}
