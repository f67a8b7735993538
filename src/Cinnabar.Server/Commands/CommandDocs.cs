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
    // acl.c ACLCommandCategories, in bit order (the order COMMAND INFO prints them).
    private static readonly string[] AclCategoryOrder =
    [
        "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
        "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting",
    ];

    // addReplyFlagsForCommand's table; hidden flags (may_replicate, sentinel, protected...) are omitted.
    private static readonly (CommandFlags Flag, string Name)[] FlagNames =
    [
        (CommandFlags.Write, "write"), (CommandFlags.ReadOnly, "readonly"), (CommandFlags.DenyOom, "denyoom"),
        (CommandFlags.Admin, "admin"), (CommandFlags.PubSub, "pubsub"), (CommandFlags.NoScript, "noscript"),
        (CommandFlags.Blocking, "blocking"), (CommandFlags.Loading, "loading"), (CommandFlags.Stale, "stale"),
        (CommandFlags.SkipMonitor, "skip_monitor"), (CommandFlags.SkipSlowlog, "skip_slowlog"), (CommandFlags.Fast, "fast"),
        (CommandFlags.NoAuth, "no_auth"), (CommandFlags.NoMandatoryKeys, "no_mandatory_keys"), (CommandFlags.NoMulti, "no_multi"),
        (CommandFlags.MovableKeys, "movablekeys"), (CommandFlags.AllowBusy, "allow_busy"),
    ];

    private static readonly string[] KeyFlagOrder = ["RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags"];

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
            Group = "server", Since = "2.8.13", AclCategories = acl, Summary = "Get array of Redis command details",
            Complexity = "O(N) where N is the total number of Redis commands", Tips = order,
        });
        command.AddSubcommand(new CommandSpec("count", 2, F, 0, 0, 0, ctx => ctx.Reply.Integer(ctx.Server.Commands.Count))
        {
            Group = "server", Since = "2.8.13", AclCategories = acl, Summary = "Get total number of Redis commands", Complexity = "O(1)",
        });
        command.AddSubcommand(new CommandSpec("docs", -2, F, 0, 0, 0, Docs)
        {
            Group = "server", Since = "7.0.0", AclCategories = acl, Summary = "Get array of specific Redis command documentation",
            Complexity = "O(N) where N is the number of commands to look up", Tips = order,
            Arguments = [new CommandArg("command-name", "string") { Flags = "optional multiple" }],
        });
        command.AddSubcommand(new CommandSpec("getkeys", -4, F, 0, 0, 0, ctx => GetKeys(ctx, withFlags: false))
        {
            Group = "server", Since = "2.8.13", AclCategories = acl, Summary = "Extract keys given a full Redis command",
            Complexity = "O(N) where N is the number of arguments to the command",
        });
        command.AddSubcommand(new CommandSpec("getkeysandflags", -4, F, 0, 0, 0, ctx => GetKeys(ctx, withFlags: true))
        {
            Group = "server", Since = "7.0.0", AclCategories = acl, Summary = "Extract keys and access flags given a full Redis command",
            Complexity = "O(N) where N is the number of arguments to the command",
        });
        command.AddSubcommand(new CommandSpec("help", 2, F, 0, 0, 0, ctx => Replies.Help(ctx, Help))
        {
            Group = "server", Since = "5.0.0", AclCategories = acl, Summary = "Show helpful text about the different subcommands", Complexity = "O(1)",
        });
        command.AddSubcommand(new CommandSpec("info", -2, F, 0, 0, 0, Info)
        {
            Group = "server", Since = "2.8.13", AclCategories = acl, Summary = "Get array of specific Redis command details, or all when no argument is given.",
            Complexity = "O(N) where N is the number of commands to look up", Tips = order,
            History = [("7.0.0", "Allowed to be called with no argument to get info on all commands.")],
            Arguments = [new CommandArg("command-name", "string") { Flags = "optional multiple" }],
        });
        command.AddSubcommand(new CommandSpec("list", -2, F, 0, 0, 0, List)
        {
            Group = "server", Since = "7.0.0", AclCategories = acl, Summary = "Get an array of Redis command names",
            Complexity = "O(N) where N is the total number of Redis commands", Tips = order,
            Arguments =
            [
                new CommandArg("filterby", "oneof")
                {
                    Token = "FILTERBY", Flags = "optional",
                    Arguments =
                    [
                        new CommandArg("module-name", "string") { Token = "MODULE" },
                        new CommandArg("category", "string") { Token = "ACLCAT" },
                        new CommandArg("pattern", "pattern") { Token = "PATTERN" },
                    ],
                },
            ],
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

    /// <summary>The ACL categories COMMAND INFO shows: the row's plus those implied by its flags, in Redis's order.</summary>
    public static List<string> EffectiveAclCategories(CommandSpec spec)
    {
        var set = new HashSet<string>(spec.AclCategories, StringComparer.OrdinalIgnoreCase);
        var f = spec.Flags;
        if ((f & CommandFlags.Write) != 0)
        {
            set.Add("write");
        }

        if ((f & CommandFlags.ReadOnly) != 0 && !set.Contains("scripting"))
        {
            set.Add("read");
        }

        if ((f & CommandFlags.Admin) != 0)
        {
            set.Add("admin");
            set.Add("dangerous");
        }

        if ((f & CommandFlags.PubSub) != 0)
        {
            set.Add("pubsub");
        }

        if ((f & CommandFlags.Fast) != 0)
        {
            set.Add("fast");
        }

        if ((f & CommandFlags.Blocking) != 0)
        {
            set.Add("blocking");
        }

        if (!set.Contains("fast"))
        {
            set.Add("slow");
        }

        return [.. AclCategoryOrder.Where(set.Contains)];
    }

    /// <summary>The key specs of a row: its own, or one derived from first/last/step.</summary>
    public static KeySpec[] KeySpecsOf(CommandSpec spec)
    {
        if (spec.KeySpecs is not null)
        {
            return spec.KeySpecs;
        }

        if (spec.FirstKey <= 0)
        {
            return [];
        }

        string flags = (spec.Flags & CommandFlags.Write) != 0 ? "RW update" : "RO access";
        int last = spec.LastKey < 0 ? spec.LastKey : spec.LastKey - spec.FirstKey;
        return [new KeySpec(flags, spec.FirstKey, last, Math.Max(1, spec.KeyStep))];
    }

    // COMMAND
    private static void All(CommandContext ctx)
    {
        var all = ctx.Server.Commands.All.ToList();
        ctx.Reply.ArrayHeader(all.Count);
        foreach (var spec in all)
        {
            WriteInfo(ctx.Reply, spec);
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
                WriteInfo(ctx.Reply, spec);
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
            WriteDocs(ctx.Reply, spec);
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
                keep = s => EffectiveAclCategories(s).Contains(arg, StringComparer.OrdinalIgnoreCase);
            }
            else if (ctx.Args.Is(i + 1, "pattern"u8))
            {
                var pattern = ctx.Args.ToArray(i + 2);
                keep = s => GlobMatch(pattern, System.Text.Encoding.UTF8.GetBytes(s.FullName), noCase: true);
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

        var specs = KeySpecsOf(spec);
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
            var ks = specs.LastOrDefault(s => s.Keyword is null && !s.Unknown && s.BeginIndex <= p) ?? specs.FirstOrDefault();
            WriteFlagSet(ctx.Reply, ks?.Flags ?? string.Empty, KeyFlagOrder);
        }
    }

    private static void WriteInfo(ReplyWriter r, CommandSpec spec)
    {
        r.ArrayHeader(10);
        r.Bulk(spec.FullName);
        r.Integer(spec.Arity);
        var flags = spec.Flags;
        if (spec.KeyFinder is not null)
        {
            flags |= CommandFlags.MovableKeys;
        }

        var names = FlagNames.Where(f => (flags & f.Flag) != 0).Select(f => f.Name).ToList();
        r.SetHeader(names.Count);
        foreach (var n in names)
        {
            r.Simple(n);
        }

        r.Integer(spec.FirstKey);
        r.Integer(spec.LastKey);
        r.Integer(spec.KeyStep);
        var cats = EffectiveAclCategories(spec);
        r.SetHeader(cats.Count);
        foreach (var c in cats)
        {
            r.Simple("@" + c);
        }

        r.SetHeader(spec.Tips.Length);
        foreach (var tip in spec.Tips)
        {
            r.Bulk(tip);
        }

        var specs = KeySpecsOf(spec);
        r.SetHeader(specs.Length);
        foreach (var ks in specs)
        {
            WriteKeySpec(r, ks);
        }

        var subs = spec.Subcommands?.Values.ToList();
        if (subs is null)
        {
            r.SetHeader(0);
            return;
        }

        r.ArrayHeader(subs.Count);
        foreach (var sub in subs)
        {
            WriteInfo(r, sub);
        }
    }

    private static void WriteKeySpec(ReplyWriter r, KeySpec ks)
    {
        r.MapHeader(ks.Notes is null ? 3 : 4);
        if (ks.Notes is not null)
        {
            r.Bulk("notes"u8);
            r.Bulk(ks.Notes);
        }

        r.Bulk("flags"u8);
        WriteFlagSet(r, ks.Flags, KeyFlagOrder);
        r.Bulk("begin_search"u8);
        r.MapHeader(2);
        r.Bulk("type"u8);
        if (ks.Unknown)
        {
            r.Bulk("unknown"u8);
            r.Bulk("spec"u8);
            r.MapHeader(0);
        }
        else if (ks.Keyword is not null)
        {
            r.Bulk("keyword"u8);
            r.Bulk("spec"u8);
            r.MapHeader(2);
            r.Bulk("keyword"u8);
            r.Bulk(ks.Keyword);
            r.Bulk("startfrom"u8);
            r.Integer(ks.StartFrom);
        }
        else
        {
            r.Bulk("index"u8);
            r.Bulk("spec"u8);
            r.MapHeader(1);
            r.Bulk("index"u8);
            r.Integer(ks.BeginIndex);
        }

        r.Bulk("find_keys"u8);
        r.MapHeader(2);
        r.Bulk("type"u8);
        if (ks.Unknown)
        {
            r.Bulk("unknown"u8);
            r.Bulk("spec"u8);
            r.MapHeader(0);
        }
        else if (ks.KeyNumIndex >= 0)
        {
            r.Bulk("keynum"u8);
            r.Bulk("spec"u8);
            r.MapHeader(3);
            r.Bulk("keynumidx"u8);
            r.Integer(ks.KeyNumIndex);
            r.Bulk("firstkey"u8);
            r.Integer(ks.FirstKey);
            r.Bulk("keystep"u8);
            r.Integer(ks.KeyStep);
        }
        else
        {
            r.Bulk("range"u8);
            r.Bulk("spec"u8);
            r.MapHeader(3);
            r.Bulk("lastkey"u8);
            r.Integer(ks.LastKey);
            r.Bulk("keystep"u8);
            r.Integer(ks.KeyStep);
            r.Bulk("limit"u8);
            r.Integer(ks.Limit);
        }
    }

    private static void WriteFlagSet(ReplyWriter r, string flags, string[] order)
    {
        var present = flags.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var names = order.Where(o => present.Contains(o, StringComparer.Ordinal)).ToList();
        r.SetHeader(names.Count);
        foreach (var n in names)
        {
            r.Simple(n);
        }
    }

    private static void WriteDocs(ReplyWriter r, CommandSpec spec)
    {
        int len = 1;
        bool summary = spec.Summary.Length > 0;
        len += summary ? 1 : 0;
        len += 1; // since
        len += spec.Complexity is null ? 0 : 1;
        len += spec.DocFlags.Length > 0 ? 1 : 0;
        len += spec.History.Length > 0 ? 1 : 0;
        len += spec.Arguments is null ? 0 : 1;
        len += spec.Subcommands is null ? 0 : 1;
        r.MapHeader(len);
        if (summary)
        {
            r.Bulk("summary"u8);
            r.Bulk(spec.Summary);
        }

        r.Bulk("since"u8);
        r.Bulk(spec.Since);
        r.Bulk("group"u8);
        r.Bulk(spec.Group);
        if (spec.Complexity is not null)
        {
            r.Bulk("complexity"u8);
            r.Bulk(spec.Complexity);
        }

        if (spec.DocFlags.Length > 0)
        {
            r.Bulk("doc_flags"u8);
            r.SetHeader(spec.DocFlags.Length);
            foreach (var f in spec.DocFlags)
            {
                r.Simple(f);
            }
        }

        if (spec.History.Length > 0)
        {
            r.Bulk("history"u8);
            r.SetHeader(spec.History.Length);
            foreach (var (since, changes) in spec.History)
            {
                r.ArrayHeader(2);
                r.Bulk(since);
                r.Bulk(changes);
            }
        }

        if (spec.Arguments is not null)
        {
            r.Bulk("arguments"u8);
            WriteArguments(r, spec.Arguments);
        }

        if (spec.Subcommands is not null)
        {
            r.Bulk("subcommands"u8);
            r.MapHeader(spec.Subcommands.Count);
            foreach (var sub in spec.Subcommands.Values)
            {
                r.Bulk(sub.FullName);
                WriteDocs(r, sub);
            }
        }
    }

    // addReplyCommandArgList: a map per argument, optional fields only when set.
    private static void WriteArguments(ReplyWriter r, CommandArg[] args)
    {
        r.ArrayHeader(args.Length);
        foreach (var a in args)
        {
            var flags = a.Flags.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int len = 2 + (a.KeySpecIndex >= 0 ? 1 : 0) + (a.Token is null ? 0 : 1) + (a.Summary is null ? 0 : 1)
                + (a.Since is null ? 0 : 1) + (a.DeprecatedSince is null ? 0 : 1) + (flags.Length > 0 ? 1 : 0) + (a.Arguments is null ? 0 : 1);
            r.MapHeader(len);
            r.Bulk("name"u8);
            r.Bulk(a.Name);
            r.Bulk("type"u8);
            r.Bulk(a.Type);
            if (a.KeySpecIndex >= 0)
            {
                r.Bulk("key_spec_index"u8);
                r.Integer(a.KeySpecIndex);
            }

            if (a.Token is not null)
            {
                r.Bulk("token"u8);
                r.Bulk(a.Token);
            }

            if (a.Summary is not null)
            {
                r.Bulk("summary"u8);
                r.Bulk(a.Summary);
            }

            if (a.Since is not null)
            {
                r.Bulk("since"u8);
                r.Bulk(a.Since);
            }

            if (a.DeprecatedSince is not null)
            {
                r.Bulk("deprecated_since"u8);
                r.Bulk(a.DeprecatedSince);
            }

            if (flags.Length > 0)
            {
                r.Bulk("flags"u8);
                r.SetHeader(flags.Length);
                foreach (var f in flags)
                {
                    r.Simple(f);
                }
            }

            if (a.Arguments is not null)
            {
                r.Bulk("arguments"u8);
                WriteArguments(r, a.Arguments);
            }
        }
    }

    /// <summary>Redis's stringmatchlen glob: * ? [abc] [^a-z] and backslash escapes.</summary>
    public static bool GlobMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> s, bool noCase)
    {
        while (pattern.Length > 0)
        {
            switch (pattern[0])
            {
                case (byte)'*':
                    while (pattern.Length > 1 && pattern[1] == '*')
                    {
                        pattern = pattern[1..];
                    }

                    if (pattern.Length == 1)
                    {
                        return true;
                    }

                    for (int i = 0; i <= s.Length; i++)
                    {
                        if (GlobMatch(pattern[1..], s[i..], noCase))
                        {
                            return true;
                        }
                    }

                    return false;
                case (byte)'?':
                    if (s.Length == 0)
                    {
                        return false;
                    }

                    s = s[1..];
                    break;
                case (byte)'[':
                    {
                        if (s.Length == 0)
                        {
                            return false;
                        }

                        pattern = pattern[1..];
                        bool not = pattern.Length > 0 && pattern[0] == '^';
                        if (not)
                        {
                            pattern = pattern[1..];
                        }

                        bool match = false;
                        while (pattern.Length > 0 && pattern[0] != ']')
                        {
                            if (pattern[0] == '\\' && pattern.Length >= 2)
                            {
                                pattern = pattern[1..];
                                match |= Eq(pattern[0], s[0], noCase);
                            }
                            else if (pattern.Length >= 3 && pattern[1] == '-')
                            {
                                byte lo = pattern[0], hi = pattern[2], c = s[0];
                                if (lo > hi)
                                {
                                    (lo, hi) = (hi, lo);
                                }

                                if (noCase)
                                {
                                    lo = Lower(lo);
                                    hi = Lower(hi);
                                    c = Lower(c);
                                }

                                match |= c >= lo && c <= hi;
                                pattern = pattern[2..];
                            }
                            else
                            {
                                match |= Eq(pattern[0], s[0], noCase);
                            }

                            pattern = pattern[1..];
                        }

                        if (not)
                        {
                            match = !match;
                        }

                        if (!match)
                        {
                            return false;
                        }

                        s = s[1..];
                        if (pattern.Length == 0)
                        {
                            return s.Length == 0;
                        }

                        break;
                    }

                case (byte)'\\' when pattern.Length >= 2:
                    pattern = pattern[1..];
                    if (s.Length == 0 || !Eq(pattern[0], s[0], noCase))
                    {
                        return false;
                    }

                    s = s[1..];
                    break;
                default:
                    if (s.Length == 0 || !Eq(pattern[0], s[0], noCase))
                    {
                        return false;
                    }

                    s = s[1..];
                    break;
            }

            pattern = pattern[1..];
        }

        return s.Length == 0;
    }

    private static byte Lower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;

    private static bool Eq(byte a, byte b, bool noCase) => noCase ? Lower(a) == Lower(b) : a == b;
}
