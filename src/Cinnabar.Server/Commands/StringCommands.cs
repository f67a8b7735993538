// String commands (t_string.c). Registered: GET SET (more to come).
using System.Runtime.CompilerServices;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Commands;

/// <summary>String commands.</summary>
internal static class StringCommands
{
    public static void Register(CommandTable t)
    {
        t.Add("get", 2, CommandFlags.ReadOnly | CommandFlags.Fast, 1, 1, 1, Get, "string", "1.0.0", "read string fast", "Returns the string value of a key.");
        t.Add("set", -3, CommandFlags.Write | CommandFlags.DenyOom, 1, 1, 1, Set, "string", "1.0.0", "write string slow", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.");
    }

    // GET key
    private static void Get(CommandContext ctx)
    {
        ref Slot s = ref ctx.LookupRead(ctx.Args[1]);
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
    }

    // SET key value
    private static void Set(CommandContext ctx)
    {
        var key = ctx.Args[1];
        ctx.Db.SetString(key, ctx.Args[2], 0, keepTtl: false);
        ctx.SignalModifiedKey(key);
        ctx.Dirty();
        ctx.Reply.Ok();
    }
}
