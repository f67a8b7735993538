// The executable's main flow, like redis-server's main(): parse the command line and config,
// print the startup banner, bind, run until SIGTERM/SIGINT or SHUTDOWN, then exit with Redis's
// messages.
using System.Runtime.InteropServices;
using Cinnabar.Server.Config;

namespace Cinnabar.Server.Hosting;

/// <summary>Entry point logic of cinnabar-server.</summary>
public static class Startup
{
    /// <summary>Runs the server; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        var config = new ServerConfig();
        if (args.Length > 0 && args[0] is "-v" or "--version")
        {
            Console.WriteLine($"Cinnabar server v={ServerHost.CinnabarVersion} redis_version={ServerHost.RedisVersion} sha=00000000:0 malloc=dotnet bits=64 build=0");
            return 0;
        }

        int i = 0;
        if (args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            config.ConfigFile = Path.GetFullPath(args[0]);
            foreach (var line in File.ReadAllLines(args[0]))
            {
                ApplySimple(config, line);
            }

            i = 1;
        }

        for (; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                var parts = new List<string> { args[i][2..] };
                while (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    parts.Add(args[++i]);
                }

                ApplySimple(config, string.Join(' ', parts.Select(p => p.Length == 0 ? "\"\"" : p)));
            }
        }

        var server = new CinnabarServer(config);
        server.Log.File = config.LogFile;
        server.Log.Level = config.LogLevel;
        return RunServer(server);
    }

    private static int RunServer(CinnabarServer server)
    {
        var log = server.Log;
        int pid = Environment.ProcessId;
        log.Warning("oO0OoO0OoO0Oo Cinnabar is starting oO0OoO0OoO0Oo");
        log.Warning($"Cinnabar version={ServerHost.CinnabarVersion}, redis_version={ServerHost.RedisVersion}, bits=64, commit=00000000, modified=0, pid={pid}, just started");
        log.Warning("Configuration loaded");
        var host = new ServerHost(server);
        if (server.Config.AlwaysShowLogo)
        {
            log.WriteRaw(Logo(server.Config.Port, pid));
        }
        else
        {
            log.Notice($"Running mode=standalone, port={server.Config.Port}.");
        }

        if (!host.Listen())
        {
            return 1;
        }

        log.Warning("Server initialized");
        host.Start();
        log.Notice("Ready to accept connections");
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            log.Warning("Received SIGTERM scheduling shutdown...");
            server.ShutdownRequested.Cancel();
        });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx =>
        {
            ctx.Cancel = true;
            log.Warning("Received SIGINT scheduling shutdown...");
            server.ShutdownRequested.Cancel();
        });
        server.ShutdownRequested.Token.WaitHandle.WaitOne();
        log.Warning("User requested shutdown...");
        host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        log.Warning("Cinnabar is now ready to exit, bye bye...");
        return 0;
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

    // Minimal directive handling until the full config subsystem lands.
    private static void ApplySimple(ServerConfig config, string line)
    {
        var argv = Cinnabar.Protocol.SplitArgs.Split(System.Text.Encoding.UTF8.GetBytes(line));
        if (argv is null || argv.Count == 0 || argv[0].Length == 0 || argv[0][0] == '#')
        {
            return;
        }

        var name = System.Text.Encoding.UTF8.GetString(argv[0]).ToLowerInvariant();
        var values = argv.Skip(1).Select(a => System.Text.Encoding.UTF8.GetString(a)).ToList();
        string v = values.Count > 0 ? values[0] : string.Empty;
        switch (name)
        {
            case "port": config.Port = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture); break;
            case "bind": config.Bind = values; break;
            case "requirepass": config.RequirePass = v; break;
            case "logfile": config.LogFile = v; break;
            case "loglevel": config.LogLevel = Enum.Parse<LogLevel>(v, ignoreCase: true); break;
            case "databases": config.Databases = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture); break;
            case "always-show-logo": config.AlwaysShowLogo = v == "yes"; break;
            case "protected-mode": config.ProtectedMode = v == "yes"; break;
            case "enable-debug-command": config.EnableDebugCommand = v; break;
            case "dir": Directory.SetCurrentDirectory(v); config.Dir = v; break;
            default: break;
        }
    }
}
