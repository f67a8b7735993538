// The server's live configuration values. The config file parser and CONFIG SET write these;
// everything else only reads them. Defaults are Redis 7.0.15's.
namespace Cinnabar.Server.Config;

/// <summary>Typed configuration.</summary>
internal sealed class ServerConfig
{
    public List<string> Bind { get; set; } = ["*", "-::*"];

    public int Port { get; set; } = 6379;

    public bool ProtectedMode { get; set; } = true;

    public bool Daemonize { get; set; }

    public string PidFile { get; set; } = string.Empty;

    public string LogFile { get; set; } = string.Empty;

    /// <summary>debug, verbose, notice, warning (Redis's LL_* order).</summary>
    public LogLevel LogLevel { get; set; } = LogLevel.Notice;

    public int Databases { get; set; } = 16;

    public string RequirePass { get; set; } = string.Empty;

    /// <summary>Seconds of idleness after which a normal client is closed; 0 = never.</summary>
    public int Timeout { get; set; }

    public int TcpKeepAlive { get; set; } = 300;

    public int TcpBacklog { get; set; } = 511;

    public int MaxClients { get; set; } = 10000;

    public string Dir { get; set; } = Directory.GetCurrentDirectory();

    public bool AlwaysShowLogo { get; set; }

    public string Supervised { get; set; } = "no";

    public long ProtoMaxBulkLen { get; set; } = 512L * 1024 * 1024;

    public long ClientQueryBufferLimit { get; set; } = 1024L * 1024 * 1024;

    public int Hz { get; set; } = 10;

    public bool DynamicHz { get; set; } = true;

    /// <summary>no, yes, local.</summary>
    public string EnableDebugCommand { get; set; } = "no";

    public long SlowlogLogSlowerThan { get; set; } = 10000;

    public int SlowlogMaxLen { get; set; } = 128;

    public long LatencyMonitorThreshold { get; set; }

    public bool ActiveRehashing { get; set; } = true;

    public bool LazyFreeLazyUserDel { get; set; }

    public bool LazyFreeLazyUserFlush { get; set; }

    public bool LazyFreeLazyExpire { get; set; }

    public bool ReplicaReadOnly { get; set; } = true;

    public bool ReplicaServeStaleData { get; set; } = true;

    public string NotifyKeyspaceEvents { get; set; } = string.Empty;

    public string UnixSocket { get; set; } = string.Empty;

    public int ActiveExpireEffort { get; set; } = 1;

    /// <summary>The config file path given on the command line (absolute), or empty.</summary>
    public string ConfigFile { get; set; } = string.Empty;
}
