// cinnabar-cli against Debian's redis-cli 7.0.15, byte for byte: both clients run the same
// command line against the same server (a Cinnabar server and a real redis-server), after the
// same setup, and must print the same stdout and stderr and exit with the same code, in every
// output mode (raw as in a pipe, --no-raw, --csv) and in RESP2 and RESP3.
using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests.Cli;

public sealed class CliDifferentialTests(DifferentialPair pair) : IClassFixture<DifferentialPair>
{
    private static readonly string[][] ModeOptions =
    [
        [],
        ["--no-raw"],
        ["--csv"],
        ["-3"],
        ["-3", "--no-raw"],
        ["-3", "--csv"],
    ];

    // (setup commands, the command line) - every reply shape: status, error, integer, bulk with
    // bytes to escape, nil, empty and nested arrays with 1-3 digit indexes, RESP3 maps, sets,
    // doubles, booleans and verbatim strings (DEBUG PROTOCOL).
    private static readonly (string[][] Setup, string[] Command)[] Corpus =
    [
        ([], ["SET", "k", "v"]),
        ([["SET", "k", "hello"]], ["GET", "k"]),
        ([], ["GET", "missing"]),
        ([["SET", "n", "41"]], ["INCR", "n"]),
        ([["SET", "bin", "a\u0001\tb\"c\\d\n\r\u00ff"]], ["GET", "bin"]),
        ([], ["FOO", "bar"]),
        ([], ["GET"]),
        ([["SET", "k", "v"]], ["INCR", "k"]),
        ([["MSET", "a", "1", "b", "2", "c", "3"]], ["MGET", "a", "b", "missing", "c"]),
        ([[.. Enumerable.Range(0, 12).SelectMany(i => new[] { "k" + i, "v" + i }).Prepend("MSET")]], [.. Enumerable.Range(0, 12).Select(i => "k" + i).Prepend("MGET")]),
        ([[.. Enumerable.Range(0, 105).SelectMany(i => new[] { "k" + i, "v" + i }).Prepend("MSET")]], [.. Enumerable.Range(0, 105).Select(i => "k" + i).Prepend("MGET")]),
        ([], ["KEYS", "nomatch*"]),
        ([], ["CONFIG", "GET", "maxmemory*"]),
        ([["SET", "k", "v"]], ["SCAN", "0"]),
        ([], ["COMMAND", "INFO", "get", "set"]),
        ([], ["COMMAND", "DOCS", "get"]),
        ([["SET", "a", "ohmytext"], ["SET", "b", "mynewtext"]], ["LCS", "a", "b", "IDX", "MINMATCHLEN", "2", "WITHMATCHLEN"]),
        ([], ["ECHO", ""]),
        ([], ["EXEC"]),
        ([["SET", "k", "v"]], ["INFO", "keyspace"]),
        ([["SET", "k", "v"]], ["TYPE", "k"]),
        ([["SET", "k", "12345"]], ["OBJECT", "ENCODING", "k"]),
        ([["SET", "f", "1.5"]], ["INCRBYFLOAT", "f", "0.25"]),
        ([], ["PING"]),
        ([], ["DEBUG", "PROTOCOL", "map"]),
        ([], ["DEBUG", "PROTOCOL", "set"]),
        ([], ["DEBUG", "PROTOCOL", "double"]),
        ([], ["DEBUG", "PROTOCOL", "true"]),
        ([], ["DEBUG", "PROTOCOL", "false"]),
        ([], ["DEBUG", "PROTOCOL", "null"]),
        ([], ["DEBUG", "PROTOCOL", "verbatim"]),
        ([], ["DEBUG", "PROTOCOL", "attrib"]),
    ];

    // Lines typed into stdin: redis-cli's line mode (quotes, repeat prefixes, SELECT, MULTI).
    private const string Script =
        "SET a 1\nGET a\n\n   \nFOO\n\"unbalanced\nset \"with space\" 'single \\' quote'\nget \"with space\"\n" +
        "3 INCR counter\n0 PING\n-2 PING\nSELECT 2\nSET x y\nMULTI\nINCR x\nGET x\nEXEC\nMULTI\nDISCARD\nGET x\n" +
        "SELECT 0\nECHO \"\\x41\\n\"\nhelp get\nhelp @string\nhelp client kill\nMGET a missing\n";

    public static TheoryData<string, int> ServersAndModes()
    {
        var data = new TheoryData<string, int>();
        foreach (var server in new[] { "cinnabar", "redis" })
        {
            for (int mode = 0; mode < ModeOptions.Length; mode++)
            {
                data.Add(server, mode);
            }
        }

        return data;
    }

    private ServerProcess Server(string name) => name == "redis" ? pair.Redis : pair.Cinnabar;

    private static string[] PortArgs(ServerProcess s) => ["-p", s.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    private static async Task ResetAsync(ServerProcess server, string[][] setup)
    {
        await using var c = await RawConnection.ConnectAsync(server.Port);
        await c.CommandAsync("FLUSHALL");
        foreach (var command in setup)
        {
            await c.CommandAsync(command.Select(a => Encoding.UTF8.GetBytes(a)).ToArray());
        }
    }

    /// <summary>Runs both clients after the same setup and returns a description of any difference.</summary>
    private static async Task<string?> CompareAsync(ServerProcess server, string[][] setup, string[] args, byte[]? stdin = null, Dictionary<string, string>? environment = null)
    {
        await ResetAsync(server, setup);
        var theirs = await CliProcess.RunAsync(CliKind.Redis, args, stdin, environment);
        await ResetAsync(server, setup);
        var ours = await CliProcess.RunAsync(CliKind.Cinnabar, args, stdin, environment);
        if (ours.ExitCode == theirs.ExitCode && ours.Stdout.AsSpan().SequenceEqual(theirs.Stdout) && ours.Stderr.AsSpan().SequenceEqual(theirs.Stderr))
        {
            return null;
        }

        return $"cli {string.Join(' ', args)}\n=== redis-cli: {theirs}\n=== cinnabar-cli: {ours}\n";
    }

    [Theory]
    [MemberData(nameof(ServersAndModes))]
    public async Task EveryCommandOfTheCorpusPrintsWhatRedisCliPrints(string server, int mode)
    {
        var s = Server(server);
        var failures = new List<string>();
        foreach (var (setup, command) in Corpus)
        {
            if (await CompareAsync(s, setup, [.. PortArgs(s), .. ModeOptions[mode], .. command]) is { } failure)
            {
                failures.Add(failure);
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(ServersAndModes))]
    public async Task CommandsReadFromStdinPrintWhatRedisCliPrints(string server, int mode)
    {
        var s = Server(server);
        var failure = await CompareAsync(s, [], [.. PortArgs(s), .. ModeOptions[mode]], Encoding.UTF8.GetBytes(Script));
        Assert.True(failure is null, failure);
    }

    [Theory]
    [InlineData("cinnabar")]
    [InlineData("redis")]
    public async Task OptionsForScriptsBehaveAsInRedisCli(string server)
    {
        var s = Server(server);
        var p = PortArgs(s);
        var stdin = Encoding.UTF8.GetBytes("line one\nline two\n");
        var cases = new (string[] Args, byte[]? Stdin)[]
        {
            ([.. p, "-e", "FOO"], null),
            ([.. p, "-e", "--no-raw", "INCR", "k"], null),
            ([.. p, "-e", "GET", "k"], null),
            ([.. p, "-x", "SET", "fromstdin"], stdin),
            ([.. p, "-X", "TAG", "SET", "TAG", "value"], stdin),
            ([.. p, "-X", "TAG", "SET", "k", "value"], stdin),
            ([.. p, "-r", "3", "INCR", "counter"], null),
            ([.. p, "-r", "2", "-i", "0.05", "--no-raw", "PING"], null),
            ([.. p, "-n", "3", "SET", "k", "in3"], null),
            ([.. p, "-n", "3", "--no-raw", "CLIENT", "LIST", "ID", "999999"], null),
            ([.. p, "-d", "|", "-D", "#", "MGET", "a", "b"], null),
            (["-u", $"redis://127.0.0.1:{s.Port}/4", "--no-raw", "SET", "k", "v"], null),
            (["-u", "http://127.0.0.1", "PING"], null),
            ([.. p, "--quoted-input", "SET", "\"a\\x00b\"", "v"], null),
            ([.. p, "--bogus-option"], null),
            ([.. p, "-2", "-3", "PING"], null),
            ([.. p, "--no-raw", "SET", "k", "v", "NX", "GET", "EXTRA"], null),
            (["-p", "1", "PING"], null),
            (["-p", "1", "--no-raw"], Encoding.UTF8.GetBytes("PING\n")),
        };
        var failures = new List<string>();
        foreach (var (args, input) in cases)
        {
            if (await CompareAsync(s, [["SET", "k", "v"], ["SET", "a", "1"], ["SET", "b", "2"]], args, input) is { } failure)
            {
                failures.Add(failure);
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    // FAKETTY makes both clients format as on a terminal, where RESP3 pushes (here a client
    // tracking invalidation, on redis-server: Cinnabar has no CLIENT TRACKING yet) are shown.
    [Theory]
    [InlineData("-3")]
    [InlineData("-3 --csv")]
    [InlineData("-3 --show-pushes no")]
    public async Task PushesOnATerminalAreShownAsRedisCliShowsThem(string options)
    {
        var s = pair.Redis;
        var script = Encoding.UTF8.GetBytes("CLIENT TRACKING on\nGET k\nSET k v2\nGET k\nPING\n");
        var failure = await CompareAsync(s, [], [.. PortArgs(s), .. options.Split(' ')], script, new() { ["FAKETTY"] = "1" });
        Assert.True(failure is null, failure);
    }

    // redis-cli 7.0.15 exits with "Unknown reply type: 13" on a RESP3 big number; we print it.
    [Theory]
    [InlineData("cinnabar")]
    [InlineData("redis")]
    public async Task ABigNumberIsPrintedWhereRedisCliGivesUp(string server)
    {
        var s = Server(server);
        var formatted = await CliProcess.RunAsync(CliKind.Cinnabar, [.. PortArgs(s), "-3", "--no-raw", "DEBUG", "PROTOCOL", "bignum"]);
        var raw = await CliProcess.RunAsync(CliKind.Cinnabar, [.. PortArgs(s), "-3", "DEBUG", "PROTOCOL", "bignum"]);
        Assert.Equal("(big number) 1234567999999999999999999999999999999\n", formatted.Out);
        Assert.Equal("1234567999999999999999999999999999999\n", raw.Out);
        Assert.Equal(0, formatted.ExitCode);
    }
}
