// daemonize yes without fork(): the parent re-executes the same program with the same
// arguments and an environment marker naming a readiness file. The child starts a new session
// (setsid), points its standard streams at /dev/null and writes "ok" to the file once it listens
// (or "fail" when it cannot start). The parent waits for that word, or for the child to die, and
// exits 0 or 1 accordingly, so "cinnabar-server redis.conf && redis-cli ping" works as it does
// with Redis.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Cinnabar.Server.Hosting;

/// <summary>Detaching into the background.</summary>
internal static class Daemon
{
    /// <summary>Environment marker: the readiness file of a daemonized child.</summary>
    public const string ReadyFileVariable = "CINNABAR_DAEMON_READY_FILE";

    /// <summary>Environment marker: the stdin config text the parent read, base64.</summary>
    public const string StdinVariable = "CINNABAR_DAEMON_STDIN";

    /// <summary>True in the re-executed background child.</summary>
    public static bool IsChild => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ReadyFileVariable));

    /// <summary>The stdin config handed down by the parent, if any.</summary>
    public static string? InheritedStdin
    {
        get
        {
            var b64 = Environment.GetEnvironmentVariable(StdinVariable);
            return string.IsNullOrEmpty(b64) ? null : Encoding.UTF8.GetString(Convert.FromBase64String(b64));
        }
    }

    /// <summary>
    /// Parent side: starts the child and waits until it reports. Returns the parent's exit code.
    /// </summary>
    public static int RunParent(IReadOnlyList<string> args, string workingDirectory, string? stdinConfig)
    {
        var readyFile = Path.Combine(Path.GetTempPath(), $"cinnabar-daemon-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var psi = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath ?? "cinnabar-server",
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };

        // Under "dotnet cinnabar-server.dll" the program is the host; pass the assembly again.
        var commandLine = Environment.GetCommandLineArgs();
        if (Path.GetFileNameWithoutExtension(psi.FileName) == "dotnet" && commandLine.Length > 0)
        {
            psi.ArgumentList.Add(commandLine[0]);
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment[ReadyFileVariable] = readyFile;
        if (stdinConfig is not null)
        {
            psi.Environment[StdinVariable] = Convert.ToBase64String(Encoding.UTF8.GetBytes(stdinConfig));
        }

        using var child = Process.Start(psi);
        if (child is null)
        {
            return 1;
        }

        try
        {
            while (true)
            {
                if (File.Exists(readyFile))
                {
                    var word = File.ReadAllText(readyFile).Trim();
                    if (word.Length > 0)
                    {
                        return word == "ok" ? 0 : 1;
                    }
                }

                if (child.WaitForExit(20))
                {
                    // The child may have reported just before exiting.
                    return File.Exists(readyFile) && File.ReadAllText(readyFile).Trim() == "ok" ? 0 : 1;
                }
            }
        }
        finally
        {
            try
            {
                File.Delete(readyFile);
            }
            catch (IOException)
            {
                // Best effort: it lives in the temp directory.
            }
        }
    }

    /// <summary>Child side: new session, standard streams to /dev/null (Redis's daemonize()).</summary>
    public static void Detach()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        _ = SetSid();

        // The runtime may hold duplicates of the inherited stdout/stderr (a pipe the caller
        // reads to its end): every descriptor pointing where 0, 1 or 2 point is redirected too,
        // or the caller would wait for the daemon to exit.
        var inherited = new HashSet<string>(StringComparer.Ordinal);
        var fds = new List<int>();
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out int n))
            {
                continue;
            }

            fds.Add(n);
            if (n <= 2 && new FileInfo(entry).LinkTarget is { } target)
            {
                inherited.Add(target);
            }
        }

        using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        int fd = (int)devNull.DangerousGetHandle();
        foreach (int n in fds)
        {
            string? target = null;
            try
            {
                target = new FileInfo($"/proc/self/fd/{n}").LinkTarget;
            }
            catch (IOException)
            {
                // Closed meanwhile.
            }

            if (n <= 2 || (n != fd && target is not null && inherited.Contains(target) && target != "/dev/null"))
            {
                _ = Dup2(fd, n);
            }
        }
    }

    /// <summary>Child side: tells the waiting parent whether startup worked.</summary>
    public static void Report(bool ok)
    {
        var file = Environment.GetEnvironmentVariable(ReadyFileVariable);
        if (string.IsNullOrEmpty(file))
        {
            return;
        }

        try
        {
            var tmp = file + ".tmp";
            File.WriteAllText(tmp, ok ? "ok\n" : "fail\n");
            File.Move(tmp, file, overwrite: true);
        }
        catch (IOException)
        {
            // The parent also notices the child's exit.
        }
    }

    // Plain int-only signatures: no marshalling, so no unsafe code is needed.
    [DllImport("libc", EntryPoint = "setsid", SetLastError = true)]
    private static extern int SetSid();

    [DllImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static extern int Dup2(int oldFd, int newFd);
}
