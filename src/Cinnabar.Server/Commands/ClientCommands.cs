// CLIENT and its subcommands (networking.c clientCommand).
namespace Cinnabar.Server.Commands;

/// <summary>CLIENT and its subcommands (networking.c clientCommand).</summary>
internal static class ClientCommands
{
    public static void Register(CommandTable t)
    {
        _ = t;
    }
}
