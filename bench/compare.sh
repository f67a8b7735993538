#!/usr/bin/env bash
# Compares Cinnabar with Debian's redis-server 7.0.15 on this machine: throughput
# (redis-benchmark, -P 1 and -P 16), server CPU per request (utime+stime from /proc/<pid>/stat)
# and resident memory per key after loading N keys with 32-byte values. Both servers run at the
# same time on free 127.0.0.1 ports with `save ""`; runs alternate between them (the order flips
# every repetition) so background load hits both alike; figures are medians over repetitions.
# Memory per object is measured for each kind given with -m: string (N keys, 32-byte values),
# and hash, set, zset, list (N/10 keys of 10 fields/members/elements each, small values as the
# compact encodings hold them).
# Usage: bench/compare.sh [-r reps] [-n requests at -P 1] [-N requests at -P 16] [-k keys]
#                         [-c clients] [-t tests] [-m memory kinds] [-o out.md]
# Data-type run: bench/compare.sh -t lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_600 \
#                                 -m hash,set,zset,list -k 1000000 -r 3
# Environment: REDIS_SERVER (default redis-server), CINNABAR (default ./cinnabar-server).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
reps=5; n1=200000; n16=1000000; keys=1000000; clients=50; tests="ping_inline,ping_mbulk,set,get,incr,mset"; out=""
kinds="string"
while getopts "r:n:N:k:c:t:m:o:" opt; do
  case $opt in
    r) reps=$OPTARG ;; n) n1=$OPTARG ;; N) n16=$OPTARG ;; k) keys=$OPTARG ;;
    c) clients=$OPTARG ;; t) tests=$OPTARG ;; m) kinds=$OPTARG ;; o) out=$OPTARG ;;
    *) sed -n '2,15p' "$0"; exit 2 ;;
  esac
done
redis_bin=${REDIS_SERVER:-redis-server}
cinnabar_bin=${CINNABAR:-$here/cinnabar-server}
work=$(mktemp -d /tmp/cinnabar-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }
wait_ready() {
  local port=$1 deadline=$((SECONDS + 120))
  until redis-cli -p "$port" ping >/dev/null 2>&1; do
    (( SECONDS < deadline )) || { echo "server on $port did not start" >&2; exit 1; }
    sleep 0.2
  done
}

# Build Cinnabar first so the launcher's build does not count as server time.
if [[ -z ${CINNABAR:-} ]]; then "$cinnabar_bin" --version >/dev/null; fi

start_server() { # name bin -> sets port_<name>, pid_<name>
  local name=$1 bin=$2 port
  port=$(free_port)
  (cd "$work" && exec "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
      --logfile "$work/$name.log") &
  local pid=$!
  pids+=("$pid")
  wait_ready "$port"
  printf -v "port_$name" %s "$port"
  printf -v "pid_$name" %s "$pid"
}

start_server redis "$redis_bin"
start_server cinnabar "$cinnabar_bin"
hz=$(getconf CLK_TCK)
samples="$work/samples.tsv"   # server test pipeline rps cpu_us_per_req

# A warm-up pass so JIT tiering and buffer growth are not measured.
for s in redis cinnabar; do
  port_var=port_$s
  redis-benchmark -p "${!port_var}" -t set,get,incr -c "$clients" -n 200000 -P 16 -q >/dev/null 2>&1 || true
  redis-benchmark -p "${!port_var}" -t set,get -c "$clients" -n 100000 -q >/dev/null 2>&1 || true
done

IFS=, read -r -a test_list <<<"$tests"
for ((rep = 1; rep <= reps; rep++)); do
  if (( rep % 2 )); then order=(redis cinnabar); else order=(cinnabar redis); fi
  for P in 1 16; do
    n=$n1; (( P == 16 )) && n=$n16
    for t in "${test_list[@]}"; do
      for s in "${order[@]}"; do
        port_var=port_$s; pid_var=pid_$s
        before=$(cpu_ticks "${!pid_var}")
        line=$(redis-benchmark -p "${!port_var}" -t "$t" -c "$clients" -n "$n" -P "$P" --csv 2>/dev/null |
          awk -F'"' -v t="$t" 'NR > 1 { name = tolower($2); gsub(/[^a-z0-9]+/, "_", name);
              if (index(name, t) == 1) print $4 }' 2>/dev/null || true)
        after=$(cpu_ticks "${!pid_var}")
        if [[ -z $line ]]; then echo "rep $rep P$P $t $s: failed (command missing?)" >&2; continue; fi
        cpu=$(awk -v a="$after" -v b="$before" -v hz="$hz" -v n="$n" 'BEGIN { printf "%.3f", (a - b) * 1e6 / hz / n }')
        printf '%s\t%s\t%s\t%s\t%s\n' "$s" "$t" "$P" "$line" "$cpu" >>"$samples"
        echo "rep $rep P$P $t $s: $line rps, $cpu us/req" >&2
      done
    done
  done
done

# Memory: the same redis-cli --pipe stream for both servers, RSS before and after, per key.
gen_load() { # kind keys -> RESP on stdout
  python3 - "$1" "$2" <<'PY'
import sys
kind, n = sys.argv[1], int(sys.argv[2]); w = sys.stdout.buffer
def cmd(*parts):
    out = [b"*%d\r\n" % len(parts)]
    for p in parts:
        out.append(b"$%d\r\n%s\r\n" % (len(p), p))
    return b"".join(out)
if kind == "string":
    v = b"x" * 32
    for i in range(n):
        w.write(cmd(b"SET", b"key:%012d" % i, v))
else:
    for i in range(n // 10):
        k = b"%s:%012d" % (kind.encode(), i)
        if kind == "hash":
            args = [b"HSET", k] + [x for j in range(10) for x in (b"field:%d" % j, b"value:%d:%d" % (i, j))]
        elif kind == "set":
            args = [b"SADD", k] + [b"member:%d:%d" % (i, j) for j in range(10)]
        elif kind == "zset":
            args = [b"ZADD", k] + [x for j in range(10) for x in (b"%d" % (i + j), b"member:%d:%d" % (i, j))]
        elif kind == "list":
            args = [b"RPUSH", k] + [b"element:%d:%d" % (i, j) for j in range(10)]
        else:
            sys.exit("unknown memory kind " + kind)
        w.write(cmd(*args))
PY
}
declare -A mem mem_keys
IFS=, read -r -a kind_list <<<"$kinds"
for kind in "${kind_list[@]}"; do
  gen_load "$kind" "$keys" >"$work/load.resp"
  for s in redis cinnabar; do
    # A fresh server per kind: memory freed by a FLUSHALL stays in the process (the GC heap,
    # the allocator's arenas) and would be reused by the next kind's load.
    bin_var=${s}_bin
    start_server "m_$s" "${!bin_var}"
    port_var=port_m_$s; pid_var=pid_m_$s
    # MEMORY PURGE before each reading: jemalloc's dirty pages for Redis, a compacting full GC
    # for Cinnabar, so both readings are of live data rather than of allocator slack.
    redis-cli -p "${!port_var}" memory purge >/dev/null
    sleep 1
    rss0=$(rss_kb "${!pid_var}")
    redis-cli -p "${!port_var}" --pipe <"$work/load.resp" >/dev/null
    redis-cli -p "${!port_var}" memory purge >/dev/null
    sleep 1
    rss1=$(rss_kb "${!pid_var}")
    dbsize=$(redis-cli -p "${!port_var}" dbsize)
    mem[$s,$kind]=$(awk -v a="$rss1" -v b="$rss0" -v k="$dbsize" 'BEGIN { printf "%.1f", (a - b) * 1024 / k }')
    mem_keys[$kind]=$dbsize
    echo "$s $kind: RSS ${rss0}kB -> ${rss1}kB for $dbsize keys: ${mem[$s,$kind]} B/key" >&2
    kill "${!pid_var}"; wait "${!pid_var}" 2>/dev/null || true
  done
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
pick() { awk -F'\t' -v s="$1" -v t="$2" -v p="$3" -v c="$4" '$1 == s && $2 == t && $3 == p { print $c }' "$samples" | median; }
{
  echo "| test | -P | Redis rps | Cinnabar rps | ratio | Redis CPU µs/req | Cinnabar CPU µs/req | ratio |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  for P in 1 16; do
    for t in "${test_list[@]}"; do
      rr=$(pick redis "$t" "$P" 4); cr=$(pick cinnabar "$t" "$P" 4)
      rc=$(pick redis "$t" "$P" 5); cc=$(pick cinnabar "$t" "$P" 5)
      awk -v t="$t" -v P="$P" -v rr="$rr" -v cr="$cr" -v rc="$rc" -v cc="$cc" 'BEGIN {
        if (rr == "" || cr == "") { printf "| %s | %d | %s | %s | n/a | | | |\n", t, P, rr, cr; exit }
        printf "| %s | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f |\n", t, P, rr, cr, cr / rr, rc, cc, (rc > 0 ? cc / rc : 0) }'
    done
  done
  echo
  echo "| memory (RSS bytes per key) | Redis | Cinnabar | ratio |"
  echo "|---|---:|---:|---:|"
  for kind in "${kind_list[@]}"; do
    case $kind in
      string) what="strings, 32-byte values" ;; hash) what="hashes of 10 fields" ;; set) what="sets of 10 members" ;;
      zset) what="sorted sets of 10 members" ;; list) what="lists of 10 elements" ;; *) what=$kind ;;
    esac
    awk -v r="${mem[redis,$kind]}" -v c="${mem[cinnabar,$kind]}" -v k="${mem_keys[$kind]}" -v w="$what" 'BEGIN {
      printf "| %d %s | %.1f | %.1f | %.2f |\n", k, w, r, c, c / r }'
  done
  echo
  echo "Medians of $reps repetitions; $clients clients; -n $n1 at -P 1, $n16 at -P 16."
} | tee ${out:+"$out"}
