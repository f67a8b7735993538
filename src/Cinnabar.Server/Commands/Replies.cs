// Reply shapes shared by several command families: Redis's addReplyHelp and
// addReplySubcommandSyntaxError (networking.c).
namespace Cinnabar.Server.Commands;

/// <summary>Common reply helpers.</summary>
internal static class Replies
{
    /// <summary>addReplyHelp: header line, the help lines, then HELP / Prints this help, all as status replies.</summary>
    public static void Help(CommandContext ctx, IReadOnlyList<string> lines)
    {
        var r = ctx.Reply;
        r.ArrayHeader(lines.Count + 3);
        r.Simple(ctx.Args.GetString(0).ToUpperInvariant() + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
        foreach (var l in lines)
        {
            r.Simple(l);
        }

        r.Simple("HELP");
        r.Simple("    Prints this help.");
    }

    /// <summary>addReplySubcommandSyntaxError.</summary>
    public static void SubcommandSyntaxError(CommandContext ctx) =>
        ctx.Error($"ERR unknown subcommand or wrong number of arguments for '{Errors.Truncate(ctx.Args.GetString(1), 128)}'. Try {ctx.Args.GetString(0).ToUpperInvariant()} HELP.");
}
