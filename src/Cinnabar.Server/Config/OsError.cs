// strerror-style texts for .NET I/O exceptions, so messages read like Redis's
// ("No such file or directory", "Permission denied").
namespace Cinnabar.Server.Config;

/// <summary>Maps I/O exceptions to the C library's error strings.</summary>
internal static class OsError
{
    /// <summary>The strerror text closest to the exception.</summary>
    public static string Describe(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        PathTooLongException => "File name too long",
        _ when e.HResult == 21 || e.Message.Contains("Is a directory", StringComparison.Ordinal) => "Is a directory",
        _ => e.Message,
    };
}
