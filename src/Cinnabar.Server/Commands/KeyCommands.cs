// Generic key commands (Redis's db.c). Registered:
//   DEL UNLINK EXISTS TYPE RENAME RENAMENX MOVE COPY TOUCH RANDOMKEY
// Every lookup goes through the command context so lazy expiry, LRU stamps and hit/miss
// statistics follow Redis's lookupKey flags exactly (which commands count hits is visible in
// INFO, so TYPE/EXISTS/TTL/OBJECT use NOTOUCH, DEL/RENAME use WRITE, and so on).
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>Generic key commands.</summary>
internal static class KeyCommands
{
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
        t.Add("randomkey", 1, CommandFlags.ReadOnly | CommandFlags.TouchesArbitraryKeys, 0, 0, 0, RandomKey, "generic", "1.0.0", "keyspace read slow", "Return a random key from the keyspace");
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
                ctx.Notify(Execution.KeyspaceEvents.Generic, "del", key);
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
        ctx.Notify(Execution.KeyspaceEvents.Generic, "rename_from", src);
        ctx.Notify(Execution.KeyspaceEvents.Generic, "rename_to", dst);
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
        Execution.KeyspaceEvents.Notify(ctx.Server, Execution.KeyspaceEvents.Generic, "move_from", key, src.Index);
        Execution.KeyspaceEvents.Notify(ctx.Server, Execution.KeyspaceEvents.Generic, "move_to", key, dst.Index);
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
        Execution.KeyspaceEvents.Notify(ctx.Server, Execution.KeyspaceEvents.Generic, "copy_to", newKey, dst.Index);
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
}
