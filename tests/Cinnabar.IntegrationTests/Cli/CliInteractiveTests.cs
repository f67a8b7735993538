// Interactive cinnabar-cli on a real pseudo-terminal: the prompt and its [db]/(TX) forms,
// history (kept in ~/.cinnabarcli_history, passwords left out), help from COMMAND DOCS,
// reconnecting after the server restarts with AUTH and SELECT remembered, and MONITOR and
// SUBSCRIBE, which Ctrl-C leaves for the prompt.
using System.Globalization;

using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests.Cli;

public sealed class CliInteractiveTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("cinnabar-cli-home-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private PtyProcess StartCli(params string[] args)
    {
        CliProcess.EnsureBuilt();
        return PtyProcess.Start(CliProcess.PathOf(CliKind.Cinnabar), args, new Dictionary<string, string> { ["HOME"] = _home });
    }

    // The client started with SIGINT ignored, as it inherits it from a background job of a
    // non-interactive shell (or a test runner started that way): trap '' INT, then exec.
    private PtyProcess StartCliWithInterruptIgnored(params string[] args)
    {
        CliProcess.EnsureBuilt();
        return PtyProcess.Start("sh", ["-c", "trap '' INT; exec \"$0\" \"$@\"", CliProcess.PathOf(CliKind.Cinnabar), .. args], new Dictionary<string, string> { ["HOME"] = _home });
    }

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task ThePromptShowsTheAddressTheSelectedDbAndATransaction()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar());
        await using var cli = StartCli("-p", P(server.Port));
        string prompt = $"127.0.0.1:{server.Port}> ";
        int at = await cli.WaitForAsync(prompt);
        await cli.TypeAsync("set greeting hello\r");
        at = await cli.WaitForAsync("OK\r\n", at);
        await cli.TypeAsync("get greeting\r");
        at = await cli.WaitForAsync("\"hello\"\r\n", at);
        await cli.TypeAsync("select 2\r");
        at = await cli.WaitForAsync($"127.0.0.1:{server.Port}[2]> ", at);
        await cli.TypeAsync("multi\r");
        at = await cli.WaitForAsync($"127.0.0.1:{server.Port}[2](TX)> ", at);
        await cli.TypeAsync("incr n\r");
        at = await cli.WaitForAsync("QUEUED\r\n", at);
        await cli.TypeAsync("exec\r");
        at = await cli.WaitForAsync("1) (integer) 1\r\n", at);
        await cli.WaitForAsync($"127.0.0.1:{server.Port}[2]> ", at);
        await cli.TypeAsync("quit\r");
        Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task LineEditingAndHistoryWorkAndPasswordsStayOutOfTheHistoryFile()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar().With("requirepass", "centos"));
        await using (var cli = StartCli("-p", P(server.Port)))
        {
            int at = await cli.WaitForAsync($"127.0.0.1:{server.Port}> ");
            await cli.TypeAsync("auth centos\r");
            at = await cli.WaitForAsync("OK\r\n", at);
            await cli.TypeAsync("set k first\r");
            at = await cli.WaitForAsync("OK\r\n", at);

            // Up arrow recalls "set k first"; Ctrl-W deletes "first"; then type a new value.
            await cli.TypeAsync("\x1b[A\u0017second\r");
            at = await cli.WaitForAsync("OK\r\n", at);

            // "gxet k", then Left x3 ... fix the typo with Home, Right, Delete.
            await cli.TypeAsync("gxet k\x1b[H\x1b[C\x1b[3~\r");
            at = await cli.WaitForAsync("\"second\"\r\n", at);
            await cli.TypeAsync("quit\r");
            Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        var history = await File.ReadAllLinesAsync(Path.Combine(_home, ".cinnabarcli_history"));
        Assert.Equal(["set k first", "set k second", "get k", "quit"], history);
    }

    [Fact]
    public async Task HelpForACommandComesFromCommandDocs()
    {
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar());
        await using var cli = StartCli("-p", P(server.Port));
        int at = await cli.WaitForAsync($"127.0.0.1:{server.Port}> ");
        await cli.TypeAsync("help set\r");
        at = await cli.WaitForAsync("  \x1b[1mSET\x1b[0m \x1b[90m", at);
        at = await cli.WaitForAsync("  \x1b[33msummary:\x1b[0m Set the string value of a key\r", at);
        await cli.WaitForAsync("  \x1b[33mgroup:\x1b[0m string\r", at);
    }

    [Fact]
    public async Task AfterTheServerRestartsTheClientReconnectsWithItsPasswordAndDb()
    {
        var options = ServerOptions.Cinnabar().With("requirepass", "centos");
        var server = await ServerProcess.StartAsync(options);
        int port = server.Port;
        await using var cli = StartCli("-p", P(port));
        try
        {
            int at = await cli.WaitForAsync($"127.0.0.1:{port}> ");
            await cli.TypeAsync("auth centos\r");
            at = await cli.WaitForAsync("OK\r\n", at);
            await cli.TypeAsync("select 3\r");
            at = await cli.WaitForAsync($"127.0.0.1:{port}[3]> ", at);
            await server.DisposeAsync();
            server = await ServerProcess.StartAsync(new ServerOptions { Kind = ServerKind.Cinnabar, Port = port }.With("requirepass", "centos"));

            // The first command finds the connection gone, as redis-cli reports it.
            await cli.TypeAsync("set k v\r");
            at = await cli.WaitForAsync("Error: Server closed the connection\r\n", at);
            at = await cli.WaitForAsync("not connected> ", at);

            // The next one reconnects, authenticates and selects db 3 again.
            await cli.TypeAsync("set k v\r");
            at = await cli.WaitForAsync("OK\r\n", at);
            await cli.WaitForAsync($"127.0.0.1:{port}[3]> ", at);
            await using var check = await RawConnection.ConnectAsync(port);
            await check.CommandAsync("AUTH", "centos");
            await check.CommandAsync("SELECT", "3");
            Assert.Equal("$1\r\nv\r\n", await check.CommandAsync("GET", "k"));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task WithoutAServerThePromptSaysNotConnected()
    {
        int port = ServerProcess.FreePort();
        await using var cli = StartCli("-p", P(port));
        int at = await cli.WaitForAsync($"Could not connect to Redis at 127.0.0.1:{port}: Connection refused\r\n");
        at = await cli.WaitForAsync("not connected> ", at);
        await cli.TypeAsync("ping\r");
        await cli.WaitForAsync($"Could not connect to Redis at 127.0.0.1:{port}: Connection refused\r\n", at);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MonitorShowsCommandsUntilCtrlCReturnsToThePrompt(bool interruptIgnoredAtStart)
    {
        // redis-cli's signal(SIGINT, ...) replaces an inherited ignore; so must the client.
        await using var server = await ServerProcess.StartAsync(ServerOptions.Cinnabar());
        await using var cli = interruptIgnoredAtStart ? StartCliWithInterruptIgnored("-p", P(server.Port)) : StartCli("-p", P(server.Port));
        string prompt = $"127.0.0.1:{server.Port}> ";
        int at = await cli.WaitForAsync(prompt);
        await cli.TypeAsync("monitor\r");
        at = await cli.WaitForAsync("OK\r\n", at);
        await using (var c = await RawConnection.ConnectAsync(server.Port))
        {
            await c.CommandAsync("SET", "watched", "value");
        }

        at = await cli.WaitForAsync("\"SET\" \"watched\" \"value\"\r\n", at);
        await cli.TypeAsync("\u0003");
        at = await cli.WaitForAsync(prompt, at);
        await cli.TypeAsync("get watched\r");
        await cli.WaitForAsync("\"value\"\r\n", at);
    }

    [Fact]
    public async Task SubscribedModeShowsMessagesUntilCtrlCReturnsToThePrompt()
    {
        // redis-server's pub/sub: Cinnabar has no PUBLISH yet.
        await using var server = await ServerProcess.StartAsync(ServerOptions.Redis());
        await using var cli = StartCli("-p", P(server.Port));
        string prompt = $"127.0.0.1:{server.Port}> ";
        int at = await cli.WaitForAsync(prompt);
        await cli.TypeAsync("subscribe news\r");
        at = await cli.WaitForAsync("Reading messages... (press Ctrl-C to quit)\r\n1) \"subscribe\"\r\n2) \"news\"\r\n3) (integer) 1\r\n", at);
        await using (var c = await RawConnection.ConnectAsync(server.Port))
        {
            await c.CommandAsync("PUBLISH", "news", "hello");
        }

        at = await cli.WaitForAsync("1) \"message\"\r\n2) \"news\"\r\n3) \"hello\"\r\n", at);
        await cli.TypeAsync("\u0003");
        at = await cli.WaitForAsync(prompt, at);
        await cli.TypeAsync("ping\r");
        await cli.WaitForAsync("PONG\r\n", at);
    }
}
