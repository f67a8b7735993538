using System.Diagnostics;
using System.Globalization;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>
/// The operator's routine, as the product's acceptance test: two hosts configured from Debian's
/// own /etc/redis/redis.conf (bind, port, daemonize yes, logfile, requirepass centos; the replica
/// also slaveof and masterauth), both started as daemons, checked with redis-cli (AUTH, INFO
/// replication, reading keys on the replica), the replica killed with -9 and started again, and
/// new keys written on the master afterwards. Every pairing of redis-server and Cinnabar runs it;
/// the redis-server pair proves the expectations are Redis's own. It runs on one machine with two
/// ports, and as two hosts: two network namespaces joined by a veth pair, each server on its own
/// address and the default port 6379, as the operator's two machines.
/// </summary>
public sealed class SeedScenarioTests : IDisposable
{
    private const string Password = "centos";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("cinnabar-seed-").FullName;
    private readonly List<int> _pids = [];
    private HostNamespaces? _namespaces;

    public void Dispose()
    {
        foreach (int pid in _pids)
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                p.Kill();
                p.WaitForExit(10_000);
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        _namespaces?.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A killed server may still be closing its files.
        }
    }

    /// <summary>How the two hosts reach each other.</summary>
    public enum Network
    {
        /// <summary>127.0.0.1, a free port each.</summary>
        Loopback,

        /// <summary>A network namespace each, joined by a veth pair; both on port 6379.</summary>
        Namespaces,
    }

    [Theory]
    [InlineData(ServerKind.Redis, ServerKind.Redis, Network.Loopback)]
    [InlineData(ServerKind.Cinnabar, ServerKind.Cinnabar, Network.Loopback)]
    [InlineData(ServerKind.Redis, ServerKind.Cinnabar, Network.Loopback)]
    [InlineData(ServerKind.Cinnabar, ServerKind.Redis, Network.Loopback)]
    [InlineData(ServerKind.Redis, ServerKind.Redis, Network.Namespaces)]
    [InlineData(ServerKind.Cinnabar, ServerKind.Cinnabar, Network.Namespaces)]
    [InlineData(ServerKind.Redis, ServerKind.Cinnabar, Network.Namespaces)]
    [InlineData(ServerKind.Cinnabar, ServerKind.Redis, Network.Namespaces)]
    public async Task ReplicaFollowsTheMasterSurvivesKillDashNineAndResyncsPartially(ServerKind masterKind, ServerKind replicaKind, Network network)
    {
        Host master, replica;
        if (network == Network.Namespaces)
        {
            _namespaces = await HostNamespaces.CreateAsync();
            master = new Host(this, "master", masterKind, 6379, _namespaces.MasterNamespace, _namespaces.MasterAddress);
            replica = new Host(this, "replica", replicaKind, 6379, _namespaces.ReplicaNamespace, _namespaces.ReplicaAddress);
        }
        else
        {
            master = new Host(this, "master", masterKind, ServerProcess.FreePort(), null, "127.0.0.1");
            replica = new Host(this, "replica", replicaKind, ServerProcess.FreePort(), null, "127.0.0.1");
        }

        string slaveof = $"slaveof {master.Address} {master.Port}\nmasterauth {Password}\n";
        await master.StartAsync(extra: "");
        await replica.StartAsync(extra: slaveof);

        // redis-cli -> AUTH -> INFO replication on the replica.
        await WaitUntilAsync(async () => (await replica.CliAsync("INFO", "replication")).Contains("master_link_status:up", StringComparison.Ordinal), "replica link up");
        var info = await replica.CliAsync("INFO", "replication");
        Assert.Contains("role:slave", info, StringComparison.Ordinal);
        Assert.Contains("master_host:" + master.Address, info, StringComparison.Ordinal);
        Assert.Contains($"master_port:{master.Port}", info, StringComparison.Ordinal);
        Assert.Contains("connected_slaves:1", await master.CliAsync("INFO", "replication"), StringComparison.Ordinal);

        // Keys written on the master read the same on the replica: plain, with TTLs, other dbs.
        for (int i = 0; i < 200; i++)
        {
            await master.CliAsync("SET", "key:" + i, "value-" + i);
        }

        await master.CliAsync("SET", "with-ttl", "soon", "EX", "100000");
        await master.CliAsync("INCR", "counter");
        await master.CliAsync("APPEND", "appended", "abc");
        await master.CliAsync("-n", "3", "SET", "in-db3", "three");
        await AssertSameDataAsync(master, replica);

        Assert.Contains($"Connecting to MASTER {master.Address}:{master.Port}", replica.Log, StringComparison.Ordinal);
        Assert.Contains("MASTER <-> REPLICA sync started", replica.Log, StringComparison.Ordinal);
        Assert.Contains("Master replied to PING, replication can continue...", replica.Log, StringComparison.Ordinal);
        Assert.Contains("Full resync from master:", replica.Log, StringComparison.Ordinal);
        Assert.Contains("MASTER <-> REPLICA sync: Finished with success", replica.Log, StringComparison.Ordinal);

        // kill -9 the replica; the master goes on taking writes; start the replica again.
        await replica.KillDashNineAsync();
        await WaitUntilAsync(async () => (await master.CliAsync("INFO", "replication")).Contains("connected_slaves:0", StringComparison.Ordinal), "master notices the lost replica");
        await master.CliAsync("SET", "while-down", "written");
        int logLengthBeforeRestart = replica.Log.Length;
        await replica.StartAsync(extra: slaveof);
        await WaitUntilAsync(async () => (await replica.CliAsync("INFO", "replication")).Contains("master_link_status:up", StringComparison.Ordinal), "replica link up after restart");
        await AssertSameDataAsync(master, replica);

        // The master's backlog still covers what the replica missed: a partial resync.
        string restartLog = replica.Log[logLengthBeforeRestart..];
        Assert.Contains("Successful partial resynchronization with master.", restartLog, StringComparison.Ordinal);
        Assert.Contains("sync_partial_ok:1", await master.CliAsync("INFO", "stats"), StringComparison.Ordinal);
        Assert.Contains("sync_full:1", await master.CliAsync("INFO", "stats"), StringComparison.Ordinal);

        // New keys on the master appear on the replica.
        await master.CliAsync("SET", "after-restart", "new");
        await WaitUntilAsync(async () => await replica.CliAsync("GET", "after-restart") == "new", "new key replicated");
    }

    private static async Task AssertSameDataAsync(Host master, Host replica)
    {
        await WaitUntilAsync(async () =>
        {
            var m = await master.CliAsync("INFO", "replication");
            var r = await replica.CliAsync("INFO", "replication");
            return Field(m, "master_repl_offset") == Field(r, "master_repl_offset");
        }, "replica offset catches up");
        foreach (var db in new[] { "0", "3" })
        {
            var keys = (await master.CliAsync("-n", db, "KEYS", "*")).Split('\n').Order(StringComparer.Ordinal).ToList();
            var replicaKeys = (await replica.CliAsync("-n", db, "KEYS", "*")).Split('\n').Order(StringComparer.Ordinal).ToList();
            Assert.Equal(keys, replicaKeys);
            foreach (var key in keys)
            {
                Assert.Equal(await master.CliAsync("-n", db, "GET", key), await replica.CliAsync("-n", db, "GET", key));
            }
        }

        var ttl = long.Parse(await replica.CliAsync("TTL", "with-ttl"), CultureInfo.InvariantCulture);
        Assert.InRange(ttl, 99_000, 100_000);
    }

    private static string? Field(string info, string name) =>
        info.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..];

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>One "host": a config derived from Debian's redis.conf, a daemon, its log.</summary>
    private sealed class Host(SeedScenarioTests owner, string name, ServerKind kind, int port, string? netns, string address)
    {
        private readonly string _dir = Path.Combine(owner._dir, name);

        public int Port => port;

        public string Address => address;

        public string LogFile => Path.Combine(_dir, name + ".log");

        public string Log => File.Exists(LogFile) ? File.ReadAllText(LogFile) : string.Empty;

        private string PidFile => Path.Combine(_dir, name + ".pid");

        public async Task StartAsync(string extra)
        {
            Directory.CreateDirectory(_dir);
            var lines = (await File.ReadAllLinesAsync("/etc/redis/redis.conf")).Select(l =>
                l.StartsWith("bind ", StringComparison.Ordinal) ? $"bind {address}" :
                l.StartsWith("port ", StringComparison.Ordinal) ? $"port {port}" :
                l.StartsWith("daemonize ", StringComparison.Ordinal) ? "daemonize yes" :
                l.StartsWith("pidfile ", StringComparison.Ordinal) ? $"pidfile {PidFile}" :
                l.StartsWith("logfile ", StringComparison.Ordinal) ? $"logfile {LogFile}" :
                l.StartsWith("dir ", StringComparison.Ordinal) ? $"dir {_dir}" : l);
            var conf = Path.Combine(_dir, "redis.conf");
            await File.WriteAllTextAsync(conf, string.Join('\n', lines) + $"\nrequirepass {Password}\n" + extra);
            string exe = kind == ServerKind.Redis ? "/usr/bin/redis-server" : Path.Combine(ServerProcess.RepoRoot, "cinnabar-server");
            using var p = Process.Start(new ProcessStartInfo(netns is null ? exe : "ip", netns is null ? [conf] : ["netns", "exec", netns, exe, conf])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            var stderr = p.StandardError.ReadToEndAsync();
            await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 0, $"{name} failed to start: {await stderr}\n{Log}");
            // The daemon creates the pid file, then writes it: wait for a whole number in it.
            int pid = 0;
            await WaitUntilAsync(async () => File.Exists(PidFile) && int.TryParse((await File.ReadAllTextAsync(PidFile)).Trim(), CultureInfo.InvariantCulture, out pid), $"{name} pid file");
            owner._pids.Add(pid);
            await WaitUntilAsync(async () => await CliAsync("PING") == "PONG", $"{name} answers PING");
        }

        public async Task KillDashNineAsync()
        {
            int pid = int.Parse((await File.ReadAllTextAsync(PidFile)).Trim(), CultureInfo.InvariantCulture);
            using var p = Process.GetProcessById(pid);
            p.Kill();
            await p.WaitForExitAsync();
            File.Delete(PidFile);
        }

        /// <summary>redis-cli -h ADDRESS -p PORT (run on the host), then AUTH centos, then the command; the output without its final newline.</summary>
        public async Task<string> CliAsync(params string[] args)
        {
            string[] cli = ["redis-cli", "-h", address, "-p", port.ToString(CultureInfo.InvariantCulture), "-a", Password, "--no-auth-warning", .. args];
            var psi = new ProcessStartInfo(netns is null ? cli[0] : "ip", netns is null ? cli[1..] : ["netns", "exec", netns, .. cli])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var p = Process.Start(psi)!;
            var output = await p.StandardOutput.ReadToEndAsync();
            await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            return output.TrimEnd('\n');
        }
    }
}
