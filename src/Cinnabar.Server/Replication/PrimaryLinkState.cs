// The replica's link states (Redis's repl_state), in the words ROLE uses for them.
namespace Cinnabar.Server.Replication;

/// <summary>Redis's repl_state, as ROLE names it.</summary>
internal enum PrimaryLinkState
{
    /// <summary>Not a replica.</summary>
    None,

    /// <summary>Must connect (REPL_STATE_CONNECT).</summary>
    Connect,

    /// <summary>TCP connect in progress.</summary>
    Connecting,

    /// <summary>PING, AUTH, REPLCONF, PSYNC exchange.</summary>
    Handshake,

    /// <summary>Receiving (or loading) the primary's RDB.</summary>
    Transfer,

    /// <summary>Applying the primary's command stream.</summary>
    Connected,
}
