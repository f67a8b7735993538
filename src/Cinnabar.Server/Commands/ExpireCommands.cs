// Key expiry commands (Redis's expire.c). Registered:
//   EXPIRE PEXPIRE EXPIREAT PEXPIREAT  (with NX | XX | GT | LT)
//   TTL PTTL EXPIRETIME PEXPIRETIME PERSIST
// Propagation follows Redis: a TTL that is set is propagated as PEXPIREAT with the absolute
// unix-ms deadline (options kept), so replicas and the AOF agree whatever their clocks say; a
// deadline already in the past deletes the key on a primary and is propagated as DEL (UNLINK
// with lazyfree-lazy-expire). A replica never deletes here: it stores the past deadline and
// hides the key, waiting for its primary's DEL.
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>EXPIRE family, TTL family, PERSIST.</summary>
internal static class ExpireCommands
{
    [Flags]
    private enum Condition
    {
        None = 0,
        Nx = 1,
        Xx = 2,
        Gt = 4,
        Lt = 8,
    }

    public static void Register(CommandTable t)
    {
        t.Add("expire", -3, CommandFlags.Write | CommandFlags.Fast, 1, 1, 1, Expire, "generic", "1.0.0", "keyspace write fast", "Set a key's time to live in seconds");
        t.Add("pexpire", -3, CommandFlags.Write | CommandFlags.Fast, 1, 1, 1, PExpire, "generic", "2.6.0", "keyspace write fast", "Set a key's time to live in milliseconds");
        t.Add("expireat", -3, CommandFlags.Write | CommandFlags.Fast, 1, 1, 1, ExpireAt, "generic", "1.2.0", "keyspace write fast", "Set the expiration for a key as a UNIX timestamp");
        t.Add("pexpireat", -3, CommandFlags.Write | CommandFlags.Fast, 1, 1, 1, PExpireAt, "generic", "2.6.0", "keyspace write fast", "Set the expiration for a key as a UNIX timestamp specified in milliseconds");
        t.Add("ttl", 2, CommandFlags.ReadOnly | CommandFlags.Fast, 1, 1, 1, Ttl, "generic", "1.0.0", "keyspace read fast", "Get the time to live for a key in seconds");
        t.Add("pttl", 2, CommandFlags.ReadOnly | CommandFlags.Fast, 1, 1, 1, PTtl, "generic", "2.6.0", "keyspace read fast", "Get the time to live for a key in milliseconds");
        t.Add("expiretime", 2, CommandFlags.ReadOnly | CommandFlags.Fast, 1, 1, 1, ExpireTime, "generic", "7.0.0", "keyspace read fast", "Get the expiration Unix timestamp for a key");
        t.Add("pexpiretime", 2, CommandFlags.ReadOnly | CommandFlags.Fast, 1, 1, 1, PExpireTime, "generic", "7.0.0", "keyspace read fast", "Get the expiration Unix timestamp for a key in milliseconds");
        t.Add("persist", 2, CommandFlags.Write | CommandFlags.Fast, 1, 1, 1, Persist, "generic", "2.2.0", "keyspace write fast", "Remove the expiration from a key");
    }

    // EXPIRE key seconds [NX | XX | GT | LT]
    private static void Expire(CommandContext ctx) => SetExpire(ctx, ctx.NowMs, seconds: true, isPExpireAt: false);

    // PEXPIRE key milliseconds [NX | XX | GT | LT]
    private static void PExpire(CommandContext ctx) => SetExpire(ctx, ctx.NowMs, seconds: false, isPExpireAt: false);

    // EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
    private static void ExpireAt(CommandContext ctx) => SetExpire(ctx, 0, seconds: true, isPExpireAt: false);

    // PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
    private static void PExpireAt(CommandContext ctx) => SetExpire(ctx, 0, seconds: false, isPExpireAt: true);

    // Redis's expireGenericCommand.
    private static void SetExpire(CommandContext ctx, long baseTime, bool seconds, bool isPExpireAt)
    {
        if (!TryParseConditionOrReply(ctx, out var condition))
        {
            return;
        }

        if (!Number.TryParseInt64(ctx.Args[2], out long when))
        {
            ctx.Error(Errors.NotInteger);
            return;
        }

        if (seconds)
        {
            if (when > long.MaxValue / 1000 || when < long.MinValue / 1000)
            {
                ctx.Error($"ERR invalid expire time in '{ctx.Spec.FullName}' command");
                return;
            }

            when *= 1000;
        }

        if (when > long.MaxValue - baseTime)
        {
            ctx.Error($"ERR invalid expire time in '{ctx.Spec.FullName}' command");
            return;
        }

        when += baseTime;
        var key = ctx.Args[1];
        var db = ctx.Db;
        ref Slot s = ref ctx.LookupWrite(key);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Reply.Integer(0);
            return;
        }

        if (condition != Condition.None && !ConditionHolds(condition, s.Expire, when))
        {
            ctx.Reply.Integer(0);
            return;
        }

        // checkAlreadyExpired: a deadline not after now deletes at once, but not while loading
        // and not on a replica (which must wait for its primary's DEL).
        if (when <= ctx.NowMs && !ctx.Server.Loading && !ctx.Server.IsReplica)
        {
            db.Delete(key);
            bool lazy = ctx.Server.Config.LazyFreeLazyExpire;
            ctx.RewriteForPropagation(CommandArgs.From(lazy ? "UNLINK"u8.ToArray() : "DEL"u8.ToArray(), key.ToArray()));
            ctx.SignalModifiedKey(key);
            ctx.Dirty();
            ctx.Notify(Execution.KeyspaceEvents.Generic, "del", key);
            ctx.Reply.Integer(1);
            return;
        }

        db.SetExpireOnSlot(ref s, when);
        ctx.Reply.Integer(1);

        // Rewritten as PEXPIREAT <absolute ms> with the original options; PEXPIREAT itself
        // propagates unchanged.
        if (!isPExpireAt)
        {
            var op = new byte[ctx.Args.Count][];
            op[0] = "PEXPIREAT"u8.ToArray();
            op[1] = key.ToArray();
            op[2] = Number.ToBytes(when);
            for (int i = 3; i < ctx.Args.Count; i++)
            {
                op[i] = ctx.Args.ToArray(i);
            }

            ctx.RewriteForPropagation(CommandArgs.From(op));
        }

        ctx.SignalModifiedKey(key);
        ctx.Dirty();
        ctx.Notify(Execution.KeyspaceEvents.Generic, "expire", key);
    }

    // Redis's parseExtendedExpireArgumentsOrReply: options may repeat; conflicts checked after all.
    private static bool TryParseConditionOrReply(CommandContext ctx, out Condition condition)
    {
        condition = Condition.None;
        for (int j = 3; j < ctx.Args.Count; j++)
        {
            if (ctx.Args.Is(j, "nx"u8))
            {
                condition |= Condition.Nx;
            }
            else if (ctx.Args.Is(j, "xx"u8))
            {
                condition |= Condition.Xx;
            }
            else if (ctx.Args.Is(j, "gt"u8))
            {
                condition |= Condition.Gt;
            }
            else if (ctx.Args.Is(j, "lt"u8))
            {
                condition |= Condition.Lt;
            }
            else
            {
                ctx.Error("ERR Unsupported option " + CString(ctx.Args[j]));
                return false;
            }
        }

        if ((condition & Condition.Nx) != 0 && (condition & (Condition.Xx | Condition.Gt | Condition.Lt)) != 0)
        {
            ctx.Error(Errors.ExpireNxConflict);
            return false;
        }

        if ((condition & (Condition.Gt | Condition.Lt)) == (Condition.Gt | Condition.Lt))
        {
            ctx.Error(Errors.ExpireGtLtConflict);
            return false;
        }

        return true;
    }

    // GT treats "no TTL" as infinite (never smaller), LT treats it as infinite (always larger).
    private static bool ConditionHolds(Condition condition, long current, long when)
    {
        bool hasTtl = current != 0;
        if ((condition & Condition.Nx) != 0 && hasTtl)
        {
            return false;
        }

        if ((condition & Condition.Xx) != 0 && !hasTtl)
        {
            return false;
        }

        if ((condition & Condition.Gt) != 0 && (!hasTtl || when <= current))
        {
            return false;
        }

        return (condition & Condition.Lt) == 0 || !hasTtl || when < current;
    }

    // TTL key
    private static void Ttl(CommandContext ctx) => ReplyTtl(ctx, milliseconds: false, absolute: false);

    // PTTL key
    private static void PTtl(CommandContext ctx) => ReplyTtl(ctx, milliseconds: true, absolute: false);

    // EXPIRETIME key
    private static void ExpireTime(CommandContext ctx) => ReplyTtl(ctx, milliseconds: false, absolute: true);

    // PEXPIRETIME key
    private static void PExpireTime(CommandContext ctx) => ReplyTtl(ctx, milliseconds: true, absolute: true);

    // Redis's ttlGenericCommand: -2 missing, -1 no TTL; seconds are rounded to nearest.
    private static void ReplyTtl(CommandContext ctx, bool milliseconds, bool absolute)
    {
        ref Slot s = ref ctx.Lookup(ctx.Db, ctx.Args[1], LookupFlags.NoTouch);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Reply.Integer(-2);
            return;
        }

        if (s.Expire == 0)
        {
            ctx.Reply.Integer(-1);
            return;
        }

        long ttl = absolute ? s.Expire : s.Expire - ctx.NowMs;
        if (ttl < 0)
        {
            ttl = 0;
        }

        ctx.Reply.Integer(milliseconds ? ttl : (ttl + 500) / 1000);
    }

    // PERSIST key
    private static void Persist(CommandContext ctx)
    {
        var key = ctx.Args[1];
        ref Slot s = ref ctx.LookupWrite(key);
        if (Unsafe.IsNullRef(ref s) || s.Expire == 0)
        {
            ctx.Reply.Integer(0);
            return;
        }

        ctx.Db.SetExpireOnSlot(ref s, 0);
        ctx.SignalModifiedKey(key);
        ctx.Dirty();
        ctx.Notify(Execution.KeyspaceEvents.Generic, "persist", key);
        ctx.Reply.Integer(1);
    }

    // The option as C's %s prints it: up to the first NUL byte.
    private static string CString(ReadOnlySpan<byte> s)
    {
        int nul = s.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(nul < 0 ? s : s[..nul]);
    }
}
