// How COMMAND INFO and COMMAND DOCS describe a command row, in Redis 7.0's reply shapes
// (server.c addReplyCommandInfo, addReplyCommandDocs, addReplyCommandKeySpecs,
// addReplyCommandArgList): flags and ACL categories as sets of status replies in Redis's
// order, key specs as maps, optional documentation fields only when the row has them.
using Cinnabar.Protocol;

namespace Cinnabar.Server.Commands;

/// <summary>Writes command descriptions.</summary>
internal static class CommandDescriber
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
        (CommandFlags.NoAuth, "no_auth"), (CommandFlags.NoMandatoryKeys, "no_mandatory_keys"), (CommandFlags.NoAsyncLoading, "no_async_loading"), (CommandFlags.NoMulti, "no_multi"),
        (CommandFlags.MovableKeys, "movablekeys"), (CommandFlags.AllowBusy, "allow_busy"),
    ];

    private static readonly string[] KeyFlagOrder = ["RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags"];

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

    /// <summary>One COMMAND INFO entry (10 elements).</summary>
    public static void WriteInfo(ReplyWriter r, CommandSpec spec)
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

    /// <summary>Key flags as a set of status replies in Redis's order.</summary>
    public static void WriteKeyFlags(ReplyWriter r, string flags) => WriteFlagSet(r, flags, KeyFlagOrder);

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

    /// <summary>One COMMAND DOCS map.</summary>
    public static void WriteDocs(ReplyWriter r, CommandSpec spec)
    {
        // addReplyCommandDocs: optional fields only when set, in Redis's order.
        // Redis's definitions win over the table's own summary/since/group (a fallback for a
        // command Redis does not define).
        var g = CommandDocsData.For(spec.FullName);
        string summaryText = g?.Summary ?? spec.Summary;
        bool summary = summaryText.Length > 0;
        int len = 2 + (summary ? 1 : 0) + (g?.Complexity is null ? 0 : 1) + (g?.DocFlags.Length > 0 ? 1 : 0)
            + (g?.DeprecatedSince is null ? 0 : 1) + (g?.ReplacedBy is null ? 0 : 1) + (g?.History.Length > 0 ? 1 : 0)
            + (g?.Arguments is null ? 0 : 1) + (spec.Subcommands is null ? 0 : 1);
        r.MapHeader(len);
        if (summary)
        {
            r.Bulk("summary"u8);
            r.Bulk(summaryText);
        }

        r.Bulk("since"u8);
        r.Bulk(g?.Since ?? spec.Since);
        r.Bulk("group"u8);
        r.Bulk(g?.Group ?? spec.Group);
        if (g?.Complexity is { } complexity)
        {
            r.Bulk("complexity"u8);
            r.Bulk(complexity);
        }

        if (g?.DocFlags is { Length: > 0 } docFlags)
        {
            r.Bulk("doc_flags"u8);
            r.SetHeader(docFlags.Length);
            foreach (var f in docFlags)
            {
                r.Simple(f);
            }
        }

        if (g?.DeprecatedSince is { } deprecatedSince)
        {
            r.Bulk("deprecated_since"u8);
            r.Bulk(deprecatedSince);
        }

        if (g?.ReplacedBy is { } replacedBy)
        {
            r.Bulk("replaced_by"u8);
            r.Bulk(replacedBy);
        }

        if (g?.History is { Length: > 0 } history)
        {
            r.Bulk("history"u8);
            r.SetHeader(history.Length);
            foreach (var (since, changes) in history)
            {
                r.ArrayHeader(2);
                r.Bulk(since);
                r.Bulk(changes);
            }
        }

        if (g?.Arguments is { } arguments)
        {
            r.Bulk("arguments"u8);
            WriteArguments(r, arguments);
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
}
