// One documented argument of a command (server.h redisCommandArg), reported by COMMAND DOCS.
namespace Cinnabar.Server.Commands;

/// <summary>A command argument's documentation.</summary>
/// <param name="Name">Argument name, e.g. "section".</param>
/// <param name="Type">string, integer, double, key, pattern, unix-time, pure-token, oneof or block.</param>
internal sealed record CommandArg(string Name, string Type)
{
    /// <summary>Literal token preceding the value (e.g. "FILTERBY"), or null.</summary>
    public string? Token { get; init; }

    /// <summary>Space-separated flags: optional, multiple, multiple_token.</summary>
    public string Flags { get; init; } = string.Empty;

    /// <summary>Version that added the argument, or null.</summary>
    public string? Since { get; init; }

    /// <summary>Short description, or null.</summary>
    public string? Summary { get; init; }

    /// <summary>Version that deprecated it, or null.</summary>
    public string? DeprecatedSince { get; init; }

    /// <summary>Index of the key spec for key arguments; -1 otherwise.</summary>
    public int KeySpecIndex { get; init; } = -1;

    /// <summary>Nested arguments of a oneof or block.</summary>
    public CommandArg[]? Arguments { get; init; }
}
