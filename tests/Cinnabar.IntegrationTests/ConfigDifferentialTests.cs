using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

/// <summary>CONFIG GET/SET replies compared byte for byte with redis-server 7.0.15.</summary>
public class ConfigDifferentialTests : IClassFixture<DifferentialPair>
{
    private static readonly string[] ImplementedParameters =
    [
        "protected-mode", "daemonize", "pidfile", "logfile", "loglevel", "databases", "requirepass", "timeout",
        "tcp-keepalive", "tcp-backlog", "maxclients", "always-show-logo", "supervised", "proto-max-bulk-len",
        "client-query-buffer-limit", "hz", "dynamic-hz", "enable-debug-command", "slowlog-log-slower-than",
        "slowlog-max-len", "latency-monitor-threshold", "lazyfree-lazy-user-del", "lazyfree-lazy-user-flush",
        "lazyfree-lazy-expire", "lazyfree-lazy-server-del", "replica-read-only", "slave-read-only",
        "replica-serve-stale-data", "notify-keyspace-events", "unixsocket", "unixsocketperm", "bind", "save",
        "activerehashing", "active-expire-effort", "masterauth", "replicaof", "slaveof", "maxmemory",
        "client-output-buffer-limit", "oom-score-adj-values", "latency-tracking-info-percentiles",
    ];

    private readonly DifferentialPair _pair;

    public ConfigDifferentialTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public Task ConfigGetOfEachImplementedParameterMatchesRedis() =>
        _pair.AssertSameRepliesAsync([.. ImplementedParameters.Select(p => new[] { "CONFIG", "GET", p })]);

    [Fact]
    public Task ConfigSetThenGetMatchesRedis() => _pair.AssertSameRepliesAsync(
        ["CONFIG", "SET", "maxmemory", "100mb", "timeout", "7"],
        ["CONFIG", "GET", "maxmemory"],
        ["CONFIG", "GET", "timeout"],
        ["CONFIG", "SET", "hz", "1000"],
        ["CONFIG", "GET", "hz"],
        ["CONFIG", "SET", "save", "100 10 200 20"],
        ["CONFIG", "GET", "save"],
        ["CONFIG", "SET", "save", ""],
        ["CONFIG", "GET", "save"],
        ["CONFIG", "SET", "notify-keyspace-events", "Ex$"],
        ["CONFIG", "GET", "notify-keyspace-events"],
        ["CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 2mb 3 pubsub 0 0 0"],
        ["CONFIG", "GET", "client-output-buffer-limit"],
        ["CONFIG", "SET", "maxmemory-clients", "10%"],
        ["CONFIG", "GET", "maxmemory-clients"],
        ["CONFIG", "SET", "shutdown-on-sigterm", "save now"],
        ["CONFIG", "GET", "shutdown-on-sigterm"],
        ["CONFIG", "SET", "latency-tracking-info-percentiles", "50 99.5 99.999"],
        ["CONFIG", "GET", "latency-tracking-info-percentiles"],
        ["CONFIG", "SET", "maxmemory", "0", "timeout", "0", "hz", "10", "notify-keyspace-events", "", "maxmemory-clients", "0", "shutdown-on-sigterm", "default"]);

    [Fact]
    public Task ConfigSetErrorsMatchRedis() => _pair.AssertSameRepliesAsync(
        ["CONFIG", "SET", "maxmemory", "1x"],
        ["CONFIG", "SET", "port", "abc"],
        ["CONFIG", "SET", "port", "70000"],
        ["CONFIG", "SET", "daemonize", "yes"],
        ["CONFIG", "SET", "nosuch", "1"],
        ["CONFIG", "SET", "daemonize", "yes", "nosuch", "1"],
        ["CONFIG", "SET", "nosuch", "1", "daemonize", "yes"],
        ["CONFIG", "SET", "timeout", "1", "timeout", "2"],
        ["CONFIG", "SET", "timeout", "1", "maxmemory", "x"],
        ["CONFIG", "GET", "timeout"],
        ["CONFIG", "SET", "maxclients", "-1"],
        ["CONFIG", "SET", "loglevel", "loud"],
        ["CONFIG", "SET", "appendfsync", "sometimes"],
        ["CONFIG", "SET", "save", "1 2 3"],
        ["CONFIG", "SET", "maxmemory-clients", "200%"],
        ["CONFIG", "SET", "notify-keyspace-events", "Q"],
        ["CONFIG", "SET", "client-output-buffer-limit", "master 1 2 3"],
        ["CONFIG", "SET", "shutdown-on-sigterm", "save nosave"],
        ["CONFIG", "SET", "dbfilename", "x.rdb"],
        ["CONFIG", "SET", "dir", "/nonexistent/dir"],
        ["CONFIG", "SET", "oom-score-adj-values", "1 2"],
        ["CONFIG", "SET", "unixsocketperm", "777"],
        ["CONFIG", "SET", "proto-max-bulk-len", "100"],
        ["CONFIG", "SET", "timeout"],
        ["CONFIG", "SET", "timeout", "1", "hz"],
        ["CONFIG", "GET"],
        ["CONFIG", "GET", "nosuch"],
        ["CONFIG", "GET", "PORT-nope", "TIMEOUT"],
        ["CONFIG", "HELP"],
        ["CONFIG", "NOSUCH"]);
}
