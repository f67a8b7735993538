// One numbered database: the key table plus the bookkeeping Redis keeps per redisDb
// (count of keys with a TTL, the WATCHed keys). Expiry policy (lazy delete on a primary, hiding
// on a replica) lives in the command context, which knows the server's role; this class only
// stores.
using System.Runtime.CompilerServices;

namespace Cinnabar.Server.Storage;

/// <summary>A Redis database (SELECT index).</summary>
internal sealed class Database
{
    /// <summary>Receives keys that just got a TTL.</summary>
    public delegate void ExpireSetHandler(Database db, ReadOnlySpan<byte> key);

    public Database(int index)
    {
        Index = index;
    }

    /// <summary>The SELECT index.</summary>
    public int Index { get; }

    /// <summary>The keys.</summary>
    public KeyTable Table { get; private set; } = new();

    /// <summary>Keys that have a TTL (INFO keyspace "expires").</summary>
    public int VolatileCount { get; set; }

    /// <summary>Running estimate (ms) of the TTL of volatile keys, kept by the active expire cycle (INFO keyspace avg_ttl).</summary>
    public long AverageTtl { get; set; }

    /// <summary>Slot position where the active expire cycle samples next.</summary>
    public long ExpireCursor { get; set; }

    /// <summary>
    /// Told about every TTL that is set (Redis's setExpire hook): a writable replica remembers
    /// keys its own clients gave a TTL, since no primary will ever send their DEL.
    /// </summary>
    public ExpireSetHandler? ExpireSet { get; set; }

    /// <summary>
    /// Told about every key added (Redis's dbAdd, which raises the "new" keyspace event). It must
    /// not change the table: callers still hold the new slot's ref.
    /// </summary>
    public ExpireSetHandler? KeyAdded { get; set; }

    /// <summary>Number of keys.</summary>
    public int Count => Table.Count;

    /// <summary>Clients WATCHing each key of this database.</summary>
    public Dictionary<byte[], List<Cinnabar.Server.Networking.ClientSession>> Watchers { get; } = new(ByteArrayComparer.Instance);

    /// <summary>Finds a slot regardless of expiry.</summary>
    public ref Slot FindRaw(ReadOnlySpan<byte> key) => ref Table.Find(key);

    /// <summary>Sets a string value, replacing any value; keeps or replaces the TTL.</summary>
    public void SetString(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expire, bool keepTtl)
    {
        ref Slot s = ref Table.Find(key);
        if (!Unsafe.IsNullRef(ref s))
        {
            // A value of the same length is written over the old one in its entry: no new
            // array, and no old one left for the GC (overwrite-heavy loads would otherwise grow
            // the old generation with dead values until a full collection). Safe because nothing
            // keeps a reference to an entry's bytes (replies, snapshot records and the
            // replication stream copy them), and Find has already handed the old contents to a
            // running snapshot.
            if (!Entry.IsInline(s.Data!, out var blob) || !Entry.TryOverwriteValue(blob, value))
            {
                s.Data = Entry.MakeString(key, value);
            }

            if (!keepTtl)
            {
                SetExpireOnSlot(ref s, expire);
            }

            Table.Touch(key);
            return;
        }

        ref Slot n = ref Table.Insert(key, Entry.MakeString(key, value));
        SetExpireOnSlot(ref n, expire);
        KeyAdded?.Invoke(this, key);
    }

    /// <summary>Stores an object under its key, replacing any value; TTL as given.</summary>
    public ref Slot SetObject(RedisObject value, long expire, bool keepTtl)
    {
        ref Slot s = ref Table.Find(value.Key);
        if (!Unsafe.IsNullRef(ref s))
        {
            s.Data = value;
            if (!keepTtl)
            {
                SetExpireOnSlot(ref s, expire);
            }

            Table.Touch(value.Key);
            return ref s;
        }

        ref Slot n = ref Table.Insert(value.Key, value);
        SetExpireOnSlot(ref n, expire);
        KeyAdded?.Invoke(this, value.Key);
        return ref n;
    }

    /// <summary>Adds slot data under a key known to be absent, with a TTL (0 = none); returns its slot.</summary>
    public ref Slot Add(ReadOnlySpan<byte> key, object data, long expire)
    {
        ref Slot n = ref Table.Insert(key, data);
        SetExpireOnSlot(ref n, expire);
        KeyAdded?.Invoke(this, key);
        return ref n;
    }

    /// <summary>
    /// Adds slot data unless the key exists (RDB loading), hashing and walking the chain once;
    /// an existing slot is returned unchanged with <paramref name="added"/> false.
    /// </summary>
    public ref Slot AddOrFind(ReadOnlySpan<byte> key, object data, long expire, out bool added) =>
        ref AddOrFind(key, data, expire, KeyHash.Compute(key), out added);

    /// <summary><see cref="AddOrFind(ReadOnlySpan{byte}, object, long, out bool)"/> with the key's hash computed already.</summary>
    public ref Slot AddOrFind(ReadOnlySpan<byte> key, object data, long expire, ulong hash, out bool added)
    {
        ref Slot n = ref Table.InsertOrFind(key, data, hash, out added);
        if (added)
        {
            SetExpireOnSlot(ref n, expire);
            KeyAdded?.Invoke(this, key);
        }

        return ref n;
    }

    /// <summary>Replaces the data of an existing slot (same key).</summary>
    public void Replace(ref Slot slot, object data, ReadOnlySpan<byte> key)
    {
        slot.Data = data;
        Table.Touch(key);
    }

    /// <summary>Sets or clears (0) the TTL on a slot, keeping <see cref="VolatileCount"/> right.</summary>
    public void SetExpireOnSlot(ref Slot slot, long expire)
    {
        if (slot.Expire != 0)
        {
            VolatileCount--;
        }

        slot.Expire = expire;
        if (expire != 0)
        {
            VolatileCount++;
            if (ExpireSet is not null && slot.Data is not null)
            {
                ExpireSet(this, Entry.KeyOf(slot.Data));
            }
        }
    }

    /// <summary>Deletes a key; returns false when absent.</summary>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        if (!Table.Remove(key, out Slot removed))
        {
            return false;
        }

        if (removed.Expire != 0)
        {
            VolatileCount--;
        }

        return true;
    }

    /// <summary>Removes every key; returns how many there were.</summary>
    public int Clear()
    {
        int n = Table.Count;
        Table = new KeyTable { CurrentLru = Table.CurrentLru };
        VolatileCount = 0;
        AverageTtl = 0;
        ExpireCursor = 0;
        return n;
    }

    /// <summary>Exchanges contents with another database (SWAPDB).</summary>
    public void SwapContents(Database other)
    {
        (Table, other.Table) = (other.Table, Table);
        (VolatileCount, other.VolatileCount) = (other.VolatileCount, VolatileCount);
        (AverageTtl, other.AverageTtl) = (other.AverageTtl, AverageTtl);
        (ExpireCursor, other.ExpireCursor) = (other.ExpireCursor, ExpireCursor);
    }
}
