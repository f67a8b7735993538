// Commands are data: each family file registers its rows here, and the dispatcher is the only
// code that checks arity, flags and authentication. The list in CreateDefault is the index of
// every command family Cinnabar implements.
namespace Cinnabar.Server.Commands;

/// <summary>The command table.</summary>
internal sealed class CommandTable
{
    private readonly Dictionary<string, CommandSpec> _commands = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Found> _byAsciiLower = new(StringComparer.Ordinal);

    // The last command found: pipelines repeat one command, and comparing its few bytes costs
    // less than lowering and hashing them (one object, so a reader never sees a torn pair).
    private Found? _last;

    /// <summary>All top-level commands.</summary>
    public IEnumerable<CommandSpec> All => _commands.Values;

    /// <summary>Number of top-level commands.</summary>
    public int Count => _commands.Count;

    /// <summary>The table with every family registered.</summary>
    public static CommandTable CreateDefault()
    {
        var t = new CommandTable();
        ConnectionCommands.Register(t);
        StringCommands.Register(t);
        ListCommands.Register(t);
        HashCommands.Register(t);
        SetCommands.Register(t);
        SortCommands.Register(t);
        SortedSetCommands.Register(t);
        ZSetPopCommands.Register(t);
        ZSetRangeCommands.Register(t);
        ZSetStoreCommands.Register(t);
        ZSetBlockingCommands.Register(t);
        MemoryCommands.Register(t);
        CollectionCommandMeta.Apply(t);
        KeyCommands.Register(t);
        DumpCommands.Register(t);
        ScanCommands.Register(t);
        DatabaseCommands.Register(t);
        ObjectCommands.Register(t);
        TransactionCommands.Register(t);
        ServerCommands.Register(t);
        ClientCommands.Register(t);
        ConfigCommands.Register(t);
        DebugCommands.Register(t);
        IntrospectionCommands.Register(t);
        ExpireCommands.Register(t);
        ReplicationCommands.Register(t);
        PubSubCommands.Register(t);
        ReplicaOfCommands.Register(t);
        return t;
    }

    /// <summary>Adds a command row.</summary>
    public CommandSpec Add(CommandSpec spec)
    {
        _last = null;
        _commands[spec.Name] = spec;
        _byAsciiLower[spec.Name] = new Found(spec.Name, spec);
        return spec;
    }

    /// <summary>Adds a command row from its parts.</summary>
    public CommandSpec Add(string name, int arity, CommandFlags flags, int firstKey, int lastKey, int step, CommandHandler? handler, string group = "generic", string since = "1.0.0", string acl = "", string summary = "")
    {
        return Add(new CommandSpec(name, arity, flags, firstKey, lastKey, step, handler)
        {
            Group = group,
            Since = since,
            AclCategories = acl.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Summary = summary,
        });
    }

    /// <summary>Finds a top-level command by its name bytes (any case).</summary>
    public CommandSpec? Lookup(ReadOnlySpan<byte> name)
    {
        if (name.Length > 64)
        {
            return null;
        }

        if (_last is { } last && Cinnabar.Protocol.Ascii.EqualsIgnoreCase(name, last.Name))
        {
            return last.Spec;
        }

        Span<char> lower = stackalloc char[name.Length];
        for (int i = 0; i < name.Length; i++)
        {
            byte b = name[i];
            lower[i] = (char)(b is >= (byte)'A' and <= (byte)'Z' ? b | 0x20 : b);
        }

        var lookup = _byAsciiLower.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.TryGetValue(lower, out var found))
        {
            return null;
        }

        _last = found;
        return found.Spec;
    }

    /// <summary>Finds a command by name string.</summary>
    public CommandSpec? Lookup(string name) => _commands.TryGetValue(name, out var s) ? s : null;

    /// <summary>
    /// rename-command: removes <paramref name="from"/> and, unless <paramref name="to"/> is
    /// empty, registers the same command under the new name. False when the command does not
    /// exist or the new name is taken (the config loader reports Redis's texts for both).
    /// </summary>
    public RenameResult Rename(string from, string to)
    {
        if (!_commands.TryGetValue(from, out var spec))
        {
            return RenameResult.NoSuchCommand;
        }

        _last = null;
        _commands.Remove(from);
        _byAsciiLower.Remove(from.ToLowerInvariant());
        if (to.Length == 0)
        {
            return RenameResult.Renamed;
        }

        if (_commands.ContainsKey(to))
        {
            return RenameResult.TargetExists;
        }

        _commands[to] = spec;
        _byAsciiLower[to.ToLowerInvariant()] = new Found(to.ToLowerInvariant(), spec);
        return RenameResult.Renamed;
    }

    // A registered name (lower case) and its command.
    private sealed class Found(string name, CommandSpec spec)
    {
        public byte[] Name { get; } = System.Text.Encoding.Latin1.GetBytes(name);

        public CommandSpec Spec { get; } = spec;
    }
}

/// <summary>Outcome of CommandTable.Rename.</summary>
internal enum RenameResult
{
    /// <summary>Done.</summary>
    Renamed,

    /// <summary>"No such command in rename-command".</summary>
    NoSuchCommand,

    /// <summary>"Target command name already exists".</summary>
    TargetExists,
}
