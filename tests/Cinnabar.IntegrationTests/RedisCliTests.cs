using System.Diagnostics;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class RedisCliTests
{
    private static async Task<(int Code, string Out)> CliAsync(int port, string stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("redis-cli")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add("-p");
        psi.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        var output = await p.StandardOutput.ReadToEndAsync();
        var error = await p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, output + error);
    }

    [Fact]
    public async Task RedisCliSessionWithAuthSeesTheSameTextAsAgainstRedis()
    {
        const string script = "AUTH centos\nSET greeting hello\nGET greeting\nINCR counter\nINCR counter\nGET missing\nDEL greeting\nEXISTS greeting\n";
        await using var cinnabar = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("requirepass", "centos"));
        await using var redis = await ServerProcess.StartAsync(ServerOptions.Redis().With("requirepass", "centos"));
        var (code, ours) = await CliAsync(cinnabar.Port, script);
        var (redisCode, theirs) = await CliAsync(redis.Port, script);
        Assert.Equal(redisCode, code);
        Assert.Equal(theirs, ours);
        Assert.Contains("hello", ours, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedisCliWithoutAuthGetsNoAuthError()
    {
        await using var cinnabar = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("requirepass", "centos"));
        await using var redis = await ServerProcess.StartAsync(ServerOptions.Redis().With("requirepass", "centos"));
        var (code, ours) = await CliAsync(cinnabar.Port, string.Empty, "GET", "x");
        var (redisCode, theirs) = await CliAsync(redis.Port, string.Empty, "GET", "x");
        Assert.Equal(redisCode, code);
        Assert.Equal(theirs, ours);
        Assert.Contains("NOAUTH Authentication required.", ours, StringComparison.Ordinal);
    }
}
