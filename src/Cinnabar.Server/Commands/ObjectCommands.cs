// OBJECT and its subcommands (Redis's object.c). Registered: OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT|HELP
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>OBJECT introspection.</summary>
internal static class ObjectCommands
{
    public static void Register(CommandTable t)
    {
        var obj = t.Add("object", -2, CommandFlags.None, 0, 0, 0, null, "generic", "2.2.3", "", "A container for object introspection commands");
        obj.AddSubcommand(Sub("encoding", 3, CommandFlags.ReadOnly, 2, ObjectEncoding, "2.2.3", "keyspace read slow", "Inspect the internal encoding of a Redis object"));
        obj.AddSubcommand(Sub("freq", 3, CommandFlags.ReadOnly, 2, ObjectFreq, "4.0.0", "keyspace read slow", "Get the logarithmic access frequency counter of a Redis object"));
        obj.AddSubcommand(Sub("idletime", 3, CommandFlags.ReadOnly, 2, ObjectIdleTime, "2.2.3", "keyspace read slow", "Get the time since a Redis object was last accessed"));
        obj.AddSubcommand(Sub("refcount", 3, CommandFlags.ReadOnly, 2, ObjectRefCount, "2.2.3", "keyspace read slow", "Get the number of references to the value of the key"));
        obj.AddSubcommand(Sub("help", 2, CommandFlags.Loading | CommandFlags.Stale, 0, ObjectHelp, "6.2.0", "keyspace slow", "Show helpful text about the different subcommands"));
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
        ctx.Reply.Integer(Entry.IsSharedInteger(s.Data!) ? int.MaxValue : 1);
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

    // Redis's objectCommandLookup: a NOTOUCH read lookup (it still counts a hit or a miss).
    private static ref Slot ObjectLookup(CommandContext ctx) => ref ctx.Lookup(ctx.Db, ctx.Args[2], LookupFlags.NoTouch);

    private static CommandSpec Sub(string name, int arity, CommandFlags flags, int firstKey, CommandHandler handler, string since, string acl, string summary) =>
        new(name, arity, flags, firstKey, firstKey, firstKey == 0 ? 0 : 1, handler)
        {
            Group = "generic",
            Since = since,
            AclCategories = acl.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Summary = summary,
        };
}
