// Helpers for replication tests: INFO fields, polling with a deadline (never a fixed sleep), and
// starting a real redis-server 7.0.15 as a replica of a given port in a directory that survives
// a restart (the replica keeps the RDB it received, as in the user's kill -9 experiment).
using System.Diagnostics;
using System.Globalization;

namespace Cinnabar.IntegrationTests.Infrastructure;

/// <summary>Replication test helpers.</summary>
public static class Replication
{
    /// <summary>The default deadline for replication to converge.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>One field of INFO (section optional), or null.</summary>
    public static async Task<string?> InfoFieldAsync(int port, string field, string section = "replication")
    {
        await using var c = await RawConnection.ConnectAsync(port);
        return await InfoFieldAsync(c, field, section);
    }

    /// <summary>One field of INFO through an open connection, or null.</summary>
    public static async Task<string?> InfoFieldAsync(RawConnection c, string field, string section = "replication")
    {
        var info = await c.CommandAsync("INFO", section);
        foreach (var line in info.Split("\r\n"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return line[(field.Length + 1)..];
            }
        }

        return null;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> at the deadline.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Deadline);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for: {what}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits until a replica reports master_link_status:up.</summary>
    public static Task WaitForLinkUpAsync(int replicaPort) =>
        WaitUntilAsync(async () => await InfoFieldAsync(replicaPort, "master_link_status") == "up", $"replica on {replicaPort} linked");

    /// <summary>Waits until both report the same master_repl_offset, and returns it.</summary>
    public static async Task<long> WaitForSameOffsetAsync(int primaryPort, int replicaPort)
    {
        long offset = -1;
        await WaitUntilAsync(
            async () =>
            {
                var p = await InfoFieldAsync(primaryPort, "master_repl_offset");
                var r = await InfoFieldAsync(replicaPort, "master_repl_offset");
                offset = long.Parse(p!, CultureInfo.InvariantCulture);
                return p == r && await InfoFieldAsync(replicaPort, "master_link_status") == "up";
            },
            "equal master_repl_offset");
        return offset;
    }

    /// <summary>DEBUG DIGEST of a server.</summary>
    public static async Task<string> DigestAsync(int port)
    {
        await using var c = await RawConnection.ConnectAsync(port);
        return await c.CommandAsync("DEBUG", "DIGEST");
    }

    /// <summary>Waits until both servers have the same DEBUG DIGEST (and it is not the empty one unless allowed).</summary>
    public static Task WaitForSameDigestAsync(int primaryPort, int replicaPort) =>
        WaitUntilAsync(async () => await DigestAsync(primaryPort) == await DigestAsync(replicaPort), "equal DEBUG DIGEST");

    /// <summary>Options for a real redis-server replica of <paramref name="primaryPort"/> keeping its files in <paramref name="dir"/>.</summary>
    public static ServerOptions RedisReplicaOf(int primaryPort, string dir)
    {
        return ServerOptions.Redis()
            .With("dir", dir)
            .With("enable-debug-command", "yes")
            .With("replicaof", "127.0.0.1", primaryPort.ToString(CultureInfo.InvariantCulture));
    }

    // Directories that outlive one server (a restart keeps its RDB) go under one root that is
    // removed when the test process exits.
    private static readonly Lazy<string> Root = new(() =>
    {
        var root = Directory.CreateTempSubdirectory("cinnabar-repl-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        };
        return root;
    });

    /// <summary>A fresh directory for a server that must survive a restart.</summary>
    public static string NewDir() => Directory.CreateDirectory(Path.Combine(Root.Value, Guid.NewGuid().ToString("N"))).FullName;

    /// <summary>Sends SIGKILL to a process (by PID) and waits for it to go.</summary>
    public static async Task KillAsync(ServerProcess server)
    {
        Process.Start("kill", ["-KILL", server.Pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        await WaitUntilAsync(() => Task.FromResult(server.HasExited), "process gone");
    }
}
