// The saving side of RDB persistence (rdb.c rdbSave, server.c's save points and prepareForShutdown):
// SAVE, the cron's save points, and the final snapshot at shutdown. Every save is synchronous and
// runs under the executor gate: it writes temp-<pid>.rdb in the working directory (which is
// `dir`), fsyncs it, renames it over dbfilename and fsyncs the directory, so a failed save leaves
// the previous file as it was. BGSAVE (the forkless serialize-before-mutate snapshot of ARCHITECTURE §3) does not exist
// yet, so a save point blocks the executor for the length of the save instead of forking.
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

    /// <summary>rdbSave: writes the dataset to dbfilename. Caller holds the gate.</summary>
    public bool Save()
    {
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

    /// <summary>serverCron's save points. Caller holds the gate.</summary>
    public void CronCheck()
    {
        long now = _server.NowMs / 1000;
        long lastSave = InfoBuilder.LastSaveSeconds(_server);
        foreach (var (seconds, changes) in _server.Config.SavePoints)
        {
            // Enough changes, enough time since the last save, and the last attempt either
            // succeeded or is at least the retry delay old.
            if (_server.Dirty >= changes && now - lastSave > seconds
                && (now - _lastTrySeconds > RetryDelaySeconds || LastBgsaveOk))
            {
                _server.Log.Notice($"{changes.ToString(CultureInfo.InvariantCulture)} changes in {seconds.ToString(CultureInfo.InvariantCulture)} seconds. Saving...");
                _lastTrySeconds = now;
                // Redis forks here (rdbSaveBackground) and records a failure in
                // lastbgsave_status, which is what arms the MISCONF write refusal.
                Saves++;
                LastBgsaveOk = Save();
                break;
            }
        }
    }

    /// <summary>
    /// prepareForShutdown, as far as it concerns persistence: logs the request and takes the final
    /// snapshot. Returns false when shutdown must not go on. Caller holds the gate. This is the one
    /// hook both SHUTDOWN and the SIGTERM/SIGINT handlers in Startup call before stopping.
    /// </summary>
    public bool PrepareForShutdown(bool save, bool nosave, bool force)
    {
        _server.Log.Warning("User requested shutdown...");
        if (SaveForShutdown(save, nosave, force))
        {
            return true;
        }

        // finishShutdown's error path: the server keeps running.
        _server.Log.Warning("Errors trying to shut down the server. Check the logs for more information.");
        return false;
    }

    /// <summary>
    /// prepareForShutdown's snapshot: saves when save points exist and NOSAVE was not given, or
    /// when SAVE was. Returns false when the save failed and shutdown must not go on (no FORCE).
    /// Caller holds the gate.
    /// </summary>
    public bool SaveForShutdown(bool save, bool nosave, bool force)
    {
        if (!((_server.Config.SavePoints.Count > 0 && !nosave) || save))
        {
            return true;
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
