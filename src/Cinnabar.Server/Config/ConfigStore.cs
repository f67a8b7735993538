// The live value of every configuration parameter, with config.c's set/get semantics: one
// parser per kind (bool, string, enum, numeric) plus the special ones (save, bind, dir,
// client-output-buffer-limit, ...). Set returns Redis's three-way result (failed, changed,
// unchanged) and Redis's error reasons, which the config file loader and CONFIG SET both report.
// After every successful set the typed ServerConfig properties the rest of the server reads are
// refreshed, so a CONFIG SET takes effect on the next command.
using System.Globalization;
using System.Text;

namespace Cinnabar.Server.Config;

/// <summary>Configuration values by definition.</summary>
internal sealed class ConfigStore
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

    private readonly ServerConfig _config;
    private readonly Dictionary<ConfigDefinition, object?> _values = [];
    private readonly ObufLimit[] _obuf = [.. DefaultObufLimits];
    private readonly int[] _oom = [.. DefaultOomValues];
    private bool _saveLoadedFromFile;

    public ConfigStore(ServerConfig config)
    {
        _config = config;
        foreach (var d in ConfigCatalog.All)
        {
            _values[d] = d.Kind switch
            {
                ConfigKind.Bool => d.DefaultBool,
                ConfigKind.String => d.DefaultString,
                ConfigKind.Enum => d.DefaultEnum,
                ConfigKind.Numeric => d.DefaultNumber,
                _ => null,
            };
        }
    }

    /// <summary>True while a config file is being read (save lines accumulate then).</summary>
    public bool ReadingConfigFile { get; set; }

    /// <summary>Save points (seconds, changes).</summary>
    public List<(long Seconds, int Changes)> Save { get; } = [(3600, 1), (300, 100), (60, 10000)];

    public List<string> Bind { get; } = [.. DefaultBind];

    /// <summary>replicaof host, or null when this server is a primary.</summary>
    public string? ReplicaOfHost { get; private set; }

    public int ReplicaOfPort { get; private set; }

    /// <summary>notify-keyspace-events as Redis's NOTIFY_* bit flags.</summary>
    public int NotifyKeyspaceEvents { get; private set; }

    public List<double> LatencyPercentiles { get; } = [50, 99, 99.9];

    /// <summary>Looks a parameter up by name or alias.</summary>
    public static ConfigDefinition? Lookup(string name) =>
        ConfigCatalog.ByName.TryGetValue(name, out var d) ? d : null;

    /// <summary>The raw bool value of a bool parameter.</summary>
    public bool GetBool(string name) => (bool)_values[ConfigCatalog.ByName[name]]!;

    /// <summary>The raw value of a numeric parameter (percentages are negative).</summary>
    public long GetNumber(string name) => (long)_values[ConfigCatalog.ByName[name]]!;

    /// <summary>The value of a string parameter, null when not set.</summary>
    public string? GetString(string name) => (string?)_values[ConfigCatalog.ByName[name]];

    /// <summary>The selected name of an enum parameter.</summary>
    public string GetEnumName(string name) => Get(ConfigCatalog.ByName[name]);

    /// <summary>True when the value differs from Redis's default.</summary>
    public bool IsNonDefault(ConfigDefinition d)
    {
        if (d.Kind == ConfigKind.Special)
        {
            return d.Name switch
            {
                "dir" => false,
                "save" => Get(d) != "3600 1 300 100 60 10000",
                "bind" => !Bind.SequenceEqual(DefaultBind),
                "replicaof" => ReplicaOfHost is not null,
                "notify-keyspace-events" => NotifyKeyspaceEvents != 0,
                "client-output-buffer-limit" => !_obuf.SequenceEqual(DefaultObufLimits),
                "oom-score-adj-values" => !_oom.SequenceEqual(DefaultOomValues),
                _ => Get(d) != "50 99 99.9",
            };
        }

        return d.Kind switch
        {
            ConfigKind.Bool => (bool)_values[d]! != d.DefaultBool,
            ConfigKind.String => NormalizeString(d, (string?)_values[d]) != d.DefaultString,
            ConfigKind.Enum => (int)_values[d]! != d.DefaultEnum,
            _ => (long)_values[d]! != d.DefaultNumber,
        };
    }

    /// <summary>
    /// Sets a parameter from its arguments (config.c interface.set): 0 = refused with
    /// <paramref name="error"/>, 1 = changed, 2 = same value as before.
    /// </summary>
    public int Set(ConfigDefinition d, IReadOnlyList<string> argv, out string? error)
    {
        error = null;
        int result = d.Kind switch
        {
            ConfigKind.Bool => SetBool(d, argv[0], out error),
            ConfigKind.String => SetString(d, argv[0], out error),
            ConfigKind.Enum => SetEnum(d, argv, out error),
            ConfigKind.Numeric => SetNumeric(d, argv[0], out error),
            _ => SetSpecial(d, argv, out error),
        };
        if (result == 2 && d.Is(ConfigFlags.Volatile))
        {
            result = 1;
        }

        if (result != 0)
        {
            _config.Refresh(d.Name);
        }

        return result;
    }

    /// <summary>Sets from one CONFIG SET value (multi-arg configs split it on spaces).</summary>
    public int SetFromValue(ConfigDefinition d, string value, out string? error)
    {
        // performInterfaceSet: sdssplitlen on single spaces, so "" gives no arguments.
        string[] argv = d.Is(ConfigFlags.MultiArg)
            ? (value.Length == 0 ? [] : value.Split(' '))
            : [value];
        if (argv.Length == 0 && d.Kind != ConfigKind.Special)
        {
            error = d.Kind == ConfigKind.Enum ? EnumError(d) : "wrong number of arguments";
            return 0;
        }

        if (argv.Length == 0)
        {
            // Redis passes argc 0 to the special setter; most of them treat that as "empty".
            return Set(d, [], out error);
        }

        return Set(d, argv, out error);
    }

    /// <summary>The CONFIG GET text of a parameter.</summary>
    public string Get(ConfigDefinition d)
    {
        switch (d.Kind)
        {
            case ConfigKind.Bool:
                return (bool)_values[d]! ? "yes" : "no";
            case ConfigKind.String:
                return (string?)_values[d] ?? string.Empty;
            case ConfigKind.Enum:
                return EnumName(d, (int)_values[d]!);
            case ConfigKind.Numeric:
                return FormatNumber(d, (long)_values[d]!);
            default:
                break;
        }

        return d.Name switch
        {
            "dir" => Directory.GetCurrentDirectory(),
            "save" => string.Join(' ', Save.Select(s => $"{s.Seconds} {s.Changes}")),
            "client-output-buffer-limit" => string.Join(' ', _obuf.Select(o => $"{o.Class} {o.Hard} {o.Soft} {o.Seconds}")),
            "oom-score-adj-values" => string.Join(' ', _oom),
            "notify-keyspace-events" => NotifyFlagsToString(NotifyKeyspaceEvents),
            "bind" => string.Join(' ', Bind),
            "replicaof" => ReplicaOfHost is null ? string.Empty : $"{ReplicaOfHost} {ReplicaOfPort}",
            _ => string.Join(' ', LatencyPercentiles.Select(FormatPercentile)),
        };
    }

    /// <summary>Writes every parameter into a rewrite state (config.c rewriteConfig step 2).</summary>
    public void Rewrite(ConfigRewriter state)
    {
        foreach (var d in ConfigCatalog.All)
        {
            RewriteOne(d, state);
        }
    }

    /// <summary>The name an enum value prints as (configEnumGetName).</summary>
    public static string EnumName(ConfigDefinition d, int value)
    {
        bool bitflags = d.Is(ConfigFlags.MultiArg);
        var names = new List<string>();
        int unmatched = value;
        foreach (var e in d.EnumValues)
        {
            if (value == e.Value)
            {
                return e.Name;
            }

            // Multi-arg enums are bit flags: list every flag that is set.
            if (bitflags && e.Value != 0 && e.Value == (unmatched & e.Value))
            {
                names.Add(e.Name);
                unmatched &= ~e.Value;
            }
        }

        return names.Count == 0 || unmatched != 0 ? "unknown" : string.Join(' ', names);
    }

    /// <summary>Redis's keyspaceEventsStringToFlags; -1 for an unknown class character.</summary>
    public static int NotifyFlagsFromString(string classes)
    {
        int flags = 0;
        foreach (char c in classes)
        {
            flags |= c switch
            {
                'A' => NotifyAll,
                'g' => 1 << 2,
                '$' => 1 << 3,
                'l' => 1 << 4,
                's' => 1 << 5,
                'h' => 1 << 6,
                'z' => 1 << 7,
                'x' => 1 << 8,
                'e' => 1 << 9,
                'K' => 1 << 0,
                'E' => 1 << 1,
                't' => 1 << 10,
                'm' => 1 << 11,
                'd' => 1 << 13,
                'n' => 1 << 14,
                _ => -1,
            };
            if (flags < 0)
            {
                return -1;
            }
        }

        return flags;
    }

    /// <summary>Redis's keyspaceEventsFlagsToString.</summary>
    public static string NotifyFlagsToString(int flags)
    {
        var sb = new StringBuilder();
        if ((flags & NotifyAll) == NotifyAll)
        {
            sb.Append('A');
        }
        else
        {
            (int Bit, char C)[] order = [(1 << 2, 'g'), (1 << 3, '$'), (1 << 4, 'l'), (1 << 5, 's'), (1 << 6, 'h'), (1 << 7, 'z'), (1 << 8, 'x'), (1 << 9, 'e'), (1 << 10, 't'), (1 << 13, 'd'), (1 << 14, 'n')];
            foreach (var (bit, c) in order)
            {
                if ((flags & bit) != 0)
                {
                    sb.Append(c);
                }
            }
        }

        if ((flags & 1) != 0)
        {
            sb.Append('K');
        }

        if ((flags & 2) != 0)
        {
            sb.Append('E');
        }

        if ((flags & (1 << 11)) != 0)
        {
            sb.Append('m');
        }

        return sb.ToString();
    }

    /// <summary>Redis's memtoull: digits with an optional b/k/kb/m/mb/g/gb unit.</summary>
    public static bool TryParseMemory(string p, out ulong value)
    {
        value = 0;
        if (p.StartsWith('-'))
        {
            return false;
        }

        int u = 0;
        while (u < p.Length && char.IsAsciiDigit(p[u]))
        {
            u++;
        }

        ulong mul = p[u..].ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "k" => 1000,
            "kb" => 1024,
            "m" => 1000 * 1000,
            "mb" => 1024 * 1024,
            "g" => 1000UL * 1000 * 1000,
            "gb" => 1024UL * 1024 * 1024,
            _ => 0,
        };
        if (mul == 0)
        {
            return false;
        }

        // strtoull of an empty digit run yields 0 without an error, as in Redis.
        ulong digits = 0;
        if (u > 0 && !ulong.TryParse(p.AsSpan(0, u), NumberStyles.None, CultureInfo.InvariantCulture, out digits))
        {
            digits = ulong.MaxValue;
        }

        value = unchecked(digits * mul);
        return true;
    }

    /// <summary>Formats bytes as Redis's rewriteConfigFormatMemory (1gb, 64mb, 3kb or plain).</summary>
    public static string FormatMemory(long bytes)
    {
        const long Gb = 1024L * 1024 * 1024;
        const long Mb = 1024L * 1024;
        const long Kb = 1024;
        if (bytes != 0 && bytes % Gb == 0)
        {
            return $"{bytes / Gb}gb";
        }

        if (bytes != 0 && bytes % Mb == 0)
        {
            return $"{bytes / Mb}mb";
        }

        if (bytes != 0 && bytes % Kb == 0)
        {
            return $"{bytes / Kb}kb";
        }

        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    private const int NotifyAll = (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 13);

    private static string? NormalizeString(ConfigDefinition d, string? value) =>
        d.EmptyIsNull && string.IsNullOrEmpty(value) ? null : value;

    private static string EnumError(ConfigDefinition d)
    {
        // Redis builds the list into a 256-byte buffer, so very long lists are cut.
        var text = "argument(s) must be one of the following: " + string.Join(", ", d.EnumValues.Select(v => v.Name));
        return text.Length > 255 ? text[..255] : text;
    }

    private static string FormatNumber(ConfigDefinition d, long value)
    {
        if ((d.NumericFlags & NumericFlags.Percent) != 0 && value < 0)
        {
            return (-value).ToString(CultureInfo.InvariantCulture) + "%";
        }

        if ((d.NumericFlags & NumericFlags.Memory) != 0)
        {
            return ((ulong)value).ToString(CultureInfo.InvariantCulture);
        }

        if ((d.NumericFlags & NumericFlags.Octal) != 0)
        {
            return Convert.ToString(value, 8);
        }

        return value.ToString(CultureInfo.InvariantCulture);
    }

    private static string FormatPercentile(double p)
    {
        // "%f" then trimDoubleString: six decimals with trailing zeros (and a bare '.') removed.
        var s = p.ToString("F6", CultureInfo.InvariantCulture);
        return s.Contains('.', StringComparison.Ordinal) ? s.TrimEnd('0').TrimEnd('.') : s;
    }

    private int SetBool(ConfigDefinition d, string arg, out string? error)
    {
        error = null;
        bool yes;
        if (arg.Equals("yes", StringComparison.OrdinalIgnoreCase))
        {
            yes = true;
        }
        else if (arg.Equals("no", StringComparison.OrdinalIgnoreCase))
        {
            yes = false;
        }
        else
        {
            error = "argument must be 'yes' or 'no'";
            return 0;
        }

        if (d.Name == "activedefrag" && yes && !OperatingSystem.IsLinux())
        {
            error = "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution";
            return 0;
        }

        if ((bool)_values[d]! == yes)
        {
            return 2;
        }

        _values[d] = yes;
        return 1;
    }

    private int SetString(ConfigDefinition d, string arg, out string? error)
    {
        if (!ValidString(d, arg, out error))
        {
            return 0;
        }

        string? value = d.EmptyIsNull && arg.Length == 0 ? null : arg;
        if ((string?)_values[d] == value)
        {
            return 2;
        }

        _values[d] = value;
        return 1;
    }

    private static bool ValidString(ConfigDefinition d, string value, out string? error)
    {
        error = d.Name switch
        {
            "dbfilename" when !IsBaseName(value) => "dbfilename can't be a path, just a filename",
            "appendfilename" when value.Length == 0 => "appendfilename can't be empty",
            "appendfilename" when !IsBaseName(value) => "appendfilename can't be a path, just a filename",
            "appenddirname" when value.Length == 0 => "appenddirname can't be empty",
            "appenddirname" when !IsBaseName(value) => "appenddirname can't be a path, just a dirname",
            "cluster-announce-hostname" when value.Length >= 256 => "Hostnames must be less than 256 characters",
            "cluster-announce-hostname" when value.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '.')) => "Hostnames may only contain alphanumeric characters, hyphens or dots",
            _ => null,
        };
        return error is null;
    }

    private static bool IsBaseName(string path) => !path.Contains('/', StringComparison.Ordinal);

    private int SetEnum(ConfigDefinition d, IReadOnlyList<string> argv, out string? error)
    {
        error = null;
        bool bitflags = d.Is(ConfigFlags.MultiArg);
        if (argv.Count == 0 || (!bitflags && argv.Count != 1))
        {
            error = EnumError(d);
            return 0;
        }

        int value = 0;
        foreach (var a in argv)
        {
            bool matched = false;
            foreach (var e in d.EnumValues)
            {
                if (a.Equals(e.Name, StringComparison.OrdinalIgnoreCase))
                {
                    value |= e.Value;
                    matched = true;
                }
            }

            if (!matched)
            {
                error = EnumError(d);
                return 0;
            }
        }

        if (d.Name.StartsWith("shutdown-on-sig", StringComparison.Ordinal) && (value & 1) != 0 && (value & 2) != 0)
        {
            error = "shutdown options SAVE and NOSAVE can't be used simultaneously";
            return 0;
        }

        if ((int)_values[d]! == value)
        {
            return 2;
        }

        _values[d] = value;
        return 1;
    }

    private int SetNumeric(ConfigDefinition d, string arg, out string? error)
    {
        if (!TryParseNumeric(d, arg, out long ll, out error) || !CheckBounds(d, ll, out error))
        {
            return 0;
        }

        if (d.Name == "hz")
        {
            // hz is a hint: Redis accepts any value and caps it to 1..500 (CONFIG_MIN_HZ/MAX_HZ).
            ll = Math.Clamp(ll, 1, 500);
        }

        if ((long)_values[d]! == ll)
        {
            return 2;
        }

        _values[d] = ll;
        return 1;
    }

    // numericParseString: memory, then percent, then octal, then a plain integer.
    private static bool TryParseNumeric(ConfigDefinition d, string value, out long result, out string? error)
    {
        error = null;
        var f = d.NumericFlags;
        if ((f & NumericFlags.Memory) != 0 && TryParseMemory(value, out ulong mem))
        {
            result = unchecked((long)mem);
            return true;
        }

        if ((f & NumericFlags.Percent) != 0 && value.Length > 1 && value[^1] == '%'
            && Cinnabar.Protocol.Number.TryParseInt64(Encoding.ASCII.GetBytes(value[..^1]), out result) && result >= 0)
        {
            result = -result;
            return true;
        }

        if ((f & NumericFlags.Octal) != 0 && TryParseOctal(value, out result))
        {
            return true;
        }

        if (f == NumericFlags.None && Cinnabar.Protocol.Number.TryParseInt64(Encoding.UTF8.GetBytes(value), out result))
        {
            return true;
        }

        result = 0;
        if ((f & NumericFlags.Memory) != 0 && (f & NumericFlags.Percent) != 0)
        {
            error = "argument must be a memory or percent value";
        }
        else if ((f & NumericFlags.Memory) != 0)
        {
            error = "argument must be a memory value";
        }
        else if ((f & NumericFlags.Octal) != 0)
        {
            error = "argument couldn't be parsed as an octal number";
        }
        else
        {
            error = "argument couldn't be parsed into an integer";
        }

        return false;
    }

    // strtoll(value, &end, 8) with no trailing characters and no overflow.
    private static bool TryParseOctal(string value, out long result)
    {
        result = 0;
        int i = 0;
        while (i < value.Length && char.IsWhiteSpace(value[i]))
        {
            i++;
        }

        bool negative = false;
        if (i < value.Length && value[i] is '+' or '-')
        {
            negative = value[i] == '-';
            i++;
        }

        int start = i;
        Int128 acc = 0;
        while (i < value.Length && value[i] is >= '0' and <= '7')
        {
            acc = (acc * 8) + (value[i] - '0');
            if (acc > long.MaxValue)
            {
                return false;
            }

            i++;
        }

        if (i == start)
        {
            // No digits: strtoll leaves end at the start, so only an empty string passes.
            return value.Length == 0;
        }

        if (i != value.Length)
        {
            return false;
        }

        result = (long)(negative ? -acc : acc);
        return true;
    }

    private static bool CheckBounds(ConfigDefinition d, long ll, out string? error)
    {
        error = null;
        if (d.Unsigned)
        {
            // Unsigned C types compare the value cast to unsigned long long.
            Int128 ull = (ulong)ll;
            if (ull > d.Upper || ull < d.Lower)
            {
                error = (d.NumericFlags & NumericFlags.Octal) != 0
                    ? $"argument must be between {Convert.ToString((long)d.Lower, 8)} and {Convert.ToString((long)d.Upper, 8)} inclusive"
                    : $"argument must be between {d.Lower} and {d.Upper} inclusive";
                return false;
            }

            return true;
        }

        if ((d.NumericFlags & NumericFlags.Percent) != 0 && ll < 0)
        {
            if (ll < d.Lower)
            {
                error = $"percentage argument must be less or equal to {-d.Lower}";
                return false;
            }

            return true;
        }

        if (ll > d.Upper || ll < d.Lower)
        {
            error = $"argument must be between {d.Lower} and {d.Upper} inclusive";
            return false;
        }

        return true;
    }

    private int SetSpecial(ConfigDefinition d, IReadOnlyList<string> argv, out string? error)
    {
        error = null;
        switch (d.Name)
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
                return SetSave(argv, out error);
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

                int flags = NotifyFlagsFromString(argv[0]);
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

    private int SetSave(IReadOnlyList<string> argv, out string? error)
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
            valid = TryParseSaveNumber(argv[j], out numbers[j]) && numbers[j] >= ((j & 1) == 0 ? 1 : 0);
        }

        if (!valid)
        {
            error = "Invalid save parameters";
            return 0;
        }

        // While reading the file, the first save line replaces the defaults and later ones
        // add points; from CONFIG SET every call replaces the whole list.
        if (!ReadingConfigFile || !_saveLoadedFromFile)
        {
            Save.Clear();
            _saveLoadedFromFile |= ReadingConfigFile;
        }

        for (int j = 0; j < argc; j += 2)
        {
            Save.Add((numbers[j], unchecked((int)numbers[j + 1])));
        }

        return 1;
    }

    // strtoll(arg, &end, 10) that must consume everything (an empty string gives 0).
    private static bool TryParseSaveNumber(string s, out long value)
    {
        value = 0;
        var t = s.TrimStart();
        if (t.Length == 0)
        {
            return s.Length == 0;
        }

        return long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
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

            if (!TryParseMemory(argv[j + 1], out ulong hard) || !TryParseMemory(argv[j + 2], out ulong soft)
                || !TryParseSaveNumber(argv[j + 3], out long seconds) || seconds < 0)
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
            if (!TryParseSaveNumber(argv[i], out long v) || v < -2000 || v > 2000)
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

        if (!TryParseSaveNumber(argv[1], out long port) || port < 0 || port > 65535)
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

    private void RewriteOne(ConfigDefinition d, ConfigRewriter state)
    {
        string name = d.Name;
        switch (d.Kind)
        {
            case ConfigKind.Bool:
                bool b = (bool)_values[d]!;
                state.RewriteLine(name, $"{name} {(b ? "yes" : "no")}", b != d.DefaultBool);
                return;
            case ConfigKind.String:
                RewriteString(state, name, (string?)_values[d], d.DefaultString);
                return;
            case ConfigKind.Enum:
                int ev = (int)_values[d]!;
                state.RewriteLine(name, $"{name} {EnumName(d, ev)}", ev != d.DefaultEnum);
                return;
            case ConfigKind.Numeric:
                RewriteNumber(state, d, (long)_values[d]!);
                return;
            default:
                RewriteSpecial(state, d);
                return;
        }
    }

    private static void RewriteString(ConfigRewriter state, string name, string? value, string? def)
    {
        // A string that is not set must be absent from the file to stay unset at the next start.
        if (value is null)
        {
            state.MarkProcessed(name);
            return;
        }

        state.RewriteLine(name, $"{name} {ConfigRewriter.Repr(value)}", def is null || value != def);
    }

    private static void RewriteNumber(ConfigRewriter state, ConfigDefinition d, long value)
    {
        string name = d.Name;
        bool force = value != d.DefaultNumber;
        if ((d.NumericFlags & NumericFlags.Percent) != 0 && value < 0)
        {
            state.RewriteLine(name, $"{name} {-value}%", -value != d.DefaultNumber);
        }
        else if ((d.NumericFlags & NumericFlags.Memory) != 0)
        {
            state.RewriteLine(name, $"{name} {FormatMemory(value)}", force);
        }
        else if ((d.NumericFlags & NumericFlags.Octal) != 0)
        {
            state.RewriteLine(name, $"{name} {Convert.ToString(value, 8)}", force);
        }
        else
        {
            state.RewriteLine(name, $"{name} {value.ToString(CultureInfo.InvariantCulture)}", force);
        }
    }

    private void RewriteSpecial(ConfigRewriter state, ConfigDefinition d)
    {
        string name = d.Name;
        switch (name)
        {
            case "dir":
                RewriteString(state, name, Directory.GetCurrentDirectory(), null);
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
                    state.RewriteLine(name, $"{name} {cls} {FormatMemory(o.Hard)} {FormatMemory(o.Soft)} {o.Seconds}", o != DefaultObufLimits[j]);
                }

                return;
            case "oom-score-adj-values":
                state.RewriteLine(name, $"{name} {string.Join(' ', _oom)}", !_oom.SequenceEqual(DefaultOomValues));
                return;
            case "notify-keyspace-events":
                state.RewriteLine(name, $"{name} {ConfigRewriter.Repr(NotifyFlagsToString(NotifyKeyspaceEvents))}", NotifyKeyspaceEvents != 0);
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
                string list = LatencyPercentiles.Count == 0 ? "\"\"" : string.Join(' ', LatencyPercentiles.Select(FormatPercentile));
                state.RewriteLine(name, $"{name} {list}", true);
                return;
        }
    }

    /// <summary>One client class's output buffer limits.</summary>
    private sealed record ObufLimit(string Class, long Hard, long Soft, long Seconds);
}
