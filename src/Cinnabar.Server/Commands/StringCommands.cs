// String commands (t_string.c). Registered: GET SET SETNX SETEX PSETEX MGET MSET MSETNX GETSET
// GETDEL GETEX APPEND STRLEN INCR DECR INCRBY DECRBY INCRBYFLOAT GETRANGE SETRANGE SUBSTR LCS.
// This file holds the whole-value commands and the shared option parsing; counters live in
// StringNumberCommands, partial-value edits in StringRangeCommands, LCS in LcsCommand.
//
// Storage: a string set whole (SET, INCR, MSET...) is kept inline in the slot's byte[] (one
// allocation per key; OBJECT ENCODING "int"/"embstr"/"raw" by content, as Redis's
// tryObjectEncoding would decide). APPEND and SETRANGE turn it into a RawString, a growable
// buffer like Redis's sds, so that repeated appends are amortized O(1) and the encoding reads
// "raw" as in Redis.
//
// Propagation follows Redis 7.0: anything that depends on the clock is rewritten into an
// absolute form (SET ... PXAT, PEXPIREAT), and GETSET/GETDEL/INCRBYFLOAT are propagated as the
// plain writes they performed, so replicas and the AOF never re-evaluate time or float math.
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>String commands.</summary>
internal static class StringCommands
{
    private const CommandFlags Read = CommandFlags.ReadOnly;
    private const CommandFlags ReadFast = CommandFlags.ReadOnly | CommandFlags.Fast;
    private const CommandFlags WriteOom = CommandFlags.Write | CommandFlags.DenyOom;
    private const CommandFlags WriteOomFast = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast;
    private const CommandFlags WriteFast = CommandFlags.Write | CommandFlags.Fast;

    // Redis's OBJ_SET_* / OBJ_EX... flags of setGenericCommand and parseExtendedStringArguments.
    [Flags]
    private enum SetFlags
    {
        None = 0,
        Nx = 1 << 0,
        Xx = 1 << 1,
        Ex = 1 << 2,
        Px = 1 << 3,
        KeepTtl = 1 << 4,
        Get = 1 << 5,
        ExAt = 1 << 6,
        PxAt = 1 << 7,
        Persist = 1 << 8,
    }

    public static void Register(CommandTable t)
    {
        t.Add("get", 2, ReadFast, 1, 1, 1, Get, "string", "1.0.0", "read string fast", "Get the value of a key");
        var set = t.Add("set", -3, WriteOom, 1, 1, 1, Set, "string", "1.0.0", "write string slow", "Set the string value of a key");

        // setGetKeys: the key is only overwritten, unless GET reads it first.
        set.KeySpecs = [new KeySpec("RW access update variable_flags", 1, 0) { Notes = "RW and ACCESS due to the optional `GET` argument" }];
        set.KeyFlagsFinder = (args, _) => Enumerable.Range(3, Math.Max(0, args.Count - 3)).Any(i => args.Is(i, "get"u8)) ? "RW access update" : "OW update";
        t.Add("setnx", 3, WriteOomFast, 1, 1, 1, SetNx, "string", "1.0.0", "write string fast", "Set the value of a key, only if the key does not exist");
        t.Add("setex", 4, WriteOom, 1, 1, 1, SetEx, "string", "2.0.0", "write string slow", "Set the value and expiration of a key");
        t.Add("psetex", 4, WriteOom, 1, 1, 1, PSetEx, "string", "2.6.0", "write string slow", "Set the value and expiration in milliseconds of a key");
        t.Add("mget", -2, ReadFast, 1, -1, 1, MGet, "string", "1.0.0", "read string fast", "Get the values of all the given keys");
        var mset = t.Add("mset", -3, WriteOom, 1, -1, 2, MSet, "string", "1.0.1", "write string slow", "Set multiple keys to multiple values");
        mset.KeySpecs = [new KeySpec("OW update", 1, -1, 2)];
        mset.Tips = ["request_policy:multi_shard", "response_policy:all_succeeded"];
        t.Add("msetnx", -3, WriteOom, 1, -1, 2, MSetNx, "string", "1.0.1", "write string slow", "Set multiple keys to multiple values, only if none of the keys exist");
        t.Add("getset", 3, WriteOomFast, 1, 1, 1, GetSet, "string", "1.0.0", "write string fast", "Set the string value of a key and return its old value");
        t.Add("getdel", 2, WriteFast, 1, 1, 1, GetDel, "string", "6.2.0", "write string fast", "Get the value of a key and delete the key");
        t.Add("getex", -2, WriteFast, 1, 1, 1, GetEx, "string", "6.2.0", "write string fast", "Get the value of a key and optionally set its expiration");
        t.Add("append", 3, WriteOomFast, 1, 1, 1, StringRangeCommands.Append, "string", "2.0.0", "write string fast", "Append a value to a key");
        t.Add("strlen", 2, ReadFast, 1, 1, 1, StringRangeCommands.StrLen, "string", "2.2.0", "read string fast", "Get the length of the value stored in a key");
        t.Add("incr", 2, WriteOomFast, 1, 1, 1, StringNumberCommands.Incr, "string", "1.0.0", "write string fast", "Increment the integer value of a key by one");
        t.Add("decr", 2, WriteOomFast, 1, 1, 1, StringNumberCommands.Decr, "string", "1.0.0", "write string fast", "Decrement the integer value of a key by one");
        t.Add("incrby", 3, WriteOomFast, 1, 1, 1, StringNumberCommands.IncrBy, "string", "1.0.0", "write string fast", "Increment the integer value of a key by the given amount");
        t.Add("decrby", 3, WriteOomFast, 1, 1, 1, StringNumberCommands.DecrBy, "string", "1.0.0", "write string fast", "Decrement the integer value of a key by the given number");
        t.Add("incrbyfloat", 3, WriteOomFast, 1, 1, 1, StringNumberCommands.IncrByFloat, "string", "2.6.0", "write string fast", "Increment the float value of a key by the given amount");
        t.Add("getrange", 4, Read, 1, 1, 1, StringRangeCommands.GetRange, "string", "2.4.0", "read string slow", "Get a substring of the string stored at a key");
        t.Add("setrange", 4, WriteOom, 1, 1, 1, StringRangeCommands.SetRange, "string", "2.2.0", "write string slow", "Overwrite part of a string at key starting at the specified offset");
        t.Add("substr", 4, Read, 1, 1, 1, StringRangeCommands.GetRange, "string", "1.0.0", "read string slow", "Get a substring of the string stored at a key");
        t.Add("lcs", -3, Read, 1, 2, 1, LcsCommand.Lcs, "string", "7.0.0", "read string slow", "Find longest common substring");
    }

    // GET key
    private static void Get(CommandContext ctx) => GetGenericOrReply(ctx);

    // SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
    private static void Set(CommandContext ctx)
    {
        if (!TryParseExtendedOrReply(ctx, forSet: true, out var flags, out int expireIndex))
        {
            return;
        }

        SetGeneric(ctx, flags, 2, expireIndex, integerReplies: false);
    }

    // SETNX key value
    private static void SetNx(CommandContext ctx) => SetGeneric(ctx, SetFlags.Nx, 2, -1, integerReplies: true);

    // SETEX key seconds value
    private static void SetEx(CommandContext ctx) => SetGeneric(ctx, SetFlags.Ex, 3, 2, integerReplies: false);

    // PSETEX key milliseconds value
    private static void PSetEx(CommandContext ctx) => SetGeneric(ctx, SetFlags.Px, 3, 2, integerReplies: false);

    // The common body of SET and its variants (Redis's setGenericCommand).
    private static void SetGeneric(CommandContext ctx, SetFlags flags, int valueIndex, int expireIndex, bool integerReplies)
    {
        long when = 0;

        // Redis validates the expire before GET runs, and GET before NX/XX are considered.
        if (expireIndex >= 0 && !TryGetExpireOrReply(ctx, flags, expireIndex, out when))
        {
            return;
        }

        bool get = (flags & SetFlags.Get) != 0;
        if (get && !GetGenericOrReply(ctx))
        {
            return;
        }

        var key = ctx.Args[1];
        bool found = !Unsafe.IsNullRef(ref ctx.LookupWrite(key));
        if (((flags & SetFlags.Nx) != 0 && found) || ((flags & SetFlags.Xx) != 0 && !found))
        {
            // With GET the old value (already sent) is the whole reply.
            if (!get)
            {
                if (integerReplies)
                {
                    ctx.Reply.Integer(0);
                }
                else
                {
                    ctx.Reply.NullBulk();
                }
            }

            return;
        }

        ctx.Db.SetString(key, ctx.Args[valueIndex], expireIndex >= 0 ? when : 0, keepTtl: (flags & SetFlags.KeepTtl) != 0);
        ctx.SignalModifiedKey(key);
        ctx.Dirty();
        ctx.Notify(Execution.KeyspaceEvents.String, "set", key);
        if (expireIndex >= 0)
        {
            ctx.Notify(Execution.KeyspaceEvents.Generic, "expire", key);
        }

        if (expireIndex >= 0)
        {
            // A relative TTL would mean something else when the replica or the AOF applies it.
            ctx.RewriteForPropagation(CommandArgs.From("SET"u8.ToArray(), key.ToArray(), ctx.Args.ToArray(valueIndex), "PXAT"u8.ToArray(), Number.ToBytes(when)));
        }
        else if (get)
        {
            // Replicas need not compute the old value: drop every GET token (it may repeat).
            var op = new CommandArgs();
            for (int j = 0; j < ctx.Args.Count; j++)
            {
                if (j < 3 || !OptionIs(ctx.Args[j], "get"u8))
                {
                    op.Add(ctx.Args.ToArray(j));
                }
            }

            ctx.RewriteForPropagation(op);
        }

        if (!get)
        {
            if (integerReplies)
            {
                ctx.Reply.Integer(1);
            }
            else
            {
                ctx.Reply.Ok();
            }
        }
    }

    // GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]
    private static void GetEx(CommandContext ctx)
    {
        if (!TryParseExtendedOrReply(ctx, forSet: false, out var flags, out int expireIndex))
        {
            return;
        }

        var key = ctx.Args[1];
        ref Slot s = ref ctx.LookupRead(key);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Reply.NullBulk();
            return;
        }

        if (!Entry.IsString(s.Data!))
        {
            ctx.Error(Errors.WrongType);
            return;
        }

        // Unlike SET, the expire is only validated once the key is known to hold a string.
        long when = 0;
        if (expireIndex >= 0 && !TryGetExpireOrReply(ctx, flags, expireIndex, out when))
        {
            return;
        }

        ctx.Reply.Bulk(Entry.StringValue(s.Data!));

        // Never propagated as GETEX: as DEL/UNLINK, PEXPIREAT or PERSIST, or not at all.
        if ((flags & (SetFlags.ExAt | SetFlags.PxAt)) != 0 && IsAlreadyExpired(ctx, when))
        {
            bool unlink = ctx.Server.Config.LazyFreeLazyExpire;
            var keyCopy = key.ToArray();
            ctx.Db.Delete(keyCopy);
            ctx.RewriteForPropagation(CommandArgs.From(unlink ? "UNLINK"u8.ToArray() : "DEL"u8.ToArray(), keyCopy));
            ctx.SignalModifiedKey(keyCopy);
            ctx.Dirty();
            ctx.Notify(Execution.KeyspaceEvents.Generic, "del", keyCopy);
        }
        else if (expireIndex >= 0)
        {
            ctx.Db.SetExpireOnSlot(ref s, when);
            ctx.Db.Table.Touch(key);
            ctx.RewriteForPropagation(CommandArgs.From("PEXPIREAT"u8.ToArray(), key.ToArray(), Number.ToBytes(when)));
            ctx.SignalModifiedKey(key);
            ctx.Dirty();
            ctx.Notify(Execution.KeyspaceEvents.Generic, "expire", key);
        }
        else if ((flags & SetFlags.Persist) != 0 && s.Expire != 0)
        {
            ctx.Db.SetExpireOnSlot(ref s, 0);
            ctx.Db.Table.Touch(key);
            ctx.SignalModifiedKey(key);
            ctx.RewriteForPropagation(CommandArgs.From("PERSIST"u8.ToArray(), key.ToArray()));
            ctx.Dirty();
            ctx.Notify(Execution.KeyspaceEvents.Generic, "persist", key);
        }
    }

    // GETDEL key
    private static void GetDel(CommandContext ctx)
    {
        var key = ctx.Args[1];
        ref Slot s = ref ctx.LookupRead(key);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Reply.NullBulk();
            return;
        }

        if (!Entry.IsString(s.Data!))
        {
            ctx.Error(Errors.WrongType);
            return;
        }

        ctx.Reply.Bulk(Entry.StringValue(s.Data!));
        ctx.Db.Delete(key);
        bool unlink = ctx.Server.Config.LazyFreeLazyUserDel;
        ctx.RewriteForPropagation(CommandArgs.From(unlink ? "UNLINK"u8.ToArray() : "DEL"u8.ToArray(), key.ToArray()));
        ctx.SignalModifiedKey(key);
        ctx.Dirty();
        ctx.Notify(Execution.KeyspaceEvents.Generic, "del", key);
    }

    // GETSET key value
    private static void GetSet(CommandContext ctx)
    {
        if (!GetGenericOrReply(ctx))
        {
            return;
        }

        var key = ctx.Args[1];
        ctx.Db.SetString(key, ctx.Args[2], 0, keepTtl: false);
        ctx.SignalModifiedKey(key);
        ctx.Dirty();
        ctx.Notify(Execution.KeyspaceEvents.String, "set", key);
        ctx.RewriteForPropagation(CommandArgs.From("SET"u8.ToArray(), key.ToArray(), ctx.Args.ToArray(2)));
    }

    // MGET key [key ...]
    private static void MGet(CommandContext ctx)
    {
        ctx.Reply.ArrayHeader(ctx.Args.Count - 1);
        for (int j = 1; j < ctx.Args.Count; j++)
        {
            ref Slot s = ref ctx.LookupRead(ctx.Args[j]);

            // Keys of other types read as nil here, not as WRONGTYPE.
            if (Unsafe.IsNullRef(ref s) || !Entry.IsString(s.Data!))
            {
                ctx.Reply.NullBulk();
            }
            else
            {
                ctx.Reply.Bulk(Entry.StringValue(s.Data!));
            }
        }
    }

    // MSET key value [key value ...]
    private static void MSet(CommandContext ctx) => MSetGeneric(ctx, nx: false);

    // MSETNX key value [key value ...]
    private static void MSetNx(CommandContext ctx) => MSetGeneric(ctx, nx: true);

    private static void MSetGeneric(CommandContext ctx, bool nx)
    {
        // The table's arity (-3) cannot say "an odd number of arguments".
        if (ctx.Args.Count % 2 == 0)
        {
            ctx.Error(Errors.Arity(ctx.Spec.FullName));
            return;
        }

        if (nx)
        {
            for (int j = 1; j < ctx.Args.Count; j += 2)
            {
                if (!Unsafe.IsNullRef(ref ctx.LookupWrite(ctx.Args[j])))
                {
                    ctx.Reply.Integer(0);
                    return;
                }
            }
        }

        for (int j = 1; j < ctx.Args.Count; j += 2)
        {
            ctx.Db.SetString(ctx.Args[j], ctx.Args[j + 1], 0, keepTtl: false);
            ctx.SignalModifiedKey(ctx.Args[j]);
            ctx.Notify(Execution.KeyspaceEvents.String, "set", ctx.Args[j]);
        }

        ctx.Dirty((ctx.Args.Count - 1) / 2);
        if (nx)
        {
            ctx.Reply.Integer(1);
        }
        else
        {
            ctx.Reply.Ok();
        }
    }

    // Redis's getGenericCommand: replies with the value (or nil); false after a WRONGTYPE reply.
    private static bool GetGenericOrReply(CommandContext ctx)
    {
        ref Slot s = ref ctx.LookupRead(ctx.Args[1]);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Reply.NullBulk();
            return true;
        }

        if (!Entry.IsString(s.Data!))
        {
            ctx.Error(Errors.WrongType);
            return false;
        }

        ctx.Reply.Bulk(Entry.StringValue(s.Data!));
        return true;
    }

    // Redis's parseExtendedStringArgumentsOrReply. The conflict rules are Redis's, including
    // its leniencies: a flag may repeat (EX 1 EX 2: the last wins) and NX/XX only exclude each
    // other. An expire option without a following argument is a syntax error.
    private static bool TryParseExtendedOrReply(CommandContext ctx, bool forSet, out SetFlags flags, out int expireIndex)
    {
        const SetFlags anyExpire = SetFlags.Ex | SetFlags.Px | SetFlags.ExAt | SetFlags.PxAt;
        flags = SetFlags.None;
        expireIndex = -1;
        var args = ctx.Args;
        for (int j = forSet ? 3 : 2; j < args.Count; j++)
        {
            var opt = args[j];
            bool ok;
            if (forSet && OptionIs(opt, "nx"u8))
            {
                ok = (flags & SetFlags.Xx) == 0;
                flags |= SetFlags.Nx;
            }
            else if (forSet && OptionIs(opt, "xx"u8))
            {
                ok = (flags & SetFlags.Nx) == 0;
                flags |= SetFlags.Xx;
            }
            else if (forSet && OptionIs(opt, "get"u8))
            {
                ok = true;
                flags |= SetFlags.Get;
            }
            else if (forSet && OptionIs(opt, "keepttl"u8))
            {
                ok = (flags & (SetFlags.Persist | anyExpire)) == 0;
                flags |= SetFlags.KeepTtl;
            }
            else if (!forSet && OptionIs(opt, "persist"u8))
            {
                ok = (flags & (SetFlags.KeepTtl | anyExpire)) == 0;
                flags |= SetFlags.Persist;
            }
            else if (ExpireOption(opt) is var expireFlag && expireFlag != SetFlags.None)
            {
                // Each expire option excludes KEEPTTL, PERSIST and the other three, not itself.
                ok = j < args.Count - 1 && (flags & (SetFlags.KeepTtl | SetFlags.Persist | (anyExpire & ~expireFlag))) == 0;
                flags |= expireFlag;
                expireIndex = ++j;
            }
            else
            {
                ok = false;
            }

            if (!ok)
            {
                ctx.Error(Errors.Syntax);
                return false;
            }
        }

        return true;
    }

    private static SetFlags ExpireOption(ReadOnlySpan<byte> opt) =>
        OptionIs(opt, "ex"u8) ? SetFlags.Ex
        : OptionIs(opt, "px"u8) ? SetFlags.Px
        : OptionIs(opt, "exat"u8) ? SetFlags.ExAt
        : OptionIs(opt, "pxat"u8) ? SetFlags.PxAt
        : SetFlags.None;

    // Redis's getExpireMillisecondsOrReply: the expire argument as an absolute unix time in ms.
    private static bool TryGetExpireOrReply(CommandContext ctx, SetFlags flags, int index, out long when)
    {
        if (!Number.TryParseInt64(ctx.Args[index], out when))
        {
            ctx.Error(Errors.NotInteger);
            return false;
        }

        bool seconds = (flags & (SetFlags.Ex | SetFlags.ExAt)) != 0;
        if (when <= 0 || (seconds && when > long.MaxValue / 1000))
        {
            ctx.Error(Errors.InvalidExpire.Replace("{0}", ctx.Spec.FullName, StringComparison.Ordinal));
            return false;
        }

        if (seconds)
        {
            when *= 1000;
        }

        if ((flags & (SetFlags.Ex | SetFlags.Px)) != 0)
        {
            // Redis detects the overflow of the addition by the sign of the wrapped result.
            when = unchecked(when + ctx.NowMs);
        }

        if (when <= 0)
        {
            ctx.Error(Errors.InvalidExpire.Replace("{0}", ctx.Spec.FullName, StringComparison.Ordinal));
            return false;
        }

        return true;
    }

    // Redis's checkAlreadyExpired: only a primary that is not loading deletes on a past time;
    // a replica keeps the key and waits for its primary's DEL.
    private static bool IsAlreadyExpired(CommandContext ctx, long when) =>
        when <= ctx.NowMs && !ctx.Server.Loading && !ctx.Server.IsReplica;

    // Redis's checkStringLength. The primary's own stream is exempt from proto-max-bulk-len
    // (mustObeyClient), but nothing can exceed what a .NET array holds.
    internal static bool CheckStringLengthOrReply(CommandContext ctx, long size, long append)
    {
        long total = unchecked(size + append);
        bool overflow = total < size || total < append || total > Array.MaxLength;
        if (overflow || (total > ctx.Server.Config.ProtoMaxBulkLen && !ctx.Client.IsPrimaryLink))
        {
            ctx.Error(Errors.StringTooLong);
            return false;
        }

        return true;
    }

    // Redis compares options as C strings: an argument is read only up to its first NUL byte.
    internal static bool OptionIs(ReadOnlySpan<byte> arg, ReadOnlySpan<byte> lowerName)
    {
        int nul = arg.IndexOf((byte)0);
        return System.Text.Ascii.EqualsIgnoreCase(nul < 0 ? arg : arg[..nul], lowerName);
    }
}
