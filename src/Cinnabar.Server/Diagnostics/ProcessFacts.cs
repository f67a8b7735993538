// Facts about the process and the machine that INFO reports: memory figures (the managed heap
// stands in for Redis's allocator, /proc/self/statm for RSS), the uname-like OS string and the
// total system memory, plus Redis's bytesToHuman formatting.
using System.Globalization;
using System.Runtime.InteropServices;

namespace Cinnabar.Server.Diagnostics;

/// <summary>Process and host facts for INFO.</summary>
internal static class ProcessFacts
{
    private static readonly Lazy<string> OsNameValue = new(ReadOsName);
    private static readonly Lazy<long> SystemMemoryValue = new(ReadSystemMemory);

    /// <summary>"Linux 6.1.0 x86_64", like uname's sysname, release and machine.</summary>
    public static string OsName => OsNameValue.Value;

    /// <summary>Total physical memory in bytes.</summary>
    public static long SystemMemory => SystemMemoryValue.Value;

    /// <summary>
    /// User and system CPU time in microseconds of the process, or with <paramref name="thread"/>
    /// of the calling thread (getrusage RUSAGE_SELF / RUSAGE_THREAD, as Redis's INFO cpu). Where
    /// getrusage is not available, the process's times for both.
    /// </summary>
    public static (long User, long Sys) CpuTimes(bool thread)
    {
        if (OperatingSystem.IsLinux() && getrusage(thread ? RusageThread : RusageSelf, out var u) == 0)
        {
            return ((u.UserSeconds * 1_000_000) + u.UserMicros, (u.SysSeconds * 1_000_000) + u.SysMicros);
        }

        using var p = System.Diagnostics.Process.GetCurrentProcess();
        return ((long)p.UserProcessorTime.TotalMicroseconds, (long)p.PrivilegedProcessorTime.TotalMicroseconds);
    }

    /// <summary>used_memory: the managed heap in use.</summary>
    public static long UsedMemory() => GC.GetTotalMemory(false);

    /// <summary>Resident set size from /proc/self/statm (0 where unavailable).</summary>
    public static long ResidentMemory()
    {
        try
        {
            // "size resident shared ...", in pages; read into the stack (INFO memory is polled).
            Span<byte> text = stackalloc byte[128];
            using var file = File.OpenHandle("/proc/self/statm");
            text = text[..RandomAccess.Read(file, text, 0)];
            int start = text.IndexOf((byte)' ') + 1;
            int end = text[start..].IndexOf((byte)' ');
            return long.Parse(text.Slice(start, end < 0 ? text.Length - start : end), NumberStyles.None, CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        }
        catch (IOException)
        {
            return Environment.WorkingSet;
        }
        catch (UnauthorizedAccessException)
        {
            return Environment.WorkingSet;
        }
    }

    private static string ReadOsName()
    {
        static string Read(string path, string fallback)
        {
            try
            {
                return File.ReadAllText(path).Trim();
            }
            catch (IOException)
            {
                return fallback;
            }
            catch (UnauthorizedAccessException)
            {
                return fallback;
            }
        }

        string machine = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "x86_64",
            Architecture.Arm64 => "aarch64",
            Architecture.X86 => "i686",
            Architecture.Arm => "armv7l",
            var other => other.ToString().ToLowerInvariant(),
        };
        return $"{Read("/proc/sys/kernel/ostype", "Linux")} {Read("/proc/sys/kernel/osrelease", Environment.OSVersion.Version.ToString())} {machine}";
    }

    private static long ReadSystemMemory()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                {
                    var kb = line["MemTotal:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // Fall through to the GC's view below.
        }

        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    private const int RusageSelf = 0;
    private const int RusageThread = 1;

    // struct rusage on 64-bit Linux: two struct timevals, then fourteen longs this code does not read.
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicros;
        public long SysSeconds;
        public long SysMicros;
        private RestOfRusage _rest;
    }

    [System.Runtime.CompilerServices.InlineArray(14)]
    private struct RestOfRusage
    {
        private long _element;
    }

#pragma warning disable SYSLIB1054 // DllImport: blittable signature, no marshalling generated
    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out Rusage usage);
#pragma warning restore SYSLIB1054
}
