// Pub/Sub (pubsub.c). Registered: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH
// SSUBSCRIBE SUNSUBSCRIBE SPUBLISH PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP.
// State and delivery live in Execution/PubSub.cs. Every (un)subscription is confirmed with its
// own push ([p|s](un)subscribe, name, count); the count is channels + patterns for plain
// channels and patterns, shard channels alone for the S* forms, as in Redis. PUBLISH is
// propagated to replicas whatever it reached (forceCommandPropagation), so a replica's own
// subscribers see the primary's messages.
using Cinnabar.Server.Execution;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>Pub/Sub commands.</summary>
internal static class PubSubCommands
{
    private const CommandFlags SubscribeFlags = CommandFlags.PubSub | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale;

    public static void Register(CommandTable t)
    {
        t.Add("subscribe", -2, SubscribeFlags | CommandFlags.Sentinel, 0, 0, 0, Subscribe, "pubsub", "2.0.0", "pubsub slow", "Listen for messages published to the given channels");
        t.Add("unsubscribe", -1, SubscribeFlags | CommandFlags.Sentinel, 0, 0, 0, Unsubscribe, "pubsub", "2.0.0", "pubsub slow", "Stop listening for messages posted to the given channels");
        t.Add("psubscribe", -2, SubscribeFlags | CommandFlags.Sentinel, 0, 0, 0, PSubscribe, "pubsub", "2.0.0", "pubsub slow", "Listen for messages published to channels matching the given patterns");
        t.Add("punsubscribe", -1, SubscribeFlags | CommandFlags.Sentinel, 0, 0, 0, PUnsubscribe, "pubsub", "2.0.0", "pubsub slow", "Stop listening for messages posted to channels matching the given patterns");
        t.Add("publish", 3, CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.MayReplicate | CommandFlags.Sentinel, 0, 0, 0, Publish, "pubsub", "2.0.0", "pubsub fast", "Post a message to a channel");
        t.Add("ssubscribe", -2, SubscribeFlags, 1, -1, 1, SSubscribe, "pubsub", "7.0.0", "pubsub slow", "Listen for messages published to the given shard channels");
        t.Add("sunsubscribe", -1, SubscribeFlags, 1, -1, 1, SUnsubscribe, "pubsub", "7.0.0", "pubsub slow", "Stop listening for messages posted to the given shard channels");
        t.Add("spublish", 3, CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.MayReplicate, 1, 1, 1, SPublish, "pubsub", "7.0.0", "pubsub fast", "Post a message to a shard channel");
        var pubsub = t.Add("pubsub", -2, CommandFlags.None, 0, 0, 0, null, "pubsub", "2.8.0", "", "A container for Pub/Sub commands");
        const CommandFlags info = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale;
        pubsub.AddSubcommand(Sub("channels", -2, info, Channels, "2.8.0", "pubsub slow", "List active channels"));
        pubsub.AddSubcommand(Sub("numpat", 2, info, NumPat, "2.8.0", "pubsub slow", "Get the count of unique patterns pattern subscriptions"));
        pubsub.AddSubcommand(Sub("numsub", -2, info, NumSub, "2.8.0", "pubsub slow", "Get the count of subscribers for channels"));
        pubsub.AddSubcommand(Sub("shardchannels", -2, info, ShardChannels, "7.0.0", "pubsub slow", "List active shard channels"));
        pubsub.AddSubcommand(Sub("shardnumsub", -2, info, ShardNumSub, "7.0.0", "pubsub slow", "Get the count of subscribers for shard channels"));
        pubsub.AddSubcommand(Sub("help", 2, CommandFlags.Loading | CommandFlags.Stale, Help, "6.2.0", "slow", "Show helpful text about the different subcommands"));
    }

    // SUBSCRIBE channel [channel ...]
    private static void Subscribe(CommandContext ctx) => SubscribeAll(ctx, PubSub.Kind.Channel, "subscribe"u8);

    // PSUBSCRIBE pattern [pattern ...]
    private static void PSubscribe(CommandContext ctx) => SubscribeAll(ctx, PubSub.Kind.Pattern, "psubscribe"u8);

    // SSUBSCRIBE shardchannel [shardchannel ...]
    private static void SSubscribe(CommandContext ctx) => SubscribeAll(ctx, PubSub.Kind.Shard, "ssubscribe"u8);

    // UNSUBSCRIBE [channel ...]
    private static void Unsubscribe(CommandContext ctx) => UnsubscribeAll(ctx, PubSub.Kind.Channel, "unsubscribe"u8);

    // PUNSUBSCRIBE [pattern ...]
    private static void PUnsubscribe(CommandContext ctx) => UnsubscribeAll(ctx, PubSub.Kind.Pattern, "punsubscribe"u8);

    // SUNSUBSCRIBE [shardchannel ...]
    private static void SUnsubscribe(CommandContext ctx) => UnsubscribeAll(ctx, PubSub.Kind.Shard, "sunsubscribe"u8);

    // PUBLISH channel message
    private static void Publish(CommandContext ctx) => PublishTo(ctx, shard: false);

    // SPUBLISH shardchannel message
    private static void SPublish(CommandContext ctx) => PublishTo(ctx, shard: true);

    // PUBSUB CHANNELS [pattern]
    private static void Channels(CommandContext ctx) => ListChannels(ctx, shard: false);

    // PUBSUB SHARDCHANNELS [pattern]
    private static void ShardChannels(CommandContext ctx) => ListChannels(ctx, shard: true);

    // PUBSUB NUMSUB [channel ...]
    private static void NumSub(CommandContext ctx) => CountSubscribers(ctx, shard: false);

    // PUBSUB SHARDNUMSUB [shardchannel ...]
    private static void ShardNumSub(CommandContext ctx) => CountSubscribers(ctx, shard: true);

    // PUBSUB NUMPAT
    private static void NumPat(CommandContext ctx) => ctx.Reply.Integer(ctx.Server.PubSub.PatternCount);

    // PUBSUB HELP
    private static void Help(CommandContext ctx) => Replies.Help(ctx,
    [
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
    ]);

    private static void SubscribeAll(CommandContext ctx, PubSub.Kind kind, ReadOnlySpan<byte> word)
    {
        var pubsub = ctx.Server.PubSub;
        for (int i = 1; i < ctx.Args.Count; i++)
        {
            pubsub.Subscribe(ctx.Client, ctx.Args.ToArray(i), kind);
            Confirm(ctx, word, ctx.Args[i], kind);
        }
    }

    private static void UnsubscribeAll(CommandContext ctx, PubSub.Kind kind, ReadOnlySpan<byte> word)
    {
        var pubsub = ctx.Server.PubSub;
        if (ctx.Args.Count > 1)
        {
            for (int i = 1; i < ctx.Args.Count; i++)
            {
                pubsub.Unsubscribe(ctx.Client, ctx.Args[i], kind);
                Confirm(ctx, word, ctx.Args[i], kind);
            }

            return;
        }

        // Without arguments: every subscription of this kind, or one reply with a null name
        // when there was none (pubsubUnsubscribeAllChannels).
        var all = pubsub.Of(ctx.Client, kind).ToArray();
        if (all.Length == 0)
        {
            Confirm(ctx, word, null, kind);
            return;
        }

        foreach (var name in all)
        {
            pubsub.Unsubscribe(ctx.Client, name, kind);
            Confirm(ctx, word, name, kind);
        }
    }

    // addReplyPubsub(Pat)(Un)Subscribed: a push of [word, name or null, count]; pushes get
    // through CLIENT REPLY OFF.
    private static void Confirm(CommandContext ctx, ReadOnlySpan<byte> word, ReadOnlySpan<byte> name, PubSub.Kind kind) =>
        Confirm(ctx, word, name.ToArray(), kind);

    private static void Confirm(CommandContext ctx, ReadOnlySpan<byte> word, byte[]? name, PubSub.Kind kind)
    {
        var c = ctx.Client;
        c.RepliedWithPushes = true;
        var r = ctx.Reply;
        r.PushHeader(3);
        r.Bulk(word);
        if (name is null)
        {
            r.NullBulk();
        }
        else
        {
            r.Bulk(name);
        }

        r.Integer(kind == PubSub.Kind.Shard ? c.ShardChannelCount : c.ChannelCount + c.PatternCount);
    }

    private static void PublishTo(CommandContext ctx, bool shard)
    {
        int receivers = ctx.Server.PubSub.Publish(ctx.Args[1], ctx.Args[2], shard);

        // forceCommandPropagation(c, PROPAGATE_REPL): replicas get every PUBLISH.
        if (ctx.Server.PropagationSinks.Count > 0)
        {
            ctx.RewriteForPropagation(ctx.Args.Clone());
        }

        ctx.Reply.Integer(receivers);
    }

    private static void ListChannels(CommandContext ctx, bool shard)
    {
        if (ctx.Args.Count > 3)
        {
            Replies.SubcommandSyntaxError(ctx);
            return;
        }

        var matching = new List<byte[]>();
        foreach (var name in ctx.Server.PubSub.ChannelNames(shard))
        {
            if (ctx.Args.Count == 2 || GlobPattern.IsMatch(ctx.Args[2], name))
            {
                matching.Add(name);
            }
        }

        ctx.Reply.ArrayHeader(matching.Count);
        foreach (var name in matching)
        {
            ctx.Reply.Bulk(name);
        }
    }

    private static void CountSubscribers(CommandContext ctx, bool shard)
    {
        ctx.Reply.ArrayHeader((ctx.Args.Count - 2) * 2);
        for (int i = 2; i < ctx.Args.Count; i++)
        {
            ctx.Reply.Bulk(ctx.Args[i]);
            ctx.Reply.Integer(ctx.Server.PubSub.SubscriberCount(ctx.Args[i], shard));
        }
    }

    private static CommandSpec Sub(string name, int arity, CommandFlags flags, CommandHandler handler, string since, string acl, string summary) =>
        new(name, arity, flags, 0, 0, 0, handler)
        {
            Group = "pubsub",
            Since = since,
            AclCategories = acl.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Summary = summary,
        };
}
