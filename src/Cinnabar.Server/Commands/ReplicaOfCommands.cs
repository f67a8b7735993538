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
        t.Add("failover", -1, CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Stale, 0, 0, 0, Failover, "server", "6.2.0", "admin slow dangerous", "Start a coordinated failover between this server and one of its replicas.");
    }

    // FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds]
    private static void Failover(CommandContext ctx)
    {
        var failover = ctx.Server.PrimaryReplication.Failover;
        var a = ctx.Args;
        if (a.Count == 2 && a.Is(1, "abort"u8))
        {
            if (failover.State == Replication.FailoverState.None)
            {
                ctx.Error("ERR No failover in progress.");
                return;
            }

            failover.Abort("Failover manually aborted");
            ctx.Reply.Ok();
            return;
        }

        long timeout = 0;
        long port = 0;
        string? host = null;
        bool force = false;
        for (int j = 1; j < a.Count; j++)
        {
            if (a.Is(j, "timeout"u8) && j + 1 < a.Count && timeout == 0)
            {
                if (!Number.TryParseInt64(a[j + 1], out timeout))
                {
                    ctx.Error(Errors.NotInteger);
                    return;
                }

                if (timeout <= 0)
                {
                    ctx.Error("ERR FAILOVER timeout must be greater than 0");
                    return;
                }

                j++;
            }
            else if (a.Is(j, "to"u8) && j + 2 < a.Count && host is null)
            {
                if (!Number.TryParseInt64(a[j + 2], out port))
                {
                    ctx.Error(Errors.NotInteger);
                    return;
                }

                host = a.GetString(j + 1);
                j += 2;
            }
            else if (a.Is(j, "force"u8) && !force)
            {
                force = true;
            }
            else
            {
                ctx.Error(Errors.Syntax);
                return;
            }
        }

        if (failover.State != Replication.FailoverState.None)
        {
            ctx.Error("ERR FAILOVER already in progress.");
            return;
        }

        if (ctx.Server.PrimaryLink.Host is not null)
        {
            ctx.Error("ERR FAILOVER is not valid when server is a replica.");
            return;
        }

        if (ctx.Server.Replication.Replicas.Count == 0)
        {
            ctx.Error("ERR FAILOVER requires connected replicas.");
            return;
        }

        if (force && (timeout == 0 || host is null))
        {
            ctx.Error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
            return;
        }

        if (host is not null)
        {
            var replica = failover.FindReplica(host, port);
            if (replica is null)
            {
                ctx.Error("ERR FAILOVER target HOST and PORT is not a replica.");
                return;
            }

            if (replica.State != Replication.ReplicaState.Online)
            {
                ctx.Error("ERR FAILOVER target replica is not online.");
                return;
            }
        }

        failover.Start(host, (int)port, timeout, force);
        ctx.Reply.Ok();
    }

    // REPLICAOF host port | NO ONE
    // SLAVEOF host port | NO ONE
    private static void ReplicaOf(CommandContext ctx)
    {
        var server = ctx.Server;
        var link = server.PrimaryLink;
        if (server.PrimaryReplication.Failover.State != Replication.FailoverState.None)
        {
            ctx.Error("ERR REPLICAOF not allowed while failing over.");
            return;
        }

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
