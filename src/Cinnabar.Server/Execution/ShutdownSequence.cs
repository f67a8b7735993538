// SHUTDOWN and the shutdown signals as Redis 7.0 runs them (server.c prepareForShutdown,
// isReadyToShutdown, finishShutdown, abortShutdown; db.c shutdownCommand): unless NOW is given or
// shutdown-timeout is 0, a primary whose replicas have not acknowledged its whole stream waits up
// to shutdown-timeout seconds for them. Meanwhile writes are paused (the Shutdown pause), every
// replica is asked for an ACK, INFO shows shutdown_in_milliseconds, and each SHUTDOWN caller stays
// blocked. The cron finishes the shutdown as soon as every replica has caught up, or at the
// deadline: a "Lagging replica" line per replica still behind, "N of M replicas are in sync", the
// final save, exit. A failed save (without FORCE) or SHUTDOWN ABORT cancels it instead: the
// waiting callers get "Errors trying to SHUTDOWN. Check logs." and writes resume.
using System.Globalization;

using Cinnabar.Protocol;
using Cinnabar.Server.Networking;

namespace Cinnabar.Server.Execution;

/// <summary>The shutdown in progress, if any.</summary>
internal sealed class ShutdownSequence
{
    private static readonly CommandArgs GetAck = CommandArgs.FromStrings("REPLCONF", "GETACK", "*");
    private readonly CinnabarServer _server;
    private readonly List<ClientSession> _waiting = [];
    private bool _save;
    private bool _nosave;
    private bool _force;

    public ShutdownSequence(CinnabarServer server)
    {
        _server = server;
    }

    /// <summary>shutdown_mstime: when the wait for replicas ends (unix ms), 0 when no shutdown is initiated.</summary>
    public long DeadlineMs { get; private set; }

    /// <summary>isShutdownInitiated.</summary>
    public bool Initiated => DeadlineMs != 0;

    /// <summary>
    /// prepareForShutdown (caller holds the gate). <paramref name="caller"/>, a SHUTDOWN client,
    /// stays blocked until the shutdown fails or is aborted. Returns true when the server may
    /// exit now; false while waiting for replicas or after a failure (logged, callers answered).
    /// </summary>
    public bool Prepare(bool save, bool nosave, bool now, bool force, ClientSession? caller)
    {
        if (caller is not null)
        {
            caller.Blocked = true;
            caller.Postponed = false;
            _waiting.Add(caller);
        }

        if (Initiated)
        {
            return false;
        }

        // While loading the dataset is incomplete and is never saved.
        if (_server.Loading || _server.AsyncLoading)
        {
            save = false;
            nosave = true;
        }

        _save = save;
        _nosave = nosave;
        _force = force;
        _server.Log.Warning("User requested shutdown...");
        long timeout = _server.Config.Store.GetNumber("shutdown-timeout");
        if (!now && timeout != 0 && !IsReady())
        {
            DeadlineMs = _server.NowMs + (timeout * 1000);
            if (_server.Dispatcher.Pause.Type == PauseType.Off)
            {
                _server.PrimaryReplication.FeedKeyless(GetAck);
            }

            _server.Dispatcher.Pause.Pause(PausePurpose.Shutdown, long.MaxValue, PauseType.Write);
            _server.Log.Notice("Waiting for replicas before shutting down.");
            return false;
        }

        return Finish();
    }

    /// <summary>serverCron's part: finishes a waiting shutdown once the replicas caught up or the time is up. Caller holds the gate.</summary>
    public void Cron()
    {
        if (Initiated && (_server.NowMs >= DeadlineMs || IsReady()) && Finish())
        {
            _server.ShutdownRequested.Cancel();
        }
    }

    /// <summary>abortShutdown: false when no shutdown is in progress. Caller holds the gate.</summary>
    public bool Abort()
    {
        if (!Initiated)
        {
            return false;
        }

        Cancel();
        _server.Log.Notice("Shutdown manually aborted.");
        return true;
    }

    /// <summary>
    /// disconnectAllBlockedClients' part for SHUTDOWN (a primary turned replica): each waiting
    /// caller gets <paramref name="error"/> and is closed after it. The shutdown itself goes on,
    /// as in Redis, which leaves shutdown_mstime set: the cron still finishes it once the replicas
    /// have caught up (or are gone) or the deadline passes.
    /// </summary>
    public void DisconnectWaiting(string error)
    {
        var waiting = _waiting.ToArray();
        _waiting.Clear();
        foreach (var client in waiting)
        {
            client.CloseAfterReply = true;
            client.Output.Error(error);
            _server.Dispatcher.CountError(System.Text.Encoding.UTF8.GetBytes(error));
            client.Blocked = false;
            client.Unblock?.Invoke();
        }
    }

    /// <summary>A SHUTDOWN caller that disconnected while waiting.</summary>
    public void Forget(ClientSession client) => _waiting.Remove(client);

    // isReadyToShutdown: every replica acknowledged the whole stream.
    private bool IsReady()
    {
        var r = _server.Replication;
        return r.Replicas.All(link => link.AckOffset == r.Offset);
    }

    // finishShutdown: the lagging replicas, then the final save. True when the server may exit.
    private bool Finish()
    {
        var r = _server.Replication;
        int lagging = 0;
        long nowSec = _server.NowMs / 1000;
        foreach (var link in r.Replicas)
        {
            if (link.AckOffset != r.Offset)
            {
                lagging++;
                long lag = link.State == Replication.ReplicaState.Online ? nowSec - (link.AckTimeMs / 1000) : 0;
                _server.Log.Warning(string.Create(CultureInfo.InvariantCulture, $"Lagging replica {link.Name} reported offset {r.Offset - link.AckOffset} behind master, lag={lag}, state={link.StateName}."));
            }
        }

        if (r.Replicas.Count > 0)
        {
            _server.Log.Notice($"{r.Replicas.Count - lagging} of {r.Replicas.Count} replicas are in sync when shutting down.");
        }

        if (_server.Snapshots.SaveForShutdown(_save, _nosave, _force))
        {
            return true;
        }

        _server.Log.Warning("Errors trying to shut down the server. Check the logs for more information.");
        Cancel();
        return false;
    }

    // cancelShutdown: the waiting callers get an error and writes resume.
    private void Cancel()
    {
        DeadlineMs = 0;
        _save = _nosave = _force = false;
        foreach (var client in _waiting.ToList())
        {
            client.Output.Error("ERR Errors trying to SHUTDOWN. Check logs.");
            client.Blocked = false;

            // The caller of a SHUTDOWN that failed at once is still running its command: its
            // connection carries on by itself.
            if (client != _server.CurrentClient)
            {
                client.Unblock?.Invoke();
            }
        }

        _waiting.Clear();
        _server.Dispatcher.Pause.Unpause(PausePurpose.Shutdown);
    }
}
