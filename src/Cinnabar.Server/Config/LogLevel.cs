namespace Cinnabar.Server.Config;

/// <summary>Redis's log verbosity, in its order (LL_DEBUG..LL_WARNING).</summary>
internal enum LogLevel
{
    /// <summary>debug</summary>
    Debug = 0,

    /// <summary>verbose</summary>
    Verbose = 1,

    /// <summary>notice</summary>
    Notice = 2,

    /// <summary>warning</summary>
    Warning = 3,
}
