// Every configuration parameter redis-server 7.0.15 (Debian's build, with TLS) accepts, with its
// flags, type, bounds and default, in the order of config.c's standardConfig table. The table is
// data transcribed from Redis's documentation of its own configs; the behaviour lives in
// ConfigStore. CONFIG GET's default replies were checked against the real server.
using F = Cinnabar.Server.Config.ConfigFlags;
using N = Cinnabar.Server.Config.NumericFlags;

namespace Cinnabar.Server.Config;

/// <summary>The catalog of configuration parameters.</summary>
internal static class ConfigCatalog
{
    /// <summary>All definitions, primary names, in Redis's table order.</summary>
    public static readonly IReadOnlyList<ConfigDefinition> All =
    [
        Bool("rdbchecksum", null, F.Immutable, true),
        Bool("daemonize", null, F.Immutable, false),
        Bool("io-threads-do-reads", null, F.Debug | F.Immutable, false),
        Bool("always-show-logo", null, F.Immutable, false),
        Bool("protected-mode", null, F.None, true),
        Bool("rdbcompression", null, F.None, true),
        Bool("rdb-del-sync-files", null, F.None, false),
        Bool("activerehashing", null, F.None, true),
        Bool("stop-writes-on-bgsave-error", null, F.None, true),
        Bool("set-proc-title", null, F.Immutable, true),
        Bool("dynamic-hz", null, F.None, true),
        Bool("lazyfree-lazy-eviction", null, F.Debug, false),
        Bool("lazyfree-lazy-expire", null, F.Debug, false),
        Bool("lazyfree-lazy-server-del", null, F.Debug, false),
        Bool("lazyfree-lazy-user-del", null, F.Debug, false),
        Bool("lazyfree-lazy-user-flush", null, F.Debug, false),
        Bool("repl-disable-tcp-nodelay", null, F.None, false),
        Bool("repl-diskless-sync", null, F.Debug, true),
        Bool("aof-rewrite-incremental-fsync", null, F.None, true),
        Bool("no-appendfsync-on-rewrite", null, F.None, false),
        Bool("cluster-require-full-coverage", null, F.None, true),
        Bool("rdb-save-incremental-fsync", null, F.None, true),
        Bool("aof-load-truncated", null, F.None, true),
        Bool("aof-use-rdb-preamble", null, F.None, true),
        Bool("aof-timestamp-enabled", null, F.None, false),
        Bool("cluster-replica-no-failover", "cluster-slave-no-failover", F.None, false),
        Bool("replica-lazy-flush", "slave-lazy-flush", F.None, false),
        Bool("replica-serve-stale-data", "slave-serve-stale-data", F.None, true),
        Bool("replica-read-only", "slave-read-only", F.Debug, true),
        Bool("replica-ignore-maxmemory", "slave-ignore-maxmemory", F.None, true),
        Bool("jemalloc-bg-thread", null, F.None, true),
        Bool("activedefrag", null, F.Debug, false),
        Bool("syslog-enabled", null, F.Immutable, false),
        Bool("cluster-enabled", null, F.Immutable, false),
        Bool("appendonly", null, F.DenyLoading, false),
        Bool("cluster-allow-reads-when-down", null, F.None, false),
        Bool("cluster-allow-pubsubshard-when-down", null, F.None, true),
        Bool("crash-log-enabled", null, F.None, true),
        Bool("crash-memcheck-enabled", null, F.None, true),
        Bool("use-exit-on-panic", null, F.Hidden, false),
        Bool("disable-thp", null, F.Immutable, true),
        Bool("cluster-allow-replica-migration", null, F.None, true),
        Bool("replica-announced", null, F.None, true),
        Bool("latency-tracking", null, F.None, true),
        Bool("aof-disable-auto-gc", null, F.None, false),
        Bool("replica-ignore-disk-write-errors", null, F.None, false),
        Str("aclfile", null, F.Immutable, emptyIsNull: false, ""),
        Str("unixsocket", null, F.Immutable, emptyIsNull: true, null),
        Str("pidfile", null, F.Immutable, emptyIsNull: true, null),
        Str("replica-announce-ip", "slave-announce-ip", F.None, emptyIsNull: true, null),
        Str("masteruser", null, F.Sensitive, emptyIsNull: true, null),
        Str("cluster-announce-ip", null, F.None, emptyIsNull: true, null),
        Str("cluster-config-file", null, F.Immutable, emptyIsNull: false, "nodes.conf"),
        Str("cluster-announce-hostname", null, F.None, emptyIsNull: true, null),
        Str("syslog-ident", null, F.Immutable, emptyIsNull: false, "redis"),
        Str("dbfilename", null, F.Protected, emptyIsNull: false, "dump.rdb"),
        Str("appendfilename", null, F.Immutable, emptyIsNull: false, "appendonly.aof"),
        Str("appenddirname", null, F.Immutable, emptyIsNull: false, "appendonlydir"),
        Str("server_cpulist", null, F.Immutable, emptyIsNull: true, null),
        Str("bio_cpulist", null, F.Immutable, emptyIsNull: true, null),
        Str("aof_rewrite_cpulist", null, F.Immutable, emptyIsNull: true, null),
        Str("bgsave_cpulist", null, F.Immutable, emptyIsNull: true, null),
        Str("ignore-warnings", null, F.None, emptyIsNull: false, ""),
        Str("proc-title-template", null, F.None, emptyIsNull: false, "{title} {listen-addr} {server-mode}"),
        Str("bind-source-addr", null, F.None, emptyIsNull: true, null),
        Str("logfile", null, F.Immutable, emptyIsNull: false, ""),
        Str("masterauth", null, F.Sensitive, emptyIsNull: true, null),
        Str("requirepass", null, F.Sensitive, emptyIsNull: true, null),
        Enum("supervised", null, F.Immutable, Enums.supervised_mode_enum, "no"),
        Enum("syslog-facility", null, F.Immutable, Enums.syslog_facility_enum, "local0"),
        Enum("repl-diskless-load", null, F.Debug | F.DenyLoading, Enums.repl_diskless_load_enum, "disabled"),
        Enum("loglevel", null, F.None, Enums.loglevel_enum, "notice"),
        Enum("maxmemory-policy", null, F.None, Enums.maxmemory_policy_enum, "noeviction"),
        Enum("appendfsync", null, F.None, Enums.aof_fsync_enum, "everysec"),
        Enum("oom-score-adj", null, F.None, Enums.oom_score_adj_enum, "no"),
        Enum("acl-pubsub-default", null, F.None, Enums.acl_pubsub_default_enum, "resetchannels"),
        Enum("sanitize-dump-payload", null, F.Debug, Enums.sanitize_dump_payload_enum, "no"),
        Enum("enable-protected-configs", null, F.Immutable, Enums.protected_action_enum, "no"),
        Enum("enable-debug-command", null, F.Immutable, Enums.protected_action_enum, "no"),
        Enum("enable-module-command", null, F.Immutable, Enums.protected_action_enum, "no"),
        Enum("cluster-preferred-endpoint-type", null, F.None, Enums.cluster_preferred_endpoint_type_enum, "ip"),
        Enum("propagation-error-behavior", null, F.None, Enums.propagation_error_behavior_enum, "ignore"),
        Enum("shutdown-on-sigint", null, F.MultiArg, Enums.shutdown_on_sig_enum, "default"),
        Enum("shutdown-on-sigterm", null, F.MultiArg, Enums.shutdown_on_sig_enum, "default"),
        Num("databases", null, F.Immutable, NumType.Int, (1), int.MaxValue, 16, N.None),
        Num("port", null, F.None, NumType.Int, (0), (65535), 6379, N.None),
        Num("io-threads", null, F.Debug | F.Immutable, NumType.Int, (1), (128), 1, N.None),
        Num("auto-aof-rewrite-percentage", null, F.None, NumType.Int, (0), int.MaxValue, 100, N.None),
        Num("cluster-replica-validity-factor", "cluster-slave-validity-factor", F.None, NumType.Int, (0), int.MaxValue, 10, N.None),
        Num("list-max-listpack-size", "list-max-ziplist-size", F.None, NumType.Int, int.MinValue, int.MaxValue, -2, N.None),
        Num("tcp-keepalive", null, F.None, NumType.Int, (0), int.MaxValue, 300, N.None),
        Num("cluster-migration-barrier", null, F.None, NumType.Int, (0), int.MaxValue, 1, N.None),
        Num("active-defrag-cycle-min", null, F.None, NumType.Int, (1), (99), 1, N.None),
        Num("active-defrag-cycle-max", null, F.None, NumType.Int, (1), (99), 25, N.None),
        Num("active-defrag-threshold-lower", null, F.None, NumType.Int, (0), (1000), 10, N.None),
        Num("active-defrag-threshold-upper", null, F.None, NumType.Int, (0), (1000), 100, N.None),
        Num("lfu-log-factor", null, F.None, NumType.Int, (0), int.MaxValue, 10, N.None),
        Num("lfu-decay-time", null, F.None, NumType.Int, (0), int.MaxValue, 1, N.None),
        Num("replica-priority", "slave-priority", F.None, NumType.Int, (0), int.MaxValue, 100, N.None),
        Num("repl-diskless-sync-delay", null, F.None, NumType.Int, (0), int.MaxValue, 5, N.None),
        Num("maxmemory-samples", null, F.None, NumType.Int, (1), int.MaxValue, 5, N.None),
        Num("maxmemory-eviction-tenacity", null, F.None, NumType.Int, (0), (100), 10, N.None),
        Num("timeout", null, F.None, NumType.Int, (0), int.MaxValue, 0, N.None),
        Num("replica-announce-port", "slave-announce-port", F.None, NumType.Int, (0), (65535), 0, N.None),
        Num("tcp-backlog", null, F.Immutable, NumType.Int, (0), int.MaxValue, 511, N.None),
        Num("cluster-port", null, F.Immutable, NumType.Int, (0), (65535), 0, N.None),
        Num("cluster-announce-bus-port", null, F.None, NumType.Int, (0), (65535), 0, N.None),
        Num("cluster-announce-port", null, F.None, NumType.Int, (0), (65535), 0, N.None),
        Num("cluster-announce-tls-port", null, F.None, NumType.Int, (0), (65535), 0, N.None),
        Num("repl-timeout", null, F.None, NumType.Int, (1), int.MaxValue, 60, N.None),
        Num("repl-ping-replica-period", "repl-ping-slave-period", F.None, NumType.Int, (1), int.MaxValue, 10, N.None),
        Num("list-compress-depth", null, F.Debug, NumType.Int, (0), int.MaxValue, 0, N.None),
        Num("rdb-key-save-delay", null, F.Hidden, NumType.Int, int.MinValue, int.MaxValue, 0, N.None),
        Num("key-load-delay", null, F.Hidden, NumType.Int, int.MinValue, int.MaxValue, 0, N.None),
        Num("active-expire-effort", null, F.None, NumType.Int, (1), (10), 1, N.None),
        Num("hz", null, F.None, NumType.Int, (0), int.MaxValue, 10, N.None),
        Num("min-replicas-to-write", "min-slaves-to-write", F.None, NumType.Int, (0), int.MaxValue, 0, N.None),
        Num("min-replicas-max-lag", "min-slaves-max-lag", F.None, NumType.Int, (0), int.MaxValue, 10, N.None),
        Num("watchdog-period", null, F.Hidden, NumType.Int, (0), int.MaxValue, 0, N.None),
        Num("shutdown-timeout", null, F.None, NumType.Int, (0), int.MaxValue, 10, N.None),
        Num("repl-diskless-sync-max-replicas", null, F.None, NumType.Int, (0), int.MaxValue, 0, N.None),
        Num("maxclients", null, F.None, NumType.UInt, (1), uint.MaxValue, 10000, N.None),
        Num("unixsocketperm", null, F.Immutable, NumType.UInt, (0), 511, 0, N.Octal),
        Num("socket-mark-id", null, F.Immutable, NumType.UInt, (0), uint.MaxValue, 0, N.None),
        Num("active-defrag-max-scan-fields", null, F.None, NumType.ULong, (1), long.MaxValue, 1000, N.None),
        Num("slowlog-max-len", null, F.None, NumType.ULong, (0), long.MaxValue, 128, N.None),
        Num("acllog-max-len", null, F.None, NumType.ULong, (0), long.MaxValue, 128, N.None),
        Num("busy-reply-threshold", "lua-time-limit", F.None, NumType.LongLong, (0), long.MaxValue, 5000, N.None),
        Num("cluster-node-timeout", null, F.None, NumType.LongLong, (0), long.MaxValue, 15000, N.None),
        Num("slowlog-log-slower-than", null, F.None, NumType.LongLong, (-1), long.MaxValue, 10000, N.None),
        Num("latency-monitor-threshold", null, F.None, NumType.LongLong, (0), long.MaxValue, 0, N.None),
        Num("proto-max-bulk-len", null, F.Debug, NumType.LongLong, (1024*1024), long.MaxValue, 536870912, N.Memory),
        Num("stream-node-max-entries", null, F.None, NumType.LongLong, (0), long.MaxValue, 100, N.None),
        Num("repl-backlog-size", null, F.None, NumType.LongLong, (1), long.MaxValue, 1048576, N.Memory),
        Num("maxmemory", null, F.None, NumType.ULongLong, (0), ulong.MaxValue, 0, N.Memory),
        Num("cluster-link-sendbuf-limit", null, F.None, NumType.ULongLong, (0), ulong.MaxValue, 0, N.Memory),
        Num("hash-max-listpack-entries", "hash-max-ziplist-entries", F.None, NumType.SizeT, (0), long.MaxValue, 512, N.None),
        Num("set-max-intset-entries", null, F.None, NumType.SizeT, (0), long.MaxValue, 512, N.None),
        Num("zset-max-listpack-entries", "zset-max-ziplist-entries", F.None, NumType.SizeT, (0), long.MaxValue, 128, N.None),
        Num("active-defrag-ignore-bytes", null, F.None, NumType.SizeT, (1), long.MaxValue, 104857600, N.Memory),
        Num("hash-max-listpack-value", "hash-max-ziplist-value", F.None, NumType.SizeT, (0), long.MaxValue, 64, N.Memory),
        Num("stream-node-max-bytes", null, F.None, NumType.SizeT, (0), long.MaxValue, 4096, N.Memory),
        Num("zset-max-listpack-value", "zset-max-ziplist-value", F.None, NumType.SizeT, (0), long.MaxValue, 64, N.Memory),
        Num("hll-sparse-max-bytes", null, F.None, NumType.SizeT, (0), long.MaxValue, 3000, N.Memory),
        Num("tracking-table-max-keys", null, F.None, NumType.SizeT, (0), long.MaxValue, 1000000, N.None),
        Num("client-query-buffer-limit", null, F.Debug, NumType.SizeT, (1024*1024), long.MaxValue, 1073741824, N.Memory),
        Num("maxmemory-clients", null, F.None, NumType.SSizeT, (-100), long.MaxValue, 0, N.Memory | N.Percent),
        Num("repl-backlog-ttl", null, F.None, NumType.TimeT, (0), long.MaxValue, 3600, N.None),
        Num("auto-aof-rewrite-min-size", null, F.None, NumType.OffT, (0), long.MaxValue, 67108864, N.Memory),
        Num("loading-process-events-interval-bytes", null, F.Hidden, NumType.OffT, (1024), int.MaxValue, 2097152, N.None),
        Num("tls-port", null, F.None, NumType.Int, (0), (65535), 0, N.None),
        Num("tls-session-cache-size", null, F.None, NumType.Int, (0), int.MaxValue, 20480, N.None),
        Num("tls-session-cache-timeout", null, F.None, NumType.Int, (0), int.MaxValue, 300, N.None),
        Bool("tls-cluster", null, F.None, false),
        Bool("tls-replication", null, F.None, false),
        Enum("tls-auth-clients", null, F.None, Enums.tls_auth_clients_enum, "yes"),
        Bool("tls-prefer-server-ciphers", null, F.None, false),
        Bool("tls-session-caching", null, F.None, true),
        Str("tls-cert-file", null, F.Volatile, emptyIsNull: true, null),
        Str("tls-key-file", null, F.Volatile, emptyIsNull: true, null),
        Str("tls-key-file-pass", null, F.None, emptyIsNull: true, null),
        Str("tls-client-cert-file", null, F.Volatile, emptyIsNull: true, null),
        Str("tls-client-key-file", null, F.Volatile, emptyIsNull: true, null),
        Str("tls-client-key-file-pass", null, F.None, emptyIsNull: true, null),
        Str("tls-dh-params-file", null, F.Volatile, emptyIsNull: true, null),
        Str("tls-ca-cert-file", null, F.Volatile, emptyIsNull: true, null),
        Str("tls-ca-cert-dir", null, F.Volatile, emptyIsNull: true, null),
        Str("tls-protocols", null, F.None, emptyIsNull: true, null),
        Str("tls-ciphers", null, F.None, emptyIsNull: true, null),
        Str("tls-ciphersuites", null, F.None, emptyIsNull: true, null),
        Special("dir", null, F.Protected | F.DenyLoading),
        Special("save", null, F.MultiArg),
        Special("client-output-buffer-limit", null, F.MultiArg),
        Special("oom-score-adj-values", null, F.MultiArg),
        Special("notify-keyspace-events", null, F.None),
        Special("bind", null, F.MultiArg),
        Special("replicaof", "slaveof", F.Immutable | F.MultiArg),
        Special("latency-tracking-info-percentiles", null, F.MultiArg),
    ];

    /// <summary>Lookup by primary name or alias, case-insensitive (Redis's configs dict).</summary>
    public static readonly IReadOnlyDictionary<string, ConfigDefinition> ByName = BuildIndex();

    /// <summary>
    /// Parameters whose value Cinnabar acts on. The rest are accepted and reported by CONFIG GET,
    /// and a startup warning names those set to a non-default value. Subsystems that start honouring
    /// a parameter add it here.
    /// </summary>
    public static readonly HashSet<string> Implemented = new(StringComparer.OrdinalIgnoreCase)
    {
        "bind", "port", "protected-mode", "daemonize", "pidfile", "logfile", "loglevel", "databases",
        "requirepass", "timeout", "tcp-keepalive", "tcp-backlog", "maxclients", "dir", "always-show-logo",
        "supervised", "proto-max-bulk-len", "client-query-buffer-limit", "hz", "dynamic-hz",
        "enable-debug-command", "slowlog-log-slower-than", "slowlog-max-len", "latency-monitor-threshold",
        "lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del", "lazyfree-lazy-user-del",
        "lazyfree-lazy-user-flush", "replica-lazy-flush", "replica-read-only", "replica-serve-stale-data",
        "notify-keyspace-events", "unixsocket", "unixsocketperm", "activerehashing", "active-expire-effort",
        "set-proc-title", "proc-title-template", "syslog-enabled", "syslog-ident", "syslog-facility",
        "crash-log-enabled", "crash-memcheck-enabled", "use-exit-on-panic", "disable-thp", "jemalloc-bg-thread",
        "io-threads", "io-threads-do-reads", "oom-score-adj", "oom-score-adj-values", "ignore-warnings",
        "latency-tracking", "latency-tracking-info-percentiles", "shutdown-on-sigint", "shutdown-on-sigterm",
        // RDB saving (Persistence/SnapshotService.cs).
        "save", "dbfilename", "rdbcompression", "rdbchecksum", "stop-writes-on-bgsave-error",
        "rdb-key-save-delay",
        // RDB loading (Persistence/Rdb/RdbStartupLoader.cs).
        "key-load-delay", "loading-process-events-interval-bytes",
        // Replication, primary side (Replication/PrimaryReplication.cs; client-output-buffer-limit
        // is enforced for the replica class).
        "repl-diskless-sync", "repl-diskless-sync-delay", "repl-diskless-sync-max-replicas", "repl-backlog-size",
        "repl-backlog-ttl", "repl-timeout", "repl-ping-replica-period", "min-replicas-to-write", "min-replicas-max-lag",
        "client-output-buffer-limit",
        // The replica side of replication (Replication/PrimaryLink.cs).
        "replicaof", "masterauth", "masteruser", "repl-diskless-load", "replica-priority",
        "replica-announce-ip", "replica-announce-port", "replica-announced",
    };

    private static Dictionary<string, ConfigDefinition> BuildIndex()
    {
        var index = new Dictionary<string, ConfigDefinition>(StringComparer.OrdinalIgnoreCase);
        foreach (var d in All)
        {
            index.Add(d.Name, d);
            if (d.Alias is not null)
            {
                index.Add(d.Alias, d);
            }
        }

        return index;
    }

    private static ConfigDefinition Bool(string name, string? alias, F flags, bool def) =>
        new() { Name = name, Alias = alias, Flags = flags, Kind = ConfigKind.Bool, DefaultBool = def };

    private static ConfigDefinition Str(string name, string? alias, F flags, bool emptyIsNull, string? def) =>
        new() { Name = name, Alias = alias, Flags = flags, Kind = ConfigKind.String, EmptyIsNull = emptyIsNull, DefaultString = def };

    private static ConfigDefinition Enum(string name, string? alias, F flags, ConfigEnumValue[] values, string def) =>
        new() { Name = name, Alias = alias, Flags = flags, Kind = ConfigKind.Enum, EnumValues = values, DefaultEnum = values.First(v => v.Name == def).Value };

    private static ConfigDefinition Num(string name, string? alias, F flags, NumType type, Int128 lower, Int128 upper, long def, N numeric) =>
        new()
        {
            Name = name,
            Alias = alias,
            Flags = flags,
            Kind = ConfigKind.Numeric,
            Lower = lower,
            Upper = upper,
            DefaultNumber = def,
            NumericFlags = numeric,
            Unsigned = type is NumType.UInt or NumType.ULongLong or NumType.SizeT,
        };

    private static ConfigDefinition Special(string name, string? alias, F flags) =>
        new() { Name = name, Alias = alias, Flags = flags, Kind = ConfigKind.Special };

    // The C integer types of config.c; only signedness matters here (error texts print
    // unsigned bounds with %llu).
    private enum NumType
    {
        Int,
        UInt,
        ULong,
        LongLong,
        ULongLong,
        SizeT,
        SSizeT,
        TimeT,
        OffT,
    }

    private static class Enums
    {
        public static readonly ConfigEnumValue[] supervised_mode_enum = [new("upstart", 1), new("systemd", 2), new("auto", 3), new("no", 0)];
        public static readonly ConfigEnumValue[] syslog_facility_enum = [new("user", 8), new("local0", 128), new("local1", 136), new("local2", 144), new("local3", 152), new("local4", 160), new("local5", 168), new("local6", 176), new("local7", 184)];
        public static readonly ConfigEnumValue[] repl_diskless_load_enum = [new("disabled", 0), new("on-empty-db", 1), new("swapdb", 2)];
        public static readonly ConfigEnumValue[] loglevel_enum = [new("debug", 0), new("verbose", 1), new("notice", 2), new("warning", 3)];
        public static readonly ConfigEnumValue[] maxmemory_policy_enum = [new("volatile-lru", 1), new("volatile-lfu", 2), new("volatile-random", 3), new("volatile-ttl", 4), new("allkeys-lru", 5), new("allkeys-lfu", 6), new("allkeys-random", 7), new("noeviction", 8)];
        public static readonly ConfigEnumValue[] aof_fsync_enum = [new("everysec", 2), new("always", 1), new("no", 0)];
        public static readonly ConfigEnumValue[] oom_score_adj_enum = [new("no", 0), new("yes", 1), new("relative", 1), new("absolute", 2)];
        public static readonly ConfigEnumValue[] acl_pubsub_default_enum = [new("allchannels", 1), new("resetchannels", 0)];
        public static readonly ConfigEnumValue[] sanitize_dump_payload_enum = [new("no", 0), new("yes", 1), new("clients", 2)];
        public static readonly ConfigEnumValue[] protected_action_enum = [new("no", 0), new("yes", 1), new("local", 2)];
        public static readonly ConfigEnumValue[] cluster_preferred_endpoint_type_enum = [new("ip", 0), new("hostname", 1), new("unknown-endpoint", 2)];
        public static readonly ConfigEnumValue[] propagation_error_behavior_enum = [new("ignore", 0), new("panic", 1), new("panic-on-replicas", 2)];
        public static readonly ConfigEnumValue[] shutdown_on_sig_enum = [new("default", 0), new("save", 1), new("nosave", 2), new("now", 4), new("force", 8)];
        public static readonly ConfigEnumValue[] tls_auth_clients_enum = [new("no", 0), new("yes", 1), new("optional", 2)];
    }
}
