// Replication commands, primary side (replication.c syncCommand, replconfCommand, waitCommand):
// SYNC and PSYNC (partial resync from the shared replication buffer, or a full sync through the
// point-in-time snapshot), REPLCONF (the handshake options and the replica's ACKs) and WAIT. The
// work behind them lives in Replication/PrimaryReplication; these handlers check the arguments
// and states Redis checks, in Redis's order, with its replies.
using Cinnabar.Protocol;

namespace Cinnabar.Server.Commands;

/// <summary>Replication commands.</summary>
internal static class ReplicationCommands
{
    // Redis's NET_HOST_STR_LEN: a REPLCONF ip-address must be shorter.
    private const int MaxHostLength = 256;

    public static void Register(CommandTable t)
    {
        const CommandFlags syncFlags = CommandFlags.NoAsyncLoading | CommandFlags.Admin | CommandFlags.NoMulti | CommandFlags.NoScript;
        t.Add("sync", 1, syncFlags, 0, 0, 0, Sync, "server", "1.0.0", "admin slow dangerous", "Internal command used for replication");
        t.Add("psync", -3, syncFlags, 0, 0, 0, Sync, "server", "2.8.0", "admin slow dangerous", "Internal command used for replication");
        t.Add("replconf", -1, CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.AllowBusy, 0, 0, 0, ReplConf, "server", "3.0.0", "admin slow dangerous", "An internal command for configuring the replication stream");
        t.Add("wait", 3, CommandFlags.NoScript, 0, 0, 0, Wait, "generic", "3.0.0", "slow connection", "Wait for the synchronous replication of all the write commands sent in the context of the current connection");
    }

    // SYNC
    // PSYNC replicationid offset
    private static void Sync(CommandContext ctx)
    {
        var client = ctx.Client;

        // Already a replica (or a repeated SYNC): ignored, no reply.
        if (client.IsReplica)
        {
            return;
        }

        bool psync = ctx.Args.Is(0, "psync"u8);
        if (psync && ctx.Args.Count > 3 && ctx.Args.Is(3, "failover"u8))
        {
            // Our primary hands over (FAILOVER): we become the primary, then serve its PSYNC.
            ctx.Server.Log.Warning($"Failover request received for replid {ctx.Args.GetString(1)}.");
            if (ctx.Server.PrimaryLink.Host is null)
            {
                ctx.Error("ERR PSYNC FAILOVER can't be sent to a master.");
                return;
            }

            if (!string.Equals(ctx.Args.GetString(1), ctx.Server.Replication.ReplId, StringComparison.OrdinalIgnoreCase))
            {
                ctx.Error("ERR PSYNC FAILOVER replid must match my replid.");
                return;
            }

            ctx.Server.PrimaryLink.UnsetPrimary();
            ctx.Server.Log.Notice($"MASTER MODE enabled (failover request from '{ClientCommands.InfoLine(ctx.Server, client, ctx)}')");
        }

        // No replica may sync with us while we are handing over.
        if (ctx.Server.PrimaryReplication.Failover.State != Replication.FailoverState.None)
        {
            ctx.Error("NOMASTERLINK Can't SYNC while failing over");
            return;
        }

        if (ctx.Server.IsReplica && !ctx.Server.PrimaryLinkUp)
        {
            ctx.Error("NOMASTERLINK Can't SYNC while not connected with my master");
            return;
        }

        // The reply buffer must start empty: the snapshot and stream follow on this connection.
        if (client.Output.Length > 0)
        {
            ctx.Error("ERR SYNC and PSYNC are invalid with pending output");
            return;
        }

        long offset = 0;
        if (psync && !Number.TryParseInt64(ctx.Args[2], out offset))
        {
            var link = ctx.Server.PrimaryReplication.LinkOf(client);
            ctx.Server.Log.Notice($"Replica {link.Name} asks for synchronization");
            ctx.Server.Log.Warning($"Replica {link.Name} asks for synchronization but with a wrong offset");
            ctx.Error(Errors.NotInteger);
            return;
        }

        ctx.Server.PrimaryReplication.Sync(ctx, psync, offset);
    }

    // REPLCONF <option> <value> [<option> <value> ...]
    private static void ReplConf(CommandContext ctx)
    {
        var a = ctx.Args;
        if (a.Count % 2 == 0)
        {
            ctx.Error(Errors.Syntax);
            return;
        }

        var primary = ctx.Server.PrimaryReplication;
        for (int j = 1; j < a.Count; j += 2)
        {
            if (a.Is(j, "listening-port"u8))
            {
                if (!Number.TryParseInt64(a[j + 1], out long port))
                {
                    ctx.Error(Errors.NotInteger);
                    return;
                }

                primary.LinkOf(ctx.Client).ListeningPort = unchecked((int)port);
            }
            else if (a.Is(j, "ip-address"u8))
            {
                if (a[j + 1].Length >= MaxHostLength)
                {
                    ctx.Error($"ERR REPLCONF ip-address provided by replica instance is too long: {a[j + 1].Length} bytes");
                    return;
                }

                primary.LinkOf(ctx.Client).AnnouncedIp = a.GetString(j + 1);
            }
            else if (a.Is(j, "capa"u8))
            {
                // Capabilities this primary does not know are ignored.
                var link = primary.LinkOf(ctx.Client);
                if (a.Is(j + 1, "eof"u8))
                {
                    link.CapaEof = true;
                }
                else if (a.Is(j + 1, "psync2"u8))
                {
                    link.CapaPsync2 = true;
                }
            }
            else if (a.Is(j, "ack"u8))
            {
                // Only from a replica, and never answered, not even when malformed.
                if (!ctx.Client.IsReplica || ctx.Client.ReplicaLink is not { } link || !Number.TryParseInt64(a[j + 1], out long offset))
                {
                    return;
                }

                primary.Ack(link, offset);
                return;
            }
            else if (a.Is(j, "getack"u8))
            {
                // Our primary asks for an ACK now; never answered in-band.
                if (ctx.Server.IsReplica)
                {
                    ctx.Server.Replication.SendAckToPrimary?.Invoke();
                }

                return;
            }
            else if (a.Is(j, "rdb-only"u8))
            {
                if (!Number.TryParseInt64(a[j + 1], out long rdbOnly))
                {
                    ctx.Error(Errors.NotInteger);
                    return;
                }

                if (rdbOnly is < 0 or > 1)
                {
                    ctx.Error("ERR value is out of range, value must between 0 and 1");
                    return;
                }
            }
            else if (a.Is(j, "rdb-filter-only"u8))
            {
                var filters = SplitArgs.Split(a[j + 1]);
                if (filters is null)
                {
                    ctx.Error("ERR Missing rdb-filter-only values");
                    return;
                }

                foreach (var f in filters)
                {
                    if (!System.Text.Encoding.UTF8.GetString(f).Equals("functions", StringComparison.OrdinalIgnoreCase))
                    {
                        ctx.Error($"ERR Unsupported rdb-filter-only option: {System.Text.Encoding.UTF8.GetString(f)}");
                        return;
                    }
                }
            }
            else
            {
                ctx.Error($"ERR Unrecognized REPLCONF option: {a.GetString(j)}");
                return;
            }
        }

        ctx.Reply.Ok();
    }

    // WAIT numreplicas timeout
    private static void Wait(CommandContext ctx)
    {
        if (ctx.Server.IsReplica)
        {
            ctx.Error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.");
            return;
        }

        if (!Number.TryParseInt64(ctx.Args[1], out long numReplicas))
        {
            ctx.Error(Errors.NotInteger);
            return;
        }

        if (!Number.TryParseInt64(ctx.Args[2], out long timeout))
        {
            ctx.Error("ERR timeout is not an integer or out of range");
            return;
        }

        if (timeout < 0)
        {
            ctx.Error("ERR timeout is negative");
            return;
        }

        ctx.Server.PrimaryReplication.Acks.Wait(ctx, numReplicas, timeout);
    }
}
