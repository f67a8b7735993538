// REPLICAOF / SLAVEOF (replication.c replicaofCommand): make this server follow a primary, or
// stop following one. The link itself lives in Replication/PrimaryLink; this file is the
// command's argument rules, replies and log lines.
using System.Text;

using Cinnabar.Protocol;

namespace Cinnabar.Server.Commands;

/// <summary>The replica-side replication commands.</summary>
internal static class ReplicaOfCommands
{
    public static void Register(CommandTable t)
    {
        const CommandFlags flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Stale | CommandFlags.NoAsyncLoading;
        t.Add("replicaof", 3, flags, 0, 0, 0, ReplicaOf, "server", "5.0.0", "admin slow dangerous", "Configure a server as replica of another, or promote it to a master.");
        t.Add("slaveof", 3, flags, 0, 0, 0, ReplicaOf, "server", "1.0.0", "admin slow dangerous", "Sets a Redis server as a replica of another, or promotes it to being a master.");
    }

    // REPLICAOF host port | NO ONE
    // SLAVEOF host port | NO ONE
    private static void ReplicaOf(CommandContext ctx)
    {
        var server = ctx.Server;
        var link = server.PrimaryLink;
        if (ctx.Args.Is(1, "no"u8) && ctx.Args.Is(2, "one"u8))
        {
            if (link.Host is not null)
            {
                link.UnsetPrimary();
                server.Log.Notice($"MASTER MODE enabled (user request from '{ClientCommands.InfoLine(server, ctx.Client, ctx)}')");
            }

            ctx.Reply.Ok();
            return;
        }

        if (ctx.Client.IsReplica)
        {
            ctx.Error("ERR Command is not valid when client is a replica.");
            return;
        }

        if (!Number.TryParseInt64(ctx.Args[2], out long port) || port is < 0 or > 65535)
        {
            ctx.Error("ERR Invalid master port");
            return;
        }

        string host = Encoding.UTF8.GetString(ctx.Args[1]);
        if (link.Host is not null && string.Equals(link.Host, host, StringComparison.OrdinalIgnoreCase) && link.Port == port)
        {
            server.Log.Notice("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
            ctx.Reply.Simple("OK Already connected to specified master");
            return;
        }

        link.SetPrimary(host, (int)port);
        server.Log.Notice($"REPLICAOF {host}:{port} enabled (user request from '{ClientCommands.InfoLine(server, ctx.Client, ctx)}')");
        ctx.Reply.Ok();
    }
}
