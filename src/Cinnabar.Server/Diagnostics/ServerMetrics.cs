// Figures INFO reports that need sampling or remembering over time: Redis's instantaneous
// metrics (serverCron's trackInstantaneousMetric: 16 samples, one per 100 ms, averaged), the
// memory peak, the memory in use at startup, and the per-command latency histograms of
// INFO latencystats. The cron calls Sample; the dispatcher's post-call hook feeds histograms.
using Cinnabar.Server.Commands;

namespace Cinnabar.Server.Diagnostics;

/// <summary>Sampled and remembered server figures.</summary>
internal sealed class ServerMetrics
{
    private const int Samples = 16;
    private const int SamplePeriodMs = 100;
    private readonly Track _ops = new();
    private readonly Track _input = new();
    private readonly Track _output = new();
    private readonly Dictionary<CommandSpec, LatencyHistogram> _histograms = [];
    private CommandSpec? _lastSpec;
    private LatencyHistogram? _lastHistogram;
    private Config.ServerConfig? _config;

    public ServerMetrics()
    {
        StartupMemory = GC.GetTotalMemory(false);
        PeakMemory = StartupMemory;
    }

    /// <summary>used_memory_startup.</summary>
    public long StartupMemory { get; }

    /// <summary>used_memory_peak.</summary>
    public long PeakMemory { get; private set; }

    /// <summary>instantaneous_ops_per_sec.</summary>
    public long OpsPerSecond => _ops.Average;

    /// <summary>instantaneous_input_kbps.</summary>
    public double InputKbps => _input.Average / 1024.0;

    /// <summary>instantaneous_output_kbps.</summary>
    public double OutputKbps => _output.Average / 1024.0;

    /// <summary>latency-tracking: per-command histograms are kept (mirrors the config).</summary>
    public bool LatencyTracking => _config?.LatencyTracking ?? true;

    /// <summary>latency-tracking-info-percentiles: what INFO latencystats prints (mirrors the config).</summary>
    public double[] LatencyPercentiles => _config?.LatencyTrackingPercentiles ?? [50.0, 99.0, 99.9];

    /// <summary>The configuration these figures follow.</summary>
    public Config.ServerConfig? ConfigSource
    {
        get => _config;
        set => _config = value;
    }

    /// <summary>Per-command latency histograms (INFO latencystats).</summary>
    public IReadOnlyDictionary<CommandSpec, LatencyHistogram> Histograms => _histograms;

    /// <summary>Called from the cron: takes a sample every 100 ms and tracks the memory peak.</summary>
    public void Sample(CinnabarServer server, long nowMs)
    {
        UpdatePeak(GC.GetTotalMemory(false));
        _ops.Sample(nowMs, server.Stats.CommandsProcessed);
        _input.Sample(nowMs, Interlocked.Read(ref server.Stats.NetInputBytes));
        _output.Sample(nowMs, Interlocked.Read(ref server.Stats.NetOutputBytes));
    }

    /// <summary>Raises the peak if <paramref name="used"/> is above it.</summary>
    public void UpdatePeak(long used)
    {
        if (used > PeakMemory)
        {
            PeakMemory = used;
        }
    }

    /// <summary>Records one call's duration in the command's histogram.</summary>
    public void RecordLatency(CommandSpec spec, long micros)
    {
        if (!LatencyTracking)
        {
            return;
        }

        // Pipelines repeat one command: the last histogram saves the dictionary lookup.
        var h = _lastHistogram;
        if (!ReferenceEquals(spec, _lastSpec))
        {
            if (!_histograms.TryGetValue(spec, out h))
            {
                h = new LatencyHistogram();
                _histograms[spec] = h;
            }

            _lastSpec = spec;
            _lastHistogram = h;
        }

        h!.Record(micros * 1000);
    }

    /// <summary>Forgets the histograms (CONFIG RESETSTAT).</summary>
    public void ResetHistograms()
    {
        _histograms.Clear();
        _lastSpec = null;
        _lastHistogram = null;
    }

    /// <summary>
    /// What CONFIG RESETSTAT clears besides ServerStats (Redis's resetCommandTableStats and
    /// resetServerStats): per-command calls, time, rejected and failed counts, the latency
    /// histograms and the instantaneous samples.
    /// </summary>
    public void ResetCommandStatistics(CommandTable table)
    {
        static void Reset(IEnumerable<CommandSpec> specs)
        {
            foreach (var c in specs)
            {
                c.Calls = 0;
                c.Microseconds = 0;
                c.RejectedCalls = 0;
                c.FailedCalls = 0;
                if (c.Subcommands is not null)
                {
                    Reset(c.Subcommands.Values);
                }
            }
        }

        Reset(table.All);
        ResetHistograms();
        _ops.Clear();
        _input.Clear();
        _output.Clear();
    }

    private sealed class Track
    {
        private readonly long[] _samples = new long[Samples];
        private long _lastMs;
        private long _lastValue;
        private int _index;

        public long Average
        {
            get
            {
                long sum = 0;
                foreach (var s in _samples)
                {
                    sum += s;
                }

                return sum / Samples;
            }
        }

        public void Clear()
        {
            Array.Clear(_samples);
            _lastMs = 0;
            _index = 0;
        }

        public void Sample(long nowMs, long value)
        {
            if (_lastMs == 0)
            {
                _lastMs = nowMs;
                _lastValue = value;
                return;
            }

            long elapsed = nowMs - _lastMs;
            if (elapsed < SamplePeriodMs)
            {
                return;
            }

            _samples[_index] = (value - _lastValue) * 1000 / elapsed;
            _index = (_index + 1) % Samples;
            _lastMs = nowMs;
            _lastValue = value;
        }
    }
}
