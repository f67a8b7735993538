// CLIENT PAUSE (networking.c pauseClients and friends). Each purpose (the CLIENT PAUSE command,
// SHUTDOWN waiting for replicas, FAILOVER) holds its own pause; the effective pause is the most
// restrictive one still running. A paused client is postponed (Redis's BLOCKED_POSTPONE): its
// connection stops before the command and processes the same command again once released, so
// it may be postponed again if a pause still applies. A timer under the executor gate ends the
// pause on time even when no client sends anything.
namespace Cinnabar.Server.Networking;

/// <summary>What a pause holds back (ordered from least to most restrictive, as in Redis).</summary>
internal enum PauseType
{
    /// <summary>No pause.</summary>
    Off,

    /// <summary>Commands that may write or replicate are held (CLIENT PAUSE ... WRITE).</summary>
    Write,

    /// <summary>All commands are held.</summary>
    All,
}

/// <summary>Who asked for a pause.</summary>
internal enum PausePurpose
{
    /// <summary>CLIENT PAUSE.</summary>
    ClientCommand,

    /// <summary>SHUTDOWN waiting for replicas to catch up.</summary>
    Shutdown,

    /// <summary>FAILOVER.</summary>
    Failover,
}

/// <summary>The server's client pause state.</summary>
internal sealed class ClientPause : IDisposable
{
    private readonly CinnabarServer _server;
    private readonly (PauseType Type, long EndMs)?[] _byPurpose = new (PauseType, long)?[3];
    private readonly List<ClientSession> _postponed = [];
    private ITimer? _timer;

    public ClientPause(CinnabarServer server)
    {
        _server = server;
    }

    /// <summary>The effective pause.</summary>
    public PauseType Type { get; private set; }

    /// <summary>When the effective pause ends (Unix ms).</summary>
    public long EndMs { get; private set; }

    /// <summary>Clients waiting for the pause to end.</summary>
    public int PostponedCount => _postponed.Count;

    /// <summary>Starts or extends a pause; a pause never becomes shorter or less restrictive (pauseClients).</summary>
    public void Pause(PausePurpose purpose, long endMs, PauseType type)
    {
        var current = _byPurpose[(int)purpose];
        _byPurpose[(int)purpose] = current is { } p
            ? ((PauseType)Math.Max((int)p.Type, (int)type), Math.Max(p.EndMs, endMs))
            : (type, endMs);
        Update();
    }

    /// <summary>Ends the pause of one purpose (CLIENT UNPAUSE).</summary>
    public void Unpause(PausePurpose purpose)
    {
        if (_byPurpose[(int)purpose] is null)
        {
            return;
        }

        _byPurpose[(int)purpose] = null;
        Update();
    }

    /// <summary>Ends pauses whose time has come; true while clients are still paused (checkClientPauseTimeoutAndReturnIfPaused).</summary>
    public bool CheckTimeoutAndReturnIfPaused()
    {
        if (Type == PauseType.Off)
        {
            return false;
        }

        if (EndMs < _server.NowMs)
        {
            Update();
        }

        return Type != PauseType.Off;
    }

    /// <summary>Blocks a client until the pause is lifted; its command runs again then.</summary>
    public void Postpone(ClientSession client)
    {
        client.Blocked = true;
        client.Postponed = true;
        _postponed.Add(client);
    }

    /// <summary>Forgets a client that disconnected.</summary>
    public void Forget(ClientSession client) => _postponed.Remove(client);

    /// <summary>Stops the timer.</summary>
    public void Dispose()
    {
        _timer?.Dispose();
        _timer = null;
    }

    // Recomputes the effective pause (updateClientPauseTypeAndEndTime); when it becomes less
    // restrictive every postponed client is released to try its command again.
    private void Update()
    {
        long now = _server.NowMs;
        var oldType = Type;
        var type = PauseType.Off;
        long end = 0;
        for (int i = 0; i < _byPurpose.Length; i++)
        {
            if (_byPurpose[i] is not { } p)
            {
                continue;
            }

            if (p.EndMs <= now)
            {
                _byPurpose[i] = null;
            }
            else if (p.Type > type)
            {
                type = p.Type;
                end = p.EndMs;
            }
            else if (p.Type == type)
            {
                end = Math.Max(end, p.EndMs);
            }
        }

        Type = type;
        EndMs = end;
        if (type < oldType)
        {
            ReleaseAll();
        }

        ScheduleTimer(now);
    }

    private void ReleaseAll()
    {
        var released = _postponed.ToArray();
        _postponed.Clear();
        foreach (var c in released)
        {
            c.Blocked = false;
            c.Postponed = false;
            c.Unblock?.Invoke();
        }
    }

    private void ScheduleTimer(long now)
    {
        _timer?.Dispose();
        _timer = null;
        if (Type == PauseType.Off)
        {
            return;
        }

        // One millisecond past the end, because a pause ends when its end time is behind us. A
        // pause until further notice (SHUTDOWN's, FAILOVER's: long.MaxValue) wakes up now and
        // then to look again, as no timer takes such a delay.
        var due = TimeSpan.FromMilliseconds(Math.Clamp(EndMs - now + 1, 1, int.MaxValue));
        _timer = _server.Time.CreateTimer(_ => OnTimer(), null, due, Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        lock (_server.Gate)
        {
            if (Type != PauseType.Off && EndMs < _server.NowMs)
            {
                Update();
            }
            else if (Type != PauseType.Off)
            {
                ScheduleTimer(_server.NowMs);
            }
        }
    }
}
