// The keyspace hash table (one per database). Design, after Redis's dict.c:
// - Two tables during a resize; each insert, delete and the cron move buckets from the old to the
//   new one (incremental rehash), so no operation pays O(N). Inserts go to the new table.
//   Each step moves at least one non-empty bucket, which guarantees the new table (at least
//   twice the old count) never fills before the rehash ends.
// - Chained buckets over a slot array per table: slots are 24-byte structs (no per-entry node
//   object), chains and the free list are int links.
// - SCAN uses Redis's reverse-binary cursor over bucket indexes, so a key present for the whole
//   scan is returned at least once even if the table grows or shrinks in between.
// - Snapshots without fork (ARCHITECTURE §3, Dragonfly's serialize-before-mutate): a capture
//   marks the tables that exist when a snapshot begins. Every bucket has a version stamp; a
//   bucket of a captured table whose stamp is below the capture's version still holds its
//   point-in-time contents. Before anything can change such a bucket (a Find that hands out a
//   ref, Insert, Remove, a rehash step moving it or into it) its entries go to the snapshot and
//   the bucket is stamped; the capture's traversal serializes the rest. Entries only move by
//   rehashing, which serializes them first, so unserialized entries never leave the captured
//   tables, and tables created later (resize, Clear) hold nothing the snapshot still needs.
// A ref returned by Find stays valid until the next Insert/Remove/RehashStep on this table.
using System.Runtime.CompilerServices;

namespace Cinnabar.Server.Storage;

/// <summary>A hash table of slots keyed by binary keys.</summary>
internal sealed class KeyTable
{
    private const int MinSize = 4;
    private Table _main;
    private Table? _old;
    private long _rehashIndex;

    // Keeps Warm's loads from being optimized away.
    private int _warmSink;

    public KeyTable()
    {
        _main = new Table(MinSize);
    }

    /// <summary>A slot visitor for SCAN: receives slot data and its expiry.</summary>
    public delegate void SlotVisitor(object data, long expire);

    /// <summary>Number of keys.</summary>
    public int Count => _main.Count + (_old?.Count ?? 0);

    /// <summary>True while an incremental rehash is in progress.</summary>
    public bool IsRehashing => _old is not null;

    /// <summary>LRU stamp given to inserted slots (set per command from the server clock).</summary>
    public int CurrentLru { get; set; }

    /// <summary>Total buckets (both tables), for INFO/DEBUG HTSTATS style reporting.</summary>
    public int BucketCount => _main.Size + (_old?.Size ?? 0);

    /// <summary>Finds a key; returns a null ref when absent.</summary>
    public ref Slot Find(ReadOnlySpan<byte> key)
    {
        if (Count == 0)
        {
            return ref Unsafe.NullRef<Slot>();
        }

        ulong h = KeyHash.Compute(key);
        if (_old is not null)
        {
            ref Slot s = ref FindIn(_old, key, h);
            if (!Unsafe.IsNullRef(ref s))
            {
                return ref s;
            }
        }

        return ref FindIn(_main, key, h);
    }

    /// <summary>Inserts a key known to be absent; returns its slot.</summary>
    public ref Slot Insert(ReadOnlySpan<byte> key, object data)
    {
        PrepareInsert();
        return ref InsertHashed(data, KeyHash.Compute(key));
    }

    /// <summary>
    /// Inserts <paramref name="data"/> under its key unless the key is present, hashing and
    /// walking the chain once (Redis's dictAddRaw with its existing-entry out parameter). When
    /// present, returns the existing slot untouched, as <see cref="Find"/> does.
    /// </summary>
    public ref Slot InsertOrFind(ReadOnlySpan<byte> key, object data, out bool added) =>
        ref InsertOrFind(key, data, KeyHash.Compute(key), out added);

    /// <summary><see cref="InsertOrFind(ReadOnlySpan{byte}, object, out bool)"/> with the key's hash already computed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ref Slot InsertOrFind(ReadOnlySpan<byte> key, object data, ulong h, out bool added)
    {
        PrepareInsert();
        if (Count != 0)
        {
            if (_old is not null)
            {
                ref Slot o = ref FindIn(_old, key, h);
                if (!Unsafe.IsNullRef(ref o))
                {
                    added = false;
                    return ref o;
                }
            }

            ref Slot m = ref FindIn(_main, key, h);
            if (!Unsafe.IsNullRef(ref m))
            {
                added = false;
                return ref m;
            }
        }

        added = true;
        return ref InsertHashed(data, h);
    }

    /// <summary>
    /// Touches the buckets (and their first slots) that keys with these hashes land in, so that
    /// the inserts that follow find them in cache. The loads are independent, so the CPU overlaps
    /// their cache misses instead of taking them one insert at a time (RDB loading inserts keys
    /// in batches for this; a lookup of an absent key is otherwise one or two misses in a row).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Warm(ReadOnlySpan<ulong> hashes)
    {
        var t = _main;
        int sum = 0;
        foreach (ulong h in hashes)
        {
            sum += t.Buckets[(int)(h & (ulong)t.Mask)];
        }

        foreach (ulong h in hashes)
        {
            int head = t.Buckets[(int)(h & (ulong)t.Mask)];
            if (head != 0)
            {
                sum += t.Slots[head - 1].Next;
            }
        }

        _warmSink = sum;
    }

    /// <summary>Removes a key; returns its former slot contents.</summary>
    public bool Remove(ReadOnlySpan<byte> key, out Slot removed)
    {
        if (_old is not null)
        {
            RehashStep(1);
        }

        ulong h = KeyHash.Compute(key);
        if (_old is not null && RemoveFrom(_old, key, h, out removed))
        {
            return true;
        }

        return RemoveFrom(_main, key, h, out removed);
    }

    /// <summary>
    /// Declares that the slot of <paramref name="key"/> is about to change (or has, through a ref
    /// from Find, which already serialized it): makes sure a running snapshot has its old contents.
    /// </summary>
    public void Touch(ReadOnlySpan<byte> key)
    {
        ulong h = KeyHash.Compute(key);
        if (_old is not null)
        {
            EnsureSerialized(_old, (int)(h & (ulong)_old.Mask));
        }

        EnsureSerialized(_main, (int)(h & (ulong)_main.Mask));
    }

    /// <summary>
    /// Starts a point-in-time capture of this table for a snapshot: from now on every bucket's
    /// entries reach <paramref name="sink"/> exactly once, either before their first change or
    /// from <see cref="Capture.SerializeNext"/>. Caller holds the gate.
    /// </summary>
    public Capture BeginCapture(ISnapshotSink sink, int db)
    {
        var capture = new Capture(sink, db, _old is null ? [_main] : [_old, _main]);
        foreach (var t in capture.Tables)
        {
            t.Capture = capture;
            t.Serialized = new ulong[(t.Size + 63) / 64];
        }

        return capture;
    }

    /// <summary>
    /// Sizes an empty table for <paramref name="count"/> keys at once (RDB loading's RESIZEDB,
    /// Redis's dictExpand), so loading does not rehash its way up through every power of two.
    /// </summary>
    public void Reserve(long count)
    {
        if (Count != 0 || _old is not null)
        {
            return;
        }

        int size = MinSize;
        while (size < count && size < 1 << 30)
        {
            size *= 2;
        }

        if (size > _main.Size)
        {
            _main = new Table(size);
        }
    }

    /// <summary>Removes every key.</summary>
    public void Clear()
    {
        _main = new Table(MinSize);
        _old = null;
        _rehashIndex = 0;
    }

    /// <summary>Moves up to <paramref name="buckets"/> non-empty buckets; returns true if more remain.</summary>
    public bool RehashStep(int buckets)
    {
        var old = _old;
        if (old is null)
        {
            return false;
        }

        while (buckets > 0 && _rehashIndex < old.Size)
        {
            int b = (int)_rehashIndex++;
            int next = old.Buckets[b];
            if (next == 0)
            {
                continue;
            }

            EnsureSerialized(old, b);
            old.Buckets[b] = 0;
            while (next != 0)
            {
                int i = next - 1;
                ref Slot s = ref old.Slots[i];
                next = s.Next;
                ulong h = KeyHash.Compute(Entry.KeyOf(s.Data!));
                int nb = (int)(h & (ulong)_main.Mask);
                EnsureSerialized(_main, nb);
                int slot = _main.Allocate();
                ref Slot d = ref _main.Slots[slot];
                d = s;
                d.Next = _main.Buckets[nb];
                _main.Buckets[nb] = slot + 1;
                _main.Count++;
                old.Count--;
                s = default;
            }

            buckets--;
        }

        if (_rehashIndex >= old.Size || old.Count == 0)
        {
            _old = null;
            _rehashIndex = 0;
            return false;
        }

        return true;
    }

    /// <summary>Rehashes for about <paramref name="milliseconds"/> (Redis's incrementallyRehash from the cron).</summary>
    public void RehashFor(int milliseconds)
    {
        long deadline = Environment.TickCount64 + milliseconds;
        while (RehashStep(100))
        {
            if (Environment.TickCount64 >= deadline)
            {
                break;
            }
        }
    }

    /// <summary>Starts a shrink when the table is under 10% full, as Redis's tryResizeHashTables.</summary>
    public void ShrinkIfNeeded()
    {
        if (_old is null && _main.Size > MinSize && (long)_main.Count * 10 < _main.Size)
        {
            int size = MinSize;
            while (size < _main.Count * 2)
            {
                size *= 2;
            }

            if (size < _main.Size)
            {
                StartResize(size);
            }
        }
    }

    /// <summary>
    /// One SCAN step from <paramref name="cursor"/> (Redis's dictScan): visits every slot of one
    /// bucket of the smaller table and the buckets it expands to in the larger; returns the next cursor.
    /// </summary>
    public ulong Scan(ulong cursor, SlotVisitor visitor)
    {
        if (Count == 0)
        {
            return 0;
        }

        ulong v = cursor;
        if (_old is null)
        {
            ulong m0 = (ulong)_main.Mask;
            VisitBucket(_main, (int)(v & m0), visitor);
            v |= ~m0;
            v = ReverseBits(v);
            v++;
            v = ReverseBits(v);
        }
        else
        {
            Table t0 = _old, t1 = _main;
            if (t0.Size > t1.Size)
            {
                (t0, t1) = (t1, t0);
            }

            ulong m0 = (ulong)t0.Mask, m1 = (ulong)t1.Mask;
            VisitBucket(t0, (int)(v & m0), visitor);
            do
            {
                VisitBucket(t1, (int)(v & m1), visitor);
                v |= ~m1;
                v = ReverseBits(v);
                v++;
                v = ReverseBits(v);
            }
            while ((v & (m0 ^ m1)) != 0);
        }

        return v;
    }

    /// <summary>A random occupied slot, or a null ref when empty (Redis's dictGetFairRandomKey idea).</summary>
    public ref Slot RandomSlot(Random random)
    {
        if (Count == 0)
        {
            return ref Unsafe.NullRef<Slot>();
        }

        for (int attempt = 0; attempt < 1000; attempt++)
        {
            var t = _old is not null && random.Next(Count) < _old.Count ? _old : _main;
            if (t.Count == 0)
            {
                continue;
            }

            int i = random.Next(t.Used);
            if (t.Slots[i].Data is not null)
            {
                return ref t.Slots[i];
            }
        }

        foreach (var t in Tables())
        {
            for (int i = 0; i < t.Used; i++)
            {
                if (t.Slots[i].Data is not null)
                {
                    return ref t.Slots[i];
                }
            }
        }

        return ref Unsafe.NullRef<Slot>();
    }

    /// <summary>Visits every occupied slot (KEYS, DEBUG DIGEST, FLUSH accounting).</summary>
    public void ForEach(SlotVisitor visitor)
    {
        foreach (var t in Tables())
        {
            for (int i = 0; i < t.Used; i++)
            {
                ref Slot s = ref t.Slots[i];
                if (s.Data is not null)
                {
                    visitor(s.Data, s.Expire);
                }
            }
        }
    }

    /// <summary>
    /// Number of slot positions (the used part of both tables' slot arrays, old table first).
    /// The active expire cycle walks positions with <see cref="SlotAt"/>: a cursor over
    /// positions costs no allocation and visits each slot once per pass when nothing moves.
    /// </summary>
    public int SlotPositions => (_old?.Used ?? 0) + _main.Used;

    /// <summary>The slot at a position below <see cref="SlotPositions"/>; its Data is null when free.</summary>
    public ref Slot SlotAt(int position)
    {
        if (_old is not null)
        {
            if (position < _old.Used)
            {
                return ref _old.Slots[position];
            }

            position -= _old.Used;
        }

        return ref _main.Slots[position];
    }

    private IEnumerable<Table> Tables()
    {
        if (_old is not null)
        {
            yield return _old;
        }

        yield return _main;
    }

    private static void VisitBucket(Table t, int bucket, SlotVisitor visitor)
    {
        int next = t.Buckets[bucket];
        while (next != 0)
        {
            ref Slot s = ref t.Slots[next - 1];
            next = s.Next;
            visitor(s.Data!, s.Expire);
        }
    }

    private static ulong ReverseBits(ulong v)
    {
        v = ((v >> 1) & 0x5555555555555555UL) | ((v & 0x5555555555555555UL) << 1);
        v = ((v >> 2) & 0x3333333333333333UL) | ((v & 0x3333333333333333UL) << 2);
        v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FUL) | ((v & 0x0F0F0F0F0F0F0F0FUL) << 4);
        return System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v);
    }

    // One rehash step per insert while rehashing (Redis's _dictRehashStep), or the start of a
    // doubling when the table is full.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PrepareInsert()
    {
        if (_old is not null)
        {
            RehashStep(1);
        }
        else if (_main.Count >= _main.Size)
        {
            StartResize(_main.Size * 2);
            RehashStep(1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ref Slot InsertHashed(object data, ulong h)
    {
        var t = _main;
        int b = (int)(h & (ulong)t.Mask);
        EnsureSerialized(t, b);
        int slot = t.Allocate();
        ref Slot s = ref t.Slots[slot];
        s.Data = data;
        s.Expire = 0;
        s.Lru = CurrentLru;
        s.Tag = TagOf(h);
        s.Next = t.Buckets[b];
        t.Buckets[b] = slot + 1;
        t.Count++;
        return ref s;
    }

    // Bucket indexes come from the low bits; the tag from the top byte, independent of them.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte TagOf(ulong h) => (byte)(h >> 56);

    // A found slot is handed out by ref and may change in place, so its bucket is serialized first.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ref Slot FindIn(Table t, ReadOnlySpan<byte> key, ulong h)
    {
        int b = (int)(h & (ulong)t.Mask);
        byte tag = TagOf(h);
        int next = t.Buckets[b];
        while (next != 0)
        {
            ref Slot s = ref t.Slots[next - 1];
            if (s.Tag == tag && Entry.KeyEquals(s.Data!, key))
            {
                if (t.Capture is not null)
                {
                    EnsureSerialized(t, b);
                }

                return ref s;
            }

            next = s.Next;
        }

        return ref Unsafe.NullRef<Slot>();
    }

    // Serialize-before-mutate: hands a not yet serialized bucket of a captured table to its snapshot.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void EnsureSerialized(Table t, int bucket)
    {
        if (t.Capture is { } c && !t.IsSerialized(bucket))
        {
            c.SerializeBucket(t, bucket);
        }
    }

    private static bool RemoveFrom(Table t, ReadOnlySpan<byte> key, ulong h, out Slot removed)
    {
        int b = (int)(h & (ulong)t.Mask);
        byte tag = TagOf(h);
        int prev = 0;
        int next = t.Buckets[b];
        if (next != 0)
        {
            EnsureSerialized(t, b);
        }

        while (next != 0)
        {
            ref Slot s = ref t.Slots[next - 1];
            if (s.Tag == tag && Entry.KeyEquals(s.Data!, key))
            {
                if (prev == 0)
                {
                    t.Buckets[b] = s.Next;
                }
                else
                {
                    t.Slots[prev - 1].Next = s.Next;
                }

                removed = s;
                t.Release(next - 1);
                t.Count--;
                return true;
            }

            prev = next;
            next = s.Next;
        }

        removed = default;
        return false;
    }

    private void StartResize(int size)
    {
        _old = _main;
        _main = new Table(size);
        _rehashIndex = 0;
    }

    internal sealed class Table
    {
        public Table(int size)
        {
            Size = size;
            Mask = size - 1;
            Buckets = new int[size];
            Slots = new Slot[size];
        }

        public int Size { get; }

        public int Mask { get; }

        public int[] Buckets { get; }

        public Slot[] Slots { get; }

        /// <summary>The running capture this table belongs to, or null.</summary>
        public Capture? Capture { get; set; }

        /// <summary>
        /// While captured: one bit per bucket, set once the capture has its entries. Allocated for
        /// the capture and dropped with it (an eighth of a byte per bucket for the snapshot's
        /// duration, rather than a stamp per bucket kept for the table's life).
        /// </summary>
        public ulong[]? Serialized { get; set; }

        public bool IsSerialized(int bucket) => (Serialized![bucket >> 6] & (1UL << bucket)) != 0;

        public int Count { get; set; }

        /// <summary>Slots ever handed out (high-water mark).</summary>
        public int Used { get; private set; }

        private int FreeHead { get; set; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Allocate()
        {
            if (FreeHead != 0)
            {
                int i = FreeHead - 1;
                FreeHead = Slots[i].Next;
                return i;
            }

            return Used++;
        }

        public void Release(int index)
        {
            Slots[index] = default;
            Slots[index].Next = FreeHead;
            FreeHead = index + 1;
        }
    }

    /// <summary>
    /// One table's part of a running snapshot: which tables were captured, the traversal cursor,
    /// and the sink that receives each bucket's entries once.
    /// </summary>
    internal sealed class Capture
    {
        // Buckets whose slots and entries are read ahead together (see SerializeNext).
        private const int PrefetchGroup = 32;

        private readonly ISnapshotSink _sink;
        private int _table;
        private int _bucket;

        // Keeps the read-ahead loads from being optimized away.
        private int _touchSink;

        internal Capture(ISnapshotSink sink, int db, Table[] tables)
        {
            _sink = sink;
            Db = db;
            Tables = tables;
        }

        /// <summary>The database index the captured keys are written under.</summary>
        public int Db { get; }

        /// <summary>True when every captured bucket has been serialized.</summary>
        public bool Done => _table >= Tables.Length;

        internal Table[] Tables { get; }

        /// <summary>Serializes buckets not yet serialized until about <paramref name="maxEntries"/> entries went out; returns Done.</summary>
        /// <remarks>
        /// Buckets go in groups: first the group's slots are read, then the entries they point
        /// to, then the group is serialized. A bucket's slot and its entry are two dependent
        /// cache misses (slots are in insertion order, buckets in hash order, entries anywhere
        /// in the heap); reading a whole group's slots, then a whole group's entries, lets the
        /// CPU overlap the misses of different buckets instead of waiting for each in turn.
        /// </remarks>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool SerializeNext(int maxEntries)
        {
            Span<int> group = stackalloc int[PrefetchGroup];
            int budget = maxEntries;
            while (_table < Tables.Length && budget > 0)
            {
                var t = Tables[_table];
                if (_bucket >= t.Size)
                {
                    _table++;
                    _bucket = 0;
                    continue;
                }

                int n = 0;
                int end = Math.Min(t.Size, _bucket + PrefetchGroup);
                var buckets = t.Buckets;
                while (_bucket < end)
                {
                    int b = _bucket++;
                    if (buckets[b] != 0 && !t.IsSerialized(b))
                    {
                        group[n++] = b;
                    }
                }

                var slots = t.Slots;
                int touched = 0;
                for (int i = 0; i < n; i++)
                {
                    touched += slots[buckets[group[i]] - 1].Next;
                }

                for (int i = 0; i < n; i++)
                {
                    touched += Entry.IsString(slots[buckets[group[i]] - 1].Data!) ? 1 : 0;
                }

                _touchSink = touched;
                for (int i = 0; i < n; i++)
                {
                    budget -= SerializeBucket(t, group[i]);
                }
            }

            if (Done)
            {
                Release();
            }

            return Done;
        }

        /// <summary>Detaches from the tables (snapshot finished or abandoned): no more serialization.</summary>
        public void Release()
        {
            foreach (var t in Tables)
            {
                if (ReferenceEquals(t.Capture, this))
                {
                    t.Capture = null;
                    t.Serialized = null;
                }
            }

            _table = Tables.Length;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal int SerializeBucket(Table t, int bucket)
        {
            t.Serialized![bucket >> 6] |= 1UL << bucket;
            int n = 0;
            int next = t.Buckets[bucket];
            while (next != 0)
            {
                ref Slot s = ref t.Slots[next - 1];
                _sink.Add(Db, s.Data!, s.Expire);
                next = s.Next;
                n++;
            }

            return n;
        }
    }
}
