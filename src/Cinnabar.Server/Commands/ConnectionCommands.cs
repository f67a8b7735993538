// Connection commands: PING ECHO SELECT QUIT AUTH (more to come: HELLO RESET CLIENT).
using System.Security.Cryptography;
using System.Text;

namespace Cinnabar.Server.Commands;

/// <summary>Connection management commands.</summary>
internal static class ConnectionCommands
{
    public static void Register(CommandTable t)
    {
        t.Add("ping", -1, CommandFlags.Fast | CommandFlags.Sentinel, 0, 0, 0, Ping, "connection", "1.0.0", "fast connection", "Returns the server's liveliness response.");
        t.Add("echo", 2, CommandFlags.Fast, 0, 0, 0, Echo, "connection", "1.0.0", "fast connection", "Returns the given string.");
        t.Add("select", 2, CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, 0, 0, 0, Select, "connection", "1.0.0", "fast connection", "Changes the selected database.");
        t.Add("quit", -1, CommandFlags.AllowBusy | CommandFlags.NoAuth | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.NoScript, 0, 0, 0, Quit, "connection", "1.0.0", "fast connection", "Closes the connection.");
        t.Add("auth", -2, CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.NoAuth | CommandFlags.Sentinel | CommandFlags.AllowBusy, 0, 0, 0, Auth, "connection", "1.0.0", "fast connection", "Authenticates the connection.");
    }

    // PING [message]
    private static void Ping(CommandContext ctx)
    {
        if (ctx.Args.Count > 2)
        {
            ctx.Error(Errors.Arity("ping"));
            return;
        }

        // In RESP2 subscribed mode PING answers a push-style array (Redis pingCommand).
        if (ctx.Client.IsPubSub && ctx.Client.Protocol == 2)
        {
            ctx.Reply.ArrayHeader(2);
            ctx.Reply.Bulk("pong"u8);
            ctx.Reply.Bulk(ctx.Args.Count == 2 ? ctx.Args[1] : []);
            return;
        }

        if (ctx.Args.Count == 1)
        {
            ctx.Reply.Raw("+PONG\r\n"u8);
        }
        else
        {
            ctx.Reply.Bulk(ctx.Args[1]);
        }
    }

    // ECHO message
    private static void Echo(CommandContext ctx) => ctx.Reply.Bulk(ctx.Args[1]);

    // SELECT index
    private static void Select(CommandContext ctx)
    {
        if (!Cinnabar.Protocol.Number.TryParseInt64(ctx.Args[1], out long index) || index > int.MaxValue || index < int.MinValue)
        {
            ctx.Error(Errors.NotInteger);
            return;
        }

        if (index < 0 || index >= ctx.Server.Databases.Length)
        {
            ctx.Error(Errors.DbIndexOutOfRange);
            return;
        }

        ctx.Client.DbIndex = (int)index;
        ctx.Reply.Ok();
    }

    // QUIT
    private static void Quit(CommandContext ctx)
    {
        ctx.Reply.Ok();
        ctx.Client.CloseAfterReply = true;
    }

    // AUTH [username] password
    private static void Auth(CommandContext ctx)
    {
        if (ctx.Args.Count > 3)
        {
            ctx.Error(Errors.Syntax);
            return;
        }

        string user = ctx.Args.Count == 3 ? ctx.Args.GetString(1) : "default";
        var pass = ctx.Args[ctx.Args.Count - 1];
        var configured = ctx.Server.Config.RequirePass;
        if (ctx.Args.Count == 2 && configured.Length == 0)
        {
            ctx.Error(Errors.NoPasswordSet);
            return;
        }

        if (CheckPassword(ctx.Server, user, pass))
        {
            ctx.Client.Authenticated = true;
            ctx.Client.User = user;
            ctx.Reply.Ok();
        }
        else
        {
            ctx.Error(Errors.WrongPass);
        }
    }

    /// <summary>Checks a user/password pair in constant time (only the default user exists).</summary>
    public static bool CheckPassword(CinnabarServer server, string user, ReadOnlySpan<byte> pass)
    {
        if (user != "default")
        {
            return false;
        }

        var configured = server.Config.RequirePass;
        if (configured.Length == 0)
        {
            // The default user is "nopass": any password is accepted.
            return true;
        }

        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(configured));
        var given = SHA256.HashData(pass);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
