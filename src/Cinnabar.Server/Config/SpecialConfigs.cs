// The parameters config.c gives their own parser, printer and rewriter (createSpecialConfig):
// dir, save, client-output-buffer-limit, oom-score-adj-values, notify-keyspace-events, bind,
// replicaof and latency-tracking-info-percentiles, with Redis's argument rules and error texts.
using System.Text;

namespace Cinnabar.Server.Config;

/// <summary>Values of the special configuration parameters.</summary>
internal sealed class SpecialConfigs
{
    /// <summary>Redis's CONFIG_BINDADDR_MAX.</summary>
    public const int MaxBindAddresses = 16;

    private static readonly string[] DefaultBind = ["*", "-::*"];
    private static readonly ObufLimit[] DefaultObufLimits =
    [
        new("normal", 0, 0, 0),
        new("slave", 256L * 1024 * 1024, 64L * 1024 * 1024, 60),
        new("pubsub", 32L * 1024 * 1024, 8L * 1024 * 1024, 60),
    ];

    private static readonly int[] DefaultOomValues = [0, 200, 800];

    private readonly ObufLimit[] _obuf = [.. DefaultObufLimits];
    private readonly int[] _oom = [.. DefaultOomValues];
    private bool _saveLoadedFromFile;

    /// <summary>Save points (seconds, changes).</summary>
    public List<(long Seconds, int Changes)> Save { get; } = [(3600, 1), (300, 100), (60, 10000)];

    public List<string> Bind { get; } = [.. DefaultBind];

    /// <summary>replicaof host, or null when this server is a primary.</summary>
    public string? ReplicaOfHost { get; private set; }

    public int ReplicaOfPort { get; private set; }

    /// <summary>notify-keyspace-events as Redis's NOTIFY_* bit flags.</summary>
    public int NotifyKeyspaceEvents { get; private set; }

    public List<double> LatencyPercentiles { get; } = [50, 99, 99.9];

    /// <summary>client-output-buffer-limit of a class (0 normal, 1 replica, 2 pubsub): hard and soft bytes, soft seconds.</summary>
    public (long Hard, long Soft, long Seconds) ObufLimitOf(int cls) => (_obuf[cls].Hard, _obuf[cls].Soft, _obuf[cls].Seconds);

    /// <summary>True when the parameter differs from Redis's default.</summary>
    public bool IsNonDefault(string name)
    {
        return name switch
        {
            "dir" => false,
            "save" => Get(name) != "3600 1 300 100 60 10000",
            "bind" => !Bind.SequenceEqual(DefaultBind),
            "replicaof" => ReplicaOfHost is not null,
            "notify-keyspace-events" => NotifyKeyspaceEvents != 0,
            "client-output-buffer-limit" => !_obuf.SequenceEqual(DefaultObufLimits),
            "oom-score-adj-values" => !_oom.SequenceEqual(DefaultOomValues),
            _ => Get(name) != "50 99 99.9",
        };
    }

    /// <summary>The CONFIG GET text.</summary>
    public string Get(string name)
    {
        return name switch
        {
            "dir" => Directory.GetCurrentDirectory(),
            "save" => string.Join(' ', Save.Select(s => $"{s.Seconds} {s.Changes}")),
            "client-output-buffer-limit" => string.Join(' ', _obuf.Select(o => $"{o.Class} {o.Hard} {o.Soft} {o.Seconds}")),
            "oom-score-adj-values" => string.Join(' ', _oom),
            "notify-keyspace-events" => ConfigText.NotifyFlagsToString(NotifyKeyspaceEvents),
            "bind" => string.Join(' ', Bind),
            "replicaof" => ReplicaOfHost is null ? string.Empty : $"{ReplicaOfHost} {ReplicaOfPort}",
            _ => string.Join(' ', LatencyPercentiles.Select(ConfigText.FormatPercentile)),
        };
    }

    /// <summary>Sets from arguments: 0 = refused with <paramref name="error"/>, 1 = set, 2 = unchanged.</summary>
    public int Set(string name, IReadOnlyList<string> argv, bool readingConfigFile, out string? error)
    {
        error = null;
        switch (name)
        {
            case "dir":
                if (argv.Count != 1)
                {
                    error = "wrong number of arguments";
                    return 0;
                }

                try
                {
                    Directory.SetCurrentDirectory(argv[0]);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
                {
                    error = e is UnauthorizedAccessException ? "Permission denied" : "No such file or directory";
                    return 0;
                }

                return 1;
            case "save":
                return SetSave(argv, readingConfigFile, out error);
            case "client-output-buffer-limit":
                return SetObufLimits(argv, out error);
            case "oom-score-adj-values":
                return SetOomValues(argv, out error);
            case "notify-keyspace-events":
                if (argv.Count != 1)
                {
                    error = "wrong number of arguments";
                    return 0;
                }

                int flags = ConfigText.NotifyFlagsFromString(argv[0]);
                if (flags == -1)
                {
                    error = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
                    return 0;
                }

                NotifyKeyspaceEvents = flags;
                return 1;
            case "bind":
                if (argv.Count > MaxBindAddresses)
                {
                    error = "Too many bind addresses specified.";
                    return 0;
                }

                Bind.Clear();
                if (!(argv.Count == 1 && argv[0].Length == 0))
                {
                    Bind.AddRange(argv);
                }

                return 1;
            case "replicaof":
                return SetReplicaOf(argv, out error);
            default:
                return SetPercentiles(argv, out error);
        }
    }

    private int SetSave(IReadOnlyList<string> argv, bool readingConfigFile, out string? error)
    {
        error = null;
        int argc = argv.Count;
        if (argc == 1 && argv[0].Length == 0)
        {
            // save "" empties the list even in the middle of a config file.
            Save.Clear();
            argc = 0;
        }

        var numbers = new long[argc];
        bool valid = (argc & 1) == 0;
        for (int j = 0; valid && j < argc; j++)
        {
            valid = ConfigText.TryParseSaveNumber(argv[j], out numbers[j]) && numbers[j] >= ((j & 1) == 0 ? 1 : 0);
        }

        if (!valid)
        {
            error = "Invalid save parameters";
            return 0;
        }

        // While reading the file, the first save line replaces the defaults and later ones
        // add points; from CONFIG SET every call replaces the whole list.
        if (!readingConfigFile || !_saveLoadedFromFile)
        {
            Save.Clear();
            _saveLoadedFromFile |= readingConfigFile;
        }

        for (int j = 0; j < argc; j += 2)
        {
            Save.Add((numbers[j], unchecked((int)numbers[j + 1])));
        }

        return 1;
    }

    private int SetObufLimits(IReadOnlyList<string> argv, out string? error)
    {
        error = null;
        if (argv.Count % 4 != 0)
        {
            error = "Wrong number of arguments in buffer limit configuration.";
            return 0;
        }

        var updates = new List<(int Index, ObufLimit Limit)>();
        for (int j = 0; j < argv.Count; j += 4)
        {
            int cls = argv[j].ToLowerInvariant() switch
            {
                "normal" => 0,
                "slave" or "replica" => 1,
                "pubsub" => 2,
                _ => -1,
            };
            if (cls < 0)
            {
                error = "Invalid client class specified in buffer limit configuration.";
                return 0;
            }

            if (!ConfigText.TryParseMemory(argv[j + 1], out ulong hard) || !ConfigText.TryParseMemory(argv[j + 2], out ulong soft)
                || !ConfigText.TryParseSaveNumber(argv[j + 3], out long seconds) || seconds < 0)
            {
                error = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
                return 0;
            }

            updates.Add((cls, new ObufLimit(DefaultObufLimits[cls].Class, (long)hard, (long)soft, seconds)));
        }

        foreach (var (index, limit) in updates)
        {
            _obuf[index] = limit;
        }

        return 1;
    }

    private int SetOomValues(IReadOnlyList<string> argv, out string? error)
    {
        error = null;
        if (argv.Count != 3)
        {
            error = "wrong number of arguments";
            return 0;
        }

        var values = new int[3];
        for (int i = 0; i < 3; i++)
        {
            if (!ConfigText.TryParseSaveNumber(argv[i], out long v) || v < -2000 || v > 2000)
            {
                error = "Invalid oom-score-adj-values, elements must be between -2000 and 2000.";
                return 0;
            }

            values[i] = (int)v;
        }

        if (values.SequenceEqual(_oom))
        {
            return 2;
        }

        values.CopyTo(_oom, 0);
        return 1;
    }

    private int SetReplicaOf(IReadOnlyList<string> argv, out string? error)
    {
        error = null;
        if (argv.Count != 2)
        {
            error = "wrong number of arguments";
            return 0;
        }

        ReplicaOfHost = null;
        if (argv[0].Equals("no", StringComparison.OrdinalIgnoreCase) && argv[1].Equals("one", StringComparison.OrdinalIgnoreCase))
        {
            return 1;
        }

        if (!ConfigText.TryParseSaveNumber(argv[1], out long port) || port < 0 || port > 65535)
        {
            error = "Invalid master port";
            return 0;
        }

        ReplicaOfPort = (int)port;
        ReplicaOfHost = argv[0];
        return 1;
    }

    private int SetPercentiles(IReadOnlyList<string> argv, out string? error)
    {
        error = null;
        LatencyPercentiles.Clear();
        if (argv.Count == 1 && argv[0].Length == 0)
        {
            return 1;
        }

        foreach (var a in argv)
        {
            if (!Cinnabar.Protocol.Number.TryParseDouble(Encoding.UTF8.GetBytes(a), out double p))
            {
                error = "Invalid latency-tracking-info-percentiles parameters";
                LatencyPercentiles.Clear();
                return 0;
            }

            if (p > 100.0 || p < 0.0)
            {
                error = "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
                LatencyPercentiles.Clear();
                return 0;
            }

            LatencyPercentiles.Add(p);
        }

        return 1;
    }

    /// <summary>Writes the parameter's lines into a rewrite state.</summary>
    public void Rewrite(ConfigRewriter state, string name)
    {
        switch (name)
        {
            case "dir":
                state.RewriteLine(name, $"{name} {ConfigRewriter.Repr(Directory.GetCurrentDirectory())}", true);
                return;
            case "save":
                if (Save.Count == 0)
                {
                    state.RewriteLine(name, "save \"\"", true);
                }

                foreach (var (seconds, changes) in Save)
                {
                    state.RewriteLine(name, $"save {seconds} {changes}", true);
                }

                state.MarkProcessed(name);
                return;
            case "client-output-buffer-limit":
                for (int j = 0; j < _obuf.Length; j++)
                {
                    var o = _obuf[j];
                    string cls = o.Class == "slave" ? "replica" : o.Class;
                    state.RewriteLine(name, $"{name} {cls} {ConfigText.FormatMemory(o.Hard)} {ConfigText.FormatMemory(o.Soft)} {o.Seconds}", o != DefaultObufLimits[j]);
                }

                return;
            case "oom-score-adj-values":
                state.RewriteLine(name, $"{name} {string.Join(' ', _oom)}", !_oom.SequenceEqual(DefaultOomValues));
                return;
            case "notify-keyspace-events":
                state.RewriteLine(name, $"{name} {ConfigRewriter.Repr(ConfigText.NotifyFlagsToString(NotifyKeyspaceEvents))}", NotifyKeyspaceEvents != 0);
                return;
            case "bind":
                if (Bind.SequenceEqual(DefaultBind))
                {
                    state.MarkProcessed(name);
                    return;
                }

                state.RewriteLine(name, $"{name} {(Bind.Count > 0 ? string.Join(' ', Bind) : "\"\"")}", true);
                return;
            case "replicaof":
                if (ReplicaOfHost is null)
                {
                    state.MarkProcessed(name);
                    return;
                }

                state.RewriteLine(name, $"{name} {ReplicaOfHost} {ReplicaOfPort}", true);
                return;
            default:
                string list = LatencyPercentiles.Count == 0 ? "\"\"" : string.Join(' ', LatencyPercentiles.Select(ConfigText.FormatPercentile));
                state.RewriteLine(name, $"{name} {list}", true);
                return;
        }
    }

    /// <summary>One client class's output buffer limits.</summary>
    private sealed record ObufLimit(string Class, long Hard, long Soft, long Seconds);
}
