using System.Text;

namespace Cinnabar.IntegrationTests.Infrastructure;

/// <summary>
/// Collects every reply a multi-connection scenario reads, in order, so the same scenario run
/// against redis-server and Cinnabar can be compared as one string (the blocking tests).
/// </summary>
internal sealed class Transcript
{
    public StringBuilder Text { get; } = new();

    /// <summary>Runs <paramref name="scenario"/> with three fresh connections on each server of the pair and asserts the transcripts are equal.</summary>
    public static async Task AssertSameAsync(DifferentialPair pair, Func<Transcript, RawConnection, RawConnection, RawConnection, Task> scenario)
    {
        var transcripts = new List<string>();
        foreach (var server in new[] { pair.Redis, pair.Cinnabar })
        {
            await using var a = await RawConnection.ConnectAsync(server.Port);
            await using var b = await RawConnection.ConnectAsync(server.Port);
            await using var c = await RawConnection.ConnectAsync(server.Port);
            await c.CommandAsync("FLUSHALL");
            var t = new Transcript();
            await scenario(t, a, b, c);
            transcripts.Add(t.Text.ToString());
        }

        Assert.True(transcripts[0] == transcripts[1], $"redis:\n{DifferentialPair.Escape(transcripts[0])}\ncinnabar:\n{DifferentialPair.Escape(transcripts[1])}");
    }

    /// <summary>Polls INFO clients until <paramref name="n"/> clients are blocked.</summary>
    public static async Task WaitBlockedAsync(RawConnection c, int n)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var info = await c.CommandAsync("INFO", "clients");
            if (info.Contains("blocked_clients:" + n + "\r\n", StringComparison.Ordinal))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "clients did not block: " + info);
            await Task.Delay(10);
        }
    }

    public Task SendAsync(RawConnection c, params string[] args)
    {
        Text.Append("sent ").Append(string.Join(' ', args)).Append('|');
        return c.SendRawAsync(RawConnection.Encode(args.Select(a => Encoding.Latin1.GetBytes(a)).ToArray()));
    }

    public async Task ReadAsync(RawConnection c) => Text.Append(await c.ReadReplyAsync()).Append('|');

    // The client id differs between the servers, so it stays out of the transcript.
    public async Task UnblockAsync(RawConnection c, string id, params string[] reason) =>
        Text.Append("CLIENT UNBLOCK ").Append(string.Join(' ', reason)).Append(" -> ").Append(await c.CommandAsync(["CLIENT", "UNBLOCK", id, .. reason])).Append('|');

    public async Task CommandAsync(RawConnection c, params string[] args) => Text.Append(string.Join(' ', args)).Append(" -> ").Append(await c.CommandAsync(args)).Append('|');
}
