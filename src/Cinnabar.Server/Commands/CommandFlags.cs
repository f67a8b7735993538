namespace Cinnabar.Server.Commands;

/// <summary>Redis's command flags (server.h CMD_*), the ones the dispatcher and COMMAND INFO use.</summary>
[Flags]
internal enum CommandFlags
{
    /// <summary>No flags.</summary>
    None = 0,

    /// <summary>write</summary>
    Write = 1 << 0,

    /// <summary>readonly</summary>
    ReadOnly = 1 << 1,

    /// <summary>denyoom</summary>
    DenyOom = 1 << 2,

    /// <summary>admin</summary>
    Admin = 1 << 3,

    /// <summary>pubsub</summary>
    PubSub = 1 << 4,

    /// <summary>noscript</summary>
    NoScript = 1 << 5,

    /// <summary>blocking</summary>
    Blocking = 1 << 6,

    /// <summary>loading: allowed while loading</summary>
    Loading = 1 << 7,

    /// <summary>stale: allowed on a replica with a down link</summary>
    Stale = 1 << 8,

    /// <summary>skip_monitor</summary>
    SkipMonitor = 1 << 9,

    /// <summary>skip_slowlog</summary>
    SkipSlowlog = 1 << 10,

    /// <summary>fast</summary>
    Fast = 1 << 11,

    /// <summary>no_auth: allowed before AUTH</summary>
    NoAuth = 1 << 12,

    /// <summary>may_replicate</summary>
    MayReplicate = 1 << 13,

    /// <summary>no_mandatory_keys</summary>
    NoMandatoryKeys = 1 << 14,

    /// <summary>no_multi: refused inside MULTI</summary>
    NoMulti = 1 << 15,

    /// <summary>allow_busy</summary>
    AllowBusy = 1 << 16,

    /// <summary>protected: gated by enable-debug-command</summary>
    Protected = 1 << 17,

    /// <summary>sentinel</summary>
    Sentinel = 1 << 18,

    /// <summary>only_sentinel</summary>
    OnlySentinel = 1 << 19,

    /// <summary>movablekeys (key positions depend on arguments)</summary>
    MovableKeys = 1 << 20,

    /// <summary>May touch keys not named in its arguments (SCAN, RANDOMKEY): its lazy-expiry DELs are not wrapped in MULTI.</summary>
    TouchesArbitraryKeys = 1 << 21,

    /// <summary>no_async_loading: refused while an async (diskless replica) load runs.</summary>
    NoAsyncLoading = 1 << 22,
}
