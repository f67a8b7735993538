// `cinnabar-server --check-rdb <file>`: redis-check-rdb's report. "[offset N] ..." lines as the
// file is read, "\o/ RDB looks OK! \o/" and the [info] counters on success (exit 0), or
// "--- RDB ERROR DETECTED ---" with the offset and the problem (exit 1).
using System.Globalization;

namespace Cinnabar.Server.Persistence.Rdb;

/// <summary>The RDB checker.</summary>
internal static class RdbChecker
{
    /// <summary>Checks one file; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Count != 1)
        {
            stderr.Write("Usage: cinnabar-check-rdb <rdb-file-name>\n");
            return 1;
        }

        if (args[0] is "-v" or "--version")
        {
            stdout.Write($"redis-check-rdb {Hosting.ServerHost.RedisVersion} (Cinnabar {Hosting.ServerHost.CinnabarVersion})\n");
            return 0;
        }

        string file = args[0];
        stdout.Write($"[offset 0] Checking RDB file {file}\n");
        long expires = 0, keys = 0, alreadyExpired = 0;
        try
        {
            var result = RdbReader.LoadFile(file, new RdbLoadOptions
            {
                FileName = file,
                DatabaseCount = 1 << 16,
                Sparse = true,
                NowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                DropExpired = false,
                OnAux = (k, v, at) => stdout.Write($"[offset {at}] AUX FIELD {k} = '{v}'\n"),
                OnSelectDb = (db, at) => stdout.Write($"[offset {at}] Selecting DB ID {db}\n"),
            });
            keys = result.KeysRead;
            expires = result.Expires;
            alreadyExpired = result.AlreadyExpired;
            stdout.Write(result.ChecksumDisabled
                ? $"[offset {result.Length}] RDB file was saved with checksum disabled: no check performed.\n"
                : $"[offset {result.Length}] Checksum OK\n");
            stdout.Write($"[offset {result.Length}] \\o/ RDB looks OK! \\o/\n");
            Info(stdout, keys, expires, alreadyExpired);
            return 0;
        }
        catch (RdbLoadException e)
        {
            stdout.Write("--- RDB ERROR DETECTED ---\n");
            stdout.Write($"[offset {e.Offset}] {e.Problem}\n");
            stdout.Write($"[additional info] In file: {file}\n");
            Info(stdout, e.KeysRead, e.Expires, e.AlreadyExpired);
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stdout.Write("--- RDB ERROR DETECTED ---\n");
            stdout.Write($"[offset 0] Cannot open the RDB file {file}: {Config.OsError.Describe(e)}\n");
            Info(stdout, 0, 0, 0);
            return 1;
        }
        finally
        {
            stdout.Flush();
        }
    }

    private static void Info(TextWriter o, long keys, long expires, long alreadyExpired)
    {
        o.Write(string.Create(CultureInfo.InvariantCulture, $"[info] {keys} keys read\n[info] {expires} expires\n[info] {alreadyExpired} already expired\n"));
    }
}
