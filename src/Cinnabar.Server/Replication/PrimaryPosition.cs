// Where a replica stands in its primary's stream: Redis keeps this in the master client
// (server.master) while linked and in the cached master (server.cached_master) between links, and
// it is what PSYNC asks to continue from.
namespace Cinnabar.Server.Replication;

/// <summary>A position in a primary's stream: Redis's master / cached_master client fields.</summary>
internal sealed class PrimaryPosition
{
    public PrimaryPosition(string replId, long offset, int db)
    {
        ReplId = replId;
        Offset = offset;
        ReadOffset = offset;
        Db = db;
    }

    /// <summary>The primary's replication id.</summary>
    public string ReplId { get; set; }

    /// <summary>reploff: stream bytes applied.</summary>
    public long Offset { get; set; }

    /// <summary>read_reploff: stream bytes read.</summary>
    public long ReadOffset { get; set; }

    /// <summary>The database the stream has selected.</summary>
    public int Db { get; set; }

    /// <summary>Synchronized with SYNC (a primary without PSYNC): no periodic ACKs (Redis's CLIENT_PRE_PSYNC).</summary>
    public bool PrePsync { get; init; }
}
