// The executable's main flow, like redis-server's main(): parse the command line, load the
// config (file, stdin, options) or print Redis's fatal config report and exit 1, detach when
// daemonize is on and no supervisor is in charge, print the startup banner, bind, write the pid
// file, tell systemd we are ready, run until SIGTERM/SIGINT or SHUTDOWN, then shut down with
// Redis's log lines and exit 0.
using System.Runtime.InteropServices;

using Cinnabar.Server.Commands;
using Cinnabar.Server.Config;
using Cinnabar.Server.Diagnostics;

namespace Cinnabar.Server.Hosting;

/// <summary>Entry point logic of cinnabar-server.</summary>
public static class Startup
{
    /// <summary>Redis's CONFIG_DEFAULT_PID_FILE, used when daemonized without a pidfile.</summary>
    private const string DefaultPidFile = "/var/run/redis.pid";

    /// <summary>Runs the server; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        string exe = "./cinnabar-server";
        var cl = CommandLine.Parse(args);
        switch (cl.Action)
        {
            case CommandLineAction.Version:
                Console.Out.Write(VersionLine() + "\n");
                return 0;
            case CommandLineAction.Help:
                Console.Error.Write(CommandLine.Usage(exe));
                return 1;
            case CommandLineAction.TestMemory:
                Console.Error.Write("--test-memory is not supported by Cinnabar: it cannot test physical memory from a managed runtime. Use memtester or your platform's memory test instead.\n");
                return 1;
            case CommandLineAction.CheckRdb:
                // redis-server started as redis-check-rdb.
                return Persistence.Rdb.RdbChecker.Run(cl.CheckArgs, Console.Out, Console.Error);
            case CommandLineAction.CheckSystem:
                Console.Error.Write("--check-system is not supported by Cinnabar.\n");
                return 1;
            default:
                break;
        }

        // checkForSentinelMode: "--sentinel" anywhere on the command line.
        if (args.Contains("--sentinel", StringComparer.Ordinal))
        {
            Console.Error.Write("Sentinel mode is not supported by Cinnabar; run redis-sentinel to monitor Cinnabar servers.\n");
            return 1;
        }

        string startDirectory = Directory.GetCurrentDirectory();
        bool isChild = Daemon.IsChild;
        if (isChild)
        {
            Daemon.Detach();
        }

        var config = new ServerConfig();
        var bootLog = new Logger(TimeProvider.System) { Role = 'C' };
        var commands = CommandTable.CreateDefault();
        var loader = new ConfigFileLoader(config) { Commands = commands, LogWarning = bootLog.Warning };
        string? stdinText = null;
        try
        {
            if (cl.ConfigFile is not null)
            {
                config.ConfigFile = Path.GetFullPath(cl.ConfigFile);
            }

            if (cl.ConfigFromStdin)
            {
                stdinText = isChild ? Daemon.InheritedStdin ?? string.Empty : Console.In.ReadToEnd();
            }

            using var stdin = stdinText is null ? null : new StringReader(stdinText);
            loader.Load(cl.ConfigFile, stdin, cl.Options);
        }
        catch (ConfigLoadException e)
        {
            if (e.IsLogLine)
            {
                bootLog.File = config.LogFile;
                bootLog.Warning(e.Report);
            }
            else
            {
                Console.Error.Write(e.Report);
                Console.Error.Flush();
            }

            Daemon.Report(ok: false);
            return 1;
        }

        var server = new CinnabarServer(config);
        foreach (var (from, to) in loader.RenamedCommands)
        {
            server.Commands.Rename(from, to);
        }

        ConfigCommands.ApplyToServer(server);
        var log = server.Log;
        bool supervised = IsSupervised(config, log);
        bool background = config.Daemonize && !supervised;
        if (background && !isChild)
        {
            return Daemon.RunParent(args, startDirectory, stdinText);
        }

        return RunServer(server, args.Length == 0, background, supervised, loader.Mentioned);
    }

    /// <summary>The -v line: Redis's fields, naming Cinnabar and the Redis version it implements.</summary>
    private static string VersionLine() =>
        $"Cinnabar server v={ServerHost.CinnabarVersion} redis_version={ServerHost.RedisVersion} sha=00000000:0 malloc=dotnet bits=64 build=0";

    // redisIsSupervised: "auto" picks upstart or systemd from the environment.
    private static bool IsSupervised(ServerConfig config, Logger log)
    {
        string mode = config.Supervised;
        if (mode == "auto")
        {
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("UPSTART_JOB")))
            {
                log.Verbose("Upstart supervision detected.");
                mode = "upstart";
            }
            else if (SystemdNotifier.Available)
            {
                log.Verbose("Systemd supervision detected.");
                mode = "systemd";
            }
        }

        switch (mode)
        {
            case "systemd":
                if (!SystemdNotifier.Notify("STATUS=Redis is loading...\n"))
                {
                    log.Warning("systemd supervision error: NOTIFY_SOCKET not found!");
                    return false;
                }

                log.Notice("Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.");
                config.Supervised = "systemd";
                return true;
            case "upstart":
                log.Warning("upstart supervision requested, but Cinnabar cannot stop itself with SIGSTOP to signal readiness; running unsupervised.");
                return false;
            default:
                return false;
        }
    }

    private static int RunServer(CinnabarServer server, bool noArguments, bool background, bool supervised, List<string> mentioned)
    {
        var log = server.Log;
        var config = server.Config;
        int pid = Environment.ProcessId;
        log.Warning("oO0OoO0OoO0Oo Cinnabar is starting oO0OoO0OoO0Oo");
        log.Warning($"Cinnabar version={ServerHost.CinnabarVersion}, redis_version={ServerHost.RedisVersion}, bits=64, commit=00000000, modified=0, pid={pid}, just started");
        if (noArguments)
        {
            log.Warning("Warning: no config file specified, using the default config. In order to specify a config file use ./cinnabar-server /path/to/redis.conf");
        }
        else
        {
            log.Warning("Configuration loaded");
        }

        var notImplemented = mentioned
            .Where(n => !ConfigCatalog.Implemented.Contains(n) && config.Store.IsNonDefault(ConfigCatalog.ByName[n]))
            .ToList();
        if (notImplemented.Count > 0)
        {
            log.Warning("These configuration directives are accepted but not implemented: " + string.Join(", ", notImplemented));
        }

        var host = new ServerHost(server);
        if (!host.Listen())
        {
            Daemon.Report(ok: false);
            return 1;
        }

        string pidFile = config.PidFile;
        bool writePid = background || pidFile.Length > 0;
        if (writePid)
        {
            if (pidFile.Length == 0)
            {
                pidFile = DefaultPidFile;
            }

            try
            {
                File.WriteAllText(pidFile, pid.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.Warning($"Failed to write PID file: {OsError.Describe(e)}");
            }
        }

        if (config.AlwaysShowLogo)
        {
            log.WriteRaw(Logo(config.Port, pid));
        }
        else
        {
            log.Notice($"Running mode=standalone, port={config.Port}.");
        }

        log.Warning("Server initialized");

        // A replica loads its file keeping expired keys (its primary's DELs remove them).
        if (config.ReplicaOfHost.Length > 0)
        {
            server.PrimaryLink.Configure(config.ReplicaOfHost, config.ReplicaOfPort);
        }

        // Redis accepts clients before loadDataFromDisk and answers them -LOADING until the
        // dataset is in, so the signals and the listeners come first and "Ready to accept
        // connections" only after the load. A bad file stops startup untouched; a shutdown
        // requested mid-load ends it without saving (the dataset is incomplete).
        Persistence.Rdb.RdbStartupLoader.MarkPending(server);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            log.Warning(server.Loading ? "Received shutdown signal during loading, scheduling shutdown." : "Received SIGTERM scheduling shutdown...");
            ShutdownFromSignal(server, "SIGTERM");
        });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx =>
        {
            ctx.Cancel = true;
            log.Warning(server.Loading ? "Received shutdown signal during loading, scheduling shutdown." : "Received SIGINT scheduling shutdown...");
            ShutdownFromSignal(server, "SIGINT");
        });
        host.Start();

        // A daemonizing parent returns once the server listens, as Redis's does right after its
        // fork: it does not wait for a long load (whose failure the log reports, as in Redis).
        Daemon.Report(ok: true);
        bool loadedOk;
        Persistence.Rdb.RdbLoadResult? loaded = null;
        try
        {
            loadedOk = Persistence.Rdb.RdbStartupLoader.Load(server, out loaded);
        }
        catch (OperationCanceledException)
        {
            // SHUTDOWN or a signal during the load: the shutdown sequence already ran (without saving).
            loadedOk = true;
        }

        if (!loadedOk)
        {
            // Like Redis's exit(1): nothing more is logged after the fatal error line.
            return 1;
        }

        if (host.BoundEndPoints.Count > 0 && !server.ShutdownRequested.IsCancellationRequested)
        {
            log.Notice("Ready to accept connections");
        }

        if (host.UnixSocketPath is not null)
        {
            log.Notice($"The server is now ready to accept connections at {host.UnixSocketPath}");
        }

        // replicationCron's first tick connects a replica configured in the file.
        server.PrimaryLink.Start();

        if (supervised)
        {
            SystemdNotifier.Notify(config.ReplicaOfHost.Length == 0
                ? "STATUS=Ready to accept connections\n"
                : "STATUS=Ready to accept connections in read-only mode. Waiting for MASTER <-> REPLICA sync\n");
            SystemdNotifier.Notify("READY=1\n");
        }

        // SHUTDOWN or a signal already ran the ShutdownSequence (it logs "User
        // requested shutdown..." and takes the final snapshot) before asking us to stop.
        server.ShutdownRequested.Token.WaitHandle.WaitOne();
        if (supervised)
        {
            SystemdNotifier.Notify("STOPPING=1\n");
        }

        if (writePid)
        {
            log.Notice("Removing the pid file.");
            try
            {
                File.Delete(pidFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.Warning($"Error removing the pid file: {OsError.Describe(e)}");
            }
        }

        host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        log.Warning("Cinnabar is now ready to exit, bye bye...");
        return 0;
    }

    // Redis's signal handler only flags shutdown_asap; the cron then runs prepareForShutdown with
    // shutdown-on-sigterm / shutdown-on-sigint's flags and stays up when the final save fails. The
    // final save runs here under the gate, and a failure keeps the server running as Redis does.
    private static void ShutdownFromSignal(CinnabarServer server, string signal)
    {
        _ = Task.Run(() =>
        {
            bool ok;
            // A failure has been logged; the server keeps running. While the shutdown waits for
            // replicas, the cron finishes it.
            lock (server.Gate)
            {
                if (server.ShutdownRequested.IsCancellationRequested)
                {
                    return;
                }

                // "default", or a combination of save|nosave, now (do not wait for replicas) and force.
                var flags = server.Config.Store.GetEnumName(signal == "SIGTERM" ? "shutdown-on-sigterm" : "shutdown-on-sigint")
                    .Split(' ', StringSplitOptions.RemoveEmptyEntries);
                ok = server.ShutdownSequence.Prepare(save: flags.Contains("save"), nosave: flags.Contains("nosave"), now: flags.Contains("now"), force: flags.Contains("force"), caller: null);
            }

            if (ok)
            {
                server.ShutdownRequested.Cancel();
            }
        });
    }

    private static string Logo(int port, int pid)
    {
        return string.Join('\n',
            "                _._                                                  ",
            "           _.-``__ ''-._                                             ",
            $"      _.-``    `.  `_.  ''-._           Cinnabar {ServerHost.CinnabarVersion} (Redis {ServerHost.RedisVersion} compatible) 64 bit",
            "  .-`` .-```.  ```\\/    _.,_ ''-._                                  ",
            " (    '      ,       .-`  | `,    )     Running in standalone mode",
            " |`-._`-...-` __...-.``-._|'` _.-'|     Port: " + port,
            " |    `-._   `._    /     _.-'    |     PID: " + pid,
            "  `-._    `-._  `-./  _.-'    _.-'                                   ",
            "      `-._    `-.__.-'    _.-'                                       ",
            "          `-._        _.-'                                           ",
            "              `-.__.-'                                               ",
            string.Empty);
    }
}
