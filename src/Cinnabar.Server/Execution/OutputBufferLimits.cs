// client-output-buffer-limit for normal and pub/sub clients (networking.c
// checkClientOutputBufferLimits / closeClientOnOutputBufferLimitReached). A client's pending
// output is what the executor has written for it and the socket has not taken yet: its output
// buffer plus what its connection is still sending. Past the hard limit, or past the soft limit
// for longer than its seconds, the client is closed with Redis's log line. Checked where output
// is written for a client other than the caller (PUBLISH deliveries, MONITOR lines), after each
// command for the caller's own replies, and from the cron so a soft limit is enforced when no new
// output arrives. Replicas have their own accounting (Replication/PrimaryReplication.cs).
using Cinnabar.Server.Commands;
using Cinnabar.Server.Networking;

namespace Cinnabar.Server.Execution;

/// <summary>Enforces client-output-buffer-limit for normal and pubsub clients.</summary>
internal static class OutputBufferLimits
{
    private const int ClassNormal = 0;
    private const int ClassPubSub = 2;

    /// <summary>Closes <paramref name="c"/> when its pending output is over its class's limit; true when it did.</summary>
    public static bool Enforce(CinnabarServer server, ClientSession c)
    {
        if (c.Killed || c.IsReplica || c.IsPrimaryLink || c.Transport is null)
        {
            return false;
        }

        // getClientType: a MONITOR client counts as normal, a subscribed one as pubsub.
        var (hard, soft, seconds) = server.Config.Store.ObufLimit(c.IsPubSub ? ClassPubSub : ClassNormal);
        if (hard == 0 && soft == 0)
        {
            return false;
        }

        long used = c.PendingOutput;
        bool overHard = hard > 0 && used >= hard;
        bool overSoft = soft > 0 && used >= soft;
        if (overSoft)
        {
            long now = server.NowMs / 1000;
            if (c.ObufSoftLimitSince == 0)
            {
                c.ObufSoftLimitSince = now;
                overSoft = false;
            }
            else if (now - c.ObufSoftLimitSince <= seconds)
            {
                overSoft = false;
            }
        }
        else
        {
            c.ObufSoftLimitSince = 0;
        }

        if (!overHard && !overSoft)
        {
            return false;
        }

        server.Log.Warning($"Client {ClientCommands.InfoLine(server, c, null)} scheduled to be closed ASAP for overcoming of output buffer limits.");
        // Redis frees such a client without writing what is queued for it (freeClientAsync):
        // the replies are dropped, and the rest of its pipeline is not run.
        c.Killed = true;
        c.Output.Clear();
        c.Transport.Close();
        return true;
    }

    /// <summary>
    /// For replies that can grow without bound (HRANDFIELD/SRANDMEMBER/ZRANDMEMBER with a huge
    /// negative count, KEYS): checked every 1024 elements, true once the caller went over its
    /// limit and was closed, so the command stops there (Redis's loops test CLIENT_CLOSE_ASAP).
    /// </summary>
    public static bool StopMidReply(Commands.CommandContext ctx, long iteration) =>
        (iteration & 1023) == 0 && Enforce(ctx.Server, ctx.Client);

    /// <summary>The cron's pass: soft limits reached while no new output arrived.</summary>
    public static void Cron(CinnabarServer server)
    {
        List<ClientSession>? over = null;
        foreach (var c in server.Clients.Values)
        {
            if (c.ObufSoftLimitSince != 0 || c.PendingOutput > 0)
            {
                (over ??= []).Add(c);
            }
        }

        if (over is not null)
        {
            foreach (var c in over)
            {
                Enforce(server, c);
            }
        }
    }
}
