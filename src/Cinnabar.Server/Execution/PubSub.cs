// Publish/subscribe state and delivery (pubsub.c): channel -> subscribers and pattern ->
// subscribers, each in subscription order (Redis keeps a list per channel, so messages reach
// subscribers in the order they subscribed), plus each client's own channels and patterns. Shard channels (SSUBSCRIBE/SPUBLISH) are a separate namespace with the same
// rules; without cluster mode they behave like plain channels. Messages go straight into the
// subscriber's reply buffer (a RESP3 push, or a RESP2 array) and its transport is asked to flush,
// as MONITOR's feed does. Everything runs under the executor gate.
using Cinnabar.Protocol;
using Cinnabar.Server.Networking;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Execution;

/// <summary>Channels, patterns and their subscribers.</summary>
internal sealed class PubSub
{
    private readonly Dictionary<byte[], List<ClientSession>> _channels = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], List<ClientSession>> _patterns = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], List<ClientSession>> _shardChannels = new(ByteArrayComparer.Instance);
    private readonly Dictionary<ClientSession, Subscriptions> _clients = [];
    private byte[] _scratch = new byte[128];

    /// <summary>
    /// A buffer of at least <paramref name="size"/> bytes for building a channel name to publish
    /// to (executor only; valid until the next call).
    /// </summary>
    public byte[] Scratch(int size)
    {
        if (_scratch.Length < size)
        {
            _scratch = new byte[Math.Max(size, _scratch.Length * 2)];
        }

        return _scratch;
    }

    /// <summary>Told after a message was written to a subscriber (output buffer limits).</summary>
    public Action<ClientSession>? Delivered { get; set; }

    /// <summary>Kinds of subscription, with the words Redis uses in replies.</summary>
    public enum Kind
    {
        Channel,
        Pattern,
        Shard,
    }

    /// <summary>PUBSUB NUMPAT: patterns with at least one subscriber.</summary>
    public int PatternCount => _patterns.Count;

    /// <summary>Channels (or shard channels) with at least one subscriber.</summary>
    public IEnumerable<byte[]> ChannelNames(bool shard) => (shard ? _shardChannels : _channels).Keys;

    /// <summary>Subscribers of a channel (PUBSUB NUMSUB / SHARDNUMSUB).</summary>
    public int SubscriberCount(ReadOnlySpan<byte> channel, bool shard)
    {
        var map = shard ? _shardChannels : _channels;
        return map.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out var list) ? list.Count : 0;
    }

    /// <summary>The client's channels, patterns or shard channels.</summary>
    public IReadOnlyCollection<byte[]> Of(ClientSession client, Kind kind) =>
        _clients.TryGetValue(client, out var s) ? s.Of(kind) : [];

    /// <summary>Adds a subscription; false when the client already had it.</summary>
    public bool Subscribe(ClientSession client, byte[] name, Kind kind)
    {
        if (!_clients.TryGetValue(client, out var s))
        {
            s = new Subscriptions();
            _clients[client] = s;
        }

        if (!s.Of(kind).Add(name))
        {
            return false;
        }

        var map = Map(kind);
        if (!map.TryGetValue(name, out var list))
        {
            list = [];
            map[name] = list;
        }

        list.Add(client);
        Update(client, s);
        return true;
    }

    /// <summary>Removes a subscription; false when the client did not have it.</summary>
    public bool Unsubscribe(ClientSession client, ReadOnlySpan<byte> name, Kind kind)
    {
        if (!_clients.TryGetValue(client, out var s))
        {
            return false;
        }

        var mine = s.Of(kind).GetAlternateLookup<ReadOnlySpan<byte>>();
        if (!mine.TryGetValue(name, out var key))
        {
            return false;
        }

        mine.Remove(name);
        var map = Map(kind);
        if (map.TryGetValue(key, out var list))
        {
            list.Remove(client);
            if (list.Count == 0)
            {
                map.Remove(key);
            }
        }

        Update(client, s);
        return true;
    }

    /// <summary>Drops every subscription of a client (disconnect, RESET) without replying.</summary>
    public void Forget(ClientSession client)
    {
        if (!_clients.TryGetValue(client, out var s))
        {
            return;
        }

        foreach (var kind in new[] { Kind.Channel, Kind.Pattern, Kind.Shard })
        {
            foreach (var name in s.Of(kind).ToArray())
            {
                Unsubscribe(client, name, kind);
            }
        }

        _clients.Remove(client);
    }

    /// <summary>
    /// pubsubPublishMessage: delivers to the channel's subscribers, then (plain channels only) to
    /// every client whose pattern matches; returns the number of deliveries.
    /// </summary>
    public int Publish(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message, bool shard = false)
    {
        int receivers = 0;
        var map = shard ? _shardChannels : _channels;
        if (map.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out var list))
        {
            foreach (var c in list)
            {
                var w = c.Output;
                w.PushHeader(3);
                w.Bulk(shard ? "smessage"u8 : "message"u8);
                w.Bulk(channel);
                w.Bulk(message);
                c.Transport?.RequestFlush();
                Delivered?.Invoke(c);
                receivers++;
            }
        }

        if (shard)
        {
            return receivers;
        }

        foreach (var (pattern, subscribers) in _patterns)
        {
            if (!GlobPattern.IsMatch(pattern, channel))
            {
                continue;
            }

            foreach (var c in subscribers)
            {
                var w = c.Output;
                w.PushHeader(4);
                w.Bulk("pmessage"u8);
                w.Bulk(pattern);
                w.Bulk(channel);
                w.Bulk(message);
                c.Transport?.RequestFlush();
                Delivered?.Invoke(c);
                receivers++;
            }
        }

        return receivers;
    }

    private Dictionary<byte[], List<ClientSession>> Map(Kind kind) => kind switch
    {
        Kind.Channel => _channels,
        Kind.Pattern => _patterns,
        _ => _shardChannels,
    };

    // Keeps the counters CLIENT LIST shows and the subscribed-mode flag in step.
    private void Update(ClientSession client, Subscriptions s)
    {
        client.ChannelCount = s.Channels.Count;
        client.PatternCount = s.Patterns.Count;
        client.ShardChannelCount = s.Shards.Count;
        client.IsPubSub = s.Channels.Count + s.Patterns.Count + s.Shards.Count > 0;
        if (!client.IsPubSub)
        {
            _clients.Remove(client);
        }
    }

    private sealed class Subscriptions
    {
        public HashSet<byte[]> Channels { get; } = new(ByteArrayComparer.Instance);

        public HashSet<byte[]> Patterns { get; } = new(ByteArrayComparer.Instance);

        public HashSet<byte[]> Shards { get; } = new(ByteArrayComparer.Instance);

        public HashSet<byte[]> Of(Kind kind) => kind switch
        {
            Kind.Channel => Channels,
            Kind.Pattern => Patterns,
            _ => Shards,
        };
    }
}
