using Cinnabar.Server.Config;

namespace Cinnabar.Server.Tests;

public sealed class ConfigFileLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cinnabar-conf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ServerConfig Load(string text)
    {
        var config = new ServerConfig();
        new ConfigFileLoader(config).LoadFromString(text);
        return config;
    }

    private static string ReportFor(string text)
    {
        var e = Assert.Throws<ConfigLoadException>(() => Load(text));
        Assert.False(e.IsLogLine);
        return e.Report;
    }

    [Fact]
    public void UnknownDirectiveIsReportedWithItsLineNumberAndText()
    {
        Assert.Equal(
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'no-such-thing 1'\nBad directive or wrong number of arguments\n",
            ReportFor("# comment\nport 7000\n  no-such-thing 1  \n"));
    }

    [Theory]
    [InlineData("protected-mode maybe", "argument must be 'yes' or 'no'")]
    [InlineData("port 70000", "argument must be between 0 and 65535 inclusive")]
    [InlineData("port abc", "argument couldn't be parsed into an integer")]
    [InlineData("maxmemory 1x", "argument must be a memory value")]
    [InlineData("maxclients 0", "argument must be between 1 and 4294967295 inclusive")]
    [InlineData("maxmemory-clients 101%", "percentage argument must be less or equal to 100")]
    [InlineData("unixsocketperm 9", "argument couldn't be parsed as an octal number")]
    [InlineData("loglevel loud", "argument(s) must be one of the following: debug, verbose, notice, warning")]
    [InlineData("port 1 2", "wrong number of arguments")]
    [InlineData("save 10", "Invalid save parameters")]
    [InlineData("requirepass \"open", "Unbalanced quotes in configuration line")]
    [InlineData("notify-keyspace-events Q", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")]
    [InlineData("client-output-buffer-limit master 1 2 3", "Invalid client class specified in buffer limit configuration.")]
    [InlineData("dbfilename a/b.rdb", "dbfilename can't be a path, just a filename")]
    [InlineData("sentinel monitor m 127.0.0.1 6379 2", "sentinel directive while not in sentinel mode")]
    public void BadValuesGiveRedisReasons(string line, string reason)
    {
        Assert.EndsWith($">>> '{line}'\n{reason}\n", ReportFor(line), StringComparison.Ordinal);
    }

    [Fact]
    public void ValuesTakeEffectOnTheTypedConfiguration()
    {
        var c = Load("PORT 7001\nbind 127.0.0.1 ::1\ntimeout 30\nmaxmemory 1gb\nloglevel warning\nrequirepass \"a b\\x41\"\nslave-read-only no\nnotify-keyspace-events KEA\nhz 1000\n");
        Assert.Equal(7001, c.Port);
        Assert.Equal(["127.0.0.1", "::1"], c.Bind);
        Assert.Equal(30, c.Timeout);
        Assert.Equal(LogLevel.Warning, c.LogLevel);
        Assert.Equal("a bA", c.RequirePass);
        Assert.False(c.ReplicaReadOnly);
        Assert.Equal("AKE", c.NotifyKeyspaceEvents);
        Assert.Equal(500, c.Hz);
        Assert.Equal("1073741824", c.GetText("maxmemory"));
        Assert.Equal("no", c.GetText("replica-read-only"));
    }

    [Fact]
    public void SingleQuotesKeepBackslashesAndEmptyQuotesGiveAnEmptyValue()
    {
        var c = Load("requirepass 'x\\ny'\nmasterauth \"\"\n");
        Assert.Equal("x\\ny", c.RequirePass);
        Assert.Equal(string.Empty, c.MasterAuth);
    }

    [Fact]
    public void SaveLinesInAFileAccumulateAndAnEmptySaveClearsThem()
    {
        Assert.Equal("900 1 300 10", Load("save 900 1\nsave 300 10\n").GetText("save"));
        Assert.Equal(string.Empty, Load("save 900 1\nsave \"\"\n").GetText("save"));
        Assert.Equal("3600 1 300 100 60 10000", Load("port 1\n").GetText("save"));
    }

    [Fact]
    public void MultiArgumentValueGivenAsOneArgumentIsSplitAgain()
    {
        Assert.Equal("100 1 200 2", Load("save \"100 1 200 2\"\n").GetText("save"));
    }

    [Fact]
    public void ReplicaofAndItsSlaveofAliasSetThePrimary()
    {
        var c = Load("slaveof 10.0.0.1 6380\n");
        Assert.Equal("10.0.0.1", c.ReplicaOfHost);
        Assert.Equal(6380, c.ReplicaOfPort);
        Assert.Equal("10.0.0.1 6380", c.GetText("slaveof"));
        Assert.EndsWith("Invalid master port\n", ReportFor("replicaof h 99999"), StringComparison.Ordinal);
    }

    [Fact]
    public void IncludeReadsTheFileAndGlobPatternsInSortedOrder()
    {
        var confd = Directory.CreateDirectory(Path.Combine(_dir, "conf.d")).FullName;
        File.WriteAllText(Path.Combine(confd, "20-b.conf"), "timeout 20\n");
        File.WriteAllText(Path.Combine(confd, "10-a.conf"), "timeout 10\nport 7100\n");
        File.WriteAllText(Path.Combine(_dir, "base.conf"), "databases 4\n");
        var c = Load($"include {_dir}/base.conf\ninclude {confd}/*.conf\ninclude {_dir}/empty.d/*.conf\n");
        Assert.Equal(4, c.Databases);
        Assert.Equal(20, c.Timeout);
        Assert.Equal(7100, c.Port);
    }

    [Fact]
    public void IncludeOfAMissingFileIsAFatalLoggedError()
    {
        var e = Assert.Throws<ConfigLoadException>(() => Load($"include {_dir}/missing.conf\n"));
        Assert.True(e.IsLogLine);
        Assert.Equal($"Fatal error, can't open config file '{_dir}/missing.conf': No such file or directory", e.Report);
    }

    [Fact]
    public void ErrorsInsideAnIncludedFileNameTheirLineInThatFile()
    {
        File.WriteAllText(Path.Combine(_dir, "bad.conf"), "port 1\n\nhz x\n");
        Assert.StartsWith("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'hz x'\n", ReportFor($"include {_dir}/bad.conf"), StringComparison.Ordinal);
    }

    [Fact]
    public void DeprecatedAndFileOnlyDirectivesAreAccepted()
    {
        var loader = new ConfigFileLoader(new ServerConfig());
        loader.LoadFromString("list-max-ziplist-entries 512\nlua-replicate-commands yes\nuser alice on >pw\nloadmodule /x.so a\nsentinel\nmymodule.opt 1\n");
        Assert.Single(loader.Users);
        Assert.Single(loader.Modules);
    }

    [Fact]
    public void RenameCommandChecksTheCommandTable()
    {
        var table = Commands.CommandTable.CreateDefault();
        var loader = new ConfigFileLoader(new ServerConfig()) { Commands = table };
        loader.LoadFromString("rename-command config myconfig\n");
        Assert.Null(table.Lookup("config"));
        Assert.NotNull(table.Lookup("myconfig"));
        var e = Assert.Throws<ConfigLoadException>(() => loader.LoadFromString("rename-command nosuch x\n"));
        Assert.EndsWith("No such command in rename-command\n", e.Report, StringComparison.Ordinal);
    }

    [Fact]
    public void CommandLineOptionsBecomeConfigLinesAsRedisBuildsThem()
    {
        var cl = CommandLine.Parse(["/etc/redis.conf", "--port", "6380", "--bind", "a", "b", "--save", "--requirepass", ""]);
        Assert.Equal("/etc/redis.conf", cl.ConfigFile);
        Assert.False(cl.ConfigFromStdin);
        Assert.Equal("port \"6380\" \nbind \"a\" \"b\" \nsave \"\"\nrequirepass \"\" ", cl.Options);
    }

    [Fact]
    public void CommandLineKnowsStdinVersionHelpAndOptionsWithInlineValues()
    {
        Assert.True(CommandLine.Parse(["-"]).ConfigFromStdin);
        Assert.True(CommandLine.Parse(["--port", "1", "-"]).ConfigFromStdin);
        Assert.Equal(CommandLineAction.Version, CommandLine.Parse(["-v"]).Action);
        Assert.Equal(CommandLineAction.Help, CommandLine.Parse(["--help"]).Action);
        Assert.Equal(CommandLineAction.TestMemory, CommandLine.Parse(["--test-memory", "10"]).Action);
        Assert.Equal("port 6380 \nsave \"\"\nport 6380 ", CommandLine.Parse(["--port 6380", "--save", "--port 6380"]).Options);
    }

    [Fact]
    public void OptionsAfterTheFileOverrideIt()
    {
        File.WriteAllText(Path.Combine(_dir, "a.conf"), "port 7000\ntimeout 5\n");
        var config = new ServerConfig();
        var cl = CommandLine.Parse([Path.Combine(_dir, "a.conf"), "--port", "7001"]);
        new ConfigFileLoader(config).Load(cl.ConfigFile, null, cl.Options);
        Assert.Equal(7001, config.Port);
        Assert.Equal(5, config.Timeout);
    }
}
