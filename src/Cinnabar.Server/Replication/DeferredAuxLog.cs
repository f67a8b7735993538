// The AUX fields of a primary's snapshot that is loaded while it still arrives (see
// TransferFileFollower): Redis logs them ("Loading RDB produced by version ...", "RDB age ...")
// after "MASTER <-> REPLICA sync: Loading DB in memory", because its load starts only once the
// transfer is complete. The loader reads them at the start of the transfer, so they wait here
// until the receiver announces the load, and the log tells the story in Redis's order.
using Cinnabar.Server.Persistence.Rdb;

namespace Cinnabar.Server.Replication;

/// <summary>Holds AUX log lines until the load is announced.</summary>
internal sealed class DeferredAuxLog
{
    private readonly CinnabarServer _server;
    private readonly object _lock = new();
    private List<(string Name, string Value)>? _pending = [];

    public DeferredAuxLog(CinnabarServer server)
    {
        _server = server;
    }

    /// <summary>The loader read an AUX field (loader thread).</summary>
    public void Add(string name, string value)
    {
        lock (_lock)
        {
            if (_pending is not null)
            {
                _pending.Add((name, value));
                return;
            }
        }

        // Logged outside our lock: LogAux takes the executor gate, whose holder may be in Release.
        RdbStartupLoader.LogAux(_server, name, value);
    }

    /// <summary>Logs what was held back; from now on fields are logged as they are read.</summary>
    public void Release()
    {
        List<(string Name, string Value)>? pending;
        lock (_lock)
        {
            pending = _pending;
            _pending = null;
        }

        foreach (var (name, value) in pending ?? [])
        {
            RdbStartupLoader.LogAux(_server, name, value);
        }
    }
}
