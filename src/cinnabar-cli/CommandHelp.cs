// "help", "help <command>" and "help @<group>", built from the server's COMMAND DOCS the way
// redis-cli 7.0 builds its help table: one entry per command and subcommand, its argument line
// rendered from the nested argument specs ([optional], a|b for oneof, "token name", "...").
using System.Text;

using Cinnabar.Protocol;

namespace Cinnabar.Cli;

/// <summary>Command help from COMMAND DOCS.</summary>
internal static class CommandHelp
{
    private static List<Entry>? _entries;

    /// <summary>cliOutputHelp.</summary>
    public static void Output(CliSession session, string[] argv)
    {
        if (argv.Length == 0)
        {
            Terminal.Out(
                $"cinnabar-cli {CliOptions.Version}\n" +
                "To get help about Redis commands type:\n" +
                "      \"help @<group>\" to get a list of commands in <group>\n" +
                "      \"help <command>\" for help on <command>\n" +
                "      \"quit\" to exit\n");
            Terminal.Flush();
            return;
        }

        string? group = argv[0].StartsWith('@') ? argv[0][1..] : null;
        _entries ??= Load(session);
        var sb = new StringBuilder();
        foreach (var e in _entries)
        {
            if (group is null)
            {
                if (argv.Length <= e.Words.Length &&
                    argv.Select((a, j) => string.Equals(a, e.Words[j], StringComparison.OrdinalIgnoreCase)).All(x => x))
                {
                    Append(sb, e, withGroup: true);
                }
            }
            else if (string.Equals(group, e.Group, StringComparison.OrdinalIgnoreCase))
            {
                Append(sb, e, withGroup: false);
            }
        }

        sb.Append("\r\n");
        Terminal.Out(sb.ToString());
        Terminal.Flush();
    }

    private static void Append(StringBuilder sb, Entry e, bool withGroup)
    {
        sb.Append("\r\n  \x1b[1m").Append(e.Full).Append("\x1b[0m \x1b[90m").Append(e.Params).Append("\x1b[0m\r\n");
        sb.Append("  \x1b[33msummary:\x1b[0m ").Append(e.Summary).Append("\r\n");
        if (e.Since is not null)
        {
            sb.Append("  \x1b[33msince:\x1b[0m ").Append(e.Since).Append("\r\n");
        }

        if (withGroup)
        {
            sb.Append("  \x1b[33mgroup:\x1b[0m ").Append(e.Group).Append("\r\n");
        }
    }

    private static List<Entry> Load(CliSession session)
    {
        var entries = new List<Entry>();
        if (!session.Connect(force: false, quiet: true))
        {
            return entries;
        }

        var table = session.Call("COMMAND", "DOCS");
        if (table is null || !table.IsAggregate)
        {
            return entries;
        }

        for (int i = 0; i + 1 < table.Elements.Count; i += 2)
        {
            AddEntry(entries, Str(table.Elements[i]), null, table.Elements[i + 1]);
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Full, b.Full));
        return entries;
    }

    private static void AddEntry(List<Entry> entries, string command, string? subcommand, RespReply specs)
    {
        var words = subcommand is null
            ? new[] { command.ToUpperInvariant() }
            : [command.ToUpperInvariant(), subcommand[(subcommand.IndexOf('|', StringComparison.Ordinal) + 1)..].ToUpperInvariant()];
        var entry = new Entry(words, string.Join(' ', words));
        entries.Add(entry);
        for (int j = 0; j + 1 < specs.Elements.Count; j += 2)
        {
            string key = Str(specs.Elements[j]);
            var value = specs.Elements[j + 1];
            switch (key)
            {
                case "summary": entry.Summary = Str(value); break;
                case "since": entry.Since = Str(value); break;
                case "group": entry.Group = Str(value); break;
                case "arguments": entry.Params = Concat(value, " "); break;
                case "subcommands":
                    for (int i = 0; i + 1 < value.Elements.Count; i += 2)
                    {
                        AddEntry(entries, command, Str(value.Elements[i]), value.Elements[i + 1]);
                    }

                    break;
            }
        }
    }

    private static string Concat(RespReply arguments, string separator) =>
        string.Join(separator, arguments.Elements.Select(Argument));

    // cliAddArgument: one argument spec rendered as redis-cli shows it.
    private static string Argument(RespReply spec)
    {
        if (!spec.IsAggregate)
        {
            return string.Empty;
        }

        string name = string.Empty, type = string.Empty, token = string.Empty;
        bool optional = false, multiple = false, multipleToken = false;
        RespReply? nested = null;
        for (int i = 0; i + 1 < spec.Elements.Count; i += 2)
        {
            var value = spec.Elements[i + 1];
            switch (Str(spec.Elements[i]))
            {
                case "name": name = Str(value); break;
                case "token": token = OrEmpty(Str(value)); break;
                case "type": type = Str(value); break;
                case "arguments": nested = value; break;
                case "flags":
                    foreach (var flag in value.Elements)
                    {
                        switch (Str(flag))
                        {
                            case "optional": optional = true; break;
                            case "multiple": multiple = true; break;
                            case "multiple_token": multipleToken = true; break;
                        }
                    }

                    break;
            }
        }

        string repeat = type switch
        {
            "key" or "string" or "integer" or "double" or "pattern" or "unix-time" or "token" => OrEmpty(name),
            "oneof" when nested is not null => Concat(nested, "|"),
            "block" when nested is not null => Concat(nested, " "),
            _ => string.Empty,
        };
        if (token.Length > 0 && type != "pure-token")
        {
            token += " ";
        }

        var sb = new StringBuilder();
        if (optional)
        {
            sb.Append('[');
        }

        sb.Append(token).Append(repeat);
        if (multiple)
        {
            sb.Append(" [");
            if (multipleToken)
            {
                sb.Append(token);
            }

            sb.Append(repeat).Append(" ...]");
        }

        if (optional)
        {
            sb.Append(']');
        }

        return sb.ToString();
    }

    private static string OrEmpty(string s) => s.Length == 0 ? "\"\"" : s;

    private static string Str(RespReply r) => Encoding.UTF8.GetString(r.Bytes);

    private sealed class Entry(string[] words, string full)
    {
        public string[] Words { get; } = words;

        public string Full { get; } = full;

        public string Params { get; set; } = string.Empty;

        public string Summary { get; set; } = string.Empty;

        public string? Since { get; set; }

        public string Group { get; set; } = string.Empty;
    }
}
