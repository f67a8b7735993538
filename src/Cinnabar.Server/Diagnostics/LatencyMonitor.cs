// Redis's latency monitor (latency.c): named events ("command", "fast-command", "expire-cycle"
// ...) each keep the last 160 per-second samples of latencies at or above
// latency-monitor-threshold milliseconds, plus the all-time maximum. LATENCY LATEST, HISTORY,
// RESET, GRAPH and DOCTOR read them.
namespace Cinnabar.Server.Diagnostics;

/// <summary>The latency monitor's time series.</summary>
internal sealed class LatencyMonitor
{
    /// <summary>Samples kept per event (LATENCY_TS_LEN).</summary>
    public const int SeriesLength = 160;

    private readonly Dictionary<string, Series> _events = new(StringComparer.Ordinal);

    /// <summary>The events with samples, in creation order.</summary>
    public IEnumerable<KeyValuePair<string, Series>> Events => _events;

    /// <summary>Finds an event's series.</summary>
    public Series? Find(string name) => _events.GetValueOrDefault(name);

    /// <summary>latencyAddSampleIfNeeded: records when the threshold is on and reached.</summary>
    public void AddSampleIfNeeded(CinnabarServer server, string name, long latencyMs)
    {
        long threshold = server.Config.LatencyMonitorThreshold;
        if (threshold > 0 && latencyMs >= threshold)
        {
            AddSample(name, latencyMs, server.NowMs / 1000);
        }
    }

    /// <summary>Adds a sample: one per second per event, keeping the second's maximum.</summary>
    public void AddSample(string name, long latencyMs, long unixSeconds)
    {
        if (!_events.TryGetValue(name, out var ts))
        {
            ts = new Series();
            _events[name] = ts;
        }

        ts.Max = Math.Max(ts.Max, latencyMs);
        int prev = (ts.Index + SeriesLength - 1) % SeriesLength;
        if (ts.Times[prev] == unixSeconds)
        {
            ts.Latencies[prev] = Math.Max(ts.Latencies[prev], latencyMs);
            return;
        }

        ts.Times[ts.Index] = unixSeconds;
        ts.Latencies[ts.Index] = latencyMs;
        ts.Index = (ts.Index + 1) % SeriesLength;
    }

    /// <summary>Resets one event (or all when null); returns how many were reset.</summary>
    public int Reset(string? name)
    {
        if (name is null)
        {
            int n = _events.Count;
            _events.Clear();
            return n;
        }

        return _events.Remove(name) ? 1 : 0;
    }

    /// <summary>One event's samples.</summary>
    internal sealed class Series
    {
        public long[] Times { get; } = new long[SeriesLength];

        public long[] Latencies { get; } = new long[SeriesLength];

        public int Index { get; set; }

        public long Max { get; set; }

        /// <summary>The samples, oldest first.</summary>
        public IEnumerable<(long Time, long Latency)> Samples()
        {
            for (int j = 0; j < SeriesLength; j++)
            {
                int i = (Index + j) % SeriesLength;
                if (Times[i] != 0)
                {
                    yield return (Times[i], Latencies[i]);
                }
            }
        }

        /// <summary>The most recent sample.</summary>
        public (long Time, long Latency) Latest
        {
            get
            {
                int last = (Index + SeriesLength - 1) % SeriesLength;
                return (Times[last], Latencies[last]);
            }
        }
    }
}
