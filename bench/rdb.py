#!/usr/bin/env python3
"""RDB persistence benchmark: Cinnabar vs Debian's redis-server 7.0.15 in the same run.

For each key count (default 1M and 5M keys named key:%012d as redis-benchmark's -r names them,
32-byte values, written through redis-cli --pipe) and each server, alternating which goes first:
  * SAVE: seconds for the SAVE command, dump size, MB/s and keys/s;
  * load: a fresh server started on that dump; seconds from its own "DB loaded from disk: X
    seconds" log line (both servers print it), keys/s;
  * BGSAVE under write load: with the dataset loaded, redis-benchmark writes SET at full speed
    (random keys of the dataset, -P 16: every write overwrites an existing key, so the key count
    stays the same) while BGSAVE runs; the peak total memory of the
    server (Proportional Set Size summed over the server and, for Redis, its fork child, so
    copy-on-write pages count once each) is divided by the dataset's memory before the BGSAVE.
    A control run on a fresh server loaded from the same dump applies the same write load for as
    long without a BGSAVE: the difference
    between the two peaks is what the snapshot itself costs (for .NET the control includes the
    garbage that overwritten values leave until the GC collects it).

Usage: bench/rdb.py [--keys 1000000,5000000] [--reps 3] [--out file.md]
Environment: REDIS_SERVER (default redis-server), CINNABAR (default ./cinnabar-server).
Servers bind to 127.0.0.1 on free ports and are stopped by PID.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import HERE, Server, cli, info_field, populate


def wait_bgsave_done(port):
    while info_field(port, "persistence", "rdb_bgsave_in_progress") == "1":
        time.sleep(0.02)


def bench_one(kind, keys, workdir):
    """Returns dict of measurements for one server kind and key count."""
    d = os.path.join(workdir, f"{kind}-{keys}")
    os.makedirs(d, exist_ok=True)
    result = {}
    s = Server(kind, d)
    try:
        populate(s.port, keys)
        t0 = time.time()
        assert cli(s.port, "save") == "OK"
        result["save_s"] = time.time() - t0
        size = os.path.getsize(os.path.join(d, "dump.rdb"))
        result["size_mb"] = size / 1e6
        digest = cli(s.port, "debug", "digest")
    finally:
        s.stop()

    s = Server(kind, d)
    try:
        result["load_s"] = s.loaded_seconds()
        assert cli(s.port, "debug", "digest") == digest, "digest differs after load"
        # BGSAVE while redis-benchmark writes at full speed. MEMORY PURGE first (jemalloc's
        # dirty pages for Redis, a compacting GC for Cinnabar), so the base is the dataset.
        cli(s.port, "memory", "purge")
        base = s.pss_kb()
        peak = [base]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], s.pss_kb())
                time.sleep(0.01)

        bench = subprocess.Popen(["redis-benchmark", "-p", str(s.port), "-t", "set", "-n", "100000000", "-r", str(keys),
                                  "-d", "32", "-P", "16", "-c", "20", "-q"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)  # let the writers reach full speed before the snapshot starts
            sampler = threading.Thread(target=sample)
            sampler.start()
            t0 = time.time()
            reply = cli(s.port, "bgsave")
            assert reply.startswith("Background saving started"), reply
            time.sleep(0.05)
            wait_bgsave_done(s.port)
            result["bgsave_s"] = time.time() - t0
            stop.set()
            sampler.join()
        finally:
            bench.kill()
            bench.wait()
        assert info_field(s.port, "persistence", "rdb_last_bgsave_status") == "ok"
        result["base_mb"] = base / 1024
        result["peak_mb"] = peak[0] / 1024
        result["peak_ratio"] = peak[0] / base

    finally:
        s.stop()

    # Control: a fresh server on the same dump, the same writes for as long, no BGSAVE.
    s = Server(kind, d)
    try:
        cli(s.port, "memory", "purge")
        control = [s.pss_kb()]
        result["control_base_mb"] = control[0] / 1024
        stop = threading.Event()

        def sample_control():
            while not stop.is_set():
                control[0] = max(control[0], s.pss_kb())
                time.sleep(0.01)

        bench = subprocess.Popen(["redis-benchmark", "-p", str(s.port), "-t", "set", "-n", "100000000", "-r", str(keys),
                                  "-d", "32", "-P", "16", "-c", "20", "-q"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)
            sampler = threading.Thread(target=sample_control)
            sampler.start()
            time.sleep(max(result["bgsave_s"], 1.0))
            stop.set()
            sampler.join()
        finally:
            bench.kill()
            bench.wait()
        result["control_peak_mb"] = control[0] / 1024
        if int(cli(s.port, "dbsize")) != keys:
            raise RuntimeError("the write load added keys: the peak would not be comparable")
    finally:
        s.stop()
    shutil.rmtree(d, ignore_errors=True)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", default="1000000,5000000")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out")
    args = ap.parse_args()
    subprocess.run([os.path.join(HERE, "cinnabar-server"), "--version"], check=True, capture_output=True)
    workdir = tempfile.mkdtemp(prefix="cinnabar-rdb-bench.")
    rows = []
    try:
        for keys in [int(k) for k in args.keys.split(",")]:
            runs = {"redis": [], "cinnabar": []}
            for rep in range(args.reps):
                order = ["redis", "cinnabar"] if rep % 2 == 0 else ["cinnabar", "redis"]
                for kind in order:
                    r = bench_one(kind, keys, workdir)
                    runs[kind].append(r)
                    print(f"{keys} {kind} rep {rep}: " + ", ".join(f"{k}={v:.3f}" for k, v in r.items()), flush=True)
            med = {kind: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for kind, rs in runs.items()}
            rows.append((keys, med))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    lines = ["| keys | measure | Redis | Cinnabar | Cinnabar/Redis |", "|---:|---|---:|---:|---:|"]
    for keys, med in rows:
        r, c = med["redis"], med["cinnabar"]

        def row(name, a, b, fmt="{:.2f}"):
            lines.append(f"| {keys} | {name} | {fmt.format(a)} | {fmt.format(b)} | {b / a:.2f} |")

        row("SAVE seconds", r["save_s"], c["save_s"])
        row("SAVE MB/s", r["size_mb"] / r["save_s"], c["size_mb"] / c["save_s"], "{:.0f}")
        row("dump MB", r["size_mb"], c["size_mb"], "{:.1f}")
        row("load seconds", r["load_s"], c["load_s"])
        row("load keys/s", keys / r["load_s"], keys / c["load_s"], "{:.0f}")
        row("BGSAVE seconds under writes", r["bgsave_s"], c["bgsave_s"])
        row("dataset MB (PSS before BGSAVE)", r["base_mb"], c["base_mb"], "{:.0f}")
        row("peak MB during BGSAVE", r["peak_mb"], c["peak_mb"], "{:.0f}")
        row("peak / dataset", r["peak_ratio"], c["peak_ratio"])
        row("control: dataset MB", r["control_base_mb"], c["control_base_mb"], "{:.0f}")
        row("control: peak MB, same writes without BGSAVE", r["control_peak_mb"], c["control_peak_mb"], "{:.0f}")
        row("BGSAVE's own extra MB (peak - control)", max(r["peak_mb"] - r["control_peak_mb"], 0.01),
            max(c["peak_mb"] - c["control_peak_mb"], 0.01), "{:.0f}")
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    sys.exit(main())
