// SYNC (replication.c syncCommand), the pre-PSYNC full synchronization: the client becomes a
// replica, receives a disk-format snapshot ("$<len>\r\n<rdb>") and then the write stream.
// The snapshot is taken synchronously under the executor gate (a point-in-time copy that blocks
// writes while it is serialized); the forkless snapshot and PSYNC belong to the persistence and
// replication issues.
using Cinnabar.Server.Persistence.Rdb;

namespace Cinnabar.Server.Commands;

/// <summary>Replication commands.</summary>
internal static class ReplicationCommands
{
    public static void Register(CommandTable t)
    {
        t.Add("sync", 1, CommandFlags.Admin | CommandFlags.NoMulti | CommandFlags.NoScript, 0, 0, 0, Sync, "server", "1.0.0", "admin slow dangerous", "An internal command used in replication.");
    }

    // SYNC
    private static void Sync(CommandContext ctx)
    {
        var client = ctx.Client;
        if (client.IsReplica)
        {
            return;
        }

        if (ctx.Server.IsReplica && !ctx.Server.PrimaryLinkUp)
        {
            ctx.Error("NOMASTERLINK Can't SYNC while not connected with my master");
            return;
        }

        using var ms = new MemoryStream();
        new RdbWriter(ms, ctx.Server.Config.RdbCompression, ctx.Server.Config.RdbChecksum).WriteSnapshot(ctx.Server.Databases, RdbWriter.StandardAux(ctx.NowMs, GC.GetTotalMemory(false)), ctx.NowMs);
        client.IsReplica = true;
        ctx.Reply.Raw(System.Text.Encoding.ASCII.GetBytes($"${ms.Length}\r\n"));
        ctx.Reply.Raw(ms.GetBuffer().AsSpan(0, (int)ms.Length));
        ctx.Server.Log.Notice($"Replica {client.Address} asks for synchronization");
        ctx.Server.ReplicationFeed.Attach(client);
        if (!ctx.Server.PropagationSinks.Contains(ctx.Server.ReplicationFeed))
        {
            ctx.Server.PropagationSinks.Add(ctx.Server.ReplicationFeed);
        }
    }
}
