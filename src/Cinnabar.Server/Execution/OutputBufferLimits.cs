// client-output-buffer-limit for normal and pub/sub clients (networking.c
// checkClientOutputBufferLimits / closeClientOnOutputBufferLimitReached). A client's pending
// output is what the executor has written for it and the socket has not taken yet: its output
// buffer plus what its connection is still sending. Past the hard limit, or past the soft limit
// for longer than its seconds, the client is closed with Redis's log line. Checked as output is
// appended (the session's ReplyWriter calls OnThreshold when its length passes the next point
// worth checking, so a huge KEYS/LRANGE/SMEMBERS reply is cut off while it is being built, as
// Redis's _addReplyProtoToList does), where output is written for a client other than the caller
// (PUBLISH deliveries, MONITOR lines), after each command, and from the cron so a soft limit is
// enforced when no new output arrives. A closed client's writer drops further bytes: the command
// runs to completion but its reply is not buffered (Redis's CLIENT_CLOSE_ASAP makes
// prepareClientToWrite refuse output). Replicas have their own accounting
// (Replication/PrimaryReplication.cs).
using Cinnabar.Protocol;
using Cinnabar.Server.Commands;
using Cinnabar.Server.Networking;

namespace Cinnabar.Server.Execution;

/// <summary>Enforces client-output-buffer-limit for normal and pubsub clients.</summary>
internal static class OutputBufferLimits
{
    private const int ClassNormal = 0;
    private const int ClassPubSub = 2;

    // How far a writer may grow between checks when no limit is nearer: bounds the overshoot
    // after a CONFIG SET lowered a limit, and how late an elapsed soft limit is noticed.
    private const int RecheckBytes = 1024 * 1024;
    private const int SoftRecheckBytes = 64 * 1024;

    /// <summary>Hooks <paramref name="c"/>'s reply writer so its limit is checked as replies grow.</summary>
    public static void Watch(CinnabarServer server, ClientSession c) =>
        c.Output.OnThreshold = (w, incoming) => OnThreshold(server, c, w, incoming);

    /// <summary>
    /// The writer is about to pass its check point with <paramref name="incoming"/> more bytes:
    /// close the client if that puts it over its limit, else set the next check point.
    /// </summary>
    public static void OnThreshold(CinnabarServer server, ClientSession c, ReplyWriter w, int incoming)
    {
        if (Enforce(server, c, incoming) || c.Killed || c.IsReplica || c.IsPrimaryLink || c.Transport is null)
        {
            return;
        }

        var (hard, soft, _) = server.Config.Store.ObufLimit(c.IsPubSub ? ClassPubSub : ClassNormal);
        long inFlight = Volatile.Read(ref c.OutputInFlight);
        long next = (long)w.Length + RecheckBytes;
        if (hard > 0)
        {
            // Enforce closes at used >= hard, i.e. once the length passes hard - inFlight - 1.
            next = Math.Min(next, hard - inFlight - 1);
        }

        if (soft > 0)
        {
            next = Math.Min(next, c.ObufSoftLimitSince == 0 ? soft - inFlight - 1 : (long)w.Length + SoftRecheckBytes);
        }

        w.CheckAt = (int)Math.Clamp(next, w.Length, int.MaxValue);
    }

    /// <summary>
    /// Closes <paramref name="c"/> when its pending output (plus <paramref name="incoming"/>
    /// bytes about to be written) is over its class's limit; true when it did.
    /// </summary>
    public static bool Enforce(CinnabarServer server, ClientSession c, long incoming = 0)
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

        long used = c.PendingOutput + incoming;
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
        // the replies are dropped, and the rest of its pipeline is not run. The command running now
        // completes, but what it still writes is dropped.
        c.Killed = true;
        c.Output.StartDiscarding();
        c.Transport.Close();
        return true;
    }

    /// <summary>
    /// For loops whose reply can grow without bound (HRANDFIELD/SRANDMEMBER/ZRANDMEMBER with a
    /// huge negative count): true once the caller was closed for its output limit, so the loop
    /// stops early, as Redis's loops test CLIENT_CLOSE_ASAP (other commands simply run on while
    /// their output is dropped).
    /// </summary>
    public static bool StopMidReply(CommandContext ctx, long iteration) =>
        (iteration & 1023) == 0 && ctx.Client.Output.Discarding;

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
