// EXPIRE family, TTL family, PERSIST (expire.c).
namespace Cinnabar.Server.Commands;

/// <summary>EXPIRE family, TTL family, PERSIST (expire.c).</summary>
internal static class ExpireCommands
{
    public static void Register(CommandTable t)
    {
        _ = t;
    }
}
