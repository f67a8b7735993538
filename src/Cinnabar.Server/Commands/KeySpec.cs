// Redis 7's key specifications (server.h keySpec): where a command's keys begin (an index or
// after a keyword) and how far they extend (a range or a count argument), plus access flags.
// COMMAND INFO and COMMAND GETKEYSANDFLAGS report them; the dispatcher still uses the legacy
// first/last/step of the row.
namespace Cinnabar.Server.Commands;

/// <summary>One key specification.</summary>
/// <param name="Flags">Space-separated key flags in Redis's order: RO RW OW RM access update insert delete not_key incomplete variable_flags.</param>
/// <param name="BeginIndex">begin_search index position (used when <paramref name="Keyword"/> is null).</param>
/// <param name="LastKey">find_keys range lastkey (relative to the first key; -1 = last argument).</param>
/// <param name="KeyStep">find_keys range/keynum keystep.</param>
/// <param name="Limit">find_keys range limit.</param>
internal sealed record KeySpec(string Flags, int BeginIndex, int LastKey, int KeyStep = 1, int Limit = 0)
{
    /// <summary>Notes shown first when present.</summary>
    public string? Notes { get; init; }

    /// <summary>begin_search keyword (with <see cref="StartFrom"/>), or null for an index.</summary>
    public string? Keyword { get; init; }

    /// <summary>begin_search keyword startfrom.</summary>
    public int StartFrom { get; init; }

    /// <summary>find_keys keynum: index of the count argument relative to begin_search; -1 = range.</summary>
    public int KeyNumIndex { get; init; } = -1;

    /// <summary>find_keys keynum firstkey.</summary>
    public int FirstKey { get; init; }

    /// <summary>True when begin_search and find_keys are "unknown".</summary>
    public bool Unknown { get; init; }
}
