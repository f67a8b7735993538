// The operator's checks from the seed (auth centos, info replication, get, keys *) and every
// way of giving a password, against password-protected servers: cinnabar-cli must print what
// redis-cli prints, warning line on stderr included.
using System.Text;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests.Cli;

public sealed class CliAuthTests
{
    private static async Task<string?> CompareAsync(string[] args, string? stdin = null)
    {
        var input = stdin is null ? null : Encoding.UTF8.GetBytes(stdin);
        var theirs = await CliProcess.RunAsync(CliKind.Redis, args, input);
        var ours = await CliProcess.RunAsync(CliKind.Cinnabar, args, input);
        if (ours.ExitCode == theirs.ExitCode && ours.Out == theirs.Out && ours.Err == theirs.Err)
        {
            return null;
        }

        return $"cli {string.Join(' ', args)}\n=== redis-cli: {theirs}\n=== cinnabar-cli: {ours}\n";
    }

    [Theory]
    [InlineData(ServerKind.Cinnabar)]
    [InlineData(ServerKind.Redis)]
    public async Task PasswordsGivenEveryWayBehaveAsInRedisCli(ServerKind kind)
    {
        await using var server = await ServerProcess.StartAsync(new ServerOptions { Kind = kind }.With("requirepass", "centos"));
        await using (var c = await RawConnection.ConnectAsync(server.Port))
        {
            await c.CommandAsync("AUTH", "centos");
            await c.CommandAsync("SET", "greeting", "hello");
        }

        string port = server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var cases = new (string[] Args, string? Stdin)[]
        {
            (["-p", port, "GET", "greeting"], null),
            (["-p", port, "-a", "centos", "GET", "greeting"], null),
            (["-p", port, "-a", "centos", "--no-auth-warning", "--no-raw", "GET", "greeting"], null),
            (["-p", port, "-a", "wrong", "GET", "greeting"], null),
            (["-p", port, "--user", "default", "--pass", "centos", "--no-raw", "KEYS", "*"], null),
            (["-u", $"redis://centos@127.0.0.1:{port}", "GET", "greeting"], null),
            (["-u", $"redis://default:cent%6Fs@127.0.0.1:{port}/0", "--no-raw", "GET", "greeting"], null),
            (["-p", port, "--no-raw"], "auth centos\nget greeting\nkeys *\nget missing\nauth wrong\n"),
            (["-p", port], "auth centos\nget greeting\nkeys *\n"),
        };
        var failures = new List<string>();
        foreach (var (args, stdin) in cases)
        {
            if (await CompareAsync(args, stdin) is { } failure)
            {
                failures.Add(failure);
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task TheSeedChecksShowTheSameTextAsRedisCli()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("requirepass", "centos"));
        string port = server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var ours = await CliProcess.RunAsync(CliKind.Cinnabar, ["-p", port, "--no-raw"], Encoding.UTF8.GetBytes("auth centos\nset name cinnabar\nget name\nkeys *\n"));
        var theirs = await CliProcess.RunAsync(CliKind.Redis, ["-p", port, "--no-raw"], Encoding.UTF8.GetBytes("auth centos\nset name cinnabar\nget name\nkeys *\n"));
        Assert.Equal(theirs.Out, ours.Out);
        Assert.Equal("OK\nOK\n\"cinnabar\"\n1) \"name\"\n", ours.Out);

        var info = await CliProcess.RunAsync(CliKind.Cinnabar, ["-p", port, "-a", "centos", "--no-auth-warning", "INFO", "replication"]);
        var redisInfo = await CliProcess.RunAsync(CliKind.Redis, ["-p", port, "-a", "centos", "--no-auth-warning", "INFO", "replication"]);
        Assert.Equal(redisInfo.Out, info.Out);
        Assert.Contains("role:master", info.Out, StringComparison.Ordinal);
    }
}
