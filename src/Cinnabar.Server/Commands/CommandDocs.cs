// COMMAND and its subcommands (server.c commandCommand and friends), built from the command
// table rows. Reply shapes follow Redis 7.0 exactly: COMMAND INFO entries are 10-element arrays
// (name, arity, flags, first, last, step, ACL categories, tips, key specs, subcommands), flags
// and categories are sets of status replies, and the ACL categories include the implicit ones
// Redis derives from the flags (setImplicitACLCategories). Clients such as redis-cli and
// StackExchange.Redis send COMMAND / COMMAND DOCS on connect, so these must never fail.
using Cinnabar.Protocol;

namespace Cinnabar.Server.Commands;

/// <summary>The COMMAND family.</summary>
internal static class CommandDocs
{
    private static readonly string[] Help =
    [
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
    ];

    public static void Register(CommandTable t)
    {
        const CommandFlags F = CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Sentinel;
        string[] acl = ["slow", "connection"];
        string[] order = ["nondeterministic_output_order"];
        var command = t.Add(new CommandSpec("command", -1, F, 0, 0, 0, All)
        {
            Group = "server",
            Since = "2.8.13",
            AclCategories = acl,
            Summary = "Get array of Redis command details",
            Tips = order,
        });
        command.AddSubcommand(new CommandSpec("count", 2, F, 0, 0, 0, ctx => ctx.Reply.Integer(ctx.Server.Commands.Count))
        {
            Group = "server",
            Since = "2.8.13",
            AclCategories = acl,
            Summary = "Get total number of Redis commands",
        });
        command.AddSubcommand(new CommandSpec("docs", -2, F, 0, 0, 0, Docs)
        {
            Group = "server",
            Since = "7.0.0",
            AclCategories = acl,
            Summary = "Get array of specific Redis command documentation",
            Tips = order,
        });
        command.AddSubcommand(new CommandSpec("getkeys", -4, F, 0, 0, 0, ctx => GetKeys(ctx, withFlags: false))
        {
            Group = "server",
            Since = "2.8.13",
            AclCategories = acl,
            Summary = "Extract keys given a full Redis command",
        });
        command.AddSubcommand(new CommandSpec("getkeysandflags", -4, F, 0, 0, 0, ctx => GetKeys(ctx, withFlags: true))
        {
            Group = "server",
            Since = "7.0.0",
            AclCategories = acl,
            Summary = "Extract keys and access flags given a full Redis command",
        });
        command.AddSubcommand(new CommandSpec("help", 2, F, 0, 0, 0, ctx => Replies.Help(ctx, Help))
        {
            Group = "server",
            Since = "5.0.0",
            AclCategories = acl,
            Summary = "Show helpful text about the different subcommands",
        });
        command.AddSubcommand(new CommandSpec("info", -2, F, 0, 0, 0, Info)
        {
            Group = "server",
            Since = "2.8.13",
            AclCategories = acl,
            Summary = "Get array of specific Redis command details, or all when no argument is given.",
            Tips = order,
        });
        command.AddSubcommand(new CommandSpec("list", -2, F, 0, 0, 0, List)
        {
            Group = "server",
            Since = "7.0.0",
            AclCategories = acl,
            Summary = "Get an array of Redis command names",
            Tips = order,
        });
    }

    /// <summary>lookupCommandBySds: "name" or "container|sub", any case.</summary>
    public static CommandSpec? LookupByFullName(CommandTable table, string name)
    {
        int bar = name.IndexOf('|', StringComparison.Ordinal);
        if (bar < 0)
        {
            return table.Lookup(name);
        }

        var parent = table.Lookup(name[..bar]);
        var subName = name[(bar + 1)..];
        if (parent?.Subcommands is null || subName.Contains('|', StringComparison.Ordinal))
        {
            return null;
        }

        return parent.Subcommands.GetValueOrDefault(subName);
    }

    // COMMAND
    private static void All(CommandContext ctx)
    {
        var all = ctx.Server.Commands.All.ToList();
        ctx.Reply.ArrayHeader(all.Count);
        foreach (var spec in all)
        {
            CommandDescriber.WriteInfo(ctx.Reply, spec);
        }
    }

    // COMMAND INFO [command-name ...]
    private static void Info(CommandContext ctx)
    {
        if (ctx.Args.Count == 2)
        {
            All(ctx);
            return;
        }

        ctx.Reply.ArrayHeader(ctx.Args.Count - 2);
        for (int i = 2; i < ctx.Args.Count; i++)
        {
            var spec = LookupByFullName(ctx.Server.Commands, ctx.Args.GetString(i));
            if (spec is null)
            {
                ctx.Reply.NullBulk();
            }
            else
            {
                CommandDescriber.WriteInfo(ctx.Reply, spec);
            }
        }
    }

    // COMMAND DOCS [command-name ...]
    private static void Docs(CommandContext ctx)
    {
        var specs = new List<CommandSpec>();
        if (ctx.Args.Count == 2)
        {
            specs.AddRange(ctx.Server.Commands.All);
        }
        else
        {
            for (int i = 2; i < ctx.Args.Count; i++)
            {
                var spec = LookupByFullName(ctx.Server.Commands, ctx.Args.GetString(i));
                if (spec is not null)
                {
                    specs.Add(spec);
                }
            }
        }

        ctx.Reply.MapHeader(specs.Count);
        foreach (var spec in specs)
        {
            ctx.Reply.Bulk(spec.FullName);
            CommandDescriber.WriteDocs(ctx.Reply, spec);
        }
    }

    // COMMAND LIST [FILTERBY MODULE module-name|ACLCAT category|PATTERN pattern]
    private static void List(CommandContext ctx)
    {
        Func<CommandSpec, bool> keep = _ => true;
        for (int i = 2; i < ctx.Args.Count; i++)
        {
            int more = ctx.Args.Count - 1 - i;
            if (!ctx.Args.Is(i, "filterby"u8) || more != 2)
            {
                ctx.Error(Errors.Syntax);
                return;
            }

            string arg = ctx.Args.GetString(i + 2);
            if (ctx.Args.Is(i + 1, "module"u8))
            {
                keep = _ => false;
            }
            else if (ctx.Args.Is(i + 1, "aclcat"u8))
            {
                keep = s => CommandDescriber.EffectiveAclCategories(s).Contains(arg, StringComparer.OrdinalIgnoreCase);
            }
            else if (ctx.Args.Is(i + 1, "pattern"u8))
            {
                var pattern = ctx.Args.ToArray(i + 2);
                keep = s => Storage.GlobPattern.IsMatch(pattern, System.Text.Encoding.UTF8.GetBytes(s.FullName), noCase: true);
            }
            else
            {
                ctx.Error(Errors.Syntax);
                return;
            }

            i += 2;
        }

        var names = new List<string>();
        foreach (var spec in ctx.Server.Commands.All)
        {
            if (keep(spec))
            {
                names.Add(spec.FullName);
            }

            foreach (var sub in spec.Subcommands?.Values ?? Enumerable.Empty<CommandSpec>())
            {
                if (keep(sub))
                {
                    names.Add(sub.FullName);
                }
            }
        }

        ctx.Reply.ArrayHeader(names.Count);
        foreach (var n in names)
        {
            ctx.Reply.Bulk(n);
        }
    }

    // COMMAND GETKEYS command [arg ...] / COMMAND GETKEYSANDFLAGS command [arg ...]
    private static void GetKeys(CommandContext ctx, bool withFlags)
    {
        var a = ctx.Args;
        var spec = ctx.Server.Commands.Lookup(a[2]);
        if (spec?.Subcommands is not null && a.Count >= 4)
        {
            spec = spec.Subcommands.GetValueOrDefault(a.GetString(3));
        }

        if (spec is null)
        {
            ctx.Error("ERR Invalid command specified");
            return;
        }

        var specs = CommandDescriber.KeySpecsOf(spec);
        if (specs.Length == 0 && spec.KeyFinder is null)
        {
            ctx.Error("ERR The command has no key arguments");
            return;
        }

        int argc = a.Count - 2;
        if ((spec.Arity > 0 && spec.Arity != argc) || argc < -spec.Arity)
        {
            ctx.Error("ERR Invalid number of arguments specified for command");
            return;
        }

        var inner = new CommandArgs();
        for (int i = 2; i < a.Count; i++)
        {
            inner.Add(a.ToArray(i));
        }

        var positions = spec.GetKeyPositions(inner).Where(p => p < inner.Count).ToList();
        if (positions.Count == 0)
        {
            if ((spec.Flags & CommandFlags.NoMandatoryKeys) != 0)
            {
                ctx.Reply.ArrayHeader(0);
            }
            else
            {
                ctx.Error("ERR Invalid arguments specified for command");
            }

            return;
        }

        ctx.Reply.ArrayHeader(positions.Count);
        foreach (int p in positions)
        {
            if (!withFlags)
            {
                ctx.Reply.Bulk(inner[p]);
                continue;
            }

            ctx.Reply.ArrayHeader(2);
            ctx.Reply.Bulk(inner[p]);
            if (spec.KeyFlagsFinder is not null)
            {
                CommandDescriber.WriteKeyFlags(ctx.Reply, spec.KeyFlagsFinder(inner, p));
                continue;
            }

            var ks = specs.LastOrDefault(s => s.Keyword is null && !s.Unknown && s.BeginIndex <= p) ?? specs.FirstOrDefault();
            CommandDescriber.WriteKeyFlags(ctx.Reply, ks?.Flags ?? string.Empty);
        }
    }
}
