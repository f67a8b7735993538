namespace Cinnabar.Cli;

/// <summary>How replies are printed (redis-cli's OUTPUT_* modes).</summary>
internal enum OutputMode
{
    /// <summary>Human form: (integer) 1, quoted strings, numbered arrays (default on a terminal).</summary>
    Standard,

    /// <summary>Bare values for scripts (default when stdout is not a terminal).</summary>
    Raw,

    /// <summary>Comma-separated values.</summary>
    Csv,
}
