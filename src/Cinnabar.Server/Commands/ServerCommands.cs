// Server commands (server.c, replication.c, rdb.c). Registered: TIME LASTSAVE SAVE BGSAVE ROLE SHUTDOWN.
// SAVE writes the snapshot synchronously under the executor gate; BGSAVE starts the forkless
// point-in-time snapshot of ARCHITECTURE §3 and returns at once (Persistence/SnapshotService).
// SHUTDOWN only asks the host to stop (server.ShutdownRequested); the host prints Redis's
// shutdown log lines and closes connections. A successful SHUTDOWN sends no reply: the client
// sees the connection close, exactly as with redis-server.
using Cinnabar.Server.Diagnostics;

namespace Cinnabar.Server.Commands;

/// <summary>Server administration commands.</summary>
internal static class ServerCommands
{
    public static void Register(CommandTable t)
    {
        t.Add(new CommandSpec("time", 1, CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, 0, 0, 0, Time)
        {
            Group = "server",
            Since = "2.6.0",
            AclCategories = ["fast"],
            Summary = "Return the current server time",
            Tips = ["nondeterministic_output"],
        });
        t.Add(new CommandSpec("lastsave", 1, CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, 0, 0, 0, LastSave)
        {
            Group = "server",
            Since = "1.0.0",
            AclCategories = ["admin", "fast", "dangerous"],
            Summary = "Get the UNIX time stamp of the last successful save to disk",
            Tips = ["nondeterministic_output"],
        });
        t.Add(new CommandSpec("save", 1, CommandFlags.NoAsyncLoading | CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.NoMulti, 0, 0, 0, Save)
        {
            Group = "server",
            Since = "1.0.0",
            AclCategories = ["admin", "slow", "dangerous"],
            Summary = "Synchronously save the dataset to disk",
        });
        t.Add(new CommandSpec("bgsave", -1, CommandFlags.NoAsyncLoading | CommandFlags.Admin | CommandFlags.NoScript, 0, 0, 0, BgSave)
        {
            Group = "server",
            Since = "1.0.0",
            AclCategories = ["admin", "slow", "dangerous"],
            Summary = "Asynchronously save the dataset to disk",
        });
        t.Add(new CommandSpec("role", 1, CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.Sentinel, 0, 0, 0, Role)
        {
            Group = "server",
            Since = "2.8.12",
            AclCategories = ["admin", "fast", "dangerous"],
            Summary = "Return the role of the instance in the context of replication",
        });
        t.Add(new CommandSpec("shutdown", -1, CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.NoMulti | CommandFlags.Sentinel | CommandFlags.AllowBusy, 0, 0, 0, Shutdown)
        {
            Group = "server",
            Since = "1.0.0",
            AclCategories = ["admin", "slow", "dangerous"],
            Summary = "Synchronously save the dataset to disk and then shut down the server",
        });
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

    // SAVE
    private static void Save(CommandContext ctx)
    {
        var snapshots = ctx.Server.Snapshots;
        if (snapshots.Busy)
        {
            ctx.Error("ERR Background save already in progress");
            return;
        }

        snapshots.CountSave();
        if (snapshots.Save())
        {
            ctx.Reply.Ok();
        }
        else
        {
            // shared.err: a bare "-ERR"; the reason is in the log. A failed SAVE leaves
            // rdb_last_bgsave_status alone, as rdbSave does.
            ctx.Error("ERR");
        }
    }

    // BGSAVE [SCHEDULE]
    private static void BgSave(CommandContext ctx)
    {
        // SCHEDULE only matters while a non-RDB child runs (an AOF rewrite), which never happens
        // here; it is accepted and otherwise changes nothing.
        if (ctx.Args.Count > 1 && !(ctx.Args.Count == 2 && ctx.Args.Is(1, "schedule"u8)))
        {
            ctx.Error(Errors.Syntax);
            return;
        }

        // Every snapshot is Redis's CHILD_TYPE_RDB (a full sync's too): "already in progress".
        // Redis schedules when another kind of child runs (AOF rewrite, none here) or inside EXEC.
        var snapshots = ctx.Server.Snapshots;
        if (snapshots.Busy)
        {
            ctx.Error("ERR Background save already in progress");
        }
        else if (ctx.Server.Dispatcher.InExec)
        {
            snapshots.BackgroundScheduled = true;
            ctx.Reply.Simple("Background saving scheduled");
        }
        else if (snapshots.BackgroundSave())
        {
            ctx.Reply.Simple("Background saving started");
        }
        else
        {
            ctx.Error("ERR");
        }
    }

    // LASTSAVE
    private static void LastSave(CommandContext ctx) => ctx.Reply.Integer(InfoBuilder.LastSaveSeconds(ctx.Server));

    // ROLE: ["master", <replication offset>, [[ip, port, offset] ...]] for a primary;
    // ["slave", host, port, state, offset] for a replica.
    private static void Role(CommandContext ctx)
    {
        if (ctx.Server.IsReplica)
        {
            ctx.Server.PrimaryLink.WriteRole(ctx.Reply);
            return;
        }

        ctx.Server.PrimaryReplication.WriteRole(ctx.Reply);
    }

    // SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
    private static void Shutdown(CommandContext ctx)
    {
        bool nosave = false, save = false, abort = false, force = false, now = false;
        for (int i = 1; i < ctx.Args.Count; i++)
        {
            if (ctx.Args.Is(i, "nosave"u8))
            {
                nosave = true;
            }
            else if (ctx.Args.Is(i, "save"u8))
            {
                save = true;
            }
            else if (ctx.Args.Is(i, "abort"u8))
            {
                abort = true;
            }
            else if (ctx.Args.Is(i, "force"u8))
            {
                force = true;
            }
            else if (ctx.Args.Is(i, "now"u8))
            {
                now = true;
            }
            else
            {
                ctx.Error(Errors.Syntax);
                return;
            }
        }

        if ((abort && ctx.Args.Count != 2) || (nosave && save))
        {
            ctx.Error(Errors.Syntax);
            return;
        }

        if (abort)
        {
            if (ctx.Server.ShutdownSequence.Abort())
            {
                ctx.Reply.Ok();
            }
            else
            {
                ctx.Error("ERR No shutdown in progress.");
            }

            return;
        }

        // The caller stays blocked while the shutdown waits for replicas; a failed final save
        // answers it with "Errors trying to SHUTDOWN. Check logs." and the server keeps running;
        // a shutdown that goes through gets no reply, the connection just closes.
        if (ctx.Server.ShutdownSequence.Prepare(save, nosave, now, force, ctx.Client))
        {
            ctx.Client.Blocked = false;
            ctx.Client.CloseAfterReply = true;
            ctx.Server.ShutdownRequested.Cancel();
        }
    }
}
