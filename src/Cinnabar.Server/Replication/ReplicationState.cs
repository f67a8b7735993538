// Replication identity and position (replication.c's server.replid/replid2/master_repl_offset/
// second_replid_offset and the backlog), shared by the primary side (PSYNC, the replication
// buffer) and the replica side (which feeds its primary's bytes through unchanged, so a chain of
// replicas shares one offset space: ARCHITECTURE §4, PSYNC2).
// Skeleton: the primary-side work fills in the shared buffer and backlog behind this API.
namespace Cinnabar.Server.Replication;

/// <summary>Replication ids, offsets and the shared replication buffer.</summary>
internal sealed class ReplicationState
{
    private readonly CinnabarServer _server;

    public ReplicationState(CinnabarServer server)
    {
        _server = server;
        ReplId = NewId();
    }

    /// <summary>master_replid: the history this server's offsets belong to.</summary>
    public string ReplId { get; set; }

    /// <summary>master_replid2: the previous history (PSYNC2), 40 zeros when none.</summary>
    public string ReplId2 { get; set; } = new('0', 40);

    /// <summary>second_repl_offset: up to where ReplId2 is valid, -1 when none.</summary>
    public long SecondReplIdOffset { get; set; } = -1;

    /// <summary>master_repl_offset: bytes of replication stream produced (only counted while a backlog exists).</summary>
    public long Offset { get; set; }

    /// <summary>True while a backlog exists (repl_backlog_active).</summary>
    public bool HasBacklog { get; private set; }

    /// <summary>createReplicationBacklog: called when the first replica attaches, or on a replica when it links to its primary.</summary>
    public void CreateBacklogIfNeeded() => HasBacklog = true;

    /// <summary>
    /// Appends already-formatted stream bytes (a replica forwarding its primary's stream, or the
    /// primary's own formatted writes): advances Offset and hands them to the backlog and replicas.
    /// </summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (HasBacklog)
        {
            Offset += bytes.Length;
        }
    }

    /// <summary>shiftReplicationId: the current id becomes ReplId2 (valid up to Offset + 1) and a new id starts.</summary>
    public void ShiftReplId()
    {
        ReplId2 = ReplId;
        SecondReplIdOffset = Offset + 1;
        ReplId = NewId();
    }

    /// <summary>changeReplicationId: a new history with no predecessor kept.</summary>
    public void ChangeReplId() => ReplId = NewId();

    /// <summary>clearReplicationId2.</summary>
    public void ClearReplId2()
    {
        ReplId2 = new string('0', 40);
        SecondReplIdOffset = -1;
    }

    /// <summary>The server this state belongs to.</summary>
    internal CinnabarServer Server => _server;

    private static string NewId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
}
