// Where a replica's socket to its primary is watched, read from /proc: with the client event loop
// it must be in the loop's epoll set alone. A socket that the runtime's async sockets have served
// stays in the runtime's own epoll set until it is closed, and then every arrival wakes two
// threads (a primary's -P 16 throughput with such a replica fell 7-13%, bench/RESULTS.md).
using System.Globalization;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class ReplicaLinkSocketTests
{
    [Fact]
    public async Task WithTheEventLoopTheLinkIsWatchedByTheLoopAlone()
    {
        await using var primary = await ReplicationNode.StartAsync(ServerKind.Cinnabar);
        await using var replica = await ReplicationNode.StartAsync(ServerKind.Cinnabar, $"replicaof 127.0.0.1 {primary.Port}");
        await replica.WaitForLinkUpAsync();

        int pid = replica.Pid;
        var sockets = SocketInodes(pid);
        long linkInode = TcpInodes(e => e.RemotePort == primary.Port && e.State == Established).Single(sockets.ContainsKey);
        int linkFd = sockets[linkInode];

        // The event loop's set is the one that watches its wake-up eventfd.
        var eventFds = Descriptors(pid, "anon_inode:[eventfd]");
        var sets = EpollSets(pid);
        var loop = Assert.Single(sets, s => s.Value.Overlaps(eventFds));
        var watchingLink = sets.Where(s => s.Value.Contains(linkFd)).Select(s => s.Key).ToList();
        Assert.Equal([loop.Key], watchingLink);
    }

    private const string Established = "01";

    // The process's descriptors whose link reads target.
    private static HashSet<int> Descriptors(int pid, string target) =>
        [.. Directory.GetFiles($"/proc/{pid}/fd")
            .Where(path => new FileInfo(path).LinkTarget == target)
            .Select(path => int.Parse(Path.GetFileName(path), CultureInfo.InvariantCulture))];

    // socket inode -> descriptor of the process.
    private static Dictionary<long, int> SocketInodes(int pid)
    {
        var result = new Dictionary<long, int>();
        foreach (var path in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            string? target = new FileInfo(path).LinkTarget;
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
            {
                result[long.Parse(target[8..^1], CultureInfo.InvariantCulture)] = int.Parse(Path.GetFileName(path), CultureInfo.InvariantCulture);
            }
        }

        return result;
    }

    private readonly record struct TcpEntry(int LocalPort, int RemotePort, string State, long Inode);

    // Inodes of the TCP sockets (IPv4 and IPv6 tables) that match.
    private static IEnumerable<long> TcpInodes(Func<TcpEntry, bool> match)
    {
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var entry = new TcpEntry(Port(f[1]), Port(f[2]), f[3], long.Parse(f[9], CultureInfo.InvariantCulture));
                if (match(entry))
                {
                    yield return entry.Inode;
                }
            }
        }

        static int Port(string address) => int.Parse(address[(address.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    // epoll descriptor -> the descriptors it watches ("tfd:" lines of its fdinfo).
    private static Dictionary<int, HashSet<int>> EpollSets(int pid)
    {
        var result = new Dictionary<int, HashSet<int>>();
        foreach (int fd in Descriptors(pid, "anon_inode:[eventpoll]"))
        {
            result[fd] = [.. File.ReadLines($"/proc/{pid}/fdinfo/{fd}")
                .Where(l => l.StartsWith("tfd:", StringComparison.Ordinal))
                .Select(l => int.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture))];
        }

        return result;
    }
}
