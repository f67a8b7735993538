// redis.conf parsing as config.c's loadServerConfig/loadServerConfigFromString: the file (or
// the files an include pattern matches), then stdin, then the command-line options, all read as
// one text; each line is trimmed, comments and blanks skipped, split like sdssplitargs, the
// directive lowercased and handed to the parameter's setter. The first problem stops the load
// with Redis's report (line number, the line, the reason), which the host prints to stderr
// before exiting with status 1 (ARCHITECTURE §8: config errors name the line).
using System.Text;

using Cinnabar.Protocol;
using Cinnabar.Server.Commands;

namespace Cinnabar.Server.Config;

/// <summary>A config load that must stop the process.</summary>
internal sealed class ConfigLoadException : Exception
{
    public ConfigLoadException(string report, bool isLogLine)
        : base(report)
    {
        Report = report;
        IsLogLine = isLogLine;
    }

    /// <summary>The full text to print.</summary>
    public string Report { get; }

    /// <summary>
    /// True when Redis reports this through its logger ("Fatal error, can't open config file"),
    /// false for the "*** FATAL CONFIG FILE ERROR ***" block written to stderr.
    /// </summary>
    public bool IsLogLine { get; }
}

/// <summary>Loads configuration text into a ServerConfig.</summary>
internal sealed class ConfigFileLoader
{
    /// <summary>Deprecated directives still accepted and ignored, with their argc range.</summary>
    private static readonly (string Name, int Min, int Max)[] Deprecated =
    [
        ("list-max-ziplist-entries", 2, 2),
        ("list-max-ziplist-value", 2, 2),
        ("lua-replicate-commands", 2, 2),
    ];

    private readonly ServerConfig _config;

    public ConfigFileLoader(ServerConfig config)
    {
        _config = config;
    }

    /// <summary>Parameters named in the loaded text (primary names), in first-seen order.</summary>
    public List<string> Mentioned { get; } = [];

    /// <summary>The command table rename-command edits (validated as Redis does); null skips the check.</summary>
    public CommandTable? Commands { get; set; }

    /// <summary>rename-command directives: (old name, new name or empty to remove).</summary>
    public List<(string From, string To)> RenamedCommands { get; } = [];

    /// <summary>user directives, kept verbatim for the ACL subsystem.</summary>
    public List<IReadOnlyList<string>> Users { get; } = [];

    /// <summary>loadmodule directives (modules are not supported; kept for the report).</summary>
    public List<IReadOnlyList<string>> Modules { get; } = [];

    /// <summary>Lines written through the logger while loading (Redis logs "Reading config from stdin").</summary>
    public Action<string>? LogWarning { get; set; }

    /// <summary>
    /// loadServerConfig: reads <paramref name="fileName"/> (may be null), then stdin when
    /// <paramref name="stdin"/> is given, then appends <paramref name="options"/>; throws
    /// ConfigLoadException with Redis's report on the first error.
    /// </summary>
    public void Load(string? fileName, TextReader? stdin, string? options)
    {
        var text = new StringBuilder();
        if (fileName is not null)
        {
            text.Append(ReadConfigFile(fileName));
        }

        if (stdin is not null)
        {
            LogWarning?.Invoke("Reading config from stdin");
            text.Append(stdin.ReadToEnd());
        }

        if (options is not null)
        {
            text.Append('\n').Append(options);
        }

        LoadFromString(text.ToString());
    }

    /// <summary>loadServerConfigFromString.</summary>
    public void LoadFromString(string config)
    {
        var store = _config.Store;
        bool wasReading = store.ReadingConfigFile;
        store.ReadingConfigFile = true;
        var lines = config.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim(' ', '\t', '\r', '\n');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            string? err = ApplyLine(line);
            if (err is not null)
            {
                throw new ConfigLoadException(FormatReport(i + 1, line, err), isLogLine: false);
            }
        }

        string logFile = _config.LogFile;
        if (logFile.Length > 0)
        {
            // Redis opens the log file once here so that a bad path fails now, not later.
            try
            {
                using var _ = new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigLoadException(FormatReport(null, null, "Can't open the log file: " + OsError.Describe(e)), isLogLine: false);
            }
        }

        store.ReadingConfigFile = wasReading;
    }

    /// <summary>The "*** FATAL CONFIG FILE ERROR ***" block of config.c.</summary>
    public static string FormatReport(int? lineNumber, string? line, string reason)
    {
        var sb = new StringBuilder();
        sb.Append("\n*** FATAL CONFIG FILE ERROR (Redis ").Append(Hosting.ServerHost.RedisVersion).Append(") ***\n");
        if (lineNumber is not null)
        {
            sb.Append("Reading the configuration file, at line ").Append(lineNumber.Value).Append('\n');
            sb.Append(">>> '").Append(line).Append("'\n");
        }

        sb.Append(reason).Append('\n');
        return sb.ToString();
    }

    private static string ReadConfigFile(string fileName)
    {
        // A pattern that matches nothing is fine (an empty conf.d); a plain name must exist.
        var files = PathGlob.HasWildcard(fileName) ? PathGlob.ExpandPath(fileName) : [fileName];
        var sb = new StringBuilder();
        foreach (var f in files)
        {
            try
            {
                sb.Append(Encoding.UTF8.GetString(File.ReadAllBytes(f)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigLoadException($"Fatal error, can't open config file '{f}': {OsError.Describe(e)}", isLogLine: true);
            }
        }

        return sb.ToString();
    }

    // One directive; returns Redis's error reason or null.
    private string? ApplyLine(string line)
    {
        var raw = SplitArgs.Split(Encoding.UTF8.GetBytes(line));
        if (raw is null)
        {
            return "Unbalanced quotes in configuration line";
        }

        if (raw.Count == 0)
        {
            return null;
        }

        var argv = raw.Select(a => Encoding.UTF8.GetString(a)).ToList();
        argv[0] = argv[0].ToLowerInvariant();
        var def = ConfigStore.Lookup(argv[0]);
        if (def is not null)
        {
            if (!def.Is(ConfigFlags.MultiArg) && argv.Count != 2)
            {
                return "wrong number of arguments";
            }

            IReadOnlyList<string> values;
            if (def.Is(ConfigFlags.MultiArg) && argv.Count == 2 && argv[1].Length > 0)
            {
                // A multi-arg config given as one argument ("--save '900 1 300 10'") is split again.
                var again = SplitArgs.Split(Encoding.UTF8.GetBytes(argv[1]));
                values = again is null ? [] : again.Select(a => Encoding.UTF8.GetString(a)).ToList();
            }
            else
            {
                values = argv.Skip(1).ToList();
            }

            if (_config.Store.Set(def, values, out string? err) == 0)
            {
                return err;
            }

            if (!Mentioned.Contains(def.Name))
            {
                Mentioned.Add(def.Name);
            }

            return null;
        }

        foreach (var (name, min, max) in Deprecated)
        {
            if (argv[0] == name && argv.Count >= min && argv.Count <= max)
            {
                return null;
            }
        }

        switch (argv[0])
        {
            case "include" when argv.Count == 2:
                LoadFromString(ReadConfigFile(argv[1]));
                return null;
            case "rename-command" when argv.Count == 3:
                switch (Commands?.Rename(argv[1], argv[2]) ?? RenameResult.Renamed)
                {
                    case RenameResult.NoSuchCommand:
                        return "No such command in rename-command";
                    case RenameResult.TargetExists:
                        return "Target command name already exists";
                    default:
                        RenamedCommands.Add((argv[1], argv[2]));
                        return null;
                }
            case "user" when argv.Count >= 2:
                Users.Add(argv.Skip(1).ToList());
                return null;
            case "loadmodule" when argv.Count >= 2:
                Modules.Add(argv.Skip(1).ToList());
                return null;
            case "sentinel":
                return argv.Count != 1 ? "sentinel directive while not in sentinel mode" : null;
            default:
                if (argv[0].Contains('.', StringComparison.Ordinal))
                {
                    return argv.Count < 2 ? "Module config specified without value" : null;
                }

                return "Bad directive or wrong number of arguments";
        }
    }
}
