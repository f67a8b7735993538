// redis-cli installs its SIGINT handler with signal(2), which also replaces a SIGINT that was
// ignored when the program started (a background job of a non-interactive shell, nohup, a test
// runner started that way). .NET keeps such an inherited ignore: its handler never runs and
// Ctrl-C can never leave MONITOR or subscribed mode. Resetting the disposition to the default
// before .NET registers its handler gives the client redis-cli's behaviour.
using System.Runtime.InteropServices;

namespace Cinnabar.Cli;

/// <summary>SIGINT's disposition as the process inherited it.</summary>
internal static class InterruptSignal
{
    private const int SigInt = 2;
    private const nint SigDfl = 0;

    /// <summary>Undoes an inherited SIG_IGN for SIGINT; call before registering a handler.</summary>
    public static void ResetInheritedIgnore()
    {
        if (OperatingSystem.IsLinux())
        {
            SysSignal(SigInt, SigDfl);
        }
    }

    [DllImport("libc", EntryPoint = "signal")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint SysSignal(int signum, nint handler);
}
