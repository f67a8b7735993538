// A minimal RESP client that returns each reply's raw bytes, for byte-for-byte comparisons.
using System.Net.Sockets;
using System.Text;

namespace Cinnabar.IntegrationTests.Infrastructure;

/// <summary>A raw RESP connection.</summary>
public sealed class RawConnection : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RawConnection> ConnectAsync(int port)
    {
        var c = new TcpClient();
        await c.ConnectAsync("127.0.0.1", port).ConfigureAwait(false);
        c.NoDelay = true;
        return new RawConnection(c);
    }

    /// <summary>Encodes a command as a RESP multibulk.</summary>
    public static byte[] Encode(params byte[][] args)
    {
        var ms = new MemoryStream();
        ms.Write(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
        foreach (var a in args)
        {
            ms.Write(Encoding.ASCII.GetBytes($"${a.Length}\r\n"));
            ms.Write(a);
            ms.Write("\r\n"u8);
        }

        return ms.ToArray();
    }

    /// <summary>Sends a command and returns its reply (Latin-1 so any byte round-trips).</summary>
    public Task<string> CommandAsync(params string[] args) => CommandAsync(args.Select(a => Encoding.Latin1.GetBytes(a)).ToArray());

    /// <summary>Sends a command with binary arguments and returns its reply.</summary>
    public async Task<string> CommandAsync(params byte[][] args)
    {
        await SendRawAsync(Encode(args)).ConfigureAwait(false);
        return await ReadReplyAsync().ConfigureAwait(false);
    }

    /// <summary>Writes raw bytes.</summary>
    public async Task SendRawAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes).ConfigureAwait(false);
    }

    /// <summary>Reads exactly one reply (any RESP2/RESP3 type) and returns its raw text.</summary>
    public async Task<string> ReadReplyAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var sb = new StringBuilder();
        await ReadValueAsync(sb, cts.Token).ConfigureAwait(false);
        return sb.ToString();
    }

    /// <summary>Reads until the peer closes; returns what arrived.</summary>
    public async Task<string> ReadToEndAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var sb = new StringBuilder(Encoding.Latin1.GetString(_buffer, _start, _end - _start));
        _start = _end = 0;
        var tmp = new byte[4096];
        while (true)
        {
            int n = await _stream.ReadAsync(tmp, cts.Token).ConfigureAwait(false);
            if (n == 0)
            {
                return sb.ToString();
            }

            sb.Append(Encoding.Latin1.GetString(tmp, 0, n));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
    }

    private async Task ReadValueAsync(StringBuilder sb, CancellationToken ct)
    {
        var line = await ReadLineAsync(ct).ConfigureAwait(false);
        sb.Append(line).Append("\r\n");
        char type = line[0];
        switch (type)
        {
            case '$' or '=' or '!':
                {
                    long len = long.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
                    if (len >= 0)
                    {
                        sb.Append(await ReadExactAsync((int)len + 2, ct).ConfigureAwait(false));
                    }

                    break;
                }

            case '*' or '~' or '>' or '%' or '|':
                {
                    long n = long.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
                    if (type is '%' or '|')
                    {
                        n *= 2;
                    }

                    for (long i = 0; i < n; i++)
                    {
                        await ReadValueAsync(sb, ct).ConfigureAwait(false);
                    }

                    if (type == '|')
                    {
                        await ReadValueAsync(sb, ct).ConfigureAwait(false);
                    }

                    break;
                }
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            int idx = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (idx >= 0)
            {
                var line = Encoding.Latin1.GetString(_buffer, _start, idx - _start - 1);
                _start = idx + 1;
                return line;
            }

            await FillAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task<string> ReadExactAsync(int n, CancellationToken ct)
    {
        var sb = new StringBuilder();
        while (n > 0)
        {
            if (_start == _end)
            {
                await FillAsync(ct).ConfigureAwait(false);
            }

            int take = Math.Min(n, _end - _start);
            sb.Append(Encoding.Latin1.GetString(_buffer, _start, take));
            _start += take;
            n -= take;
        }

        return sb.ToString();
    }

    private async Task FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        int n = await _stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
        if (n == 0)
        {
            throw new IOException("connection closed");
        }

        _end += n;
    }
}
