// One entry of the configuration catalog: the same facts Redis keeps in config.c's
// standardConfig table (name, alias, flags, type, bounds, default), as data.
namespace Cinnabar.Server.Config;

/// <summary>Redis's *_CONFIG flags that matter to parsing, CONFIG SET/GET and REWRITE.</summary>
[Flags]
internal enum ConfigFlags
{
    /// <summary>MODIFIABLE_CONFIG.</summary>
    None = 0,

    /// <summary>IMMUTABLE_CONFIG: CONFIG SET refuses it.</summary>
    Immutable = 1,

    /// <summary>SENSITIVE_CONFIG: redacted from SLOWLOG/MONITOR.</summary>
    Sensitive = 2,

    /// <summary>DEBUG_CONFIG.</summary>
    Debug = 4,

    /// <summary>HIDDEN_CONFIG: CONFIG GET with a pattern skips it.</summary>
    Hidden = 8,

    /// <summary>PROTECTED_CONFIG: needs enable-protected-configs.</summary>
    Protected = 16,

    /// <summary>DENY_LOADING_CONFIG.</summary>
    DenyLoading = 32,

    /// <summary>MULTI_ARG_CONFIG: takes several arguments.</summary>
    MultiArg = 64,

    /// <summary>VOLATILE_CONFIG: setting the same value still counts as a change.</summary>
    Volatile = 128,
}

/// <summary>How a numeric config's text is read and printed (MEMORY/PERCENT/OCTAL_CONFIG).</summary>
[Flags]
internal enum NumericFlags
{
    /// <summary>Plain integer.</summary>
    None = 0,

    /// <summary>Accepts 1gb, 100mb, 64k...</summary>
    Memory = 1,

    /// <summary>Accepts n% (kept as a negative number).</summary>
    Percent = 2,

    /// <summary>Octal digits (unixsocketperm).</summary>
    Octal = 4,
}

/// <summary>The value kinds of config.c.</summary>
internal enum ConfigKind
{
    /// <summary>yes/no.</summary>
    Bool,

    /// <summary>String (string and sds configs).</summary>
    String,

    /// <summary>One of a fixed set of names (or several, for multi-arg enums).</summary>
    Enum,

    /// <summary>Integer with bounds.</summary>
    Numeric,

    /// <summary>Own parser and printer (save, bind, dir...).</summary>
    Special,
}

/// <summary>One named enum value.</summary>
internal sealed record ConfigEnumValue(string Name, int Value);

/// <summary>A configuration parameter's definition.</summary>
internal sealed class ConfigDefinition
{
    public required string Name { get; init; }

    /// <summary>The other accepted name (slave-* for replica-*), or null.</summary>
    public string? Alias { get; init; }

    public ConfigFlags Flags { get; init; }

    public ConfigKind Kind { get; init; }

    public bool DefaultBool { get; init; }

    /// <summary>String default; null means "not set" (Redis's NULL).</summary>
    public string? DefaultString { get; init; }

    /// <summary>For strings: an empty value means "not set" (EMPTY_STRING_IS_NULL).</summary>
    public bool EmptyIsNull { get; init; }

    public IReadOnlyList<ConfigEnumValue> EnumValues { get; init; } = [];

    public int DefaultEnum { get; init; }

    public Int128 Lower { get; init; }

    public Int128 Upper { get; init; }

    public long DefaultNumber { get; init; }

    public NumericFlags NumericFlags { get; init; }

    /// <summary>True for the unsigned C types (their bounds print with %llu).</summary>
    public bool Unsigned { get; init; }

    public bool Is(ConfigFlags flag) => (Flags & flag) != 0;
}
