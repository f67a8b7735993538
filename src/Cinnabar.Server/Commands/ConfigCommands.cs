// CONFIG GET SET REWRITE RESETSTAT (config.c).
namespace Cinnabar.Server.Commands;

/// <summary>CONFIG GET SET REWRITE RESETSTAT (config.c).</summary>
internal static class ConfigCommands
{
    public static void Register(CommandTable t)
    {
        _ = t;
    }
}
