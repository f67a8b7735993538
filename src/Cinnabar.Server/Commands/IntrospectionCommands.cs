// INFO COMMAND SLOWLOG LATENCY MONITOR (server.c, slowlog.c, latency.c).
namespace Cinnabar.Server.Commands;

/// <summary>INFO COMMAND SLOWLOG LATENCY MONITOR (server.c, slowlog.c, latency.c).</summary>
internal static class IntrospectionCommands
{
    public static void Register(CommandTable t)
    {
        _ = t;
    }
}
