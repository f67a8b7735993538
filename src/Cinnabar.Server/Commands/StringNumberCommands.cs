// The counter commands of the string family (t_string.c), registered by StringCommands.
// Results are stored as their decimal text, inline, so OBJECT ENCODING reads "int" as in Redis;
// INCRBYFLOAT computes in x87 extended precision (see LongDouble) and is propagated as a SET.
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT (t_string.c).</summary>
internal static class StringNumberCommands
{
    // INCR key
    internal static void Incr(CommandContext ctx) => IncrDecr(ctx, 1);

    // DECR key
    internal static void Decr(CommandContext ctx) => IncrDecr(ctx, -1);

    // INCRBY key increment
    internal static void IncrBy(CommandContext ctx)
    {
        if (!Number.TryParseInt64(ctx.Args[2], out long by))
        {
            ctx.Error(Errors.NotInteger);
            return;
        }

        IncrDecr(ctx, by);
    }

    // DECRBY key decrement
    internal static void DecrBy(CommandContext ctx)
    {
        if (!Number.TryParseInt64(ctx.Args[2], out long by))
        {
            ctx.Error(Errors.NotInteger);
            return;
        }

        // -LLONG_MIN does not exist; Redis says so with its own text.
        if (by == long.MinValue)
        {
            ctx.Error(Errors.DecrementOverflow);
            return;
        }

        IncrDecr(ctx, -by);
    }

    private static void IncrDecr(CommandContext ctx, long by)
    {
        var key = ctx.Args[1];
        ref Slot s = ref ctx.LookupWrite(key);
        long value = 0;
        bool exists = !Unsafe.IsNullRef(ref s);
        if (exists)
        {
            if (!Entry.IsString(s.Data!))
            {
                ctx.Error(Errors.WrongType);
                return;
            }

            if (!Number.TryParseInt64(Entry.StringValue(s.Data!), out value))
            {
                ctx.Error(Errors.NotInteger);
                return;
            }
        }

        if ((by < 0 && value < 0 && by < long.MinValue - value) || (by > 0 && value > 0 && by > long.MaxValue - value))
        {
            ctx.Error(Errors.Overflow);
            return;
        }

        value += by;
        Span<byte> digits = stackalloc byte[24];
        int n = Number.Format(value, digits);

        // The TTL survives, as with Redis's dbOverwrite.
        if (exists)
        {
            // Same number of digits: the counter is rewritten in its entry (Redis too updates a
            // non-shared integer object in place).
            if (Entry.IsInline(s.Data!, out var blob) && Entry.TryOverwriteValue(blob, digits[..n]))
            {
                ctx.Db.Table.Touch(key);
            }
            else
            {
                ctx.Db.Replace(ref s, Entry.MakeString(key, digits[..n]), key);
            }
        }
        else
        {
            ctx.Db.SetString(key, digits[..n], 0, keepTtl: false);
        }

        ctx.SignalModifiedKey(key);
        ctx.Dirty();
        ctx.Notify(Execution.KeyspaceEvents.String, "incrby", key);
        ctx.Reply.Integer(value);
    }

    // INCRBYFLOAT key increment
    internal static void IncrByFloat(CommandContext ctx)
    {
        var key = ctx.Args[1];
        ref Slot s = ref ctx.LookupWrite(key);
        bool exists = !Unsafe.IsNullRef(ref s);
        var value = LongDouble.FromInt64(0);
        if (exists && !Entry.IsString(s.Data!))
        {
            ctx.Error(Errors.WrongType);
            return;
        }

        if ((exists && !LongDouble.TryParse(Entry.StringValue(s.Data!), out value)) || !LongDouble.TryParse(ctx.Args[2], out var by))
        {
            ctx.Error(Errors.NotFloat);
            return;
        }

        if (!LongDouble.TryAdd(value, by, out var sum) || sum.IsInfinity)
        {
            ctx.Error(Errors.NaNOrInfinity);
            return;
        }

        var formatted = sum.ToHumanBytes();

        // Redis stores the result as a plain string object, never through tryObjectEncoding:
        // "3" from INCRBYFLOAT is an embstr (refcount 1), not a shared integer, and an inline
        // entry would read as one, so such results get an object that says so.
        object data = formatted.Length <= 20 && Number.TryParseInt64(formatted, out _)
            ? new RawString(key.ToArray(), formatted, 0, "embstr")
            : Entry.MakeString(key, formatted);
        if (exists)
        {
            ctx.Db.Replace(ref s, data, key);
        }
        else
        {
            ctx.Db.Add(key, data, 0);
        }

        ctx.SignalModifiedKey(key);
        ctx.Dirty();
        ctx.Notify(Execution.KeyspaceEvents.String, "incrbyfloat", key);
        ctx.Reply.Bulk(formatted);

        // Float math and formatting may differ elsewhere: replicate the result, not the operation.
        ctx.RewriteForPropagation(CommandArgs.From("SET"u8.ToArray(), key.ToArray(), formatted, "KEEPTTL"u8.ToArray()));
    }
}
