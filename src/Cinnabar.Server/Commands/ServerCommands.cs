// Server commands (server.c, config.c, debug.c). Registered: (more to come) INFO CONFIG COMMAND ...
namespace Cinnabar.Server.Commands;

/// <summary>Server administration commands.</summary>
internal static class ServerCommands
{
    public static void Register(CommandTable t)
    {
        t.Add("time", 1, CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, 0, 0, 0, Time, "server", "2.6.0", "fast", "Returns the server time.");
    }

    // TIME
    private static void Time(CommandContext ctx)
    {
        var now = ctx.Server.Time.GetUtcNow();
        long micros = (now - DateTimeOffset.UnixEpoch).Ticks / 10;
        ctx.Reply.ArrayHeader(2);
        ctx.Reply.BulkInteger(micros / 1_000_000);
        ctx.Reply.BulkInteger(micros % 1_000_000);
    }
}
