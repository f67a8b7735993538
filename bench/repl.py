#!/usr/bin/env python3
"""Replication benchmark (issue 4): Cinnabar vs Debian's redis-server 7.0.15 in the same run.

Each pairing is homogeneous (a Redis primary with a Redis replica, a Cinnabar primary with a
Cinnabar replica). The dataset (key:%012d as redis-benchmark's -r names them, 32-byte values) is
written once per key count into a redis-server through redis-cli --pipe and SAVEd; every primary
starts from that dump.rdb. Both servers run with the default configuration except
repl-diskless-sync-delay 0 (diskless sync, which is 7.0's default, starts at once instead of
waiting 5 s for more replicas); the replica loads through a disk file (repl-diskless-load
disabled, the default). For each key count, repetition and server (alternating which goes first):

  1. Full sync: a fresh empty replica gets REPLICAOF; seconds until its INFO says
     master_link_status:up and DBSIZE equals the primary's (polled every 5 ms). No other load.
  2. Memory during a full sync under writes: first the same SET load as below for --warm-writes
     requests (a primary in service has served writes before a replica syncs; in Cinnabar the
     write path's code is compiled by then, which is not a cost of the sync), then MEMORY PURGE
     on the primary, its PSS is the dataset;
     a second fresh replica syncs while redis-benchmark writes SET at full speed to the primary
     (-r keys -P 16 -c 20: every write overwrites a key of the dataset). The peak PSS of the
     primary (for Redis summed with its fork child, so copy-on-write pages count once) and of the
     replica, sampled every 10 ms, are divided by the primary's dataset PSS. Beside them: the
     write stream produced during the sync (master_repl_offset growth from REPLICAOF to the
     replica's link up), which the primary must hold for the replica until the RDB is loaded, and
     the peak of the primary's mem_total_replication_buffers. The same peak over the private
     part of PSS alone (Pss_Anon + Pss_Shmem: heap, stacks, JIT code, for Redis with its fork
     child's copy-on-write pages once) is the measure for the <= 1.1x target: the file-backed
     pages of the binary and its libraries are not the dataset, and their PSS share drops when
     the replica (the same binary) starts, which hides growth in the whole-PSS ratio.
  3. Primary throughput with that replica online: redis-benchmark -t set,incr,lpush -c 50 at
     -P 16 and -P 1, about 1-1.5 s per test (-n from --n16 / --n1). Both pairings stay up after
     step 2 and are measured in turn, --tput-rounds rounds (3) alternating which goes first; per
     test the median of the rounds. (Measured one pairing after the other, the machine's drift
     between the two phases, 15-25% at -P 1 on two cores, decided the ratio.)
  4. Replica lag at half the primary's maximum rate for the same writes: step 3 also measures
     redis-benchmark -t set -r <keys> -d 32 -P 16 (SETs of random dataset keys, the writer's
     workload; until the ninth session the single-key -P 16 SET rate was taken as the maximum,
     1.5-2x the random-key rate at 1M keys, so the test ran near saturation; it is still run,
     as "near saturation", for comparison with earlier records); a paced
     writer process (--writers connections, a batch every millisecond) sends SETs of random
     dataset keys whose 32-byte values start with the send time (CLOCK_MONOTONIC ns); once per
     millisecond one extra SET probe:<send ns> goes at the end of a batch. A subscriber process
     PSUBSCRIBEs __keyspace@0__:probe:* on the replica (and on the primary, for comparison) with
     notify-keyspace-events K$ (keyspace events fire for writes applied from the primary, in
     both servers); arrival time minus send time is the probe's lag, over the whole run and over
     its steady part (probes sent after the writer's first second: connecting, building its
     templates, the servers' first keyspace events, and in Cinnabar code the JIT has not yet
     optimized for this load), and per probe its arrival on the replica minus its arrival on
     the primary (what replication adds to the primary's own latency); for Cinnabar also the
     garbage collections of both processes during the test (INFO memory). In bytes: the primary's
     master_repl_offset minus the replica's slave_repl_offset, sampled every 10 ms (the primary's
     read just before and just after the replica's, averaged). The same again at a light fixed
     rate (--light-rate, 10,000 SETs/s), to separate replication from a saturated machine (the
     writer process itself needs a good part of one of the 2 cores at the half-max rate).
  5. Partial resync after a real 1-second link outage: the replica is re-pointed at a TCP proxy
     in front of the primary; with the paced writer at --gap-rate SETs/s (the gap's bytes must
     fit the default 1 MB backlog), the proxy closes both connections and refuses new ones for
     1 s; the writer stops at the end of the outage and the primary's master_repl_offset P is
     read; the replica's slave_repl_offset R after the drop is what it had applied. The proxy
     then lets the replica reconnect; the primary's log line "Partial resynchronization request
     from ... accepted. Sending N bytes of backlog starting from offset M." must say N = P - R
     and M = R + 1 (exactly the missed bytes), and sync_partial_ok must grow by one.

Usage: bench/repl.py [--keys 1000000,5000000] [--reps 3] [--warm-writes 3000000] [--out file.md]
Environment: REDIS_SERVER (default redis-server), CINNABAR (default ./cinnabar-server).
Servers bind to 127.0.0.1 on free ports and are stopped by PID.
"""
import argparse
import multiprocessing
import os
import random
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import HERE, Conn, Server, cli, populate, resp_command

CONFIG = ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"]
CONFIG_TEXT = ("repl-diskless-sync yes, repl-diskless-sync-delay 0, repl-diskless-load disabled (replica loads "
               "through a file), repl-backlog-size 1mb, client-output-buffer-limit replica 256mb 64mb 60; "
               "save \"\", appendonly no")


def wait_until(what, check, timeout=300, interval=0.005):
    """Polls check() until it returns a true value (returned), or raises after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(interval)


def replica_synced(replica, keys):
    """True when the replica's link is up and it holds keys keys (DBSIZE)."""
    if replica.info("replication").get("master_link_status") != "up":
        return False
    n = replica.call("dbsize")
    return isinstance(n, int) and n == keys


def replica_online(primary):
    """True when the primary counts its one replica online (Redis starts the command stream only
    after the replica's first REPLCONF ACK, up to a second after the replica's link is up)."""
    fields = primary.info("replication")
    return fields.get("connected_slaves") == "1" and "state=online" in fields.get("slave0", "")


def caught_up(primary, replica):
    p = int(primary.info("replication")["master_repl_offset"])
    return int(replica.info("replication").get("slave_repl_offset", "-1")) == p


def make_dump(keys, workdir):
    """dump.rdb with keys keys, written by redis-server (SAVE) once for all runs."""
    d = os.path.join(workdir, f"dump-{keys}")
    os.makedirs(d, exist_ok=True)
    s = Server("redis", d, name="populate")
    try:
        populate(s.port, keys)
        assert cli(s.port, "save") == "OK"
    finally:
        s.stop()
    return os.path.join(d, "dump.rdb")


# ---- the paced writer (its own process, so the reader and the samplers don't disturb its pacing)

def paced_writer(port, keys, rate, connections, probes, stop, started, result):
    """Sends rate SETs per second (a batch per millisecond, spread over connections) of random
    dataset keys, values = 19-digit CLOCK_MONOTONIC ns + padding; with probes, one extra
    SET probe:<ns> per millisecond. Runs until stop is set, then waits for every reply."""
    socks = []
    for _ in range(connections):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks.append(s)
    per_ms = rate / 1000.0
    mark = b"\x00" * 19
    rng = random.Random(42)

    def template(n):
        # n SETs with the timestamp left as a marker, split around it: b(ts).join(parts) is C speed
        cmds = b"".join(resp_command("SET", f"key:{rng.randrange(keys):012d}", mark + b"-" * 13) for _ in range(n))
        return cmds.split(mark)

    # enough distinct templates per batch size that keys look random
    templates = {}
    sent = [0] * connections
    received = [0] * connections
    owed = 0.0
    t_next = time.monotonic_ns()
    started.set()
    cpu0 = time.process_time()
    t_start = t_next
    ticks = 0
    while not stop.is_set():
        now = time.monotonic_ns()
        if now < t_next:
            time.sleep((t_next - now) / 1e9)
        t_next += 1_000_000
        ticks += 1
        owed += per_ms
        n = int(owed)
        owed -= n
        base, extra = divmod(n, connections)
        ts = b"%019d" % time.monotonic_ns()
        for i, s in enumerate(socks):
            count = base + (1 if i < extra else 0)
            data = b""
            if count:
                variants = templates.get(count)
                if variants is None:
                    variants = templates[count] = [template(count) for _ in range(16)]
                data = ts.join(variants[ticks % 16])
            if probes and i == connections - 1:
                data += resp_command("SET", b"probe:" + ts, ts + b"-" * 13)
                count += 1
            if data:
                s.sendall(data)
                sent[i] += count
            try:
                while True:
                    got = s.recv(1 << 20, socket.MSG_DONTWAIT)
                    if not got:
                        raise ConnectionError("primary closed the writer's connection")
                    received[i] += len(got) // 5  # every reply is +OK\r\n
                    if len(got) % 5:
                        raise RuntimeError(f"unexpected reply {got[:80]!r}")
            except BlockingIOError:
                pass
    elapsed = (time.monotonic_ns() - t_start) / 1e9
    for i, s in enumerate(socks):
        s.setblocking(True)
        while received[i] < sent[i]:
            got = s.recv(1 << 20)
            if not got:
                raise ConnectionError("primary closed the writer's connection")
            received[i] += len(got) // 5
        s.close()
    cpu = time.process_time() - cpu0
    result.put({"sent": sum(sent), "seconds": elapsed, "cpu": cpu / elapsed})


def probe_listener(ports, ready, stop, result):
    """PSUBSCRIBEs __keyspace@0__:probe:* on each port; returns per port a dict of the probes
    seen, send ns -> arrival ns."""
    pattern = re.compile(rb"\$\d+\r\n__keyspace@0__:probe:(\d+)\r\n\$3\r\nset\r\n")
    socks, bufs, seen = [], [], []
    for port in ports:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(resp_command("PSUBSCRIBE", "__keyspace@0__:probe:*"))
        buf = b""
        while buf.count(b"\r\n") < 6:
            buf += s.recv(4096)
        socks.append(s)
        bufs.append(b"")
        seen.append({})
    ready.set()
    while not stop.is_set():
        readable, _, _ = select.select(socks, [], [], 0.05)
        for s in readable:
            i = socks.index(s)
            data = s.recv(1 << 20)
            now = time.monotonic_ns()
            buf = bufs[i] + data
            end = 0
            for m in pattern.finditer(buf):
                seen[i][int(m.group(1))] = now
                end = m.end()
            bufs[i] = buf[end:]
    for s in socks:
        s.close()
    result.put(seen)


def median(values):
    """Median of the values that are not nan (a run that could not measure records nan)."""
    real = [v for v in values if v == v]
    return statistics.median(real) if real else float("nan")


def percentile(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


class Proxy:
    """A TCP proxy in front of the primary, for a real link outage: drop() closes every proxied
    connection and refuses (accepts and closes) new ones until resume()."""

    def __init__(self, target_port):
        self.target = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.refusing = False
        self.open = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                if self.refusing:
                    client.close()
                    continue
                upstream = socket.create_connection(("127.0.0.1", self.target))
                for s in (client, upstream):
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.open += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(1 << 16)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def drop(self):
        with self.lock:
            self.refusing = True
            for s in self.open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.open = []

    def resume(self):
        with self.lock:
            self.refusing = False

    def close(self):
        self.closed = True
        self.drop()
        self.listener.close()


def run_benchmark_csv(port, tests, n, pipeline, extra=()):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-t", tests, "-c", "50", "-n", str(n),
                          "-P", str(pipeline), "--csv", *extra], capture_output=True, text=True, timeout=600)
    rps = {}
    for line in out.stdout.splitlines():
        cells = [c.strip('"') for c in line.split(",")]
        if len(cells) > 1 and cells[0] != "test":
            rps[cells[0].split()[0].lower()] = float(cells[1])
    return rps


def measure_lag(ctx, p, pc, r, rc, keys, rate, args):
    """Runs the paced writer at rate SETs/s for --lag-seconds with probes; returns the replica's
    (and the primary's) probe lag percentiles and the replication offset lag in bytes."""
    for c in (pc, rc):
        assert c.call("config", "set", "notify-keyspace-events", "K$") == b"OK"
    gc0 = [gc_counters(c) for c in (pc, rc)]
    stop_w, started, stop_l, ready = ctx.Event(), ctx.Event(), ctx.Event(), ctx.Event()
    wq, lq = ctx.Queue(), ctx.Queue()
    listener = ctx.Process(target=probe_listener, args=([r.port, p.port], ready, stop_l, lq))
    listener.start()
    ready.wait(30)
    writer = ctx.Process(target=paced_writer, args=(p.port, keys, rate, args.writers, True, stop_w, started, wq))
    writer.start()
    started.wait(30)
    byte_lags = []
    t_end = time.monotonic() + args.lag_seconds
    time.sleep(0.5)  # leave out the writer's first half second (connections, templates)
    while time.monotonic() < t_end:
        # the primary's offset read before and after the replica's, averaged: the estimate of
        # the primary's offset at the moment the replica's was read
        p1 = int(pc.info("replication")["master_repl_offset"])
        ro = int(rc.info("replication")["slave_repl_offset"])
        p2 = int(pc.info("replication")["master_repl_offset"])
        byte_lags.append(max((p1 + p2) / 2 - ro, 0))
        time.sleep(0.01)
    stop_w.set()
    w = wq.get(timeout=60)
    writer.join()
    wait_until("the replica caught up", lambda: caught_up(pc, rc), timeout=60)
    stop_l.set()
    gc1 = [gc_counters(c) for c in (pc, rc)]
    replica_seen, primary_seen = lq.get(timeout=60)
    listener.join()
    for c in (pc, rc):
        c.call("config", "set", "notify-keyspace-events", "")
    out = {"rps": w["sent"] / w["seconds"], "writer_cpu": w["cpu"], "probes": len(replica_seen),
           "bytes_p50": percentile(byte_lags, 0.50), "bytes_p99": percentile(byte_lags, 0.99)}
    for who, before, after in (("primary", gc0[0], gc1[0]), ("replica", gc0[1], gc1[1])):
        out[f"{who}_gcs"] = after[0] - before[0]
        out[f"{who}_gc_pause_ms"] = (after[1] - before[1]) / 1000
    # Over the whole window, and over the steady part: probes sent after the writer's first
    # second (its connections, its templates, the servers' first keyspace events and, in
    # Cinnabar, code that the JIT has not yet optimized for this load).
    first = min(replica_seen)
    for suffix, since in (("", first), ("_steady", first + 1_000_000_000)):
        replica_lags = [a - t for t, a in replica_seen.items() if t >= since]
        primary_lags = [a - t for t, a in primary_seen.items() if t >= since]
        added = [a - primary_seen[t] for t, a in replica_seen.items() if t >= since and t in primary_seen]
        for q, name in ((0.50, "p50"), (0.99, "p99")):
            out[f"{name}_ms{suffix}"] = percentile(replica_lags, q) / 1e6
            out[f"primary_{name}_ms{suffix}"] = percentile(primary_lags, q) / 1e6
            out[f"added_{name}_ms{suffix}"] = percentile(added, q) / 1e6
    return out


def gc_counters(conn):
    """Cinnabar's garbage collections (gen0 count, which every collection increments) and their
    total pause in microseconds from INFO memory; nan for Redis, which has no collector."""
    info = conn.info("memory")
    if "gc_gen0_collections" not in info:
        return [float("nan"), float("nan")]
    return [int(info["gc_gen0_collections"]), int(info["gc_pause_total_usec"])]


def bench_one(kind, keys, dump, workdir, args):
    d = os.path.join(workdir, f"{kind}-{keys}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    shutil.copy(dump, os.path.join(d, "dump.rdb"))
    result = {}
    servers = []
    ctx = multiprocessing.get_context("fork")
    try:
        p = Server(kind, d, CONFIG, name="primary")
        servers.append(p)
        pc = Conn(p.port)
        assert pc.call("dbsize") == keys

        # 1. Full sync, no other load.
        rdir = os.path.join(d, "replica1")
        os.makedirs(rdir)
        r1 = Server(kind, rdir, CONFIG, name="replica")
        servers.append(r1)
        rc = Conn(r1.port)
        t0 = time.monotonic()
        assert rc.call("replicaof", "127.0.0.1", p.port) == b"OK"
        wait_until("the first full sync", lambda: replica_synced(rc, keys))
        result["sync_s"] = time.monotonic() - t0
        rc.close()
        r1.stop()
        servers.remove(r1)
        wait_until("the primary to drop the stopped replica",
                   lambda: pc.info("replication").get("connected_slaves") == "0")

        # 2. Peak memory during a full sync under full-speed writes, on a primary that has
        # served writes before (the same load, --warm-writes requests).
        if args.warm_writes:
            subprocess.run(["redis-benchmark", "-p", str(p.port), "-t", "set", "-n", str(args.warm_writes), "-r",
                            str(keys), "-d", "32", "-P", "16", "-c", "20", "-q"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
        pc.call("memory", "purge")
        base = p.pss_kb()
        base_private = p.private_kb()
        rdir = os.path.join(d, "replica2")
        os.makedirs(rdir)
        r2 = Server(kind, rdir, CONFIG, name="replica")
        servers.append(r2)
        rc = Conn(r2.port)
        replica_base = r2.pss_kb()
        peak = [base, replica_base, 0, base_private]
        stop = threading.Event()
        sc = Conn(p.port)

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], p.pss_kb())
                peak[3] = max(peak[3], p.private_kb())
                peak[1] = max(peak[1], r2.pss_kb())
                peak[2] = max(peak[2], int(sc.info("memory").get("mem_total_replication_buffers", "0")))
                time.sleep(0.01)

        full_before = int(pc.info("stats")["sync_full"])
        bench = subprocess.Popen(["redis-benchmark", "-p", str(p.port), "-t", "set", "-n", "1000000000", "-r",
                                  str(keys), "-d", "32", "-P", "16", "-c", "20", "-q"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        sampler = threading.Thread(target=sample)
        try:
            time.sleep(1.0)  # a second of writes at full speed before the sync starts
            sampler.start()
            t0 = time.monotonic()
            offset0 = int(pc.info("replication")["master_repl_offset"])
            assert rc.call("replicaof", "127.0.0.1", p.port) == b"OK"
            try:
                wait_until("the full sync under writes", lambda: replica_synced(rc, keys), timeout=180,
                           interval=0.02)
                result["sync_writes_s"] = time.monotonic() - t0
            except RuntimeError:
                # e.g. the replica dropped again and again at its output-buffer limit: recorded as
                # nan, and the sync is left to finish without the writes
                result["sync_writes_s"] = float("nan")
        finally:
            stop.set()
            if sampler.is_alive():
                sampler.join()
            bench.kill()
            bench.wait()
        sc.close()
        result["stream_mb"] = (int(pc.info("replication")["master_repl_offset"]) - offset0) / 1e6
        result["repl_buffer_peak_mb"] = peak[2] / 1e6
        result["full_syncs_under_writes"] = int(pc.info("stats")["sync_full"]) - full_before
        wait_until("the full sync after the writes", lambda: replica_synced(rc, keys), timeout=300)
        result["base_mb"] = base / 1024
        result["peak_mb"] = peak[0] / 1024
        result["peak_ratio"] = peak[0] / base
        result["base_private_mb"] = base_private / 1024
        result["peak_private_mb"] = peak[3] / 1024
        result["peak_private_ratio"] = peak[3] / base_private
        result["replica_peak_mb"] = peak[1] / 1024
        result["replica_peak_ratio"] = peak[1] / base
        wait_until("the replica online on the primary", lambda: replica_online(pc), timeout=30)
        wait_until("the replica caught up", lambda: caught_up(pc, rc), timeout=60)
        rc.call("memory", "purge")
        result["replica_after_mb"] = r2.pss_kb() / 1024

        # 3. Primary throughput with the replica online: measured by the caller, interleaved with
        # the other server's pairing (both stay up meanwhile).
        result.update((yield p.port))
        pc.call("del", "mylist")
        wait_until("the replica caught up", lambda: caught_up(pc, rc), timeout=60)

        # 4. Lag at half the maximum SET rate, and at a light fixed rate for comparison.
        result["lag_target_rps"] = result["set_random_p16_rps"] / 2
        # Also at half the single-key -P 16 SET rate, the maximum taken until the ninth session
        # (near saturation for random keys), so results stay comparable with earlier records.
        result["high_target_rps"] = result["set_p16_rps"] / 2
        for prefix, rate in (("lag", result["lag_target_rps"]), ("high", result["high_target_rps"]),
                             ("light", args.light_rate)):
            for name, value in measure_lag(ctx, p, pc, r2, rc, keys, rate, args).items():
                result[f"{prefix}_{name}"] = value

        # 5. Partial resync after a 1-second outage, through a proxy.
        proxy = Proxy(p.port)
        try:
            ok_before = int(pc.info("stats")["sync_partial_ok"])
            assert rc.call("replicaof", "127.0.0.1", proxy.port) == b"OK"
            wait_until("the replica's partial resync through the proxy",
                       lambda: int(pc.info("stats")["sync_partial_ok"]) > ok_before, timeout=30)
            wait_until("the replica online through the proxy", lambda: replica_online(pc), timeout=30)
            ok_before = int(pc.info("stats")["sync_partial_ok"])
            full_before = int(pc.info("stats")["sync_full"])
            log_before = os.path.getsize(p.log)
            stop_w, started, wq = ctx.Event(), ctx.Event(), ctx.Queue()
            writer = ctx.Process(target=paced_writer,
                                 args=(p.port, keys, args.gap_rate, 1, False, stop_w, started, wq))
            writer.start()
            started.wait(30)
            time.sleep(0.5)  # writes flowing, replica following
            t_drop = time.monotonic()
            proxy.drop()
            wait_until("the replica to see the link down",
                       lambda: rc.info("replication")["master_link_status"] == "down", timeout=10)
            time.sleep(max(0.0, t_drop + 1.0 - time.monotonic()))  # the outage lasts one second
            stop_w.set()
            wq.get(timeout=60)
            writer.join()
            replica_offset = int(rc.info("replication")["slave_repl_offset"])
            primary_offset = int(pc.info("replication")["master_repl_offset"])
            t_resume = time.monotonic()
            proxy.resume()
            wait_until("the replica to resync", lambda: caught_up(pc, rc)
                       and rc.info("replication")["master_link_status"] == "up", timeout=30)
            result["resync_s"] = time.monotonic() - t_resume
            result["gap_bytes"] = primary_offset - replica_offset
            result["partial_ok"] = int(pc.info("stats")["sync_partial_ok"]) - ok_before
            result["full_during_gap"] = int(pc.info("stats")["sync_full"]) - full_before
            with open(p.log, errors="replace") as f:
                f.seek(log_before)
                lines = re.findall(r"Partial resynchronization request from \S+ accepted\. Sending (\d+) bytes of "
                                   r"backlog starting from offset (\d+)\.", f.read())
            sent, start = (int(lines[-1][0]), int(lines[-1][1])) if lines else (-1, -1)
            result["backlog_sent"] = sent
            result["backlog_start_ok"] = 1 if start == replica_offset + 1 else 0
        finally:
            proxy.close()
        assert pc.call("dbsize") == rc.call("dbsize")
        pc.close()
        rc.close()
    finally:
        for s in servers:
            s.stop()
    shutil.rmtree(d, ignore_errors=True)
    return result


def interleaved_throughput(ports, keys, args):
    """Step 3 for every pairing at once: --tput-rounds rounds, each running the tests once on
    each primary (which goes first alternates), so the machine's drift over the minute falls on
    both servers alike instead of on whichever was measured second; per test the median of the
    rounds."""
    samples = {kind: {} for kind in ports}
    for rnd in range(args.tput_rounds):
        kinds = list(ports) if rnd % 2 == 0 else list(ports)[::-1]
        for kind in kinds:
            for pipeline, n in ((16, args.n16), (1, args.n1)):
                rps = run_benchmark_csv(ports[kind], "set,incr,lpush", n, pipeline)
                for test in ("set", "incr", "lpush"):
                    samples[kind].setdefault(f"{test}_p{pipeline}_rps", []).append(rps.get(test, float("nan")))
            # The lag test's workload (SETs of random dataset keys, 32-byte values) at full speed:
            # its maximum rate, of which step 4 runs half.
            rps = run_benchmark_csv(ports[kind], "set", args.n16, 16, ("-r", str(keys), "-d", "32"))
            samples[kind].setdefault("set_random_p16_rps", []).append(rps.get("set", float("nan")))
    return {kind: {k: median(v) for k, v in s.items()} for kind, s in samples.items()}


def bench_pairings(order, keys, dump, workdir, args):
    """Runs bench_one for each server kind: steps 1-2 of each, step 3 interleaved, then steps 4-5
    of each."""
    runs = {kind: bench_one(kind, keys, dump, workdir, args) for kind in order}
    results = {}
    try:
        ports = {kind: next(run) for kind, run in runs.items()}
        throughput = interleaved_throughput(ports, keys, args)
        for kind, run in runs.items():
            try:
                run.send(throughput[kind])
                raise RuntimeError("bench_one yielded twice")
            except StopIteration as done:
                results[kind] = done.value
    finally:
        for run in runs.values():
            run.close()  # stops the servers of a run that did not finish
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", default="1000000,5000000")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--n16", type=int, default=1000000, help="requests per test at -P 16 (~1.5 s)")
    ap.add_argument("--n1", type=int, default=100000, help="requests per test at -P 1 (~1 s)")
    ap.add_argument("--tput-rounds", type=int, default=3, help="interleaved rounds of the throughput tests")
    ap.add_argument("--writers", type=int, default=8, help="connections of the paced writer")
    ap.add_argument("--warm-writes", type=int, default=3000000,
                    help="SETs the primary serves before step 2's dataset measure (0: none)")
    ap.add_argument("--lag-seconds", type=float, default=5.0)
    ap.add_argument("--light-rate", type=int, default=10000, help="SETs/s of the second, light lag test")
    ap.add_argument("--gap-rate", type=int, default=5000, help="SETs/s during the 1-second outage")
    ap.add_argument("--out")
    args = ap.parse_args()
    subprocess.run([os.path.join(HERE, "cinnabar-server"), "--version"], check=True, capture_output=True)
    workdir = tempfile.mkdtemp(prefix="cinnabar-repl-bench.")
    rows = []
    try:
        for keys in [int(k) for k in args.keys.split(",")]:
            dump = make_dump(keys, workdir)
            runs = {"redis": [], "cinnabar": []}
            for rep in range(args.reps):
                order = ["redis", "cinnabar"] if rep % 2 == 0 else ["cinnabar", "redis"]
                results = bench_pairings(order, keys, dump, workdir, args)
                for kind in order:
                    r = results[kind]
                    runs[kind].append(r)
                    print(f"{keys} {kind} rep {rep}: " + ", ".join(f"{k}={v:.3f}" for k, v in r.items()), flush=True)
            med = {kind: {k: median(r[k] for r in rs) for k in rs[0]} for kind, rs in runs.items()}
            for kind, rs in runs.items():
                med[kind]["unfinished_syncs"] = sum(1 for r in rs if r["sync_writes_s"] != r["sync_writes_s"])
            rows.append((keys, med))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    lines = [f"Configuration (both servers): {CONFIG_TEXT}.", "",
             "| keys | measure | Redis | Cinnabar | Cinnabar/Redis |", "|---:|---|---:|---:|---:|"]
    for keys, med in rows:
        r, c = med["redis"], med["cinnabar"]

        def row(name, field, fmt="{:.2f}", ratio=True):
            a, b = r[field], c[field]
            q = f"{b / a:.2f}" if ratio and a else ""
            lines.append(f"| {keys} | {name} | {fmt.format(a)} | {fmt.format(b)} | {q} |")

        row("full sync seconds (REPLICAOF to link up, DBSIZE equal)", "sync_s")
        row("full sync seconds under full-speed SET writes", "sync_writes_s")
        row("runs whose sync could not finish in 180 s under the writes (not in the median)", "unfinished_syncs",
            "{:.0f}", False)
        row("full syncs the primary started under writes (median)", "full_syncs_under_writes", "{:.0f}", False)
        row("primary dataset MB (PSS after MEMORY PURGE)", "base_mb", "{:.0f}")
        row("primary peak MB during the sync under writes", "peak_mb", "{:.0f}")
        row("primary peak / dataset", "peak_ratio")
        row("primary private dataset MB (anonymous + shmem PSS after MEMORY PURGE)", "base_private_mb", "{:.0f}")
        row("primary private peak MB during the sync under writes", "peak_private_mb", "{:.0f}")
        row("primary private peak / private dataset (the target's measure)", "peak_private_ratio")
        row("write stream produced during that sync MB (master_repl_offset growth)", "stream_mb", "{:.0f}")
        row("primary replication buffer peak MB (mem_total_replication_buffers)", "repl_buffer_peak_mb", "{:.0f}")
        row("replica peak MB during the sync", "replica_peak_mb", "{:.0f}")
        row("replica peak / primary dataset", "replica_peak_ratio")
        row("replica MB after sync (MEMORY PURGE)", "replica_after_mb", "{:.0f}")
        for pipeline in (16, 1):
            for test in ("set", "incr", "lpush"):
                row(f"primary {test} rps, -P {pipeline}, replica online", f"{test}_p{pipeline}_rps", "{:.0f}")
        row("primary SET rps of random dataset keys (-r keys -d 32), -P 16, replica online: the lag test's maximum",
            "set_random_p16_rps", "{:.0f}")
        row("lag test: target SET/s (half of that maximum)", "lag_target_rps", "{:.0f}")
        row("near-saturation lag test: target SET/s (half of the single-key -P 16 SET rps; until the ninth session "
            "the 'half max' test)", "high_target_rps", "{:.0f}")
        for prefix, label in (("lag", "half max"), ("high", "near saturation"), ("light", "light load")):
            row(f"{label}: achieved SET/s", f"{prefix}_rps", "{:.0f}")
            row(f"{label}: writer process CPU (1.0 = one core)", f"{prefix}_writer_cpu", "{:.2f}", False)
            row(f"{label}: probes seen on the replica", f"{prefix}_probes", "{:.0f}", False)
            for suffix, window in (("", "whole run"), ("_steady", "after the first second")):
                row(f"{label}, {window}: replica lag p50 ms (send to keyspace event on replica)",
                    f"{prefix}_p50_ms{suffix}", "{:.3f}")
                row(f"{label}, {window}: replica lag p99 ms", f"{prefix}_p99_ms{suffix}", "{:.3f}")
                row(f"{label}, {window}: for comparison, primary p50 ms (send to event on primary)",
                    f"{prefix}_primary_p50_ms{suffix}", "{:.3f}")
                row(f"{label}, {window}: for comparison, primary p99 ms", f"{prefix}_primary_p99_ms{suffix}",
                    "{:.3f}")
                row(f"{label}, {window}: replication's share p50 ms (event on replica - event on primary)",
                    f"{prefix}_added_p50_ms{suffix}", "{:.3f}")
                row(f"{label}, {window}: replication's share p99 ms", f"{prefix}_added_p99_ms{suffix}", "{:.3f}")
            for who in ("primary", "replica"):
                row(f"{label}: {who} garbage collections during the test (Cinnabar)", f"{prefix}_{who}_gcs", "{:.0f}",
                    False)
                row(f"{label}: {who} collector pause ms in total", f"{prefix}_{who}_gc_pause_ms", "{:.1f}", False)
            row(f"{label}: replica lag bytes p50 (master_repl_offset - slave_repl_offset)", f"{prefix}_bytes_p50",
                "{:.0f}")
            row(f"{label}: replica lag bytes p99", f"{prefix}_bytes_p99", "{:.0f}")
        row("1 s outage: bytes missed (primary offset - replica offset)", "gap_bytes", "{:.0f}", False)
        row("1 s outage: backlog bytes sent (primary's log line)", "backlog_sent", "{:.0f}", False)
        row("1 s outage: backlog starts at replica offset + 1 (1 = yes)", "backlog_start_ok", "{:.0f}", False)
        row("1 s outage: sync_partial_ok increase", "partial_ok", "{:.0f}", False)
        row("1 s outage: full syncs", "full_during_gap", "{:.0f}", False)
        row("1 s outage: seconds from reconnect allowed to caught up", "resync_s")
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    sys.exit(main())
