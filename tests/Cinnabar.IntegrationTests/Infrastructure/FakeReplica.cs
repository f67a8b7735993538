// A hand-driven replica over a raw socket: sends the handshake commands it is told to and reads
// exactly what the primary sends (lines, $EOF-framed or $len RDBs, stream bytes), so tests can
// assert the replication protocol byte for byte.
using System.Net.Sockets;
using System.Text;

namespace Cinnabar.IntegrationTests.Infrastructure;

/// <summary>A raw replica connection.</summary>
public sealed class FakeReplica : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly MemoryStream _pending = new();

    private FakeReplica(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<FakeReplica> ConnectAsync(int port)
    {
        var c = new TcpClient();
        await c.ConnectAsync("127.0.0.1", port);
        c.NoDelay = true;
        return new FakeReplica(c);
    }

    /// <summary>Sends a command as a RESP multibulk.</summary>
    public Task SendAsync(params string[] args) => SendRawAsync(RawConnection.Encode(args.Select(a => Encoding.Latin1.GetBytes(a)).ToArray()));

    /// <summary>Sends raw bytes.</summary>
    public async Task SendRawAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>Reads one line (without CRLF or LF), skipping nothing.</summary>
    public async Task<string> ReadLineAsync()
    {
        var sb = new StringBuilder();
        while (true)
        {
            byte b = (await ReadExactAsync(1))[0];
            if (b == '\n')
            {
                if (sb.Length > 0 && sb[^1] == '\r')
                {
                    sb.Length--;
                }

                return sb.ToString();
            }

            sb.Append((char)b);
        }
    }

    /// <summary>Reads the next non-empty line, skipping newline keepalives.</summary>
    public async Task<string> ReadLineSkippingKeepalivesAsync()
    {
        while (true)
        {
            var line = await ReadLineAsync();
            if (line.Length > 0)
            {
                return line;
            }
        }
    }

    /// <summary>Reads exactly <paramref name="n"/> bytes (30 s deadline).</summary>
    public async Task<byte[]> ReadExactAsync(int n)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buf = new byte[n];
        int got = 0;
        if (_pending.Length > 0)
        {
            var p = _pending.ToArray();
            int take = Math.Min(n, p.Length);
            Array.Copy(p, buf, take);
            got = take;
            _pending.SetLength(0);
            _pending.Write(p, take, p.Length - take);
        }

        while (got < n)
        {
            int r = await _stream.ReadAsync(buf.AsMemory(got), cts.Token);
            if (r == 0)
            {
                throw new IOException("connection closed");
            }

            got += r;
        }

        return buf;
    }

    /// <summary>Reads until the bytes end with <paramref name="mark"/>; returns everything read.</summary>
    public async Task<byte[]> ReadUntilEndsWithAsync(byte[] mark)
    {
        var all = new MemoryStream();
        while (all.Length < mark.Length || !all.GetBuffer().AsSpan((int)all.Length - mark.Length, mark.Length).SequenceEqual(mark))
        {
            all.Write(await ReadExactAsync(1));
        }

        return all.ToArray();
    }

    /// <summary>Reads a "$len\r\n" RDB (after skipping keepalives); returns the RDB bytes.</summary>
    public async Task<byte[]> ReadBulkRdbAsync()
    {
        var line = await ReadLineSkippingKeepalivesAsync();
        Assert.StartsWith("$", line, StringComparison.Ordinal);
        return await ReadExactAsync(int.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Reads an "$EOF:mark\r\n...mark" RDB; returns the RDB bytes without the mark.</summary>
    public async Task<byte[]> ReadEofRdbAsync()
    {
        var line = await ReadLineSkippingKeepalivesAsync();
        Assert.StartsWith("$EOF:", line, StringComparison.Ordinal);
        var mark = Encoding.ASCII.GetBytes(line[5..]);
        Assert.Equal(40, mark.Length);
        var all = await ReadUntilEndsWithAsync(mark);
        return all[..^40];
    }

    /// <summary>Reads exactly the given stream text.</summary>
    public async Task<string> ReadStreamAsync(int length) => Encoding.Latin1.GetString(await ReadExactAsync(length));

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
    }
}
