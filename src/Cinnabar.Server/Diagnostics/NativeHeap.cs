// The native allocator under the managed heap. The runtime's own native memory (the JIT's
// per-compilation arenas above all: tiering recompiles the hot paths during the first seconds of
// load) comes from glibc's malloc, whose per-thread arenas keep freed pages resident. Redis's
// MEMORY PURGE asks jemalloc to give its dirty pages back; glibc's malloc_trim(0) is the same
// request for ours (it also releases free pages in the middle of every arena, not just the top).
using System.Runtime.InteropServices;

namespace Cinnabar.Server.Diagnostics;

/// <summary>Returns free native heap pages to the operating system.</summary>
internal static class NativeHeap
{
    private static bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>malloc_trim(0) where the C library has it (glibc); a no-op elsewhere (musl, other systems).</summary>
    public static void Trim()
    {
        if (s_unavailable)
        {
            return;
        }

        try
        {
            _ = MallocTrim(0);
        }
        catch (EntryPointNotFoundException)
        {
            // musl and other C libraries have no malloc_trim: nothing to give back this way.
            s_unavailable = true;
        }
    }

    // A plain size_t -> int signature: no marshalling, so no unsafe code is needed.
#pragma warning disable SYSLIB1054 // DllImport: blittable signature, no marshalling generated
    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
#pragma warning restore SYSLIB1054
}
