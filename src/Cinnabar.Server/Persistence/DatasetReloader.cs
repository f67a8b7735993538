// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE] (debug.c): save the dataset (unless NOSAVE), empty it
// (unless NOFLUSH) and load dbfilename back. Redis empties first and then loads into the live
// databases, exiting on a corrupt file or, without MERGE, on a key that already exists. Cinnabar
// keeps its "nothing is half-loaded" rule (ARCHITECTURE §8): the file is read into fresh
// databases, and only a complete, valid load replaces (or, with NOFLUSH, merges into) the
// dataset; a bad file or a conflicting key is an error reply and the dataset stays as it was.
// The load runs inside the command, holding the executor, so other clients wait for it rather
// than getting -LOADING as Redis's processEventsWhileBlocked would give them.
using System.Runtime.CompilerServices;
using System.Text;

using Cinnabar.Server.Commands;
using Cinnabar.Server.Config;
using Cinnabar.Server.Persistence.Rdb;
using Cinnabar.Server.Storage;

namespace Cinnabar.Server.Persistence;

/// <summary>Save, flush and load again: DEBUG RELOAD.</summary>
internal static class DatasetReloader
{
    /// <summary>The error DEBUG RELOAD replies when loading fails.</summary>
    public const string LoadError = "ERR Error trying to load the RDB dump";

    /// <summary>Runs DEBUG RELOAD with its options; the caller holds the gate. Returns the error to reply, or null for +OK.</summary>
    public static string? Reload(CinnabarServer server, bool merge, bool flush, bool save)
    {
        if (save && !server.Snapshots.Save())
        {
            // rdbSave failed: Redis replies its bare shared.err.
            return "ERR";
        }

        string file = server.Config.DbFilename;
        RdbLoadResult loaded;
        try
        {
            loaded = RdbStartupLoader.Read(server, file, allowDuplicates: merge);
        }
        catch (RdbLoadException e)
        {
            server.Log.Warning($"Internal error in RDB reading offset {e.Offset}, file {Path.GetFullPath(file)} -> {e.Problem}");
            return LoadError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            server.Log.Warning($"Error loading the DB for DEBUG RELOAD: {OsError.Describe(e)}");
            return LoadError;
        }

        long now = server.NowMs;
        if (flush)
        {
            for (int i = 0; i < server.Databases.Length; i++)
            {
                var db = server.Databases[i];
                TransactionCommands.TouchAllWatchedKeys(server, db, loaded.Databases[i], now);
                db.Clear();
                db.SwapContents(loaded.Databases[i]);
            }
        }
        else if (!Merge(server, loaded, merge))
        {
            return LoadError;
        }

        server.Log.Notice($"Done loading RDB, keys loaded: {loaded.KeysLoaded}, keys expired: {loaded.KeysExpired}.");
        server.Log.Warning("DB reloaded by DEBUG RELOAD");
        return null;
    }

    // NOFLUSH: the file's keys join the dataset. Without MERGE a key present on both sides is an
    // error (Redis dies on it); it is found before anything changes, so nothing is half-merged.
    private static bool Merge(CinnabarServer server, RdbLoadResult loaded, bool replace)
    {
        if (!replace)
        {
            for (int i = 0; i < server.Databases.Length; i++)
            {
                var live = server.Databases[i];
                byte[]? conflict = null;
                loaded.Databases[i].Table.ForEach((data, _) =>
                {
                    if (conflict is null && !Unsafe.IsNullRef(ref live.FindRaw(Entry.KeyOf(data))))
                    {
                        conflict = Entry.KeyArray(data);
                    }
                });
                if (conflict is not null)
                {
                    server.Log.Warning($"RDB has duplicated key '{Encoding.UTF8.GetString(conflict)}' in DB {i}");
                    return false;
                }
            }
        }

        for (int i = 0; i < server.Databases.Length; i++)
        {
            var live = server.Databases[i];
            loaded.Databases[i].Table.ForEach((data, expire) =>
            {
                var key = Entry.KeyArray(data);
                live.Delete(key);
                live.Add(key, data, expire);
                TransactionCommands.TouchWatchedKey(server, live, key);
            });
        }

        return true;
    }
}
