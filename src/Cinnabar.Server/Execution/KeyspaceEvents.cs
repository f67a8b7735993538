// Keyspace notifications (notify.c): with `notify-keyspace-events` set, a write publishes
// "__keyspace@<db>__:<key>" with the event name (K) and/or "__keyevent@<db>__:<event>" with the
// key (E), for the classes enabled (g generic, $ string, l list, s set, h hash, z zset, x expired,
// e evicted, t stream, m key miss, n new key). They go through Pub/Sub delivery only: never
// propagated, never answered.
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Cinnabar.Server.Execution;

/// <summary>Redis's NOTIFY_* classes and notifyKeyspaceEvent.</summary>
internal static class KeyspaceEvents
{
    public const int Keyspace = 1 << 0;
    public const int Keyevent = 1 << 1;
    public const int Generic = 1 << 2;
    public const int String = 1 << 3;
    public const int List = 1 << 4;
    public const int Set = 1 << 5;
    public const int Hash = 1 << 6;
    public const int ZSet = 1 << 7;
    public const int Expired = 1 << 8;
    public const int Evicted = 1 << 9;
    public const int Stream = 1 << 10;
    public const int KeyMiss = 1 << 11;
    public const int Module = 1 << 13;
    public const int New = 1 << 14;

    // Event names are a fixed set of literals: their bytes are made once.
    private static readonly ConcurrentDictionary<string, byte[]> EventBytes = new(StringComparer.Ordinal);

    /// <summary>notifyKeyspaceEvent: publishes the event when its class is enabled.</summary>
    public static void Notify(CinnabarServer server, int type, string eventName, ReadOnlySpan<byte> key, int db)
    {
        int flags = server.Config.NotifyKeyspaceEventsFlags;
        if ((flags & type) == 0 || (flags & (Keyspace | Keyevent)) == 0)
        {
            return;
        }

        // The channel names are built in the server's scratch buffer (Publish copies what it
        // delivers): with notifications on, every write publishes, and allocating the names
        // made garbage, hence collections, at the write rate.
        var eventBytes = EventBytes.GetOrAdd(eventName, static name => Encoding.ASCII.GetBytes(name));
        if ((flags & Keyspace) != 0)
        {
            var channel = Channel(server, "__keyspace@"u8, db, key);
            server.PubSub.Publish(channel, eventBytes);
        }

        if ((flags & Keyevent) != 0)
        {
            var channel = Channel(server, "__keyevent@"u8, db, eventBytes);
            server.PubSub.Publish(channel, key);
        }
    }

    // "<prefix><db>__:<suffix>" in the scratch buffer.
    private static ReadOnlySpan<byte> Channel(CinnabarServer server, ReadOnlySpan<byte> prefix, int db, ReadOnlySpan<byte> suffix)
    {
        var buffer = server.PubSub.Scratch(prefix.Length + 11 + 3 + suffix.Length);
        prefix.CopyTo(buffer);
        int n = prefix.Length;
        db.TryFormat(buffer.AsSpan(n), out int digits, default, CultureInfo.InvariantCulture);
        n += digits;
        "__:"u8.CopyTo(buffer.AsSpan(n));
        n += 3;
        suffix.CopyTo(buffer.AsSpan(n));
        return buffer.AsSpan(0, n + suffix.Length);
    }
}
