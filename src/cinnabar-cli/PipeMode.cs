// --pipe (redis-cli's pipeMode): stream raw protocol from stdin to the server while reading
// replies, then send an ECHO of 20 random bytes and wait for it, so we know every reply has
// arrived; count replies and errors (printed to stderr). Writing runs on its own thread so a
// server that answers slowly never blocks our reading.
using System.Security.Cryptography;

using Cinnabar.Protocol;

namespace Cinnabar.Cli;

/// <summary>Mass insertion.</summary>
internal static class PipeMode
{
    public static void Run(CliSession session)
    {
        var connection = session.Connection!;
        var magic = RandomNumberGenerator.GetBytes(20);
        long errors = 0, replies = 0;
        var eof = new ManualResetEventSlim();
        var writer = new Thread(() =>
        {
            try
            {
                using var stdin = Terminal.OpenStdin();
                var buffer = new byte[16 * 1024];
                int n;
                while ((n = stdin.Read(buffer)) > 0)
                {
                    connection.SendRaw(buffer.AsSpan(0, n));
                }

                Terminal.Out("All data transferred. Waiting for the last reply...\n");
                Terminal.Flush();
                eof.Set();

                // The ECHO starts with CRLF so it stays well formed after garbage in the input.
                var echo = new ReplyWriter(64);
                echo.Raw("\r\n"u8);
                echo.ArrayHeader(2);
                echo.Bulk("ECHO"u8);
                echo.Bulk(magic);
                connection.SendRaw(echo.WrittenSpan);
            }
            catch (CliIOException e)
            {
                Terminal.Err($"Error writing to the server: {e.Message}\n");
                throw Terminal.Exit(1);
            }
        })
        { IsBackground = true };
        writer.Start();

        var lastRead = DateTime.UtcNow;
        while (true)
        {
            if (!connection.Poll(1_000_000))
            {
                if (eof.IsSet && session.Options.PipeTimeout > 0 && (DateTime.UtcNow - lastRead).TotalSeconds > session.Options.PipeTimeout)
                {
                    Terminal.Err($"No replies for {session.Options.PipeTimeout} seconds: exiting.\n");
                    errors++;
                    break;
                }

                continue;
            }

            RespReply reply;
            try
            {
                reply = connection.ReadReply();
            }
            catch (CliIOException)
            {
                Terminal.Err("Error reading replies from server\n");
                throw Terminal.Exit(1);
            }

            lastRead = DateTime.UtcNow;
            if (reply.Type == RespType.Error)
            {
                Terminal.Err(reply.Text + "\n");
                errors++;
            }
            else if (eof.IsSet && reply.Type == RespType.BulkString && reply.Bytes.AsSpan().SequenceEqual(magic))
            {
                Terminal.Out("Last reply received from server.\n");
                break;
            }

            replies++;
        }

        Terminal.Out($"errors: {errors}, replies: {replies}\n");
        throw Terminal.Exit(errors > 0 ? 1 : 0);
    }
}
