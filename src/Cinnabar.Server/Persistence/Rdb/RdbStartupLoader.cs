// Startup loading, like server.c loadDataFromDisk + rdb.c rdbLoad: read `dir`/`dbfilename`
// when it exists, log Redis's lines (version, age, memory, keys loaded/expired, time taken),
// and only swap the loaded databases in once the whole file proved valid. A bad file stops
// startup (the caller exits 1) and is left untouched.
using System.Diagnostics;
using System.Globalization;

using Cinnabar.Server.Config;
using Cinnabar.Server.Diagnostics;

namespace Cinnabar.Server.Persistence.Rdb;

/// <summary>Loads the RDB file at startup.</summary>
internal static class RdbStartupLoader
{
    /// <summary>Loads `dir`/`dbfilename` if present; false when startup must stop. <paramref name="result"/> keeps the AUX fields (repl-id, repl-offset, repl-stream-db, ...) for later use.</summary>
    public static bool Load(CinnabarServer server, out RdbLoadResult? result)
    {
        result = null;
        var config = server.Config;
        var log = server.Log;
        string path = Path.Combine(config.Dir, config.DbFilename);
        if (!File.Exists(path))
        {
            // Redis: a missing file (ENOENT) is not an error; the server starts empty.
            return true;
        }

        var clock = Stopwatch.StartNew();
        server.Loading = true;
        try
        {
            var options = new RdbLoadOptions
            {
                FileName = config.DbFilename,
                DatabaseCount = server.Databases.Length,
                NowMs = server.NowMs,
                VerifyChecksum = config.Store.GetBool("rdbchecksum"),
                DropExpired = !server.IsReplica,
                OnAux = (name, value, _) => LogAux(server, log, name, value),
                Limits = new TypeLimits(config.ListMaxListpackSize, config.HashMaxListpackEntries, config.HashMaxListpackValue, config.SetMaxIntsetEntries),
            };
            var loaded = RdbReader.LoadFile(path, options);
            if (loaded.ChecksumDisabled)
            {
                log.Warning("RDB file was saved with checksum disabled: no check performed.");
            }

            for (int i = 0; i < server.Databases.Length; i++)
            {
                server.Databases[i].Clear();
                server.Databases[i].SwapContents(loaded.Databases[i]);
            }

            log.Notice($"Done loading RDB, keys loaded: {loaded.KeysLoaded}, keys expired: {loaded.KeysExpired}.");
            log.Notice("DB loaded from disk: " + clock.Elapsed.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + " seconds");
            result = loaded;
            return true;
        }
        catch (RdbLoadException e)
        {
            if (e.Checksums is { } sums)
            {
                log.Warning($"Wrong RDB checksum expected: ({sums.Computed:x}) but got ({sums.Stored:x}). Aborting now.");
            }
            else if (e.ShortRead)
            {
                log.Warning("Short read or OOM loading DB. Unrecoverable error, aborting now.");
            }
            else if (e.Problem.StartsWith("can't handle RDB format version", StringComparison.Ordinal) || e.Problem.StartsWith("wrong signature", StringComparison.Ordinal))
            {
                log.Warning(e.Problem.StartsWith('c')
                    ? "Can't handle RDB format version " + e.Problem.Split(' ')[5]
                    : "Wrong signature trying to load DB from file");
            }

            log.Warning($"Internal error in RDB reading offset {e.Offset}, file {Path.GetFullPath(path)} -> {e.Problem}");
            log.Warning($"Fatal error loading the DB from {Path.GetFullPath(path)}. Exiting.");
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning($"Fatal error loading the DB: {OsError.Describe(e)}. Exiting.");
            return false;
        }
        finally
        {
            server.Loading = false;
        }
    }

    // The AUX fields Redis logs while loading (rdbLoadRioWithLoadingCtx).
    private static void LogAux(CinnabarServer server, Logger log, string name, string value)
    {
        switch (name.ToLowerInvariant())
        {
            case "redis-ver":
                log.Notice($"Loading RDB produced by version {value}");
                break;
            case "ctime":
                long age = (server.NowMs / 1000) - ParseLong(value);
                log.Notice($"RDB age {Math.Max(age, 0)} seconds");
                break;
            case "used-mem":
                double mb = ParseLong(value) / (1024.0 * 1024.0);
                log.Notice("RDB memory usage when created " + mb.ToString("0.00", CultureInfo.InvariantCulture) + " Mb");
                break;
            case "aof-preamble":
                if (ParseLong(value) != 0)
                {
                    log.Notice("RDB has an AOF tail");
                }

                break;
            case "aof-base":
                if (ParseLong(value) != 0)
                {
                    log.Notice("RDB is base AOF");
                }

                break;
            default:
                break;
        }
    }

    // strtoll: leading digits, 0 when none.
    private static long ParseLong(string s)
    {
        int i = 0;
        bool neg = false;
        if (i < s.Length && (s[i] == '-' || s[i] == '+'))
        {
            neg = s[i] == '-';
            i++;
        }

        long v = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]) && v < long.MaxValue / 10)
        {
            v = (v * 10) + (s[i++] - '0');
        }

        return neg ? -v : v;
    }
}
