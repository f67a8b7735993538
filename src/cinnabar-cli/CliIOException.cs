namespace Cinnabar.Cli;

/// <summary>A lost or failed connection, carrying hiredis's errstr ("Server closed the connection").</summary>
internal sealed class CliIOException : IOException
{
    public CliIOException()
    {
    }

    public CliIOException(string message)
        : base(message)
    {
    }

    public CliIOException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
