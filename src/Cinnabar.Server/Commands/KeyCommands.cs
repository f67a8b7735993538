// Generic keyspace commands (Redis's db.c and object.c). Registered:
//   DEL UNLINK EXISTS TYPE RENAME RENAMENX MOVE COPY TOUCH
//   KEYS SCAN RANDOMKEY DBSIZE FLUSHDB FLUSHALL SWAPDB
//   OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT|HELP
// Every lookup goes through the command context so lazy expiry, LRU stamps and hit/miss
// statistics follow Redis's lookupKey flags exactly (which commands count hits is visible in
// INFO, so TYPE/EXISTS/TTL/OBJECT use NOTOUCH, DEL/RENAME use WRITE, and so on).
using System.Runtime.CompilerServices;
using Cinnabar.Protocol;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>Keyspace commands.</summary>
internal static class KeyCommands
{
    // Redis shares the integers 0..9999 (OBJ_SHARED_INTEGERS); their refcount reads as INT_MAX.
    private const int SharedIntegers = 10000;

    public static void Register(CommandTable t)
    {
        t.Add("del", -2, CommandFlags.Write, 1, -1, 1, Del, "generic", "1.0.0", "keyspace write slow", "Delete a key");
        t.Add("unlink", -2, CommandFlags.Write | CommandFlags.Fast, 1, -1, 1, Unlink, "generic", "4.0.0", "keyspace write fast", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.");
        t.Add("exists", -2, CommandFlags.ReadOnly | CommandFlags.Fast, 1, -1, 1, Exists, "generic", "1.0.0", "keyspace read fast", "Determine if a key exists");
        t.Add("type", 2, CommandFlags.ReadOnly | CommandFlags.Fast, 1, 1, 1, Type, "generic", "1.0.0", "keyspace read fast", "Determine the type stored at key");
        t.Add("rename", 3, CommandFlags.Write, 1, 2, 1, Rename, "generic", "1.0.0", "keyspace write slow", "Rename a key");
        t.Add("renamenx", 3, CommandFlags.Write | CommandFlags.Fast, 1, 2, 1, RenameNx, "generic", "1.0.0", "keyspace write fast", "Rename a key, only if the new key does not exist");
        t.Add("move", 3, CommandFlags.Write | CommandFlags.Fast, 1, 1, 1, Move, "generic", "1.0.0", "keyspace write fast", "Move a key to another database");
        t.Add("copy", -3, CommandFlags.Write | CommandFlags.DenyOom, 1, 2, 1, Copy, "generic", "6.2.0", "keyspace write slow", "Copy a key");
        t.Add("touch", -2, CommandFlags.ReadOnly | CommandFlags.Fast, 1, -1, 1, Touch, "generic", "3.2.1", "keyspace read fast", "Alters the last access time of a key(s). Returns the number of existing keys specified.");
        t.Add("keys", 2, CommandFlags.ReadOnly, 0, 0, 0, Keys, "generic", "1.0.0", "keyspace read slow dangerous", "Find all keys matching the given pattern");
        t.Add("scan", -2, CommandFlags.ReadOnly | CommandFlags.TouchesArbitraryKeys, 0, 0, 0, Scan, "generic", "2.8.0", "keyspace read slow", "Incrementally iterate the keys space");
        t.Add("randomkey", 1, CommandFlags.ReadOnly | CommandFlags.TouchesArbitraryKeys, 0, 0, 0, RandomKey, "generic", "1.0.0", "keyspace read slow", "Return a random key from the keyspace");
        t.Add("dbsize", 1, CommandFlags.ReadOnly | CommandFlags.Fast, 0, 0, 0, DbSize, "server", "1.0.0", "keyspace read fast", "Return the number of keys in the selected database");
        t.Add("flushdb", -1, CommandFlags.Write, 0, 0, 0, FlushDb, "server", "1.0.0", "keyspace write slow dangerous", "Remove all keys from the current database");
        t.Add("flushall", -1, CommandFlags.Write, 0, 0, 0, FlushAll, "server", "1.0.0", "keyspace write slow dangerous", "Remove all keys from all databases");
        t.Add("swapdb", 3, CommandFlags.Write | CommandFlags.Fast, 0, 0, 0, SwapDb, "server", "4.0.0", "keyspace write fast dangerous", "Swaps two Redis databases");

        var obj = t.Add("object", -2, CommandFlags.None, 0, 0, 0, null, "generic", "2.2.3", "", "A container for object introspection commands");
        obj.AddSubcommand(Sub("encoding", 3, CommandFlags.ReadOnly, 2, ObjectEncoding, "2.2.3", "keyspace read slow", "Inspect the internal encoding of a Redis object"));
        obj.AddSubcommand(Sub("freq", 3, CommandFlags.ReadOnly, 2, ObjectFreq, "4.0.0", "keyspace read slow", "Get the logarithmic access frequency counter of a Redis object"));
        obj.AddSubcommand(Sub("idletime", 3, CommandFlags.ReadOnly, 2, ObjectIdleTime, "2.2.3", "keyspace read slow", "Get the time since a Redis object was last accessed"));
        obj.AddSubcommand(Sub("refcount", 3, CommandFlags.ReadOnly, 2, ObjectRefCount, "2.2.3", "keyspace read slow", "Get the number of references to the value of the key"));
        obj.AddSubcommand(Sub("help", 2, CommandFlags.Loading | CommandFlags.Stale, 0, ObjectHelp, "6.2.0", "keyspace slow", "Show helpful text about the different subcommands"));
    }

    // DEL key [key ...]
    private static void Del(CommandContext ctx) => DeleteKeys(ctx);

    // UNLINK key [key ...]
    // Freeing happens in the background in Redis; here the GC frees, so UNLINK is DEL.
    private static void Unlink(CommandContext ctx) => DeleteKeys(ctx);

    private static void DeleteKeys(CommandContext ctx)
    {
        long n = 0;
        var db = ctx.Db;
        for (int i = 1; i < ctx.Args.Count; i++)
        {
            var key = ctx.Args[i];

            // Redis's delGenericCommand: expireIfNeeded first (so an expired key is propagated
            // as its own DEL and not counted on a primary), then delete whatever is left. On a
            // replica the logically expired key is still there and gets deleted and counted.
            ref Slot s = ref db.FindRaw(key);
            if (!Unsafe.IsNullRef(ref s) && ctx.IsExpired(s.Expire))
            {
                ctx.ExpireIfNeeded(db, key);
            }

            if (db.Delete(key))
            {
                ctx.SignalModifiedKey(key);
                ctx.Dirty();
                n++;
            }
        }

        ctx.Reply.Integer(n);
    }

    // EXISTS key [key ...]
    private static void Exists(CommandContext ctx)
    {
        long n = 0;
        for (int i = 1; i < ctx.Args.Count; i++)
        {
            if (!Unsafe.IsNullRef(ref ctx.Lookup(ctx.Db, ctx.Args[i], LookupFlags.NoTouch)))
            {
                n++;
            }
        }

        ctx.Reply.Integer(n);
    }

    // TYPE key
    private static void Type(CommandContext ctx)
    {
        ref Slot s = ref ctx.Lookup(ctx.Db, ctx.Args[1], LookupFlags.NoTouch);
        ctx.Reply.Simple(TypeName(ref s));
    }

    // RENAME key newkey
    private static void Rename(CommandContext ctx) => RenameCore(ctx, nx: false);

    // RENAMENX key newkey
    private static void RenameNx(CommandContext ctx) => RenameCore(ctx, nx: true);

    private static void RenameCore(CommandContext ctx, bool nx)
    {
        var db = ctx.Db;
        var src = ctx.Args[1];
        var dst = ctx.Args[2];
        ref Slot s = ref ctx.LookupWrite(src);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Error(Errors.NoSuchKey);
            return;
        }

        // Renaming a key to itself changes nothing (no dirty, no propagation): RENAME says OK,
        // RENAMENX says 0 because the destination exists.
        if (src.SequenceEqual(dst))
        {
            WriteRenameReply(ctx, nx, done: false);
            return;
        }

        object data = s.Data!;
        long expire = s.Expire;
        int lru = s.Lru;
        if (!Unsafe.IsNullRef(ref ctx.LookupWrite(dst)))
        {
            if (nx)
            {
                WriteRenameReply(ctx, nx, done: false);
                return;
            }

            db.Delete(dst);
        }

        db.Delete(src);
        var dstKey = dst.ToArray();
        ref Slot n = ref db.Add(dstKey, Entry.WithKey(data, dstKey), expire);
        n.Lru = lru;
        ctx.SignalModifiedKey(src);
        ctx.SignalModifiedKey(dst);
        ctx.Dirty();
        WriteRenameReply(ctx, nx, done: true);
    }

    private static void WriteRenameReply(CommandContext ctx, bool nx, bool done)
    {
        if (nx)
        {
            ctx.Reply.Integer(done ? 1 : 0);
        }
        else
        {
            ctx.Reply.Ok();
        }
    }

    // MOVE key db
    private static void Move(CommandContext ctx)
    {
        if (!TryParseDbIndexOrReply(ctx, 2, out var dst))
        {
            return;
        }

        var src = ctx.Db;
        if (src == dst)
        {
            ctx.Error(Errors.SameObject);
            return;
        }

        var key = ctx.Args[1];
        ref Slot s = ref ctx.LookupWrite(key);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Reply.Integer(0);
            return;
        }

        object data = s.Data!;
        long expire = s.Expire;
        int lru = s.Lru;
        if (!Unsafe.IsNullRef(ref ctx.LookupWrite(dst, key)))
        {
            ctx.Reply.Integer(0);
            return;
        }

        ref Slot n = ref dst.Add(key, data, expire);
        n.Lru = lru;
        src.Delete(key);
        ctx.SignalModifiedKey(src, key);
        ctx.SignalModifiedKey(dst, key);
        ctx.Dirty();
        ctx.Reply.Integer(1);
    }

    // COPY source destination [DB destination-db] [REPLACE]
    private static void Copy(CommandContext ctx)
    {
        var src = ctx.Db;
        var dst = ctx.Db;
        bool replace = false;
        for (int j = 3; j < ctx.Args.Count; j++)
        {
            if (ctx.Args.Is(j, "replace"u8))
            {
                replace = true;
            }
            else if (ctx.Args.Is(j, "db"u8) && j + 1 < ctx.Args.Count)
            {
                if (!TryParseDbIndexOrReply(ctx, j + 1, out dst))
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

        var key = ctx.Args[1];
        var newKey = ctx.Args[2];
        if (src == dst && key.SequenceEqual(newKey))
        {
            ctx.Error(Errors.SameObject);
            return;
        }

        ref Slot s = ref ctx.LookupRead(key);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Reply.Integer(0);
            return;
        }

        object data = s.Data!;
        long expire = s.Expire;
        bool delete = false;
        if (!Unsafe.IsNullRef(ref ctx.LookupWrite(dst, newKey)))
        {
            if (!replace)
            {
                ctx.Reply.Integer(0);
                return;
            }

            delete = true;
        }

        var newKeyArray = newKey.ToArray();
        var copy = Entry.Duplicate(data, newKeyArray);
        if (delete)
        {
            dst.Delete(newKey);
        }

        ref Slot n = ref dst.Add(newKeyArray, copy, expire);
        n.Lru = ctx.LruClock;
        ctx.SignalModifiedKey(dst, newKey);
        ctx.Dirty();
        ctx.Reply.Integer(1);
    }

    // TOUCH key [key ...]
    private static void Touch(CommandContext ctx)
    {
        long n = 0;
        for (int i = 1; i < ctx.Args.Count; i++)
        {
            if (!Unsafe.IsNullRef(ref ctx.LookupRead(ctx.Args[i])))
            {
                n++;
            }
        }

        ctx.Reply.Integer(n);
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
                if (!Ascii.EqualsIgnoreCase(typeName, TypeName(ref t)))
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

    // RANDOMKEY
    private static void RandomKey(CommandContext ctx)
    {
        var db = ctx.Db;
        bool allVolatile = db.Count == db.VolatileCount;
        int maxTries = 100;
        while (true)
        {
            ref Slot s = ref db.Table.RandomSlot(ctx.Server.Random);
            if (Unsafe.IsNullRef(ref s))
            {
                ctx.Reply.NullBulk();
                return;
            }

            var key = Entry.KeyArray(s.Data!);
            if (s.Expire != 0)
            {
                // A replica whose keys are all logically expired would loop forever (it never
                // deletes them), so after 100 tries it returns an expired key, as Redis does.
                if (allVolatile && ctx.Server.IsReplica && --maxTries == 0)
                {
                    ctx.Reply.Bulk(key);
                    return;
                }

                if (ctx.IsExpired(s.Expire) && ctx.ExpireIfNeeded(db, key))
                {
                    continue;
                }
            }

            ctx.Reply.Bulk(key);
            return;
        }
    }

    // DBSIZE
    private static void DbSize(CommandContext ctx) => ctx.Reply.Integer(ctx.Db.Count);

    // FLUSHDB [ASYNC|SYNC]
    private static void FlushDb(CommandContext ctx)
    {
        if (!CheckFlushOptionOrReply(ctx))
        {
            return;
        }

        ctx.Dirty(EmptyDatabase(ctx.Server, ctx.Db));

        // Redis forces propagation: an empty database still replicates its FLUSHDB.
        ctx.RewriteForPropagation(ctx.Args.Clone());
        ctx.Reply.Ok();
    }

    // FLUSHALL [ASYNC|SYNC]
    private static void FlushAll(CommandContext ctx)
    {
        if (!CheckFlushOptionOrReply(ctx))
        {
            return;
        }

        long removed = 0;
        foreach (var db in ctx.Server.Databases)
        {
            removed += EmptyDatabase(ctx.Server, db);
        }

        ctx.Server.ActiveExpiry.ForgetReplicaKeys();

        // flushAllDataAndResetRDB counts one more change on top of the removed keys.
        ctx.Dirty(removed + 1);
        ctx.RewriteForPropagation(ctx.Args.Clone());
        ctx.Reply.Ok();
    }

    // SWAPDB index1 index2
    private static void SwapDb(CommandContext ctx)
    {
        if (!Number.TryParseInt64(ctx.Args[1], out long id1) || id1 is < int.MinValue or > int.MaxValue)
        {
            ctx.Error(Errors.InvalidFirstDbIndex);
            return;
        }

        if (!Number.TryParseInt64(ctx.Args[2], out long id2) || id2 is < int.MinValue or > int.MaxValue)
        {
            ctx.Error(Errors.InvalidSecondDbIndex);
            return;
        }

        var dbs = ctx.Server.Databases;
        if (id1 < 0 || id1 >= dbs.Length || id2 < 0 || id2 >= dbs.Length)
        {
            ctx.Error(Errors.DbIndexOutOfRange);
            return;
        }

        if (id1 != id2)
        {
            var a = dbs[id1];
            var b = dbs[id2];
            TransactionCommands.TouchAllWatchedKeys(ctx.Server, a, b, ctx.NowMs);
            TransactionCommands.TouchAllWatchedKeys(ctx.Server, b, a, ctx.NowMs);
            a.SwapContents(b);
            ctx.Server.ActiveExpiry.ForgetReplicaKeys();
        }

        ctx.Dirty();
        ctx.Reply.Ok();
    }

    // OBJECT ENCODING key
    private static void ObjectEncoding(CommandContext ctx)
    {
        ref Slot s = ref ObjectLookup(ctx);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Reply.NullBulk();
            return;
        }

        ctx.Reply.Bulk(Entry.EncodingOf(s.Data!));
    }

    // OBJECT FREQ key
    // Cinnabar has no LFU maxmemory policy yet, so FREQ always answers Redis's "not selected" error.
    private static void ObjectFreq(CommandContext ctx)
    {
        ref Slot s = ref ObjectLookup(ctx);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Reply.NullBulk();
            return;
        }

        ctx.Error(Errors.LfuNotSelected);
    }

    // OBJECT IDLETIME key
    private static void ObjectIdleTime(CommandContext ctx)
    {
        ref Slot s = ref ObjectLookup(ctx);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Reply.NullBulk();
            return;
        }

        ctx.Reply.Integer(CommandContext.IdleMilliseconds(s.Lru, ctx.NowMs) / 1000);
    }

    // OBJECT REFCOUNT key
    private static void ObjectRefCount(CommandContext ctx)
    {
        ref Slot s = ref ObjectLookup(ctx);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Reply.NullBulk();
            return;
        }

        // Small integers are shared objects in Redis, whose refcount is pinned at INT_MAX.
        bool shared = s.Data is byte[] && Number.TryParseInt64(Entry.StringValue(s.Data), out long v) && v is >= 0 and < SharedIntegers;
        ctx.Reply.Integer(shared ? int.MaxValue : 1);
    }

    // OBJECT HELP
    private static void ObjectHelp(CommandContext ctx)
    {
        WriteHelp(ctx, "OBJECT",
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.");
    }

    /// <summary>Redis's addReplyHelp: a header line, the lines, and the HELP footer, as status replies.</summary>
    internal static void WriteHelp(CommandContext ctx, string command, params string[] lines)
    {
        ctx.Reply.ArrayHeader(lines.Length + 3);
        ctx.Reply.Simple($"{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
        foreach (var line in lines)
        {
            ctx.Reply.Simple(line);
        }

        ctx.Reply.Simple("HELP");
        ctx.Reply.Simple("    Prints this help.");
    }

    /// <summary>The TYPE name of a slot ("none" for a null ref).</summary>
    internal static ReadOnlySpan<byte> TypeName(ref Slot s)
    {
        if (Unsafe.IsNullRef(ref s))
        {
            return "none"u8;
        }

        return Entry.TypeOf(s.Data!) switch
        {
            ObjectType.String => "string"u8,
            ObjectType.List => "list"u8,
            ObjectType.Set => "set"u8,
            ObjectType.ZSet => "zset"u8,
            ObjectType.Hash => "hash"u8,
            ObjectType.Stream => "stream"u8,
            _ => "unknown"u8,
        };
    }

    // Redis's objectCommandLookup: a NOTOUCH read lookup (it still counts a hit or a miss).
    private static ref Slot ObjectLookup(CommandContext ctx) => ref ctx.Lookup(ctx.Db, ctx.Args[2], LookupFlags.NoTouch);

    /// <summary>Parses a DB index argument like getIntFromObjectOrReply + selectDb.</summary>
    private static bool TryParseDbIndexOrReply(CommandContext ctx, int arg, out Database db)
    {
        db = null!;
        if (!Number.TryParseInt64(ctx.Args[arg], out long id))
        {
            ctx.Error(Errors.NotInteger);
            return false;
        }

        if (id is < int.MinValue or > int.MaxValue)
        {
            ctx.Error(Errors.IntOutOfRange);
            return false;
        }

        var dbs = ctx.Server.Databases;
        if (id < 0 || id >= dbs.Length)
        {
            ctx.Error(Errors.DbIndexOutOfRange);
            return false;
        }

        db = dbs[id];
        return true;
    }

    // Redis's getFlushCommandFlags: nothing, or exactly one of ASYNC/SYNC (the effect is the same here).
    private static bool CheckFlushOptionOrReply(CommandContext ctx)
    {
        if (ctx.Args.Count == 1 || (ctx.Args.Count == 2 && (ctx.Args.Is(1, "sync"u8) || ctx.Args.Is(1, "async"u8))))
        {
            return true;
        }

        ctx.Error(Errors.Syntax);
        return false;
    }

    // Redis's emptyData for one database: WATCHers of keys that exist are touched first.
    private static long EmptyDatabase(CinnabarServer server, Database db)
    {
        TransactionCommands.TouchAllWatchedKeys(server, db, null, server.NowMs);
        return db.Clear();
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

    private static CommandSpec Sub(string name, int arity, CommandFlags flags, int firstKey, CommandHandler handler, string since, string acl, string summary) =>
        new(name, arity, flags, firstKey, firstKey, firstKey == 0 ? 0 : 1, handler)
        {
            Group = "generic",
            Since = since,
            AclCategories = acl.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Summary = summary,
        };

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
