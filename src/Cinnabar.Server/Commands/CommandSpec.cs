namespace Cinnabar.Server.Commands;

/// <summary>
/// A row of the command table: everything the dispatcher checks before a handler runs.
/// Arity follows Redis: positive = exact argument count, negative = at least -arity.
/// Key positions (first, last, step) are 1-based argument indexes; last -1 = up to the end.
/// </summary>
internal sealed class CommandSpec
{
    public CommandSpec(string name, int arity, CommandFlags flags, int firstKey, int lastKey, int keyStep, CommandHandler? handler)
    {
        Name = name;
        Arity = arity;
        Flags = flags;
        FirstKey = firstKey;
        LastKey = lastKey;
        KeyStep = keyStep;
        Handler = handler;
    }

    /// <summary>Lower-case name; for subcommands just the subcommand ("get" of config|get).</summary>
    public string Name { get; }

    /// <summary>"config|get" for subcommands, else the name.</summary>
    public string FullName => Parent is null ? Name : Parent.Name + "|" + Name;

    public int Arity { get; }

    public CommandFlags Flags { get; }

    public int FirstKey { get; }

    public int LastKey { get; }

    public int KeyStep { get; }

    public CommandHandler? Handler { get; }

    /// <summary>ACL categories without the @ (for COMMAND INFO), e.g. "write", "string", "fast".</summary>
    public string[] AclCategories { get; init; } = [];

    /// <summary>Redis version that introduced the command (COMMAND DOCS "since").</summary>
    public string Since { get; init; } = "1.0.0";

    /// <summary>Documentation group (COMMAND DOCS "group"), e.g. "string", "generic", "server".</summary>
    public string Group { get; init; } = "generic";

    /// <summary>One-line summary (COMMAND DOCS "summary").</summary>
    public string Summary { get; init; } = string.Empty;

    /// <summary>Command tips (COMMAND INFO), e.g. "nondeterministic_output", "request_policy:all_shards".</summary>
    public string[] Tips { get; set; } = [];

    /// <summary>Key specifications (COMMAND INFO); null = one derived from first/last/step.</summary>
    public KeySpec[]? KeySpecs { get; set; }

    /// <summary>Computes key positions for commands whose keys move (MovableKeys); null = use first/last/step.</summary>
    public Func<Cinnabar.Protocol.CommandArgs, List<int>>? KeyFinder { get; init; }

    /// <summary>Key flags of the key at a position found by <see cref="KeyFinder"/> (COMMAND GETKEYSANDFLAGS); null = from the key specs.</summary>
    public Func<Cinnabar.Protocol.CommandArgs, int, string>? KeyFlagsFinder { get; set; }

    /// <summary>Subcommands by lower-case name (container commands such as CONFIG, CLIENT).</summary>
    public Dictionary<string, CommandSpec>? Subcommands { get; private set; }

    /// <summary>The container command for a subcommand.</summary>
    public CommandSpec? Parent { get; private set; }

    /// <summary>Statistics: calls.</summary>
    public long Calls { get; set; }

    /// <summary>Statistics: microseconds spent.</summary>
    public long Microseconds { get; set; }

    /// <summary>Statistics: calls rejected before running.</summary>
    public long RejectedCalls { get; set; }

    /// <summary>Statistics: calls that replied with an error.</summary>
    public long FailedCalls { get; set; }

    /// <summary>True for write commands.</summary>
    public bool IsWrite => (Flags & CommandFlags.Write) != 0;

    /// <summary>Adds a subcommand.</summary>
    public CommandSpec AddSubcommand(CommandSpec sub)
    {
        Subcommands ??= new Dictionary<string, CommandSpec>(StringComparer.OrdinalIgnoreCase);
        sub.Parent = this;
        Subcommands[sub.Name] = sub;
        return sub;
    }

    /// <summary>1-based key argument indexes for these arguments.</summary>
    public List<int> GetKeyPositions(Cinnabar.Protocol.CommandArgs args)
    {
        if (KeyFinder is not null)
        {
            return KeyFinder(args);
        }

        var keys = new List<int>();
        if (FirstKey <= 0)
        {
            return keys;
        }

        int last = LastKey < 0 ? args.Count + LastKey : LastKey;
        for (int i = FirstKey; i <= last && i < args.Count; i += Math.Max(KeyStep, 1))
        {
            keys.Add(i);
        }

        return keys;
    }
}
