// DEBUG and its subcommands (debug.c).
namespace Cinnabar.Server.Commands;

/// <summary>DEBUG and its subcommands (debug.c).</summary>
internal static class DebugCommands
{
    public static void Register(CommandTable t)
    {
        _ = t;
    }
}
