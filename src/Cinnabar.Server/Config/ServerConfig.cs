// The server's live configuration values. The config file parser and CONFIG SET write the
// ConfigStore (every parameter Redis knows, as text and raw values); after each change the typed
// properties below are refreshed from it, and everything else only reads them. Defaults are Redis
// 7.0.15's. Code that sets a property directly (tests, embedding) bypasses the store: CONFIG GET
// then shows the store's value.
namespace Cinnabar.Server.Config;

/// <summary>Typed configuration.</summary>
internal sealed class ServerConfig
{
    private ConfigStore? _store;

    /// <summary>Every parameter's value with Redis's set/get/rewrite rules.</summary>
    public ConfigStore Store => _store ??= new ConfigStore(this);

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

    /// <summary>list-max-listpack-size: negative = bytes per list node (-1 4 KB ... -5 64 KB), positive = entries.</summary>
    public int ListMaxListpackSize { get; set; } = -2;

    /// <summary>list-compress-depth.</summary>
    public int ListCompressDepth { get; set; }

    /// <summary>hash-max-listpack-entries.</summary>
    public long HashMaxListpackEntries { get; set; } = 512;

    /// <summary>hash-max-listpack-value.</summary>
    public long HashMaxListpackValue { get; set; } = 64;

    /// <summary>set-max-intset-entries.</summary>
    public long SetMaxIntsetEntries { get; set; } = 512;

    /// <summary>zset-max-listpack-entries.</summary>
    public long ZSetMaxListpackEntries { get; set; } = 128;

    /// <summary>zset-max-listpack-value.</summary>
    public long ZSetMaxListpackValue { get; set; } = 64;

    public bool ReplicaServeStaleData { get; set; } = true;

    public string NotifyKeyspaceEvents { get; set; } = string.Empty;

    public string UnixSocket { get; set; } = string.Empty;

    public int ActiveExpireEffort { get; set; } = 1;

    /// <summary>The config file path given on the command line (absolute), or empty.</summary>
    public string ConfigFile { get; set; } = string.Empty;

    /// <summary>unixsocketperm (octal permission bits; 0 = leave the default).</summary>
    public int UnixSocketPerm { get; set; }

    /// <summary>notify-keyspace-events as Redis's NOTIFY_* bit flags.</summary>
    public int NotifyKeyspaceEventsFlags { get; set; }

    public bool LazyFreeLazyServerDel { get; set; }

    public bool LazyFreeLazyEviction { get; set; }

    public bool ReplicaLazyFlush { get; set; }

    /// <summary>masterauth, empty when not set.</summary>
    public string MasterAuth { get; set; } = string.Empty;

    /// <summary>masteruser, empty when not set.</summary>
    public string MasterUser { get; set; } = string.Empty;

    /// <summary>replicaof host, empty when this server is a primary.</summary>
    public string ReplicaOfHost { get; set; } = string.Empty;

    public int ReplicaOfPort { get; set; }

    /// <summary>Save points (seconds, changes); empty = no automatic saves.</summary>
    public IReadOnlyList<(long Seconds, int Changes)> SavePoints { get; set; } = [(3600, 1), (300, 100), (60, 10000)];

    public string DbFilename { get; set; } = "dump.rdb";

    /// <summary>rdbcompression: LZF-compress strings longer than 20 bytes in snapshots.</summary>
    public bool RdbCompression { get; set; } = true;

    /// <summary>rdbchecksum: write the CRC64 trailer (zeros when off).</summary>
    public bool RdbChecksum { get; set; } = true;

    /// <summary>rdb-key-save-delay (hidden test knob): microseconds a snapshot waits per key; negative = 1 in -N keys.</summary>
    public int RdbKeySaveDelay { get; set; }

    /// <summary>stop-writes-on-bgsave-error: refuse writes (MISCONF) after a failed save point.</summary>
    public bool StopWritesOnBgsaveError { get; set; } = true;

    public long ReplBacklogSize { get; set; } = 1024 * 1024;

    /// <summary>min-replicas-to-write: writes need this many good replicas (0 = off).</summary>
    public int MinReplicasToWrite { get; set; }

    /// <summary>min-replicas-max-lag: a good replica acknowledged within this many seconds (0 = off).</summary>
    public int MinReplicasMaxLag { get; set; } = 10;

    /// <summary>
    /// Set by the host: applies a parameter that needs more than a new value (port and bind
    /// rebind the listeners). Returns Redis's error text when it cannot, and CONFIG SET then
    /// restores the previous values.
    /// </summary>
    public Func<string, string?>? ApplyHook { get; set; }

    /// <summary>latency-tracking: keep per-command latency histograms (INFO latencystats).</summary>
    public bool LatencyTracking { get; set; } = true;

    /// <summary>latency-tracking-info-percentiles.</summary>
    public double[] LatencyTrackingPercentiles { get; set; } = [50.0, 99.0, 99.9];

    /// <summary>Copies a changed parameter from the store into the typed property that mirrors it.</summary>
    public void Refresh(string name)
    {
        var s = Store;
        switch (name)
        {
            case "bind": Bind = [.. s.Bind]; break;
            case "port": Port = (int)s.GetNumber(name); break;
            case "protected-mode": ProtectedMode = s.GetBool(name); break;
            case "daemonize": Daemonize = s.GetBool(name); break;
            case "pidfile": PidFile = s.GetString(name) ?? string.Empty; break;
            case "logfile": LogFile = s.GetString(name) ?? string.Empty; break;
            case "loglevel": LogLevel = Enum.Parse<LogLevel>(s.GetEnumName(name), ignoreCase: true); break;
            case "databases": Databases = (int)s.GetNumber(name); break;
            case "requirepass": RequirePass = s.GetString(name) ?? string.Empty; break;
            case "masterauth": MasterAuth = s.GetString(name) ?? string.Empty; break;
            case "masteruser": MasterUser = s.GetString(name) ?? string.Empty; break;
            case "timeout": Timeout = (int)s.GetNumber(name); break;
            case "tcp-keepalive": TcpKeepAlive = (int)s.GetNumber(name); break;
            case "tcp-backlog": TcpBacklog = (int)s.GetNumber(name); break;
            case "maxclients": MaxClients = (int)Math.Min(int.MaxValue, s.GetNumber(name)); break;
            case "dir": Dir = Directory.GetCurrentDirectory(); break;
            case "always-show-logo": AlwaysShowLogo = s.GetBool(name); break;
            case "supervised": Supervised = s.GetEnumName(name); break;
            case "proto-max-bulk-len": ProtoMaxBulkLen = s.GetNumber(name); break;
            case "client-query-buffer-limit": ClientQueryBufferLimit = s.GetNumber(name); break;
            case "hz": Hz = (int)Math.Clamp(s.GetNumber(name), 1, 500); break;
            case "dynamic-hz": DynamicHz = s.GetBool(name); break;
            case "enable-debug-command": EnableDebugCommand = s.GetEnumName(name); break;
            case "slowlog-log-slower-than": SlowlogLogSlowerThan = s.GetNumber(name); break;
            case "slowlog-max-len": SlowlogMaxLen = (int)Math.Min(int.MaxValue, s.GetNumber(name)); break;
            case "latency-monitor-threshold": LatencyMonitorThreshold = s.GetNumber(name); break;
            case "activerehashing": ActiveRehashing = s.GetBool(name); break;
            case "lazyfree-lazy-user-del": LazyFreeLazyUserDel = s.GetBool(name); break;
            case "lazyfree-lazy-user-flush": LazyFreeLazyUserFlush = s.GetBool(name); break;
            case "lazyfree-lazy-expire": LazyFreeLazyExpire = s.GetBool(name); break;
            case "lazyfree-lazy-server-del": LazyFreeLazyServerDel = s.GetBool(name); break;
            case "lazyfree-lazy-eviction": LazyFreeLazyEviction = s.GetBool(name); break;
            case "replica-lazy-flush": ReplicaLazyFlush = s.GetBool(name); break;
            case "replica-read-only": ReplicaReadOnly = s.GetBool(name); break;
            case "replica-serve-stale-data": ReplicaServeStaleData = s.GetBool(name); break;
            case "notify-keyspace-events":
                NotifyKeyspaceEventsFlags = s.NotifyKeyspaceEvents;
                NotifyKeyspaceEvents = ConfigText.NotifyFlagsToString(s.NotifyKeyspaceEvents);
                break;
            case "unixsocket": UnixSocket = s.GetString(name) ?? string.Empty; break;
            case "unixsocketperm": UnixSocketPerm = (int)s.GetNumber(name); break;
            case "active-expire-effort": ActiveExpireEffort = (int)s.GetNumber(name); break;
            case "latency-tracking": LatencyTracking = s.GetBool(name); break;
            case "latency-tracking-info-percentiles": LatencyTrackingPercentiles = [.. s.LatencyPercentiles]; break;
            case "replicaof":
                ReplicaOfHost = s.ReplicaOfHost ?? string.Empty;
                ReplicaOfPort = s.ReplicaOfPort;
                break;
            case "save": SavePoints = [.. s.Save]; break;
            case "dbfilename": DbFilename = s.GetString(name) ?? string.Empty; break;
            case "rdbcompression": RdbCompression = s.GetBool(name); break;
            case "rdbchecksum": RdbChecksum = s.GetBool(name); break;
            case "rdb-key-save-delay": RdbKeySaveDelay = (int)s.GetNumber(name); break;
            case "stop-writes-on-bgsave-error": StopWritesOnBgsaveError = s.GetBool(name); break;
            case "repl-backlog-size": ReplBacklogSize = s.GetNumber(name); break;
            case "min-replicas-to-write": MinReplicasToWrite = (int)s.GetNumber(name); break;
            case "min-replicas-max-lag": MinReplicasMaxLag = (int)s.GetNumber(name); break;
            case "list-max-listpack-size": ListMaxListpackSize = (int)s.GetNumber(name); break;
            case "list-compress-depth": ListCompressDepth = (int)s.GetNumber(name); break;
            case "hash-max-listpack-entries": HashMaxListpackEntries = s.GetNumber(name); break;
            case "hash-max-listpack-value": HashMaxListpackValue = s.GetNumber(name); break;
            case "set-max-intset-entries": SetMaxIntsetEntries = s.GetNumber(name); break;
            case "zset-max-listpack-entries": ZSetMaxListpackEntries = s.GetNumber(name); break;
            case "zset-max-listpack-value": ZSetMaxListpackValue = s.GetNumber(name); break;
            default: break;
        }
    }

    /// <summary>The CONFIG GET text of any parameter (name or alias), or null if unknown.</summary>
    public string? GetText(string name)
    {
        var d = ConfigStore.Lookup(name);
        return d is null ? null : Store.Get(d);
    }
}
