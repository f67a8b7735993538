// The keyspace and load tools: --scan, --bigkeys, --memkeys and --pipe print what redis-cli
// prints against the same server and data; --stat, --latency and subscribed mode are checked
// for their form (their figures change from one moment to the next).
using System.Globalization;
using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests.Cli;

public sealed class CliToolTests(DifferentialPair pair) : IClassFixture<DifferentialPair>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private ServerProcess Server(string name) => name == "redis" ? pair.Redis : pair.Cinnabar;

    private static string P(ServerProcess s) => s.Port.ToString(CultureInfo.InvariantCulture);

    private static async Task SeedAsync(ServerProcess server)
    {
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await c.CommandAsync("FLUSHALL");
        await c.CommandAsync("MSET", "user:1", "ann", "user:22", "bob", "order:1", "x", "weird key\n", "long value here");
        await c.CommandAsync("SET", "counter", "12345");
    }

    [Theory]
    [InlineData("cinnabar")]
    [InlineData("redis")]
    public async Task ScanBigkeysMemkeysAndPipePrintWhatRedisCliPrints(string server)
    {
        var s = Server(server);
        var pipeInput = Encoding.ASCII.GetBytes("SET p1 v\r\n*3\r\n$3\r\nSET\r\n$2\r\np2\r\n$1\r\nv\r\nINCR p1\r\nGET p2\r\n");
        var cases = new (string[] Args, byte[]? Stdin)[]
        {
            (["--scan"], null),
            (["--scan", "--pattern", "user:*"], null),
            (["--no-raw", "--scan"], null),
            (["--quoted-pattern", "\"weird*\"", "--scan"], null),
            (["--bigkeys"], null),
            (["--memkeys"], null),
            (["--pipe"], pipeInput),
        };
        var failures = new List<string>();
        foreach (var (args, stdin) in cases)
        {
            await SeedAsync(s);
            var theirs = await CliProcess.RunAsync(CliKind.Redis, ["-p", P(s), .. args], stdin);
            await SeedAsync(s);
            var ours = await CliProcess.RunAsync(CliKind.Cinnabar, ["-p", P(s), .. args], stdin);
            // SCAN's order depends on the server's incremental rehashing at that moment, so keyspace
            // tools are compared line by line regardless of order, without the "[pct%] Biggest ...
            // found so far" progress lines (which keys are the biggest so far depends on that order).
            bool ordered = args.Contains("--pipe");
            if (ours.ExitCode != theirs.ExitCode || Lines(ours.Out, ordered) != Lines(theirs.Out, ordered) || Lines(ours.Err, ordered) != Lines(theirs.Err, ordered))
            {
                failures.Add($"{string.Join(' ', args)}\n=== redis-cli: {theirs}\n=== cinnabar-cli: {ours}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static string Lines(string text, bool ordered) =>
        ordered ? text : string.Join('\n', text.Split('\n').Where(l => !l.StartsWith('[')).Order(StringComparer.Ordinal));

    [Fact]
    public async Task StatPrintsAHeaderAndALineOfFiguresPerInterval()
    {
        await SeedAsync(pair.Cinnabar);
        await using var cli = CliProcess.Start(CliKind.Cinnabar, ["-p", P(pair.Cinnabar), "--stat", "-i", "0.1"]);
        var deadline = DateTime.UtcNow + Deadline;
        while (cli.Out.Split('\n').Length < 5)
        {
            Assert.True(DateTime.UtcNow < deadline, cli.Out);
            await Task.Delay(20);
        }

        var lines = cli.Out.Split('\n');
        Assert.Equal("------- data ------ --------------------- load -------------------- - child -", lines[0]);
        Assert.Equal("keys       mem      clients blocked requests            connections          ", lines[1]);
        Assert.StartsWith("5          ", lines[2], StringComparison.Ordinal);
        Assert.Matches(@"^5 +[0-9.]+[BKMG] +\d+ +\d+ +\d+ \(\+0\) +\d+ *$", lines[2]);
    }

    [Fact]
    public async Task LatencyWithRawOutputPrintsOneSummaryAndExits()
    {
        var result = await CliProcess.RunAsync(CliKind.Cinnabar, ["-p", P(pair.Cinnabar), "--latency", "--raw", "-i", "0.2"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^\d+ \d+ \d+\.\d\d \d+\n$", result.Out);
        var csv = await CliProcess.RunAsync(CliKind.Cinnabar, ["-p", P(pair.Cinnabar), "--latency", "--csv", "-i", "0.2"]);
        Assert.Matches(@"^\d+,\d+,\d+\.\d\d,\d+\n$", csv.Out);
    }

    [Theory]
    [InlineData("--no-raw")]
    [InlineData("--raw")]
    [InlineData("-3")]
    public async Task SubscribedModePrintsMessagesAsRedisCliDoes(string mode)
    {
        // Pub/sub is redis-server's here: Cinnabar has no PUBLISH yet.
        var s = pair.Redis;
        await using var ours = CliProcess.Start(CliKind.Cinnabar, ["-p", P(s), mode, "SUBSCRIBE", "news", "alerts"]);
        await using var theirs = CliProcess.Start(CliKind.Redis, ["-p", P(s), mode, "SUBSCRIBE", "news", "alerts"]);
        await using var c = await RawConnection.ConnectAsync(s.Port);
        var deadline = DateTime.UtcNow + Deadline;
        while (!(await c.CommandAsync("PUBSUB", "NUMSUB", "alerts")).EndsWith(":2\r\n", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline);
            await Task.Delay(20);
        }

        await c.CommandAsync("PUBLISH", "news", "hello world");
        await c.CommandAsync("PUBLISH", "alerts", "fire");
        await ours.WaitForOutputAsync("fire", Deadline);
        await theirs.WaitForOutputAsync("fire", Deadline);
        Assert.Equal(theirs.Out, ours.Out);
    }
}
