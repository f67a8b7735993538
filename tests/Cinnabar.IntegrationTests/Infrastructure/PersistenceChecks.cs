using System.Diagnostics;

namespace Cinnabar.IntegrationTests.Infrastructure;

/// <summary>Waits and checks shared by the persistence tests (SAVE, BGSAVE).</summary>
internal static class PersistenceChecks
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Polls INFO persistence until it contains <paramref name="line"/>.</summary>
    public static async Task WaitForInfoAsync(RawConnection c, string line)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            var info = await c.CommandAsync("INFO", "persistence");
            if (info.Contains(line, StringComparison.Ordinal))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"'{line.Trim()}' not reached:\n{info}");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits for the server process to exit.</summary>
    public static async Task WaitForExitAsync(ServerProcess server)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!server.HasExited)
        {
            Assert.True(DateTime.UtcNow < deadline, "server did not exit");
            await Task.Delay(20);
        }
    }

    /// <summary>Runs Debian's redis-check-rdb on <paramref name="file"/>; optionally checks its key and expire counts.</summary>
    public static async Task AssertRedisCheckRdbAcceptsAsync(string file, string? keys = null, string? expires = null)
    {
        var check = Process.Start(new ProcessStartInfo("redis-check-rdb", file) { RedirectStandardOutput = true })!;
        var report = await check.StandardOutput.ReadToEndAsync();
        await check.WaitForExitAsync();
        Assert.True(check.ExitCode == 0, report);
        Assert.Contains("RDB looks OK!", report, StringComparison.Ordinal);
        if (keys is not null)
        {
            Assert.Contains("[info] " + keys, report, StringComparison.Ordinal);
        }

        if (expires is not null)
        {
            Assert.Contains("[info] " + expires, report, StringComparison.Ordinal);
        }
    }
}
