// The commands of the string family that work on parts of a value (t_string.c), registered by
// StringCommands. APPEND and SETRANGE edit a RawString in place (Redis's sds with spare room), so
// repeated appends are amortized O(1).
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>APPEND, STRLEN, GETRANGE/SUBSTR and SETRANGE (t_string.c).</summary>
internal static class StringRangeCommands
{
    // APPEND key value
    internal static void Append(CommandContext ctx)
    {
        var key = ctx.Args[1];
        var tail = ctx.Args[2];
        ref Slot s = ref ctx.LookupWrite(key);
        long total;
        if (Unsafe.IsNullRef(ref s))
        {
            // A new key stores the argument as SET would (embstr/int by content).
            ctx.Db.SetString(key, tail, 0, keepTtl: false);
            total = tail.Length;
        }
        else
        {
            if (!Entry.IsString(s.Data!))
            {
                ctx.Error(Errors.WrongType);
                return;
            }

            var raw = s.Data as RawString;
            long current = raw?.Length ?? Entry.StringValue(s.Data!).Length;
            if (!StringCommands.CheckStringLengthOrReply(ctx, current, tail.Length))
            {
                return;
            }

            if (raw is null)
            {
                // Redis's dbUnshareStringValue: the value becomes a private raw sds.
                raw = new RawString(Entry.KeyArray(s.Data!), Entry.StringValue(s.Data!), 0);
                ctx.Db.Replace(ref s, raw, key);
            }

            raw.Append(tail);
            ctx.Db.Table.Touch(key);
            total = raw.Length;
        }

        ctx.SignalModifiedKey(key);
        ctx.Dirty();
        ctx.Notify(Execution.KeyspaceEvents.String, "append", key);
        ctx.Reply.Integer(total);
    }

    // STRLEN key
    internal static void StrLen(CommandContext ctx)
    {
        ref Slot s = ref ctx.LookupRead(ctx.Args[1]);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Reply.Integer(0);
            return;
        }

        if (!Entry.IsString(s.Data!))
        {
            ctx.Error(Errors.WrongType);
            return;
        }

        ctx.Reply.Integer(Entry.StringValue(s.Data!).Length);
    }

    // GETRANGE key start end   (and SUBSTR key start end)
    internal static void GetRange(CommandContext ctx)
    {
        if (!Number.TryParseInt64(ctx.Args[2], out long start) || !Number.TryParseInt64(ctx.Args[3], out long end))
        {
            ctx.Error(Errors.NotInteger);
            return;
        }

        ref Slot s = ref ctx.LookupRead(ctx.Args[1]);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Reply.Bulk(ReadOnlySpan<byte>.Empty);
            return;
        }

        if (!Entry.IsString(s.Data!))
        {
            ctx.Error(Errors.WrongType);
            return;
        }

        var str = Entry.StringValue(s.Data!);
        long len = str.Length;
        if (start < 0 && end < 0 && start > end)
        {
            ctx.Reply.Bulk(ReadOnlySpan<byte>.Empty);
            return;
        }

        if (start < 0)
        {
            start = len + start;
        }

        if (end < 0)
        {
            end = len + end;
        }

        start = Math.Max(start, 0);
        end = Math.Max(end, 0);
        end = Math.Min(end, len - 1);
        if (start > end || len == 0)
        {
            ctx.Reply.Bulk(ReadOnlySpan<byte>.Empty);
            return;
        }

        ctx.Reply.Bulk(str.Slice((int)start, (int)(end - start + 1)));
    }

    // SETRANGE key offset value
    internal static void SetRange(CommandContext ctx)
    {
        if (!Number.TryParseInt64(ctx.Args[2], out long offset))
        {
            ctx.Error(Errors.NotInteger);
            return;
        }

        if (offset < 0)
        {
            ctx.Error(Errors.OffsetOutOfRange);
            return;
        }

        var key = ctx.Args[1];
        var patch = ctx.Args[3];
        ref Slot s = ref ctx.LookupWrite(key);
        RawString raw;
        if (Unsafe.IsNullRef(ref s))
        {
            // Setting nothing on a missing key creates nothing.
            if (patch.Length == 0)
            {
                ctx.Reply.Integer(0);
                return;
            }

            if (!StringCommands.CheckStringLengthOrReply(ctx, offset, patch.Length))
            {
                return;
            }

            raw = new RawString(key.ToArray(), ReadOnlySpan<byte>.Empty, (int)offset + patch.Length);
            ctx.Db.SetObject(raw, 0, keepTtl: false);
        }
        else
        {
            if (!Entry.IsString(s.Data!))
            {
                ctx.Error(Errors.WrongType);
                return;
            }

            if (patch.Length == 0)
            {
                ctx.Reply.Integer(Entry.StringValue(s.Data!).Length);
                return;
            }

            if (!StringCommands.CheckStringLengthOrReply(ctx, offset, patch.Length))
            {
                return;
            }

            if (s.Data is RawString existing)
            {
                raw = existing;
            }
            else
            {
                raw = new RawString(Entry.KeyArray(s.Data!), Entry.StringValue(s.Data!), 0);
                ctx.Db.Replace(ref s, raw, key);
            }
        }

        raw.EnsureLength((int)offset + patch.Length);
        patch.CopyTo(raw.Buffer.AsSpan((int)offset));
        ctx.Db.Table.Touch(key);
        ctx.SignalModifiedKey(key);
        ctx.Dirty();
        ctx.Notify(Execution.KeyspaceEvents.String, "setrange", key);
        ctx.Reply.Integer(raw.Length);
    }
}
