// --replica and --rdb (redis-cli's slaveMode and getRDB): speak the replication protocol as a
// replica would. REPLCONF capa eof tells the master we understand diskless "$EOF:<mark>"
// transfers; SYNC answers with the RDB payload ($<len> or $EOF:<40-byte mark> ... <mark>),
// which --replica skips and --rdb writes to a file; after it, --replica prints every command
// of the replication stream in CSV form, one per line. A master that sent an EOF-marked
// payload only starts streaming once the replica ACKs, so we send REPLCONF ACK 0 (without
// waiting for a reply: masters never answer ACKs, and redis-cli's wait for one swallows the
// first streamed command).
using System.Text;

using Cinnabar.Protocol;

namespace Cinnabar.Cli;

/// <summary>The replication-protocol tools.</summary>
internal static class ReplicationTools
{
    private const int EofMarkSize = 40;

    /// <summary>sendReplconf: "sending REPLCONF a b" on stderr; an error reply is reported and tolerated.</summary>
    public static bool SendReplconf(CliSession session, string name, string value)
    {
        Terminal.Err($"sending REPLCONF {name} {value}\n");
        var reply = session.Call("REPLCONF", name, value);
        if (reply is null)
        {
            Terminal.Err("\nI/O error\n");
            throw Terminal.Exit(1);
        }

        if (reply.Type == RespType.Error)
        {
            Terminal.Err($"REPLCONF {name} error: {reply.Text}\n");
            return false;
        }

        return true;
    }

    /// <summary>Sends SYNC and reads the payload header: its length, or 0 with <paramref name="eofMark"/> set for an EOF-marked transfer.</summary>
    public static long SendSync(RespConnection connection, out byte[]? eofMark)
    {
        eofMark = null;
        try
        {
            connection.SendRaw("SYNC\r\n"u8);
        }
        catch (CliIOException)
        {
            Terminal.Err("Error writing to master\n");
            throw Terminal.Exit(1);
        }

        // Read "$<payload>\r\n" byte by byte, skipping the newlines a master sends while it prepares the RDB.
        var line = new List<byte>();
        Span<byte> one = stackalloc byte[1];
        while (true)
        {
            int n;
            try
            {
                n = connection.ReadRaw(one);
            }
            catch (CliIOException)
            {
                n = 0;
            }

            if (n <= 0)
            {
                Terminal.Err("Error reading bulk length while SYNCing\n");
                throw Terminal.Exit(1);
            }

            if (one[0] == '\n')
            {
                if (line.Count > 0)
                {
                    break;
                }

                continue;
            }

            line.Add(one[0]);
        }

        var header = line.ToArray();
        if (header[0] == '-')
        {
            // The line keeps its '\r', as redis-cli prints it.
            Terminal.Err($"SYNC with master failed: {Encoding.UTF8.GetString(header)}\n");
            throw Terminal.Exit(1);
        }

        int cr = Array.IndexOf(header, (byte)'\r');
        var text = cr >= 0 ? header[..cr] : header;
        if (text.AsSpan(1).StartsWith("EOF:"u8) && text.Length - 5 >= EofMarkSize)
        {
            eofMark = text[5..(5 + EofMarkSize)];
            return 0;
        }

        return CNumbers.StrToLL(Encoding.ASCII.GetString(text, 1, text.Length - 1));
    }

    /// <summary>--replica: skip the RDB, then print the replication stream until the master goes away.</summary>
    public static void ReplicaStream(CliSession session)
    {
        var connection = session.Connection!;
        long payload = SendSync(connection, out var mark);
        if (mark is not null)
        {
            Terminal.Err("SYNC with master, discarding bytes of bulk transfer until EOF marker...\n");
        }
        else
        {
            Terminal.Err($"SYNC with master, discarding {payload} bytes of bulk transfer...\n");
        }

        long total = Transfer(connection, payload, mark, _ => { }, "Error reading RDB payload while SYNCing\n");
        if (mark is not null)
        {
            Terminal.Err($"SYNC done after {total} bytes. Logging commands from master.\n");

            // Give the master a moment to finish its side of the transfer, then put ourselves online.
            Thread.Sleep(1000);
            Terminal.Err("sending REPLCONF ACK 0\n");
            connection.Send("REPLCONF", "ACK", "0");
        }
        else
        {
            Terminal.Err("SYNC done. Logging commands from master.\n");
        }

        while (true)
        {
            RespReply reply;
            try
            {
                reply = connection.ReadReply();
            }
            catch (CliIOException e)
            {
                Terminal.Err($"Error: {e.Message}\n");
                throw Terminal.Exit(1);
            }

            var sb = new ByteBuilder();
            ReplyFormatter.Csv(sb, reply);
            sb.Append("\n");
            Terminal.Out(sb.ToArray());
            Terminal.Flush();
        }
    }

    /// <summary>--rdb: write the master's RDB payload to a file (or "-" for stdout).</summary>
    public static void GetRdb(CliSession session, string filename)
    {
        var connection = session.Connection!;
        long payload = SendSync(connection, out var mark);
        if (mark is not null)
        {
            Terminal.Err($"SYNC sent to master, writing bytes of bulk transfer until EOF marker to '{filename}'\n");
        }
        else
        {
            Terminal.Err($"SYNC sent to master, writing {payload} bytes to '{filename}'\n");
        }

        bool toStdout = filename == "-";
        Stream output;
        try
        {
            output = toStdout ? Terminal.OpenStdout() : new FileStream(filename, FileMode.OpenOrCreate, FileAccess.Write);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Terminal.Err($"Error opening '{filename}': {Describe(e)}\n");
            throw Terminal.Exit(1);
        }

        long total;
        try
        {
            total = Transfer(connection, payload, mark, chunk => output.Write(chunk), "I/O Error reading RDB payload from socket\n");
        }
        catch (IOException e) when (e is not CliIOException)
        {
            Terminal.Err($"Error writing data to file: {Describe(e)}\n");
            throw Terminal.Exit(1);
        }

        if (mark is not null)
        {
            total -= EofMarkSize;
            if (!toStdout)
            {
                output.SetLength(total);
            }

            Terminal.Err($"Transfer finished with success after {total} bytes\n");
        }
        else
        {
            if (!toStdout)
            {
                output.SetLength(total);
            }

            Terminal.Err("Transfer finished with success.\n");
        }

        // Close the connection first: the fsync may take a while.
        connection.Dispose();
        try
        {
            output.Flush();
            if (output is FileStream file)
            {
                file.Flush(flushToDisk: true);
            }

            output.Dispose();
        }
        catch (IOException e)
        {
            Terminal.Err($"Fail to fsync '{filename}': {Describe(e)}\n");
            throw Terminal.Exit(1);
        }

        throw Terminal.Exit(0);
    }

    // Reads a payload of known length, or until the 40-byte EOF mark; returns the bytes read
    // (including the mark). Every chunk read goes to the sink, mark included, as redis-cli does
    // before truncating the file.
    private static long Transfer(RespConnection connection, long payload, byte[]? mark, Action<ReadOnlySpan<byte>> sink, string readError)
    {
        var buffer = new byte[16 * 1024];
        var last = new byte[EofMarkSize];
        long remaining = mark is not null ? long.MaxValue : payload;
        long total = 0;
        while (remaining > 0)
        {
            int n;
            try
            {
                n = connection.ReadRaw(buffer.AsSpan(0, (int)Math.Min(buffer.Length, remaining)));
            }
            catch (CliIOException)
            {
                n = 0;
            }

            if (n <= 0)
            {
                Terminal.Err(readError);
                throw Terminal.Exit(1);
            }

            sink(buffer.AsSpan(0, n));
            remaining -= n;
            total += n;
            if (mark is not null)
            {
                if (n >= EofMarkSize)
                {
                    Array.Copy(buffer, n - EofMarkSize, last, 0, EofMarkSize);
                }
                else
                {
                    Array.Copy(last, n, last, 0, EofMarkSize - n);
                    Array.Copy(buffer, 0, last, EofMarkSize - n, n);
                }

                if (last.AsSpan().SequenceEqual(mark))
                {
                    break;
                }
            }
        }

        return total;
    }

    private static string Describe(Exception e) => e switch
    {
        UnauthorizedAccessException => "Permission denied",
        DirectoryNotFoundException or FileNotFoundException => "No such file or directory",
        _ => e.Message,
    };
}
