// CONFIG GET SET REWRITE RESETSTAT HELP (config.c). GET matches names and aliases with Redis's
// glob (hidden parameters only by exact name); SET sets every pair or none: all values are set
// first, then the apply steps run, and any failure restores the old values, with Redis's error
// texts naming the argument. The values live in ServerConfig.Store; the typed ServerConfig
// properties the rest of the server reads follow every change.
using Cinnabar.Server.Config;

namespace Cinnabar.Server.Commands;

/// <summary>CONFIG GET SET REWRITE RESETSTAT HELP (config.c).</summary>
internal static class ConfigCommands
{
    private const CommandFlags ConfigFlags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale;

    private static readonly string[] HelpLines =
    [
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
    ];

    public static void Register(CommandTable t)
    {
        var config = t.Add("config", -2, CommandFlags.None, 0, 0, 0, null, "server", "2.0.0", "", "A container for server configuration commands");
        config.AddSubcommand(new CommandSpec("get", -3, ConfigFlags, 0, 0, 0, Get) { Group = "server", Since = "2.0.0", AclCategories = ["admin", "slow", "dangerous"], Summary = "Get the values of configuration parameters" });
        config.AddSubcommand(new CommandSpec("set", -4, ConfigFlags, 0, 0, 0, Set) { Group = "server", Since = "2.0.0", AclCategories = ["admin", "slow", "dangerous"], Summary = "Set configuration parameters to the given values" });
        config.AddSubcommand(new CommandSpec("rewrite", 2, ConfigFlags, 0, 0, 0, Rewrite) { Group = "server", Since = "2.8.0", AclCategories = ["admin", "slow", "dangerous"], Summary = "Rewrite the configuration file with the in memory configuration" });
        config.AddSubcommand(new CommandSpec("resetstat", 2, ConfigFlags, 0, 0, 0, ResetStat) { Group = "server", Since = "2.0.0", AclCategories = ["admin", "slow", "dangerous"], Summary = "Reset the server statistics" });
        config.AddSubcommand(new CommandSpec("help", 2, CommandFlags.Loading | CommandFlags.Stale, 0, 0, 0, Help) { Group = "server", Since = "5.0.0", AclCategories = ["slow"], Summary = "Show helpful text about the different subcommands" });
    }

    // CONFIG GET parameter [parameter ...]
    private static void Get(CommandContext ctx)
    {
        var store = ctx.Server.Config.Store;
        var matches = new List<(string Key, ConfigDefinition Def)>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 2; i < ctx.Args.Count; i++)
        {
            string name = ctx.Args.GetString(i);
            if (!PathGlob.HasWildcard(name))
            {
                var def = ConfigStore.Lookup(name);
                if (def is not null && seen.Add(name))
                {
                    // The reply echoes the name as the client typed it (Redis keys the reply by argv).
                    matches.Add((name, def));
                }

                continue;
            }

            foreach (var def in ConfigCatalog.All)
            {
                if (def.Is(Config.ConfigFlags.Hidden))
                {
                    continue;
                }

                AddIfMatches(name, def.Name, def);
                if (def.Alias is not null)
                {
                    AddIfMatches(name, def.Alias, def);
                }
            }
        }

        ctx.Reply.MapHeader(matches.Count);
        foreach (var (key, def) in matches)
        {
            ctx.Reply.Bulk(key);
            ctx.Reply.Bulk(store.Get(def));
        }

        void AddIfMatches(string pattern, string key, ConfigDefinition def)
        {
            if (!seen.Contains(key) && PathGlob.IsMatch(pattern, key, ignoreCase: true))
            {
                seen.Add(key);
                matches.Add((key, def));
            }
        }
    }

    // CONFIG SET parameter value [parameter value ...]
    private static void Set(CommandContext ctx)
    {
        if ((ctx.Args.Count & 1) != 0)
        {
            ctx.Error(Errors.Syntax);
            return;
        }

        var server = ctx.Server;
        var store = server.Config.Store;
        int count = (ctx.Args.Count - 2) / 2;
        var defs = new ConfigDefinition[count];
        string? errorText = null;
        string? errorArg = null;
        for (int i = 0; i < count; i++)
        {
            string name = ctx.Args.GetString(2 + (i * 2));
            var def = ConfigStore.Lookup(name);
            if (def is null)
            {
                // Only the first problem is reported: an unknown name after a refused one is not.
                if (errorArg is null)
                {
                    ctx.Error($"ERR Unknown option or number of arguments for CONFIG SET - '{name}'");
                    return;
                }

                continue;
            }

            if (errorArg is not null)
            {
                continue;
            }

            if (def.Is(Config.ConfigFlags.Immutable) || (def.Is(Config.ConfigFlags.Protected) && !ProtectedConfigsAllowed(ctx)))
            {
                errorText = def.Is(Config.ConfigFlags.Immutable) ? "can't set immutable config" : "can't set protected config";
                errorArg = name;
                continue;
            }

            if ((server.Loading || server.AsyncLoading) && def.Is(Config.ConfigFlags.DenyLoading))
            {
                ctx.Error(Errors.Loading);
                return;
            }

            if (Array.IndexOf(defs, def, 0, i) >= 0)
            {
                errorText = "duplicate parameter";
                errorArg = name;
                continue;
            }

            defs[i] = def;
        }

        if (errorArg is not null)
        {
            ctx.Error($"ERR CONFIG SET failed (possibly related to argument '{errorArg}') - {errorText}");
            return;
        }

        var old = defs.Select(store.Get).ToArray();
        for (int i = 0; i < count; i++)
        {
            string value = ctx.Args.GetString(3 + (i * 2));
            if (store.SetFromValue(defs[i], value, out string? err) == 0)
            {
                Restore(store, defs, old, i + 1);
                ctx.Error(err is null
                    ? $"ERR CONFIG SET failed (possibly related to argument '{defs[i].Name}')"
                    : $"ERR CONFIG SET failed (possibly related to argument '{defs[i].Name}') - {err}");
                return;
            }
        }

        // Apply steps that can fail (rebinding listeners) run after every value is in place.
        foreach (var def in defs)
        {
            string? err = server.Config.ApplyHook?.Invoke(def.Name);
            if (err is not null)
            {
                server.Log.Warning($"Failed applying new configuration. Possibly related to new {def.Name} setting. Restoring previous settings.");
                Restore(store, defs, old, count);
                foreach (var d in defs)
                {
                    server.Config.ApplyHook?.Invoke(d.Name);
                }

                ctx.Error($"ERR CONFIG SET failed (possibly related to argument '{def.Name}') - {err}");
                return;
            }
        }

        ApplyToServer(server);
        ctx.Reply.Ok();
    }

    // CONFIG REWRITE
    private static void Rewrite(CommandContext ctx)
    {
        var server = ctx.Server;
        if (server.Config.ConfigFile.Length == 0)
        {
            ctx.Error("ERR The server is running without a config file");
            return;
        }

        string? err = ConfigRewriter.RewriteFile(server.Config.ConfigFile, server.Config.Store);
        if (err is not null)
        {
            server.Log.Warning($"CONFIG REWRITE failed: {err}");
            ctx.Error($"ERR Rewriting config file: {err}");
            return;
        }

        server.Log.Warning("CONFIG REWRITE executed with success.");
        ctx.Reply.Ok();
    }

    // CONFIG RESETSTAT
    private static void ResetStat(CommandContext ctx)
    {
        var server = ctx.Server;
        server.Stats.Reset();
        server.Metrics.ResetCommandStatistics(server.Commands);

        ctx.Reply.Ok();
    }

    // CONFIG HELP
    private static void Help(CommandContext ctx)
    {
        var reply = ctx.Reply;
        reply.ArrayHeader(HelpLines.Length + 3);
        reply.Simple("CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
        foreach (var line in HelpLines)
        {
            reply.Simple(line);
        }

        reply.Simple("HELP");
        reply.Simple("    Prints this help.");
    }

    /// <summary>Pushes the settings the server holds outside ServerConfig (the logger).</summary>
    public static void ApplyToServer(CinnabarServer server)
    {
        server.Log.Level = server.Config.LogLevel;
        server.Log.File = server.Config.LogFile;
    }

    private static void Restore(ConfigStore store, ConfigDefinition[] defs, string[] old, int count)
    {
        for (int i = 0; i < count; i++)
        {
            store.SetFromValue(defs[i], old[i], out _);
        }
    }

    // allowProtectedAction: "yes", or "local" from a loopback or unix-socket client.
    private static bool ProtectedConfigsAllowed(CommandContext ctx)
    {
        string mode = ctx.Server.Config.Store.GetEnumName("enable-protected-configs");
        if (mode == "yes")
        {
            return true;
        }

        if (mode != "local")
        {
            return false;
        }

        string a = ctx.Client.Address;
        return a.StartsWith("127.", StringComparison.Ordinal) || a.StartsWith("::1:", StringComparison.Ordinal) || a.StartsWith('/') || a.Length == 0;
    }
}
