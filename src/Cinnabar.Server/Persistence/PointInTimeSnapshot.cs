// A point-in-time RDB snapshot written in the background while the server keeps serving
// (ARCHITECTURE §3): what Redis gets from fork() for BGSAVE and for full resynchronization.
// Begin() is called under the executor gate; the snapshot holds exactly the dataset of that
// moment, and its bytes (a complete RDB: header, AUX fields, keys, EOF, CRC64) are written to the
// given Stream from a background thread. Completion reports success or the I/O error.
// One snapshot runs at a time (Redis's one child): check server.ActiveSnapshot first.
using Cinnabar.Server.Config;
using Cinnabar.Server.Diagnostics;
using Cinnabar.Server.Persistence.Rdb;

namespace Cinnabar.Server.Persistence;

/// <summary>A background point-in-time RDB snapshot.</summary>
internal sealed class PointInTimeSnapshot
{
    private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _cancelled;

    private PointInTimeSnapshot(Stream output)
    {
        Output = output;
    }

    /// <summary>Where the RDB bytes go.</summary>
    public Stream Output { get; }

    /// <summary>True when the whole RDB reached the stream; false when cancelled or failed.</summary>
    public Task<bool> Completion => _done.Task;

    /// <summary>Why the snapshot failed (an OS error text), or null.</summary>
    public string? Error { get; private set; }

    /// <summary>Keys serialized so far.</summary>
    public long KeysWritten { get; private set; }

    /// <summary>Bytes written to the stream so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>When the snapshot began (unix ms).</summary>
    public long StartedMs { get; private set; }

    /// <summary>
    /// Starts a snapshot of every database as it is now. Caller holds the gate and must check
    /// that server.ActiveSnapshot is null. <paramref name="repl"/> is recorded in the AUX
    /// fields (repl-stream-db, repl-id, repl-offset), as rdbPopulateSaveInfo does.
    /// </summary>
    public static PointInTimeSnapshot Begin(CinnabarServer server, Stream output, ReplSaveInfo? repl)
    {
        // Interim implementation until the forkless engine lands: serialize under the gate
        // into memory, then copy to the output in the background. Same contract.
        var snapshot = new PointInTimeSnapshot(output) { StartedMs = server.NowMs };
        var ms = new MemoryStream();
        var writer = new RdbWriter(ms, server.Config.RdbCompression, server.Config.RdbChecksum);
        writer.WriteSnapshot(server.Databases, RdbWriter.StandardAux(server.NowMs, ProcessFacts.UsedMemory(), repl), server.NowMs);
        snapshot.KeysWritten = server.Databases.Sum(d => (long)d.Count);
        server.ActiveSnapshot = snapshot;
        _ = Task.Run(() => snapshot.Copy(server, ms));
        return snapshot;
    }

    /// <summary>Stops the snapshot early (a replica went away); Completion becomes false.</summary>
    public void Cancel() => _cancelled = true;

    private void Copy(CinnabarServer server, MemoryStream ms)
    {
        bool ok = false;
        try
        {
            var buffer = ms.GetBuffer();
            int length = (int)ms.Length;
            for (int at = 0; at < length && !_cancelled; at += 64 * 1024)
            {
                int n = Math.Min(64 * 1024, length - at);
                Output.Write(buffer, at, n);
                BytesWritten += n;
            }

            Output.Flush();
            ok = !_cancelled;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            Error = OsError.Describe(e);
        }

        lock (server.Gate)
        {
            if (ReferenceEquals(server.ActiveSnapshot, this))
            {
                server.ActiveSnapshot = null;
            }
        }

        _done.TrySetResult(ok);
    }
}
