// The live value of every configuration parameter, with config.c's set/get semantics: one
// parser per kind (bool, string, enum, numeric); the special ones (save, bind, dir, ...) live
// in SpecialConfigs. Set returns Redis's three-way result (failed, changed,
// unchanged) and Redis's error reasons, which the config file loader and CONFIG SET both report.
// After every successful set the typed ServerConfig properties the rest of the server reads are
// refreshed, so a CONFIG SET takes effect on the next command.
using System.Globalization;
using System.Text;

namespace Cinnabar.Server.Config;

/// <summary>Configuration values by definition.</summary>
internal sealed class ConfigStore
{
    private readonly ServerConfig _config;
    private readonly Dictionary<ConfigDefinition, object?> _values = [];
    private readonly SpecialConfigs _special = new();

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
    public IReadOnlyList<(long Seconds, int Changes)> Save => _special.Save;

    public IReadOnlyList<string> Bind => _special.Bind;

    /// <summary>replicaof host, or null when this server is a primary.</summary>
    public string? ReplicaOfHost => _special.ReplicaOfHost;

    public int ReplicaOfPort => _special.ReplicaOfPort;

    /// <summary>notify-keyspace-events as Redis's NOTIFY_* bit flags.</summary>
    public int NotifyKeyspaceEvents => _special.NotifyKeyspaceEvents;

    /// <summary>client-output-buffer-limit of a class (0 normal, 1 replica, 2 pubsub).</summary>
    public (long Hard, long Soft, long Seconds) ObufLimit(int cls) => _special.ObufLimitOf(cls);

    /// <summary>latency-tracking-info-percentiles.</summary>
    public IReadOnlyList<double> LatencyPercentiles => _special.LatencyPercentiles;

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
            return _special.IsNonDefault(d.Name);
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
            _ => _special.Set(d.Name, argv, ReadingConfigFile, out error),
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
                return _special.Get(d.Name);
        }
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
        if ((f & NumericFlags.Memory) != 0 && ConfigText.TryParseMemory(value, out ulong mem))
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

        if ((f & NumericFlags.Octal) != 0 && ConfigText.TryParseOctal(value, out result))
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
                _special.Rewrite(state, name);
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
            state.RewriteLine(name, $"{name} {ConfigText.FormatMemory(value)}", force);
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
}
