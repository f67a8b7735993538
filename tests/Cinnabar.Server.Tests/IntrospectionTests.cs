using System.Text.RegularExpressions;

using Cinnabar.Protocol;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

public class IntrospectionTests
{
    private static List<string> Keys(string info) =>
        [.. info.Split("\r\n").Where(l => l.Contains(':', StringComparison.Ordinal) && !l.StartsWith('$')).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)])];

    private static List<string> Headers(string info) =>
        [.. info.Split("\r\n").Where(l => l.StartsWith("# ", StringComparison.Ordinal))];

    [Fact]
    public void InfoWithoutArgumentsPrintsTheDefaultSectionsInRedisOrder()
    {
        var h = new ServerHarness();
        Assert.Equal(
            ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU", "# Modules", "# Errorstats", "# Cluster", "# Keyspace"],
            Headers(h.Run("INFO")));
    }

    [Fact]
    public void InfoAllAddsCommandstatsAndLatencystats()
    {
        var h = new ServerHarness();
        var headers = Headers(h.Run("INFO", "all"));
        Assert.Contains("# Commandstats", headers);
        Assert.Contains("# Latencystats", headers);
        Assert.Equal(13, headers.Count);
    }

    [Fact]
    public void InfoSectionNamesAreCaseInsensitiveAndNotRepeated()
    {
        var h = new ServerHarness();
        var info = h.Run("INFO", "cPu", "CPU", "default");
        Assert.Single(Regex.Matches(info, "used_cpu_user_children"));
        Assert.Contains("master_repl_offset:0", info, StringComparison.Ordinal);
        Assert.DoesNotContain("rejected_calls", info, StringComparison.Ordinal);
    }

    [Fact]
    public void InfoServerStartsWithTheRedisAndCinnabarVersions()
    {
        var h = new ServerHarness();
        var keys = Keys(h.Run("INFO", "server"));
        Assert.Equal(["redis_version", "cinnabar_version", "redis_git_sha1"], keys.Take(3));
        Assert.Contains("redis_version:7.0.15\r\n", h.Run("INFO", "server"), StringComparison.Ordinal);
    }

    [Fact]
    public void InfoMemoryEndsWithTheCollectorsCounts()
    {
        var h = new ServerHarness();
        long Field(string name) => long.Parse(Regex.Match(h.Run("INFO", "memory"), name + ":([0-9]+)\r\n").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(["gc_gen0_collections", "gc_gen1_collections", "gc_gen2_collections", "gc_pause_total_usec"], Keys(h.Run("INFO", "memory")).TakeLast(4));
        long gen2 = Field("gc_gen2_collections");
        long pause = Field("gc_pause_total_usec");
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        Assert.True(Field("gc_gen2_collections") > gen2);
        Assert.True(Field("gc_gen0_collections") >= Field("gc_gen1_collections"));
        Assert.True(Field("gc_pause_total_usec") > pause);
    }

    [Theory]
    [InlineData("replication")]
    [InlineData("memory")]
    [InlineData("stats")]
    [InlineData("clients")]
    [InlineData("cpu")]
    public void InfoSectionsPolledByMonitoringAllocateLittle(string section)
    {
        // Exporters and benchmarks poll INFO many times a second; what each call allocates
        // is what makes the collector pause the command thread. The reply buffer is reused.
        var h = new ServerHarness();
        var args = CommandArgs.FromStrings(["INFO", section]);
        void Run()
        {
            h.Client.Output.Clear();
            lock (h.Server.Gate)
            {
                h.Server.Dispatcher.Process(h.Client, args);
            }
        }

        // Measured in batches until the JIT's optimized code runs (its first, unoptimized
        // code boxes values that the optimized code formats in place), with a deadline: the
        // lowest batch average is what a poll costs in a server that has been up a while.
        const int Calls = 200;
        long allocated = long.MaxValue;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (allocated >= 512 && DateTime.UtcNow < deadline)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Calls; i++)
            {
                Run();
            }

            allocated = Math.Min(allocated, (GC.GetAllocatedBytesForCurrentThread() - before) / Calls);
        }

        Assert.True(allocated < 512, $"INFO {section} allocated {allocated} bytes per call");
    }

    [Fact]
    public void InfoCpuCountsTheProcessAndTheCommandThreadSeparately()
    {
        // getrusage as Redis: RUSAGE_SELF for the process, RUSAGE_THREAD for the thread that
        // runs commands (here the test's thread), "%ld.%06ld" seconds.
        var h = new ServerHarness();
        static double Field(string info, string name)
        {
            var m = Regex.Match(info, name + ":([0-9]+\\.[0-9]{6})\r\n");
            Assert.True(m.Success, name);
            return double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        string first = h.Run("INFO", "cpu");
        Assert.True(Field(first, "used_cpu_user_main_thread") <= Field(first, "used_cpu_user"));
        Assert.True(Field(first, "used_cpu_sys_main_thread") <= Field(first, "used_cpu_sys"));

        // Work on this thread shows in its own figure.
        double before = Field(first, "used_cpu_user_main_thread") + Field(first, "used_cpu_sys_main_thread");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        double after = before;
        long sink = 0;
        while (after <= before && DateTime.UtcNow < deadline)
        {
            for (int i = 0; i < 1_000_000; i++)
            {
                sink += i ^ (sink >> 3);
            }

            string info = h.Run("INFO", "cpu");
            after = Field(info, "used_cpu_user_main_thread") + Field(info, "used_cpu_sys_main_thread");
        }

        Assert.True(after > before, $"main thread CPU stayed at {before} ({sink})");
    }

    [Fact]
    public void InfoKeyspaceCountsKeysPerDatabase()
    {
        var h = new ServerHarness();
        h.Run("SET", "a", "1");
        h.Run("SET", "b", "2");
        Assert.Contains("db0:keys=2,expires=0,avg_ttl=0\r\n", h.Run("INFO", "keyspace"), StringComparison.Ordinal);
    }

    [Fact]
    public void InfoPersistenceReportsChangesSinceLastSave()
    {
        var h = new ServerHarness();
        h.Run("SET", "a", "1");
        h.Run("SET", "a", "2");
        Assert.Contains("rdb_changes_since_last_save:2\r\n", h.Run("INFO", "persistence"), StringComparison.Ordinal);
    }

    [Fact]
    public void InfoCommandstatsAndErrorstatsCountCallsAndErrors()
    {
        var h = new ServerHarness();
        h.Run("GET", "x");
        h.Run("GET");
        h.Run("nosuch");
        var info = h.Run("INFO", "commandstats", "errorstats");
        Assert.Matches(@"cmdstat_get:calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0\r\n", info);
        Assert.Contains("errorstat_ERR:count=2\r\n", info, StringComparison.Ordinal);
    }

    [Fact]
    public void InfoInResp3IsAVerbatimString()
    {
        var h = new ServerHarness();
        h.Client.Protocol = 3;
        Assert.StartsWith("=", h.Run("INFO", "cluster"), StringComparison.Ordinal);
        Assert.EndsWith("txt:# Cluster\r\ncluster_enabled:0\r\n\r\n", h.Run("INFO", "cluster"), StringComparison.Ordinal);
    }

    [Fact]
    public void BytesToHumanMatchesRedis()
    {
        static string Human(long n)
        {
            var sb = new System.Text.StringBuilder();
            Diagnostics.InfoText.HumanLine(sb, "x", n);
            return sb.ToString();
        }

        Assert.Equal("x:1023B\r\n", Human(1023));
        Assert.Equal("x:1.00K\r\n", Human(1024));
        Assert.Equal("x:943.15K\r\n", Human(965784));
        Assert.Equal("x:23.54G\r\n", Human(25276514304));
    }

    [Fact]
    public void CommandInfoForGetHasTenFields()
    {
        var h = new ServerHarness();
        var reply = h.Run("COMMAND", "INFO", "get");
        Assert.StartsWith("*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n", reply, StringComparison.Ordinal);
        Assert.EndsWith("*0\r\n", reply, StringComparison.Ordinal);
    }

    [Fact]
    public void CommandInfoOfAnUnknownCommandIsNull()
    {
        var h = new ServerHarness();
        Assert.Equal("*2\r\n$-1\r\n$-1\r\n", h.Run("COMMAND", "INFO", "nosuch", "config|nosuch"));
    }

    [Fact]
    public void CommandCountMatchesTheTable()
    {
        var h = new ServerHarness();
        Assert.Equal($":{h.Server.Commands.Count}\r\n", h.Run("COMMAND", "COUNT"));
    }

    [Fact]
    public void CommandListIncludesSubcommandsAndFilters()
    {
        var h = new ServerHarness();
        var all = h.Run("COMMAND", "LIST");
        Assert.Contains("$11\r\nslowlog|get\r\n", all, StringComparison.Ordinal);
        Assert.Equal("*1\r\n$11\r\nslowlog|get\r\n", h.Run("COMMAND", "LIST", "FILTERBY", "PATTERN", "SLOWLOG|G*"));
        Assert.Equal("*0\r\n", h.Run("COMMAND", "LIST", "FILTERBY", "MODULE", "x"));
        Assert.Equal("-ERR syntax error\r\n", h.Run("COMMAND", "LIST", "FILTERBY", "x"));
        Assert.DoesNotContain("$3\r\nget\r\n", h.Run("COMMAND", "LIST", "FILTERBY", "ACLCAT", "admin"), StringComparison.Ordinal);
    }

    [Fact]
    public void CommandGetKeysFindsKeysAndExplainsWhyNot()
    {
        var h = new ServerHarness();
        Assert.Equal("*2\r\n$1\r\na\r\n$1\r\nb\r\n", h.Run("COMMAND", "GETKEYS", "del", "a", "b"));
        Assert.Equal("*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n", h.Run("COMMAND", "GETKEYSANDFLAGS", "get", "k"));
        Assert.Equal("-ERR Invalid command specified\r\n", h.Run("COMMAND", "GETKEYS", "nosuch", "a"));
        Assert.Equal("-ERR The command has no key arguments\r\n", h.Run("COMMAND", "GETKEYS", "ping", "a"));
        Assert.Equal("-ERR Invalid number of arguments specified for command\r\n", h.Run("COMMAND", "GETKEYS", "get", "a", "b"));
    }

    [Fact]
    public void CommandDocsIsAMapOfNameToDocs()
    {
        var h = new ServerHarness();
        Assert.Equal(
            "*2\r\n$4\r\ntime\r\n*8\r\n$7\r\nsummary\r\n$30\r\nReturn the current server time\r\n$5\r\nsince\r\n$5\r\n2.6.0\r\n$5\r\ngroup\r\n$6\r\nserver\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n",
            h.Run("COMMAND", "DOCS", "time", "nosuch"));
    }

    [Fact]
    public void CommandHelpStartsWithRedisHeader()
    {
        var h = new ServerHarness();
        Assert.StartsWith("*21\r\n+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+(no subcommand)\r\n", h.Run("COMMAND", "HELP"), StringComparison.Ordinal);
    }

    [Fact]
    public void SlowlogRecordsEverythingWhenThresholdIsZero()
    {
        var h = new ServerHarness(c => c.SlowlogLogSlowerThan = 0);
        h.Run("SET", "k", "v");
        Assert.Equal(":1\r\n", h.Run("SLOWLOG", "LEN"));
        Assert.Matches(@"^\*1\r\n\*6\r\n:1\r\n:\d+\r\n:\d+\r\n\*2\r\n\$7\r\nSLOWLOG\r\n\$3\r\nLEN\r\n\$3\r\n\?:0\r\n\$0\r\n\r\n$", h.Run("SLOWLOG", "GET", "1"));
        Assert.Equal("+OK\r\n", h.Run("SLOWLOG", "RESET"));
        Assert.Equal("-ERR count should be greater than or equal to -1\r\n", h.Run("SLOWLOG", "GET", "-2"));
    }

    [Fact]
    public void SlowlogRedactsSecrets()
    {
        var h = new ServerHarness(c => c.SlowlogLogSlowerThan = 0);
        h.Run("AUTH", "secret");
        Assert.Contains("$10\r\n(redacted)\r\n", h.Run("SLOWLOG", "GET", "1"), StringComparison.Ordinal);
        Assert.DoesNotContain("secret", h.Run("SLOWLOG", "GET", "-1"), StringComparison.Ordinal);
    }

    [Fact]
    public void SlowlogWrongArityNamesTheSubcommand()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR wrong number of arguments for 'slowlog|len' command\r\n", h.Run("SLOWLOG", "LEN", "x"));
        Assert.Equal("-ERR unknown subcommand 'nope'. Try SLOWLOG HELP.\r\n", h.Run("SLOWLOG", "nope"));
    }

    [Fact]
    public void LatencyMonitorRecordsSlowCommandsAboveTheThreshold()
    {
        // A threshold no real command reaches on a loaded machine: only the samples added here count.
        var h = new ServerHarness(c => c.LatencyMonitorThreshold = 100_000);
        h.Server.Latency.AddSample("command", 250, h.Time.NowMs / 1000);
        h.Server.Latency.AddSample("command", 300, h.Time.NowMs / 1000);
        long now = h.Time.NowMs / 1000;
        Assert.Equal($"*1\r\n*4\r\n$7\r\ncommand\r\n:{now}\r\n:300\r\n:300\r\n", h.Run("LATENCY", "LATEST"));
        Assert.Equal($"*1\r\n*2\r\n:{now}\r\n:300\r\n", h.Run("LATENCY", "HISTORY", "command"));
        Assert.Equal("*0\r\n", h.Run("LATENCY", "HISTORY", "nosuch"));
        Assert.Equal(":1\r\n", h.Run("LATENCY", "RESET"));
        Assert.Equal("*0\r\n", h.Run("LATENCY", "LATEST"));
    }

    [Fact]
    public void LatencyHistogramReportsCallsPerCommand()
    {
        var h = new ServerHarness();
        h.Run("SET", "a", "b");
        h.Run("SET", "a", "c");
        Assert.StartsWith("*2\r\n$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n", h.Run("LATENCY", "HISTOGRAM", "set", "nosuch"), StringComparison.Ordinal);
    }

    [Fact]
    public void LatencyDoctorSaysMonitoringIsDisabledByDefault()
    {
        var h = new ServerHarness();
        Assert.Contains("I'm sorry, Dave, I can't do that.", h.Run("LATENCY", "DOCTOR"), StringComparison.Ordinal);
    }

    [Fact]
    public void MonitorRepliesOkAndReceivesLaterCommandsWithRedactedAuth()
    {
        var h = new ServerHarness();
        var monitor = h.NewClient();
        monitor.Address = "127.0.0.1:5000";
        Assert.Equal("+OK\r\n", h.Run(monitor, "MONITOR"));
        h.Client.Address = "127.0.0.1:6000";
        h.Client.Output.Clear();
        lock (h.Server.Gate)
        {
            h.Server.Dispatcher.Process(h.Client, Protocol.CommandArgs.FromStrings("SELECT", "2"));
            h.Server.Dispatcher.Process(h.Client, Protocol.CommandArgs.FromStrings("AUTH", "pw"));
            h.Server.Dispatcher.Process(h.Client, Protocol.CommandArgs.FromStrings("SET", "k", "a\"\n\x01"));
        }

        var lines = monitor.Output.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^\+\d+\.\d{6} \[2 127\.0\.0\.1:6000\] ""SELECT"" ""2""$", lines[0]);
        Assert.EndsWith(@"""AUTH"" ""(redacted)""", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(@"""SET"" ""k"" ""a\""\n\x01""", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void AdminCommandsAreNotShownToMonitors()
    {
        var h = new ServerHarness();
        var monitor = h.NewClient();
        h.Run(monitor, "MONITOR");
        h.Run("SLOWLOG", "RESET");
        h.Run("INFO");
        Assert.DoesNotContain("slowlog", monitor.Output.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"INFO\"", monitor.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ResetCommandStatisticsClearsCommandstatsAndHistograms()
    {
        var h = new ServerHarness();
        h.Run("SET", "a", "b");
        h.Run("SLOWLOG", "LEN", "extra");
        h.Server.Metrics.ResetCommandStatistics(h.Server.Commands);
        Assert.Equal("*0\r\n", h.Run("LATENCY", "HISTOGRAM", "set", "slowlog"));
        Assert.DoesNotContain("cmdstat_set", h.Run("INFO", "commandstats"), StringComparison.Ordinal);
        Assert.DoesNotContain("cmdstat_slowlog|len", h.Run("INFO", "commandstats"), StringComparison.Ordinal);
    }

    [Fact]
    public void LatencystatsFollowTheConfiguredPercentiles()
    {
        var h = new ServerHarness();
        h.Run("SET", "a", "b");
        Assert.Matches(@"latency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r\n", h.Run("INFO", "latencystats"));
        Assert.StartsWith("+OK", h.Run("CONFIG", "SET", "latency-tracking-info-percentiles", "0 50 100"), StringComparison.Ordinal);
        Assert.Matches(@"latency_percentiles_usec_set:p0=\d+\.\d{3},p50=\d+\.\d{3},p100=\d+\.\d{3}\r\n", h.Run("INFO", "latencystats"));
        Assert.StartsWith("+OK", h.Run("CONFIG", "SET", "latency-tracking", "no"), StringComparison.Ordinal);
        Assert.EndsWith("# Latencystats\r\n\r\n", h.Run("INFO", "latencystats"), StringComparison.Ordinal);
    }

    [Fact]
    public void RoleOfAPrimaryHasNoReplicas()
    {
        var h = new ServerHarness();
        Assert.Equal("*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n", h.Run("ROLE"));
    }

    [Fact]
    public void LastsaveIsTheStartTimeBeforeAnySave()
    {
        var h = new ServerHarness();
        Assert.Equal($":{h.Server.StartTimeMs / 1000}\r\n", h.Run("LASTSAVE"));
    }

    [Fact]
    public void ShutdownValidatesItsOptionsThenRequestsTheStop()
    {
        var h = new ServerHarness();
        Assert.Equal("-ERR syntax error\r\n", h.Run("SHUTDOWN", "SAVE", "NOSAVE"));
        Assert.Equal("-ERR syntax error\r\n", h.Run("SHUTDOWN", "ABORT", "NOW"));
        Assert.Equal("-ERR syntax error\r\n", h.Run("SHUTDOWN", "LATER"));
        Assert.Equal("-ERR No shutdown in progress.\r\n", h.Run("SHUTDOWN", "ABORT"));
        Assert.False(h.Server.ShutdownRequested.IsCancellationRequested);
        Assert.Equal(string.Empty, h.Run("SHUTDOWN", "NOSAVE", "NOW", "FORCE"));
        Assert.True(h.Server.ShutdownRequested.IsCancellationRequested);
    }

    [Fact]
    public void ShutdownIsRefusedInsideMulti()
    {
        var h = new ServerHarness();
        h.Run("MULTI");
        Assert.Equal("-ERR Command not allowed inside a transaction\r\n", h.Run("SHUTDOWN"));
    }

    [Fact]
    public void TimeReturnsSecondsAndMicroseconds()
    {
        var h = new ServerHarness();
        long s = h.Time.NowMs / 1000;
        Assert.Equal($"*2\r\n${s.ToString(System.Globalization.CultureInfo.InvariantCulture).Length}\r\n{s}\r\n$1\r\n0\r\n", h.Run("TIME"));
    }

    [Fact]
    public void TheIdleTimeoutClosesOrdinaryClientsButNeverMonitors()
    {
        var h = new ServerHarness();
        var monitor = h.NewClient();
        var idle = h.NewClient();
        h.Run(monitor, "MONITOR");
        h.Run("CONFIG", "SET", "timeout", "1");
        h.Time.Advance(TimeSpan.FromSeconds(3));
        lock (h.Server.Gate)
        {
            new Execution.ServerCron(h.Server).Tick();
        }

        Assert.True(idle.Killed);
        Assert.False(monitor.Killed);
    }
}
