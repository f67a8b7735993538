// Connection commands: PING ECHO SELECT QUIT AUTH HELLO RESET (CLIENT lives in ClientCommands).
// Only the default user exists: its password is requirepass, and with no requirepass it is
// "nopass", so any password authenticates it (the three-argument AUTH form) as in Redis.
using System.Security.Cryptography;
using System.Text;

using Cinnabar.Server.Networking;

namespace Cinnabar.Server.Commands;

/// <summary>Connection management commands.</summary>
internal static class ConnectionCommands
{
    public static void Register(CommandTable t)
    {
        t.Add("ping", -1, CommandFlags.Fast | CommandFlags.Sentinel, 0, 0, 0, Ping, "connection", "1.0.0", "fast connection", "Returns the server's liveliness response.");
        t.Add("echo", 2, CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, 0, 0, 0, Echo, "connection", "1.0.0", "fast connection", "Returns the given string.");
        t.Add("select", 2, CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, 0, 0, 0, Select, "connection", "1.0.0", "fast connection", "Changes the selected database.");
        t.Add("quit", -1, CommandFlags.AllowBusy | CommandFlags.NoAuth | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.NoScript, 0, 0, 0, Quit, "connection", "1.0.0", "fast connection", "Closes the connection.");
        t.Add("auth", -2, CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.NoAuth | CommandFlags.Sentinel | CommandFlags.AllowBusy, 0, 0, 0, Auth, "connection", "1.0.0", "fast connection", "Authenticates the connection.");
        t.Add("hello", -1, CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.NoAuth | CommandFlags.Sentinel | CommandFlags.AllowBusy, 0, 0, 0, Hello, "connection", "6.0.0", "fast connection", "Handshakes with the Redis server.");
        t.Add("reset", 1, CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.NoAuth | CommandFlags.AllowBusy, 0, 0, 0, Reset, "connection", "6.2.0", "fast connection", "Resets the connection.");
    }

    /// <summary>Called by RESET for state owned by other families (pub/sub, tracking): they drop the client's subscriptions.</summary>
    public static event Action<CinnabarServer, ClientSession>? ConnectionReset;

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

        if (Authenticate(ctx.Server, ctx.Client, user, pass))
        {
            ctx.Reply.Ok();
        }
        else
        {
            ctx.Error(Errors.WrongPass);
        }
    }

    // HELLO [protover [AUTH username password] [SETNAME clientname]]
    private static void Hello(CommandContext ctx)
    {
        var c = ctx.Client;
        var args = ctx.Args;
        long version = 0;
        int next = 1;
        if (args.Count >= 2)
        {
            if (!Cinnabar.Protocol.Number.TryParseInt64(args[next++], out version))
            {
                ctx.Error("ERR Protocol version is not an integer or out of range");
                return;
            }

            if (version is < 2 or > 3)
            {
                ctx.Error("NOPROTO unsupported protocol version");
                return;
            }
        }

        for (int j = next; j < args.Count; j++)
        {
            int more = args.Count - 1 - j;
            if (args.Is(j, "auth"u8) && more >= 2)
            {
                if (!Authenticate(ctx.Server, c, args.GetString(j + 1), args[j + 2]))
                {
                    ctx.Error(Errors.WrongPass);
                    return;
                }

                j += 2;
            }
            else if (args.Is(j, "setname"u8) && more >= 1)
            {
                if (!ClientCommands.SetNameOrReply(ctx, args[j + 1]))
                {
                    return;
                }

                j++;
            }
            else
            {
                ctx.Error($"ERR Syntax error in HELLO option '{args.GetString(j)}'");
                return;
            }
        }

        if (!c.Authenticated)
        {
            ctx.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
            return;
        }

        if (version != 0)
        {
            c.Protocol = (int)version;
        }

        var r = ctx.Reply;
        r.MapHeader(7);
        r.Bulk("server"u8);
        r.Bulk("redis"u8);
        r.Bulk("version"u8);
        r.Bulk(Hosting.ServerHost.RedisVersion);
        r.Bulk("proto"u8);
        r.Integer(c.Protocol);
        r.Bulk("id"u8);
        r.Integer(c.Id);
        r.Bulk("mode"u8);
        r.Bulk("standalone"u8);
        r.Bulk("role"u8);
        r.Bulk(ctx.Server.IsReplica ? "replica"u8 : "master"u8);
        r.Bulk("modules"u8);
        r.ArrayHeader(0);
    }

    // RESET
    private static void Reset(CommandContext ctx)
    {
        var c = ctx.Client;
        if (c.IsReplica || c.IsPrimaryLink)
        {
            ctx.Error("ERR can only reset normal client connections");
            return;
        }

        // Redis's clearClientConnectionState.
        if (c.IsMonitor)
        {
            ctx.Server.Monitors.Remove(c);
            c.IsMonitor = false;
        }

        c.DbIndex = 0;
        c.Protocol = 2;
        c.Authenticated = ctx.Server.Config.RequirePass.Length == 0;
        c.User = "default";
        TransactionCommands.DiscardTransaction(ctx.Server, c);
        ConnectionReset?.Invoke(ctx.Server, c);
        ctx.Server.PubSub.Forget(c);
        c.IsPubSub = false;
        c.ChannelCount = 0;
        c.PatternCount = 0;
        c.ShardChannelCount = 0;
        c.Name = null;
        c.ReadOnlyMode = false;
        if (c.ReplyMode != ReplyMode.On)
        {
            c.ReplyMode = ReplyMode.On;
        }

        ctx.Reply.Simple("RESET"u8);
    }

    /// <summary>Authenticates <paramref name="client"/> as <paramref name="user"/> (Redis's ACLAuthenticateUser).</summary>
    public static bool Authenticate(CinnabarServer server, ClientSession client, string user, ReadOnlySpan<byte> pass)
    {
        if (!CheckPassword(server, user, pass))
        {
            return false;
        }

        client.Authenticated = true;
        client.User = user;
        return true;
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
