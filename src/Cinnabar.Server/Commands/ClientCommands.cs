// CLIENT and its subcommands (networking.c clientCommand): ID INFO LIST KILL SETNAME GETNAME
// PAUSE UNPAUSE REPLY NO-EVICT UNBLOCK GETREDIR TRACKINGINFO HELP. The CLIENT LIST line keeps
// Redis 7.0's field order exactly, because tools split it on spaces and '='; the memory figures
// are our own estimates, since .NET buffers do not map one to one onto Redis's allocations.
// Client-side caching (TRACKING, CACHING) is not implemented: GETREDIR and TRACKINGINFO report
// tracking as off.
using System.Text;

using Cinnabar.Protocol;
using Cinnabar.Server.Networking;

namespace Cinnabar.Server.Commands;

/// <summary>CLIENT and its subcommands (networking.c clientCommand).</summary>
internal static class ClientCommands
{
    private const CommandFlags Common = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Sentinel;

    private static readonly string[] HelpLines =
    [
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
    ];

    /// <summary>Client types as CLIENT LIST TYPE and CLIENT KILL TYPE name them.</summary>
    private enum ClientType
    {
        Normal,
        Replica,
        PubSub,
        Primary,
    }

    public static void Register(CommandTable t)
    {
        var client = t.Add("client", -2, CommandFlags.Sentinel, 0, 0, 0, null, "connection", "2.4.0", "", "A container for client connection commands.");
        Sub(client, "getname", 2, Common, GetName, "2.6.9", "Returns the name of the connection.");
        Sub(client, "getredir", 2, Common, GetRedir, "6.0.0", "Returns the client ID to which the connection's tracking notifications are redirected.");
        Sub(client, "help", 2, CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Sentinel, Help, "5.0.0", "Returns helpful text about the different subcommands.");
        Sub(client, "id", 2, Common, Id, "5.0.0", "Returns the unique client ID of the connection.");
        Sub(client, "info", 2, Common, Info, "6.2.0", "Returns information about the connection.");
        Sub(client, "kill", -3, CommandFlags.Admin | Common, Kill, "2.4.0", "Terminates open connections.");
        Sub(client, "list", -2, CommandFlags.Admin | Common, List, "2.4.0", "Lists open connections.");
        Sub(client, "no-evict", 3, CommandFlags.Admin | Common, NoEvict, "7.0.0", "Sets the client eviction mode of the connection.");
        Sub(client, "pause", -3, CommandFlags.Admin | Common, Pause, "2.9.50", "Suspends commands processing.");
        Sub(client, "reply", 3, Common, Reply, "3.2.0", "Instructs the server whether to reply to commands.");
        Sub(client, "setname", 3, Common, SetName, "2.6.9", "Sets the connection name.");
        Sub(client, "trackinginfo", 2, Common, TrackingInfo, "6.2.0", "Returns information about server-assisted client-side caching for the connection.");
        Sub(client, "unblock", -3, CommandFlags.Admin | Common, Unblock, "5.0.0", "Unblocks a client blocked by a blocking command from a different connection.");
        Sub(client, "unpause", 2, CommandFlags.Admin | Common, Unpause, "6.2.0", "Resumes processing commands from paused clients.");
    }

    /// <summary>Sets the client name, or replies Redis's error when it has spaces or special characters (clientSetNameOrReply).</summary>
    public static bool SetNameOrReply(CommandContext ctx, ReadOnlySpan<byte> name)
    {
        if (name.Length == 0)
        {
            // An empty name removes the current one.
            ctx.Client.Name = null;
            return true;
        }

        foreach (byte b in name)
        {
            if (b is < (byte)'!' or > (byte)'~')
            {
                ctx.Error("ERR Client names cannot contain spaces, newlines or special characters.");
                return false;
            }
        }

        ctx.Client.Name = Encoding.ASCII.GetString(name);
        return true;
    }

    /// <summary>One CLIENT LIST line, without the trailing newline (catClientInfoString).</summary>
    public static string InfoLine(CinnabarServer server, ClientSession c, CommandContext? current)
    {
        long nowSec = server.NowMs / 1000;
        var flags = new StringBuilder();
        if (c.IsMonitor)
        {
            flags.Append('O');
        }
        else if (c.IsReplica)
        {
            flags.Append('S');
        }

        if (c.IsPrimaryLink)
        {
            flags.Append('M');
        }

        if (c.IsPubSub)
        {
            flags.Append('P');
        }

        if (c.InMulti)
        {
            flags.Append('x');
        }

        if (c.Blocked)
        {
            flags.Append('b');
        }

        if (c.DirtyCas)
        {
            flags.Append('d');
        }

        if (c.CloseAfterReply)
        {
            flags.Append('c');
        }

        if (c.IsUnixSocket)
        {
            flags.Append('U');
        }

        if (c.ReadOnlyMode)
        {
            flags.Append('r');
        }

        if (c.NoEvict)
        {
            flags.Append('e');
        }

        if (flags.Length == 0)
        {
            flags.Append('N');
        }

        // Only the client running CLIENT LIST/INFO has an argument vector at this moment, and
        // Redis still holds that command's bytes in its query buffer while running it.
        bool running = current is not null && current.Client == c;
        long argvMem = running ? current!.Args.TotalLength : 0;
        long qbuf = c.QueryBufferLength + (running ? MultibulkLength(current!.Args) : 0);
        long qbufFree = c.Transport is null ? 0 : Math.Max(0, 16384 - qbuf);
        long rbs = c.Transport is null ? 0 : Math.Max(1024, c.Output.Capacity);
        long rbp = c.Transport is null ? 0 : Math.Min(rbs, c.Output.Length);
        // omem: output the socket has not taken yet (a client that stops reading); the caller's
        // own replies of this batch are about to be sent, as Redis's are from its static buffer.
        long omem = running ? 0 : c.PendingOutput;
        long totMem = qbuf + qbufFree + argvMem + c.QueuedBytes + rbs + omem + 1920;
        string events = c.Transport is null ? string.Empty : "r";
        return $"id={c.Id} addr={c.Address} laddr={c.LocalAddress} fd={c.Fd} name={c.Name} age={nowSec - (c.CreatedMs / 1000)} idle={nowSec - (c.LastInteractionMs / 1000)} flags={flags} db={c.DbIndex} sub={c.ChannelCount} psub={c.PatternCount} ssub={c.ShardChannelCount} multi={(c.InMulti ? c.Queued.Count : -1)} qbuf={qbuf} qbuf-free={qbufFree} argv-mem={argvMem} multi-mem={c.QueuedBytes} rbs={rbs} rbp={rbp} obl=0 oll={(omem > 0 ? 1 : 0)} omem={omem} tot-mem={totMem} events={events} cmd={c.LastCommand} user={c.User} redir=-1 resp={c.Protocol}";
    }

    // Size of the command as a RESP multibulk (*N, then $len and the bytes of each argument).
    private static long MultibulkLength(CommandArgs args)
    {
        long n = 3 + Digits(args.Count);
        for (int i = 0; i < args.Count; i++)
        {
            n += 5 + Digits(args.LengthOf(i)) + args.LengthOf(i);
        }

        return n;
    }

    private static int Digits(long v) => v < 10 ? 1 : (int)Math.Floor(Math.Log10(v)) + 1;

    /// <summary>Closes another client now (Redis's freeClient): it leaves the client list at once.</summary>
    public static void Disconnect(CinnabarServer server, ClientSession c)
    {
        c.Killed = true;
        server.RemoveClient(c);
        server.Dispatcher.Forget(c);
        c.Transport?.Close();
    }

    private static void Sub(CommandSpec container, string name, int arity, CommandFlags flags, CommandHandler handler, string since, string summary)
    {
        container.AddSubcommand(new CommandSpec(name, arity, flags, 0, 0, 0, handler)
        {
            Group = "connection",
            Since = since,
            AclCategories = ["connection"],
            Summary = summary,
        });
    }

    // CLIENT HELP
    private static void Help(CommandContext ctx)
    {
        var r = ctx.Reply;
        r.ArrayHeader(HelpLines.Length + 3);
        r.Simple($"{ctx.Args.GetString(0).ToUpperInvariant()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
        foreach (var line in HelpLines)
        {
            r.Simple(line);
        }

        r.Simple("HELP"u8);
        r.Simple("    Prints this help."u8);
    }

    // CLIENT ID
    private static void Id(CommandContext ctx) => ctx.Reply.Integer(ctx.Client.Id);

    // CLIENT INFO
    private static void Info(CommandContext ctx)
    {
        ctx.Reply.Verbatim(Encoding.UTF8.GetBytes(InfoLine(ctx.Server, ctx.Client, ctx) + "\n"));
    }

    // CLIENT LIST [TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]
    private static void List(CommandContext ctx)
    {
        var args = ctx.Args;
        var sb = new StringBuilder();
        if (args.Count == 4 && args.Is(2, "type"u8))
        {
            if (!TryParseType(args[3], out var type))
            {
                ctx.Error($"ERR Unknown client type '{args.GetString(3)}'");
                return;
            }

            foreach (var c in ClientsInOrder(ctx.Server))
            {
                if (TypeOf(c) == type)
                {
                    sb.Append(InfoLine(ctx.Server, c, ctx)).Append('\n');
                }
            }
        }
        else if (args.Count > 3 && args.Is(2, "id"u8))
        {
            for (int j = 3; j < args.Count; j++)
            {
                if (!Number.TryParseInt64(args[j], out long id))
                {
                    ctx.Error("ERR Invalid client ID");
                    return;
                }

                if (ctx.Server.Clients.TryGetValue(id, out var c))
                {
                    sb.Append(InfoLine(ctx.Server, c, ctx)).Append('\n');
                }
            }
        }
        else if (args.Count != 2)
        {
            ctx.Error(Errors.Syntax);
            return;
        }
        else
        {
            foreach (var c in ClientsInOrder(ctx.Server))
            {
                sb.Append(InfoLine(ctx.Server, c, ctx)).Append('\n');
            }
        }

        ctx.Reply.Verbatim(Encoding.UTF8.GetBytes(sb.ToString()));
    }

    // CLIENT KILL ip:port
    // CLIENT KILL [ID client-id] [TYPE NORMAL|MASTER|SLAVE|REPLICA|PUBSUB] [USER username]
    //             [ADDR ip:port] [LADDR ip:port] [SKIPME yes|no]
    private static void Kill(CommandContext ctx)
    {
        var args = ctx.Args;
        string? addr = null;
        string? laddr = null;
        string? user = null;
        ClientType? type = null;
        long id = 0;
        bool skipMe = true;
        if (args.Count == 3)
        {
            // The old form may kill the caller itself.
            addr = args.GetString(2);
            skipMe = false;
        }
        else
        {
            for (int i = 2; i < args.Count; i += 2)
            {
                bool more = args.Count > i + 1;
                if (args.Is(i, "id"u8) && more)
                {
                    if (!Number.TryParseInt64(args[i + 1], out id) || id < 1)
                    {
                        ctx.Error("ERR client-id should be greater than 0");
                        return;
                    }
                }
                else if (args.Is(i, "type"u8) && more)
                {
                    if (!TryParseType(args[i + 1], out var t))
                    {
                        ctx.Error($"ERR Unknown client type '{args.GetString(i + 1)}'");
                        return;
                    }

                    type = t;
                }
                else if (args.Is(i, "addr"u8) && more)
                {
                    addr = args.GetString(i + 1);
                }
                else if (args.Is(i, "laddr"u8) && more)
                {
                    laddr = args.GetString(i + 1);
                }
                else if (args.Is(i, "user"u8) && more)
                {
                    user = args.GetString(i + 1);
                    if (user != "default")
                    {
                        ctx.Error($"ERR No such user '{user}'");
                        return;
                    }
                }
                else if (args.Is(i, "skipme"u8) && more)
                {
                    if (args.Is(i + 1, "yes"u8))
                    {
                        skipMe = true;
                    }
                    else if (args.Is(i + 1, "no"u8))
                    {
                        skipMe = false;
                    }
                    else
                    {
                        ctx.Error(Errors.Syntax);
                        return;
                    }
                }
                else
                {
                    ctx.Error(Errors.Syntax);
                    return;
                }
            }
        }

        int killed = 0;
        bool closeSelf = false;
        foreach (var c in ClientsInOrder(ctx.Server))
        {
            if ((addr is not null && c.Address != addr)
                || (laddr is not null && c.LocalAddress != laddr)
                || (type is not null && TypeOf(c) != type)
                || (id != 0 && c.Id != id)
                || (user is not null && c.User != user)
                || (c == ctx.Client && skipMe))
            {
                continue;
            }

            if (c == ctx.Client)
            {
                closeSelf = true;
            }
            else
            {
                Disconnect(ctx.Server, c);
            }

            killed++;
        }

        if (args.Count == 3)
        {
            if (killed == 0)
            {
                ctx.Error("ERR No such client");
            }
            else
            {
                ctx.Reply.Ok();
            }
        }
        else
        {
            ctx.Reply.Integer(killed);
        }

        // Flagged only after the reply is queued, so the caller still receives it.
        if (closeSelf)
        {
            ctx.Client.CloseAfterReply = true;
        }
    }

    // CLIENT SETNAME connection-name
    private static void SetName(CommandContext ctx)
    {
        if (SetNameOrReply(ctx, ctx.Args[2]))
        {
            ctx.Reply.Ok();
        }
    }

    // CLIENT GETNAME
    private static void GetName(CommandContext ctx)
    {
        if (ctx.Client.Name is null)
        {
            ctx.Reply.NullBulk();
        }
        else
        {
            ctx.Reply.Bulk(ctx.Client.Name);
        }
    }

    // CLIENT PAUSE timeout [WRITE | ALL]
    private static void Pause(CommandContext ctx)
    {
        var args = ctx.Args;
        if (args.Count > 4)
        {
            SubcommandSyntaxError(ctx);
            return;
        }

        var type = PauseType.All;
        if (args.Count == 4)
        {
            if (args.Is(3, "write"u8))
            {
                type = PauseType.Write;
            }
            else if (!args.Is(3, "all"u8))
            {
                ctx.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
                return;
            }
        }

        // getTimeoutFromObjectOrReply in milliseconds.
        if (!Number.TryParseInt64(args[2], out long timeout))
        {
            ctx.Error("ERR timeout is not an integer or out of range");
            return;
        }

        if (timeout < 0)
        {
            ctx.Error("ERR timeout is negative");
            return;
        }

        if (timeout > 0)
        {
            if (timeout > long.MaxValue - ctx.NowMs)
            {
                ctx.Error("ERR timeout is out of range");
                return;
            }

            timeout += ctx.NowMs;
        }

        ctx.Server.Dispatcher.Pause.Pause(PausePurpose.ClientCommand, timeout, type);
        ctx.Reply.Ok();
    }

    // CLIENT UNPAUSE
    private static void Unpause(CommandContext ctx)
    {
        ctx.Server.Dispatcher.Pause.Unpause(PausePurpose.ClientCommand);
        ctx.Reply.Ok();
    }

    // CLIENT REPLY ON|OFF|SKIP
    private static void Reply(CommandContext ctx)
    {
        // OFF and SKIP produce no reply of their own: the dispatcher applies the mode after
        // this command, as Redis applies CLIENT_REPLY_OFF / SKIP_NEXT when adding replies.
        var c = ctx.Client;
        if (ctx.Args.Is(2, "on"u8))
        {
            c.ReplyMode = ReplyMode.On;
            c.SkipCurrentReply = false;
            ctx.Reply.Ok();
        }
        else if (ctx.Args.Is(2, "off"u8))
        {
            c.ReplyMode = ReplyMode.Off;
        }
        else if (ctx.Args.Is(2, "skip"u8))
        {
            if (c.ReplyMode != ReplyMode.Off)
            {
                c.ReplyMode = ReplyMode.Skip;
            }
        }
        else
        {
            ctx.Error(Errors.Syntax);
        }
    }

    // CLIENT NO-EVICT ON|OFF
    private static void NoEvict(CommandContext ctx)
    {
        if (ctx.Args.Is(2, "on"u8))
        {
            ctx.Client.NoEvict = true;
            ctx.Reply.Ok();
        }
        else if (ctx.Args.Is(2, "off"u8))
        {
            ctx.Client.NoEvict = false;
            ctx.Reply.Ok();
        }
        else
        {
            ctx.Error(Errors.Syntax);
        }
    }

    // CLIENT UNBLOCK client-id [TIMEOUT | ERROR]
    private static void Unblock(CommandContext ctx)
    {
        var args = ctx.Args;
        if (args.Count > 4)
        {
            SubcommandSyntaxError(ctx);
            return;
        }

        if (args.Count == 4 && !args.Is(3, "timeout"u8) && !args.Is(3, "error"u8))
        {
            ctx.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }

        if (!Number.TryParseInt64(args[2], out long id))
        {
            ctx.Error(Errors.NotInteger);
            return;
        }

        // Only a client blocked on keys can be unblocked; one postponed by CLIENT PAUSE has no
        // timeout callback in Redis, so it is not unblockable.
        bool error = args.Count == 4 && args.Is(3, "error"u8);
        bool done = ctx.Server.Clients.TryGetValue(id, out var target) &&
            ctx.Server.Blocking.UnblockWithReply(target, error ? "UNBLOCKED client unblocked via CLIENT UNBLOCK" : null);
        ctx.Reply.Integer(done ? 1 : 0);
    }

    // CLIENT GETREDIR
    private static void GetRedir(CommandContext ctx) => ctx.Reply.Integer(-1);

    // CLIENT TRACKINGINFO
    private static void TrackingInfo(CommandContext ctx)
    {
        var r = ctx.Reply;
        r.MapHeader(3);
        r.Bulk("flags"u8);
        r.SetHeader(1);
        r.Bulk("off"u8);
        r.Bulk("redirect"u8);
        r.Integer(-1);
        r.Bulk("prefixes"u8);
        r.ArrayHeader(0);
    }

    private static void SubcommandSyntaxError(CommandContext ctx)
    {
        ctx.Error($"ERR unknown subcommand or wrong number of arguments for '{Errors.Truncate(ctx.Args.GetString(1), 128)}'. Try {ctx.Args.GetString(0).ToUpperInvariant()} HELP.");
    }

    private static ClientSession[] ClientsInOrder(CinnabarServer server) =>
        server.Clients.Values.OrderBy(c => c.Id).ToArray();

    // getClientType: monitors count as normal clients although Redis flags them as replicas.
    private static ClientType TypeOf(ClientSession c)
    {
        if (c.IsPrimaryLink)
        {
            return ClientType.Primary;
        }

        if (c.IsReplica && !c.IsMonitor)
        {
            return ClientType.Replica;
        }

        return c.IsPubSub ? ClientType.PubSub : ClientType.Normal;
    }

    private static bool TryParseType(ReadOnlySpan<byte> name, out ClientType type)
    {
        type = ClientType.Normal;
        if (Cinnabar.Protocol.Ascii.EqualsIgnoreCase(name, "normal"u8))
        {
            type = ClientType.Normal;
        }
        else if (Cinnabar.Protocol.Ascii.EqualsIgnoreCase(name, "slave"u8) || Cinnabar.Protocol.Ascii.EqualsIgnoreCase(name, "replica"u8))
        {
            type = ClientType.Replica;
        }
        else if (Cinnabar.Protocol.Ascii.EqualsIgnoreCase(name, "pubsub"u8))
        {
            type = ClientType.PubSub;
        }
        else if (Cinnabar.Protocol.Ascii.EqualsIgnoreCase(name, "master"u8))
        {
            type = ClientType.Primary;
        }
        else
        {
            return false;
        }

        return true;
    }
}
