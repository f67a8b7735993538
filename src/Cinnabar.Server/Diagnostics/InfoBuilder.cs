// The text of INFO, section by section in genRedisInfoString's order with Redis 7.0.15's field
// names, so that tools parsing INFO (redis-cli, sentinel, exporters) find what they expect.
// Values that Redis takes from jemalloc or fork are given their nearest .NET meaning (the GC
// heap for used_memory, /proc/self/statm for RSS) or Redis's idle value (no fork, no AOF).
// "default" is the sections Redis prints without arguments; "all" adds commandstats and
// latencystats; "everything" adds module sections (none here). Section names match in any case.
using System.Buffers;
using System.Globalization;
using System.Text;

using Cinnabar.Protocol;
using Cinnabar.Server.Commands;

using static Cinnabar.Server.Diagnostics.InfoText;

namespace Cinnabar.Server.Diagnostics;

/// <summary>Builds the INFO reply text.</summary>
internal static class InfoBuilder
{
    // One builder per thread, kept between calls (INFO runs on the command thread); a builder
    // that grew past this many characters (INFO all with many commands) is not kept.
    private const int KeptCapacity = 32 * 1024;

    // mem_allocator: the runtime that manages the memory, in Redis's "libc"/"jemalloc-5.2.1" place.
    private static readonly string Allocator = "dotnet-" + Environment.Version.ToString(3);

    [ThreadStatic]
    private static StringBuilder? t_builder;

    [Flags]
    private enum Sections
    {
        None = 0,
        Server = 1 << 0,
        Clients = 1 << 1,
        Memory = 1 << 2,
        Persistence = 1 << 3,
        Stats = 1 << 4,
        Replication = 1 << 5,
        Cpu = 1 << 6,
        Modules = 1 << 7,
        CommandStats = 1 << 8,
        ErrorStats = 1 << 9,
        LatencyStats = 1 << 10,
        Cluster = 1 << 11,
        Keyspace = 1 << 12,
        Default = Server | Clients | Memory | Persistence | Stats | Replication | Cpu | Modules | ErrorStats | Cluster | Keyspace,
        All = Default | CommandStats | LatencyStats,
    }

    /// <summary>
    /// INFO [section ...] from argument <paramref name="first"/> on (none = the default
    /// sections), written as a verbatim reply. The text is formatted into a reused builder and
    /// encoded into a pooled buffer, so a call allocates next to nothing: exporters poll INFO.
    /// </summary>
    public static void Reply(CinnabarServer server, CommandArgs args, int first, ReplyWriter reply)
    {
        var wanted = Sections.None;
        for (int i = first; i < args.Count; i++)
        {
            wanted |= SectionNamed(args[i]);
        }

        var sb = t_builder ?? new StringBuilder(4096);
        t_builder = null;
        sb.Clear();
        Append(server, args.Count > first ? wanted : Sections.Default, sb);
        char[] chars = ArrayPool<char>.Shared.Rent(sb.Length);
        byte[] bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(sb.Length));
        try
        {
            sb.CopyTo(0, chars, sb.Length);
            int n = Encoding.UTF8.GetBytes(chars, 0, sb.Length, bytes, 0);
            reply.Verbatim(bytes.AsSpan(0, n), "txt");
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
            ArrayPool<byte>.Shared.Return(bytes);
            if (sb.Capacity <= KeptCapacity)
            {
                t_builder = sb;
            }
        }
    }

    // Section names match in any case; "default", "all" and "everything" are groups; unknown
    // names select nothing (Redis prints nothing for them).
    private static Sections SectionNamed(ReadOnlySpan<byte> name)
    {
        ReadOnlySpan<(string Name, Sections Value)> names =
        [
            ("server", Sections.Server), ("clients", Sections.Clients), ("memory", Sections.Memory),
            ("persistence", Sections.Persistence), ("stats", Sections.Stats), ("replication", Sections.Replication),
            ("cpu", Sections.Cpu), ("module_list", Sections.Modules), ("modules", Sections.Modules),
            ("commandstats", Sections.CommandStats), ("errorstats", Sections.ErrorStats),
            ("latencystats", Sections.LatencyStats), ("cluster", Sections.Cluster), ("keyspace", Sections.Keyspace),
            ("default", Sections.Default), ("all", Sections.All), ("everything", Sections.All),
        ];
        foreach (var (text, value) in names)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(name, text))
            {
                return value;
            }
        }

        return Sections.None;
    }

    private static void Append(CinnabarServer server, Sections wanted, StringBuilder sb)
    {
        int sections = 0;
        bool Want(Sections section) => (wanted & section) != 0;
        void Header(string title)
        {
            if (sections++ > 0)
            {
                sb.Append("\r\n");
            }

            sb.Append("# ").Append(title).Append("\r\n");
        }

        if (Want(Sections.Server))
        {
            Header("Server");
            Server(server, sb);
        }

        if (Want(Sections.Clients))
        {
            Header("Clients");
            Clients(server, sb);
        }

        if (Want(Sections.Memory))
        {
            Header("Memory");
            Memory(server, sb);
        }

        if (Want(Sections.Persistence))
        {
            Header("Persistence");
            Persistence(server, sb);
        }

        if (Want(Sections.Stats))
        {
            Header("Stats");
            Stats(server, sb);
        }

        if (Want(Sections.Replication))
        {
            Header("Replication");
            Replication(server, sb);
        }

        if (Want(Sections.Cpu))
        {
            Header("CPU");
            Cpu(sb);
        }

        if (Want(Sections.Modules))
        {
            Header("Modules");
        }

        if (Want(Sections.CommandStats))
        {
            Header("Commandstats");
            CommandStats(server.Commands.All, sb);
        }

        if (Want(Sections.ErrorStats))
        {
            Header("Errorstats");
            foreach (var (code, count) in server.Stats.ErrorsByCode.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                Line(sb, "errorstat_" + SafeName(code), "count=" + count.ToString(CultureInfo.InvariantCulture));
            }
        }

        if (Want(Sections.LatencyStats))
        {
            Header("Latencystats");
            if (server.Metrics.LatencyTracking)
            {
                LatencyStats(server, server.Commands.All, sb);
            }
        }

        if (Want(Sections.Cluster))
        {
            Header("Cluster");
            Line(sb, "cluster_enabled", 0);
        }

        if (Want(Sections.Keyspace))
        {
            Header("Keyspace");
            foreach (var db in server.Databases)
            {
                if (db.Count > 0 || db.VolatileCount > 0)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"db{db.Index}:keys={db.Count},expires={db.VolatileCount},avg_ttl={db.AverageTtl}\r\n");
                }
            }
        }
    }

    private static void Server(CinnabarServer server, StringBuilder sb)
    {
        var now = server.Time.GetUtcNow();
        long nowUs = (now - DateTimeOffset.UnixEpoch).Ticks / 10;
        long uptime = (server.NowMs - server.StartTimeMs) / 1000;
        Line(sb, "redis_version", Hosting.ServerHost.RedisVersion);
        Line(sb, "cinnabar_version", Hosting.ServerHost.CinnabarVersion);
        Line(sb, "redis_git_sha1", "00000000");
        Line(sb, "redis_git_dirty", 0);
        Line(sb, "redis_build_id", "0");
        Line(sb, "redis_mode", "standalone");
        Line(sb, "os", ProcessFacts.OsName);
        Line(sb, "arch_bits", IntPtr.Size * 8);
        Line(sb, "monotonic_clock", "POSIX clock_gettime");
        Line(sb, "multiplexing_api", "epoll");
        Line(sb, "atomicvar_api", "c11-builtin");
        Line(sb, "gcc_version", "0.0.0");
        Line(sb, "process_id", Environment.ProcessId);
        Line(sb, "process_supervised", server.Config.Supervised is "upstart" or "systemd" ? server.Config.Supervised : "no");
        Line(sb, "run_id", server.RunId);
        Line(sb, "tcp_port", server.Config.Port);
        Line(sb, "server_time_usec", nowUs);
        Line(sb, "uptime_in_seconds", uptime);
        Line(sb, "uptime_in_days", uptime / 86400);
        Line(sb, "hz", server.Config.Hz);
        Line(sb, "configured_hz", server.Config.Hz);
        Line(sb, "lru_clock", (server.NowMs / 1000) & ((1 << 24) - 1));
        Line(sb, "executable", Environment.ProcessPath ?? string.Empty);
        Line(sb, "config_file", server.Config.ConfigFile);
        Line(sb, "io_threads_active", 0);
        if (server.ShutdownSequence.Initiated)
        {
            Line(sb, "shutdown_in_milliseconds", server.ShutdownSequence.DeadlineMs - server.NowMs);
        }
    }

    private static void Clients(CinnabarServer server, StringBuilder sb)
    {
        int replicas = 0;
        int blocked = 0;
        long maxIn = 0;
        long maxOut = 0;
        foreach (var c in server.Clients.Values)
        {
            if (c.IsReplica)
            {
                replicas++;
            }

            if (c.Blocked)
            {
                blocked++;
            }

            maxIn = Math.Max(maxIn, c.QueryBufferLength);
            maxOut = Math.Max(maxOut, c.Output.Length);
        }

        Line(sb, "connected_clients", server.Clients.Count - replicas);
        Line(sb, "cluster_connections", 0);
        Line(sb, "maxclients", server.Config.MaxClients);
        Line(sb, "client_recent_max_input_buffer", maxIn);
        Line(sb, "client_recent_max_output_buffer", maxOut);
        Line(sb, "blocked_clients", blocked);
        Line(sb, "tracking_clients", 0);
        Line(sb, "clients_in_timeout_table", 0);
    }

    private static void Memory(CinnabarServer server, StringBuilder sb)
    {
        long used = ProcessFacts.UsedMemory();
        server.Metrics.UpdatePeak(used);
        long peak = server.Metrics.PeakMemory;
        long rss = ProcessFacts.ResidentMemory();
        long startup = Math.Min(server.Metrics.StartupMemory, used);
        long overhead = startup;
        long dataset = Math.Max(0, used - overhead);
        long netUsed = used - startup;
        long sys = ProcessFacts.SystemMemory;
        var gc = GC.GetGCMemoryInfo();
        long committed = Math.Max(gc.TotalCommittedBytes, used);
        Line(sb, "used_memory", used);
        HumanLine(sb, "used_memory_human", used);
        Line(sb, "used_memory_rss", rss);
        HumanLine(sb, "used_memory_rss_human", rss);
        Line(sb, "used_memory_peak", peak);
        HumanLine(sb, "used_memory_peak_human", peak);
        PercentLine(sb, "used_memory_peak_perc", Percentage(used, peak));
        Line(sb, "used_memory_overhead", overhead);
        Line(sb, "used_memory_startup", startup);
        Line(sb, "used_memory_dataset", dataset);
        PercentLine(sb, "used_memory_dataset_perc", Percentage(dataset, netUsed <= 0 ? 1 : netUsed));
        Line(sb, "allocator_allocated", used);
        Line(sb, "allocator_active", committed);
        Line(sb, "allocator_resident", committed);
        Line(sb, "total_system_memory", sys);
        HumanLine(sb, "total_system_memory_human", sys);
        Line(sb, "used_memory_lua", 0);
        Line(sb, "used_memory_vm_eval", 0);
        Line(sb, "used_memory_lua_human", "0B");
        Line(sb, "used_memory_scripts_eval", 0);
        Line(sb, "number_of_cached_scripts", 0);
        Line(sb, "number_of_functions", 0);
        Line(sb, "number_of_libraries", 0);
        Line(sb, "used_memory_vm_functions", 0);
        Line(sb, "used_memory_vm_total", 0);
        Line(sb, "used_memory_vm_total_human", "0B");
        Line(sb, "used_memory_functions", 0);
        Line(sb, "used_memory_scripts", 0);
        Line(sb, "used_memory_scripts_human", "0B");
        Line(sb, "maxmemory", 0);
        Line(sb, "maxmemory_human", "0B");
        Line(sb, "maxmemory_policy", "noeviction");
        LineF2(sb, "allocator_frag_ratio", Quotient(committed, used));
        Line(sb, "allocator_frag_bytes", committed - used);
        LineF2(sb, "allocator_rss_ratio", Quotient(committed, committed));
        Line(sb, "allocator_rss_bytes", 0);
        LineF2(sb, "rss_overhead_ratio", Quotient(rss, committed));
        Line(sb, "rss_overhead_bytes", rss - committed);
        LineF2(sb, "mem_fragmentation_ratio", Quotient(rss, used));
        Line(sb, "mem_fragmentation_bytes", rss - used);
        Line(sb, "mem_not_counted_for_evict", 0);
        // Redis 7.0's getMemoryOverheadData: the shared buffer is the backlog's up to
        // repl-backlog-size, and what exceeds it (while replicas exist) is theirs.
        var repl = server.Replication;
        bool replicasHoldExcess = repl.Replicas.Count > 0 && repl.BufferMemory > repl.BacklogSize;
        Line(sb, "mem_replication_backlog", replicasHoldExcess ? repl.BacklogSize : repl.BufferMemory);
        Line(sb, "mem_total_replication_buffers", repl.BufferMemory);
        Line(sb, "mem_clients_slaves", replicasHoldExcess ? repl.BufferMemory - repl.BacklogSize : 0);
        long normalBuffers = 0;
        foreach (var c in server.Clients.Values)
        {
            normalBuffers += c.Output.Capacity;
        }

        Line(sb, "mem_clients_normal", normalBuffers);
        Line(sb, "mem_cluster_links", 0);
        Line(sb, "mem_aof_buffer", 0);
        Line(sb, "mem_allocator", Allocator);
        Line(sb, "active_defrag_running", 0);
        Line(sb, "lazyfree_pending_objects", 0);
        Line(sb, "lazyfreed_objects", server.Stats.LazyFreedObjects);

        // Beyond Redis: the garbage collector's work since startup, the first place to look when
        // latency has a tail (every collection pauses the command thread for its pause part).
        Line(sb, "gc_gen0_collections", GC.CollectionCount(0));
        Line(sb, "gc_gen1_collections", GC.CollectionCount(1));
        Line(sb, "gc_gen2_collections", GC.CollectionCount(2));
        Line(sb, "gc_pause_total_usec", (long)GC.GetTotalPauseDuration().TotalMicroseconds);
    }

    private static void Persistence(CinnabarServer server, StringBuilder sb)
    {
        Line(sb, "loading", server.Loading ? 1 : 0);
        Line(sb, "async_loading", server.AsyncLoading ? 1 : 0);
        // No fork, so no copy-on-write: what writes cost a running snapshot instead is the keys
        // they made it copy before the traversal got there, reported in the COW fields.
        long copied = server.ActiveSnapshot?.CopiedOnWriteBytes ?? 0;
        Line(sb, "current_cow_peak", copied);
        Line(sb, "current_cow_size", copied);
        Line(sb, "current_cow_size_age", 0);
        var snapshot = server.ActiveSnapshot;
        long processed = snapshot?.KeysWritten ?? 0, total = snapshot?.KeysTotal ?? 0;
        LineF2(sb, "current_fork_perc", total == 0 ? 0 : processed * 100.0 / total);
        Line(sb, "current_save_keys_processed", processed);
        Line(sb, "current_save_keys_total", total);
        Line(sb, "rdb_changes_since_last_save", server.Dirty);
        Line(sb, "rdb_bgsave_in_progress", server.Snapshots.Busy ? 1 : 0);
        Line(sb, "rdb_last_save_time", LastSaveSeconds(server));
        Line(sb, "rdb_last_bgsave_status", server.Snapshots.LastBgsaveOk ? "ok" : "err");
        Line(sb, "rdb_last_bgsave_time_sec", server.Snapshots.LastBgsaveSeconds);
        Line(sb, "rdb_current_bgsave_time_sec", server.Snapshots.CurrentBgsaveSeconds);
        Line(sb, "rdb_saves", server.Snapshots.Saves);
        Line(sb, "rdb_last_cow_size", server.Snapshots.LastCopiedOnWriteBytes);
        Line(sb, "rdb_last_load_keys_expired", server.LoadingProgress.LastLoadKeysExpired);
        Line(sb, "rdb_last_load_keys_loaded", server.LoadingProgress.LastLoadKeysLoaded);
        Line(sb, "aof_enabled", 0);
        Line(sb, "aof_rewrite_in_progress", 0);
        Line(sb, "aof_rewrite_scheduled", 0);
        Line(sb, "aof_last_rewrite_time_sec", -1);
        Line(sb, "aof_current_rewrite_time_sec", -1);
        Line(sb, "aof_last_bgrewrite_status", "ok");
        Line(sb, "aof_rewrites", 0);
        Line(sb, "aof_rewrites_consecutive_failures", 0);
        Line(sb, "aof_last_write_status", "ok");
        Line(sb, "aof_last_cow_size", 0);
        Line(sb, "module_fork_in_progress", 0);
        Line(sb, "module_fork_last_cow_size", 0);
        if (server.Loading || server.AsyncLoading)
        {
            server.LoadingProgress.AppendInfo(sb, server.NowMs / 1000);
        }

        // Beyond Redis (ARCHITECTURE §7): the extra memory a running snapshot holds right now
        // (copied keys waiting for the encoder); Redis's nearest figure is current_cow_size.
        Line(sb, "current_save_buffered_bytes", snapshot?.BufferedBytes ?? 0);
    }

    /// <summary>LASTSAVE / rdb_last_save_time: the last save, or the start time before any save.</summary>
    public static long LastSaveSeconds(CinnabarServer server) =>
        (server.LastSaveMs != 0 ? server.LastSaveMs : server.StartTimeMs) / 1000;

    private static void Stats(CinnabarServer server, StringBuilder sb)
    {
        var s = server.Stats;
        var m = server.Metrics;
        Line(sb, "total_connections_received", s.ConnectionsReceived);
        Line(sb, "total_commands_processed", s.CommandsProcessed);
        Line(sb, "instantaneous_ops_per_sec", m.OpsPerSecond);
        Line(sb, "total_net_input_bytes", Interlocked.Read(ref s.NetInputBytes));
        Line(sb, "total_net_output_bytes", Interlocked.Read(ref s.NetOutputBytes));
        Line(sb, "total_net_repl_input_bytes", Interlocked.Read(ref s.NetReplInputBytes));
        Line(sb, "total_net_repl_output_bytes", Interlocked.Read(ref s.NetReplOutputBytes));
        LineF2(sb, "instantaneous_input_kbps", m.InputKbps);
        LineF2(sb, "instantaneous_output_kbps", m.OutputKbps);
        Line(sb, "instantaneous_input_repl_kbps", "0.00");
        Line(sb, "instantaneous_output_repl_kbps", "0.00");
        Line(sb, "rejected_connections", s.RejectedConnections);
        Line(sb, "sync_full", s.SyncFull);
        Line(sb, "sync_partial_ok", s.SyncPartialOk);
        Line(sb, "sync_partial_err", s.SyncPartialErr);
        Line(sb, "expired_keys", s.ExpiredKeys);
        LineF2(sb, "expired_stale_perc", s.ExpiredStalePercent);
        Line(sb, "expired_time_cap_reached_count", s.ExpiredTimeCapReached);
        Line(sb, "expire_cycle_cpu_milliseconds", s.ExpireCycleCpuMs);
        Line(sb, "evicted_keys", s.EvictedKeys);
        Line(sb, "evicted_clients", 0);
        Line(sb, "total_eviction_exceeded_time", 0);
        Line(sb, "current_eviction_exceeded_time", 0);
        Line(sb, "keyspace_hits", s.KeyspaceHits);
        Line(sb, "keyspace_misses", s.KeyspaceMisses);
        Line(sb, "pubsub_channels", 0);
        Line(sb, "pubsub_patterns", 0);
        Line(sb, "pubsubshard_channels", 0);
        Line(sb, "latest_fork_usec", 0);
        Line(sb, "total_forks", 0);
        Line(sb, "migrate_cached_sockets", 0);
        Line(sb, "slave_expires_tracked_keys", 0);
        Line(sb, "active_defrag_hits", 0);
        Line(sb, "active_defrag_misses", 0);
        Line(sb, "active_defrag_key_hits", 0);
        Line(sb, "active_defrag_key_misses", 0);
        Line(sb, "total_active_defrag_time", 0);
        Line(sb, "current_active_defrag_time", 0);
        Line(sb, "tracking_total_keys", 0);
        Line(sb, "tracking_total_items", 0);
        Line(sb, "tracking_total_prefixes", 0);
        Line(sb, "unexpected_error_replies", s.UnexpectedErrorReplies);
        Line(sb, "total_error_replies", s.ErrorReplies);
        Line(sb, "dump_payload_sanitizations", 0);
        Line(sb, "total_reads_processed", Interlocked.Read(ref s.ReadsProcessed));
        Line(sb, "total_writes_processed", Interlocked.Read(ref s.WritesProcessed));
        Line(sb, "io_threaded_reads_processed", 0);
        Line(sb, "io_threaded_writes_processed", 0);
        Line(sb, "reply_buffer_shrinks", 0);
        Line(sb, "reply_buffer_expands", 0);
    }

    private static void Replication(CinnabarServer server, StringBuilder sb)
    {
        Line(sb, "role", server.IsReplica ? "slave" : "master");
        server.PrimaryLink.AppendInfo(sb);
        server.PrimaryReplication.AppendInfo(sb);
    }

    // Redis's getrusage(RUSAGE_SELF) and, for the main thread, RUSAGE_THREAD: INFO runs on the
    // command thread (the event loop's), so its own figures are the "main thread" ones.
    private static void Cpu(StringBuilder sb)
    {
        var (processUser, processSys) = ProcessFacts.CpuTimes(thread: false);
        var (threadUser, threadSys) = ProcessFacts.CpuTimes(thread: true);
        SecondsLine(sb, "used_cpu_sys", processSys);
        SecondsLine(sb, "used_cpu_user", processUser);
        Line(sb, "used_cpu_sys_children", "0.000000");
        Line(sb, "used_cpu_user_children", "0.000000");
        SecondsLine(sb, "used_cpu_sys_main_thread", threadSys);
        SecondsLine(sb, "used_cpu_user_main_thread", threadUser);
    }

    private static void CommandStats(IEnumerable<CommandSpec> commands, StringBuilder sb)
    {
        foreach (var c in commands)
        {
            if (c.Calls != 0 || c.FailedCalls != 0 || c.RejectedCalls != 0)
            {
                double perCall = c.Calls == 0 ? 0 : (float)c.Microseconds / c.Calls;
                sb.Append(CultureInfo.InvariantCulture, $"cmdstat_{SafeName(c.FullName)}:calls={c.Calls},usec={c.Microseconds},usec_per_call={perCall:F2},rejected_calls={c.RejectedCalls},failed_calls={c.FailedCalls}\r\n");
            }

            if (c.Subcommands is not null)
            {
                CommandStats(c.Subcommands.Values, sb);
            }
        }
    }

    private static void LatencyStats(CinnabarServer server, IEnumerable<CommandSpec> commands, StringBuilder sb)
    {
        foreach (var c in commands)
        {
            if (server.Metrics.Histograms.TryGetValue(c, out var h))
            {
                sb.Append("latency_percentiles_usec_").Append(SafeName(c.FullName)).Append(':');
                var percentiles = server.Metrics.LatencyPercentiles;
                for (int j = 0; j < percentiles.Length; j++)
                {
                    // "p%s" of printf("%f") with trailing zeros trimmed (trimDoubleString), then "%.3f".
                    string label = percentiles[j].ToString("F6", CultureInfo.InvariantCulture).TrimEnd('0').TrimEnd('.');
                    sb.Append('p').Append(label).Append('=').Append((h.ValueAtPercentile(percentiles[j]) / 1000.0).ToString("F3", CultureInfo.InvariantCulture));
                    if (j != percentiles.Length - 1)
                    {
                        sb.Append(',');
                    }
                }

                sb.Append("\r\n");
            }

            if (c.Subcommands is not null)
            {
                LatencyStats(server, c.Subcommands.Values, sb);
            }
        }
    }

    // getSafeInfoString: characters that would break the "name:value" line format become '_'.
    private static string SafeName(string s) =>
        s.IndexOfAny([':', '\r', '\n', '#']) < 0 ? s : s.Replace(':', '_').Replace('\r', '_').Replace('\n', '_').Replace('#', '_');

    // "%ld.%06ld" of a struct timeval, from microseconds.
    private static void SecondsLine(StringBuilder sb, string name, long micros) =>
        sb.Append(name).Append(':').Append(CultureInfo.InvariantCulture, $"{micros / 1_000_000}.{micros % 1_000_000:D6}").Append("\r\n");

    private static double Percentage(long part, long whole) => whole <= 0 ? 0 : part * 100.0 / whole;

    private static double Quotient(long a, long b) => b <= 0 ? 0 : (double)a / b;
}
