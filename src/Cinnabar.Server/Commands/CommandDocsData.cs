// The parts of COMMAND DOCS that are facts about Redis's command interface rather than about our
// implementation: each command's summary, since, group, complexity, doc_flags, deprecated_since, replaced_by, history
// and argument tree. They come from
// Redis 7.0.15's src/commands/*.json through tools/generate-command-docs.py into the checked-in
// Commands/Data/command-docs.json, embedded in the assembly and parsed on first use (redis-cli
// asks for COMMAND DOCS when it starts, a server that is never asked pays nothing).
using System.Text.Json;

namespace Cinnabar.Server.Commands;

/// <summary>Generated COMMAND DOCS facts, by full lowercase command name ("get", "client|kill").</summary>
internal static class CommandDocsData
{
    private static readonly Lazy<Dictionary<string, Entry>> Table = new(Load);

    /// <summary>The generated facts of one command, or null when Redis documents none.</summary>
    public static Entry? For(string fullName) =>
        Table.Value.GetValueOrDefault(fullName.ToLowerInvariant());

    private static Dictionary<string, Entry> Load()
    {
        using var stream = typeof(CommandDocsData).Assembly.GetManifestResourceStream("command-docs.json")
            ?? throw new InvalidOperationException("command-docs.json is not embedded");
        using var doc = JsonDocument.Parse(stream);
        var table = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var command in doc.RootElement.EnumerateObject())
        {
            var v = command.Value;
            table[command.Name] = new Entry(
                Optional(v, "summary"),
                Optional(v, "since"),
                Optional(v, "group"),
                Optional(v, "complexity"),
                v.TryGetProperty("doc_flags", out var flags) ? [.. flags.EnumerateArray().Select(f => f.GetString()!)] : [],
                Optional(v, "deprecated_since"),
                Optional(v, "replaced_by"),
                v.TryGetProperty("history", out var history) ? [.. history.EnumerateArray().Select(h => (h[0].GetString()!, h[1].GetString()!))] : [],
                v.TryGetProperty("arguments", out var args) ? Arguments(args) : null);
        }

        return table;
    }

    private static CommandArg[] Arguments(JsonElement array)
    {
        var result = new CommandArg[array.GetArrayLength()];
        int i = 0;
        foreach (var a in array.EnumerateArray())
        {
            result[i++] = new CommandArg(a.GetProperty("name").GetString()!, a.GetProperty("type").GetString()!)
            {
                KeySpecIndex = a.TryGetProperty("key_spec_index", out var ks) ? ks.GetInt32() : -1,
                Token = Optional(a, "token"),
                Summary = Optional(a, "summary"),
                Since = Optional(a, "since"),
                DeprecatedSince = Optional(a, "deprecated_since"),
                Flags = a.TryGetProperty("flags", out var flags) ? string.Join(' ', flags.EnumerateArray().Select(f => f.GetString())) : string.Empty,
                Arguments = a.TryGetProperty("arguments", out var nested) ? Arguments(nested) : null,
            };
        }

        return result;
    }

    private static string? Optional(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetString() : null;

    /// <summary>One command's generated facts.</summary>
    internal sealed record Entry(
        string? Summary,
        string? Since,
        string? Group,
        string? Complexity,
        string[] DocFlags,
        string? DeprecatedSince,
        string? ReplacedBy,
        (string Since, string Changes)[] History,
        CommandArg[]? Arguments);
}
