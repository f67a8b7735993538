// A stream over a raw file descriptor using read(2)/write(2) directly. Console streams set the
// terminal up on first use (escapes on stdout), and a FileStream over fd 1 keeps its own file
// offset, which breaks `>>` appends and shared descriptors; plain write(2) does what C does.
using System.Runtime.InteropServices;

namespace Cinnabar.Cli;

/// <summary>stdin/stdout/stderr as C sees them.</summary>
internal sealed class FdStream(int fd) : Stream
{
    private const int EINTR = 4;
    private const int EPIPE = 32;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            nint n = SysRead(fd, ref MemoryMarshal.GetReference(buffer), buffer.Length);
            if (n >= 0)
            {
                return (int)n;
            }

            if (Marshal.GetLastPInvokeError() != EINTR)
            {
                throw new IOException($"read failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            nint n = SysWrite(fd, ref MemoryMarshal.GetReference(buffer), buffer.Length);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR)
                {
                    continue;
                }

                // The reader went away ("| head"): C dies of SIGPIPE, silently; .NET ignores the
                // signal, so leave the same way a shell would report it (128 + SIGPIPE).
                if (errno == EPIPE)
                {
                    Environment.Exit(141);
                }

                throw new IOException($"write failed: errno {errno}");
            }

            buffer = buffer[(int)n..];
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    // DllImport (not LibraryImport, whose generated code needs unsafe): a ref to a byte is pinned
    // and passed as a pointer, which is all read(2) and write(2) need.
    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint SysRead(int fd, ref byte buffer, nint count);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint SysWrite(int fd, ref byte buffer, nint count);
}
