// The saving side of RDB persistence (rdb.c rdbSave/rdbSaveBackground, server.c's save points and
// prepareForShutdown): SAVE, BGSAVE, the cron's save points, and the final snapshot at shutdown.
// SAVE (and shutdown's final save) runs synchronously under the executor gate. BGSAVE and save
// points take the forkless point-in-time snapshot (PointInTimeSnapshot, ARCHITECTURE §3) where
// Redis forks: the executor goes on serving while the snapshot is written. Either way the file is
// written as temp-*.rdb in the working directory (which is `dir`), fsynced, renamed over
// dbfilename and the directory fsynced, so a failed save leaves the previous file as it was.
// The log lines are Redis's, parent and child alike ("Background saving started by pid N" names
// our own pid: there is no child).
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

using Cinnabar.Server.Config;
using Cinnabar.Server.Diagnostics;
using Cinnabar.Server.Persistence.Rdb;

namespace Cinnabar.Server.Persistence;

/// <summary>Writes RDB snapshots to disk and keeps the save bookkeeping INFO reports.</summary>
internal sealed class SnapshotService
{
    // server.h CONFIG_BGSAVE_RETRY_DELAY: after a failed save point, wait this long before retrying.
    private const long RetryDelaySeconds = 5;

    private readonly CinnabarServer _server;
    private long _lastTrySeconds;
    private long _dirtyBeforeBgsave;
    private long _bgsaveStartedMs;
    private string? _backgroundTemp;

    public SnapshotService(CinnabarServer server)
    {
        _server = server;
    }

    /// <summary>rdb_last_bgsave_status: false after a failed background-style (save point) save.</summary>
    public bool LastBgsaveOk { get; private set; } = true;

    /// <summary>rdb_saves: saves started (successful or not).</summary>
    public long Saves { get; private set; }

    /// <summary>
    /// Redis's replication hook (rdbPopulateSaveInfo): returns the position to record in the
    /// snapshot's AUX fields, or null. Null until replication keeps a backlog.
    /// </summary>
    public Func<ReplSaveInfo?> ReplicationInfo { get; set; } = () => null;

    /// <summary>
    /// writeCommandsDeniedByDiskError for RDB: stop-writes-on-bgsave-error is on, save points are
    /// configured and the last save point failed.
    /// </summary>
    public bool WritesDenied =>
        !LastBgsaveOk && _server.Config.StopWritesOnBgsaveError && _server.Config.SavePoints.Count > 0;

    /// <summary>saveCommand's stat_rdb_saves++.</summary>
    public void CountSave() => Saves++;

    /// <summary>The BGSAVE (or save point) snapshot being written to disk, or null.</summary>
    public PointInTimeSnapshot? Background { get; private set; }

    /// <summary>rdb_bgsave_scheduled: BGSAVE SCHEDULE (or BGSAVE in MULTI) waits for the running snapshot.</summary>
    public bool BackgroundScheduled { get; set; }

    /// <summary>
    /// Redis's hasActiveChildProcess() for RDB: a background save or another snapshot (a full
    /// sync) is running; a new snapshot must wait.
    /// </summary>
    public bool Busy => Background is not null || _server.ActiveSnapshot is not null;

    /// <summary>rdb_last_cow_size: bytes the last background save copied because of writes.</summary>
    public long LastCopiedOnWriteBytes { get; private set; }

    /// <summary>rdb_last_bgsave_time_sec: duration of the last background save, -1 before any.</summary>
    public long LastBgsaveSeconds { get; private set; } = -1;

    /// <summary>rdb_current_bgsave_time_sec: seconds the running background save has taken, or -1.</summary>
    public long CurrentBgsaveSeconds => Background is null ? -1 : (_server.NowMs - _bgsaveStartedMs) / 1000;

    /// <summary>
    /// rdbSaveBackground: starts a point-in-time snapshot to dbfilename and returns at once.
    /// Caller holds the gate and has checked <see cref="Busy"/>. Returns false only when the
    /// snapshot could not start (Redis: fork failed); write errors are reported when it ends.
    /// </summary>
    public bool BackgroundSave()
    {
        Saves++;
        _dirtyBeforeBgsave = _server.Dirty;
        _lastTrySeconds = _server.NowMs / 1000;
        // The child's temp-<pid>.rdb: ours, as there is no child. SAVE uses the same name, but
        // never while this one runs (Busy), and a cancelled save's file is removed at once.
        string tmp = $"temp-{Environment.ProcessId}.rdb";
        var log = _server.Log;
        FileStream file;
        try
        {
            file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // In Redis the child fails to open the file and exits with an error; the parent
            // has already said the save started.
            string why = Directory.Exists(tmp) ? "Is a directory" : OsError.Describe(e);
            log.Notice($"Background saving started by pid {Environment.ProcessId}");
            log.Warning($"Failed opening the temp RDB file {tmp} (in server root dir {Cwd()}) for saving: {why}");
            log.Warning("Background saving error");
            LastBgsaveOk = false;
            return true;
        }

        var snapshot = PointInTimeSnapshot.Begin(_server, file, ReplicationInfo());
        Background = snapshot;
        _backgroundTemp = tmp;
        _bgsaveStartedMs = _server.NowMs;
        log.Notice($"Background saving started by pid {Environment.ProcessId}");
        _ = snapshot.Completion.ContinueWith(t => FinishBackgroundSave(snapshot, file, tmp, t.Result), TaskScheduler.Default);
        return true;
    }

    /// <summary>
    /// killRDBChild for a background save (FLUSHALL, SHUTDOWN): stops it; its temp file is removed
    /// and rdb_last_bgsave_status is left alone, as for Redis's SIGUSR1. Caller holds the gate.
    /// </summary>
    public void CancelBackgroundSave()
    {
        if (Background is { } snapshot)
        {
            snapshot.Cancel();
            Background = null;
            BackgroundScheduled = false;
            TryDelete(_backgroundTemp!);
        }
    }

    /// <summary>rdbSave: writes the dataset to dbfilename. Caller holds the gate.</summary>
    public bool Save()
    {
        // The SAVE command refuses while a background save runs; internal callers (FLUSHALL,
        // SHUTDOWN, DEBUG RELOAD) supersede it, as Redis kills its child, so the two never write
        // the same temp file.
        CancelBackgroundSave();
        var log = _server.Log;
        string tmp = $"temp-{Environment.ProcessId}.rdb";
        FileStream file;
        try
        {
            file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // .NET reports a directory in the way as an access problem; fopen says EISDIR.
            string why = Directory.Exists(tmp) ? "Is a directory" : OsError.Describe(e);
            log.Warning($"Failed opening the temp RDB file {tmp} (in server root dir {Cwd()}) for saving: {why}");
            return false;
        }

        string op = "rdbSaveRio";
        try
        {
            using (file)
            {
                // Not disposed: disposing a BufferedStream closes the file before the fsync.
                var buffered = new BufferedStream(file, 64 * 1024);
                var writer = new RdbWriter(buffered, _server.Config.RdbCompression, _server.Config.RdbChecksum);
                writer.WriteSnapshot(_server.Databases, RdbWriter.StandardAux(_server.NowMs, ProcessFacts.UsedMemory(), ReplicationInfo()), _server.NowMs);
                op = "fflush";
                buffered.Flush();

                op = "fsync";
                file.Flush(flushToDisk: true);
                op = "fclose";
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning($"Write error saving DB on disk({op}): {OsError.Describe(e)}");
            TryDelete(tmp);
            return false;
        }

        try
        {
            File.Move(tmp, _server.Config.DbFilename, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning($"Error moving temp DB file {tmp} on the final destination {_server.Config.DbFilename} (in server root dir {Cwd()}): {OsError.Describe(e)}");
            TryDelete(tmp);
            return false;
        }

        int dirError = FsyncDirectoryOf(_server.Config.DbFilename);
        if (dirError != 0)
        {
            log.Warning($"Write error saving DB on disk(fsyncFileDir): {Marshal.GetPInvokeErrorMessage(dirError)}");
            return false;
        }

        log.Notice("DB saved on disk");
        _server.Dirty = 0;
        _server.LastSaveMs = _server.NowMs;
        LastBgsaveOk = true;
        return true;
    }

    /// <summary>serverCron's save points and scheduled BGSAVE. Caller holds the gate.</summary>
    public void CronCheck()
    {
        if (Busy)
        {
            return;
        }

        long now = _server.NowMs / 1000;
        if (BackgroundScheduled && (now - _lastTrySeconds > RetryDelaySeconds || LastBgsaveOk))
        {
            BackgroundScheduled = false;
            BackgroundSave();
            return;
        }

        long lastSave = InfoBuilder.LastSaveSeconds(_server);
        foreach (var (seconds, changes) in _server.Config.SavePoints)
        {
            // Enough changes, enough time since the last save, and the last attempt either
            // succeeded or is at least the retry delay old.
            if (_server.Dirty >= changes && now - lastSave > seconds
                && (now - _lastTrySeconds > RetryDelaySeconds || LastBgsaveOk))
            {
                _server.Log.Notice($"{changes.ToString(CultureInfo.InvariantCulture)} changes in {seconds.ToString(CultureInfo.InvariantCulture)} seconds. Saving...");
                // A failure is recorded in lastbgsave_status when the save ends, which is
                // what arms the MISCONF write refusal.
                BackgroundSave();
                break;
            }
        }
    }

    /// <summary>
    /// finishShutdown's snapshot (Execution/ShutdownSequence): saves when save points exist and NOSAVE was not given, or
    /// when SAVE was. Returns false when the save failed and shutdown must not go on (no FORCE).
    /// Caller holds the gate.
    /// </summary>
    public bool SaveForShutdown(bool save, bool nosave, bool force)
    {
        if (!((_server.Config.SavePoints.Count > 0 && !nosave) || save))
        {
            return true;
        }

        if (Background is not null)
        {
            _server.Log.Warning("There is a child saving an .rdb. Killing it!");
            CancelBackgroundSave();
        }

        _server.Log.Notice("Saving the final RDB snapshot before exiting.");
        if (Save())
        {
            return true;
        }

        if (force)
        {
            _server.Log.Warning("Error trying to save the DB. Exit anyway.");
            return true;
        }

        _server.Log.Warning("Error trying to save the DB, can't exit.");
        return false;
    }

    // backgroundSaveDoneHandlerDisk, with the child's own end first: the fsync runs off the gate;
    // the rename runs under it, so a save cancelled meanwhile (FLUSHALL, SHUTDOWN) can never
    // move a later SAVE's temp file of the same name.
    private void FinishBackgroundSave(PointInTimeSnapshot snapshot, FileStream file, string tmp, bool written)
    {
        var log = _server.Log;
        string? error = snapshot.Error;
        if (written)
        {
            try
            {
                file.Flush(flushToDisk: true);
            }
            catch (IOException e)
            {
                error = OsError.Describe(e);
                written = false;
            }
        }

        file.Dispose();
        lock (_server.Gate)
        {
            if (!ReferenceEquals(Background, snapshot))
            {
                // Cancelled: the temp file is gone already and the name may be a SAVE's now.
                log.Warning("Background saving terminated by signal 10");
                return;
            }

            bool ok = false;
            if (written)
            {
                try
                {
                    File.Move(tmp, _server.Config.DbFilename, overwrite: true);
                    int dirError = FsyncDirectoryOf(_server.Config.DbFilename);
                    ok = dirError == 0;
                    error = ok ? null : Marshal.GetPInvokeErrorMessage(dirError);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    error = OsError.Describe(e);
                }
            }

            if (ok)
            {
                log.Notice("DB saved on disk");
                log.Notice("Background saving terminated with success");
                _server.Dirty -= _dirtyBeforeBgsave;
                _server.LastSaveMs = _server.NowMs;
                LastBgsaveOk = true;
            }
            else
            {
                TryDelete(tmp);
                log.Warning($"Write error saving DB on disk: {error ?? "unknown error"}");
                log.Warning("Background saving error");
                LastBgsaveOk = false;
            }

            LastBgsaveSeconds = (_server.NowMs - _bgsaveStartedMs) / 1000;
            LastCopiedOnWriteBytes = snapshot.CopiedOnWriteBytes;
            Background = null;
        }
    }

    private static string Cwd()
    {
        try
        {
            return Directory.GetCurrentDirectory();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    // fsyncFileDir: makes the rename durable. Returns 0 or the errno; directories that cannot be
    // opened (EISDIR) or fsynced (EBADF, EINVAL) count as success, as in Redis.
    private static int FsyncDirectoryOf(string file)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
        byte[] path = Encoding.UTF8.GetBytes(dir + "\0");
        int fd = Open(ref path[0], 0); // O_RDONLY
        if (fd == -1)
        {
            int e = Marshal.GetLastPInvokeError();
            return e == 21 ? 0 : e; // EISDIR
        }

        int rc = Fsync(fd);
        int err = rc == -1 ? Marshal.GetLastPInvokeError() : 0;
        _ = Close(fd);
        return err is 9 or 22 ? 0 : err; // EBADF, EINVAL
    }

#pragma warning disable SYSLIB1054 // DllImport: blittable signatures, no marshalling generated
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(ref byte path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
#pragma warning restore SYSLIB1054

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // unlink's failure is ignored by Redis too.
        }
    }
}
