#!/usr/bin/env python3
"""Lists the Redis Tcl tests (by name) that use commands or features Cinnabar does not have yet.

Usage: make-skiplist.py <redis-src>/tests/unit/expire.tcl ... > skip.txt
Each line of the output is a test name (the format runtest --skipfile expects); the feature
that caused the skip is printed to stderr so docs/COMPATIBILITY.md can name the reason.
"""
import re
import sys

# Feature -> regex over a test body. Extend this table as features land (and remove rows).
MISSING = {
    "streams (not planned yet)": r"\b(xadd|xrange|xread|xgroup|xlen)\b",
    "bitmaps (not planned yet)": r"\b(setbit|getbit|bitcount|bitop|bitpos|bitfield)\b",
    "hyperloglog (not planned yet)": r"\b(pfadd|pfcount|pfmerge)\b",
    "geo (not planned yet)": r"\b(geoadd|geodist|geosearch)\b",
    "scripting and functions (not planned yet)": r"\b(eval|evalsha|function|fcall|script)\b",
    "RDB persistence (issue 3)": r"\bmigrate\b",
    "CLIENT TRACKING (not planned yet)": r"client tracking",
    "AOF (not planned yet)": r"(appendonly|loadaof|bgrewriteaof|\baof\b|aof-|aof_)",
    "ACL (not planned yet)": r"\bacl\b",
    # Values are not at fixed addresses in .NET; DEBUG OBJECT's at: is an identity, not a pointer.
    "DEBUG OBJECT value addresses (Redis memory layout)": r"string range \$(old|new) 0 2",
    "maxmemory/eviction (not planned yet)": r"maxmemory",
    "jemalloc/MEMORY introspection": r"(memory usage|mem_allocator|memory doctor)",
}

# Tests that match a pattern above only by naming a feature, not by using it (a config name such
# as appendonly or maxmemory set as a plain value, restart_server to reread a config file), and
# that pass: file name -> test names.
RUNS_ANYWAY = {
    "introspection.tcl": {
        "CONFIG sanity",
        "CONFIG REWRITE sanity",
        "CONFIG REWRITE handles save and shutdown properly",
        "CONFIG SET with multiple args",
        "CONFIG SET rollback on set error",
        "CONFIG SET rollback on apply error",
        "CONFIG SET duplicate configs",
        "CONFIG GET multiple args",
        "redis-server command line arguments - error cases",
        "redis-server command line arguments - allow passing option name and option value in the same arg",
        "redis-server command line arguments - wrong usage that we support anyway",
        "CONFIG REWRITE handles rename-command properly",
        "CONFIG REWRITE handles alias config properly",
    },
    "multi.tcl": {"MULTI with config error"},
    # maxmemory-policy is only set, for RESTORE's IDLETIME; no memory limit is involved.
    "dump.tcl": {"RESTORE can set LRU"},
    # appendonly is only the config that CONFIG SET must refuse with -LOADING during an async load.
    "replication.tcl": {"Blocked commands and configs during async-loading"},
    # "eval $cond" is Tcl's eval of the test's extra assertion, not EVAL.
    "replication-psync.tcl": {"Test replication partial resync: $descr (diskless: $mdl, $sdl, reconnect: $reconnect)"},
    # $dump_rdb is a path: the tests make a directory of that name so the final save fails.
    "shutdown.tcl": {"RDB save will be failed in shutdown", "Clean up rdb same named folder"},
}


def skip_line(name):
    """A runtest --skipfile line: the name itself, or, when the name is built by Tcl (a foreach
    variable such as "SSCAN with encoding $enc"), a "/regex" line matching every expansion."""
    if "$" not in name and "[" not in name:
        return name
    parts = re.split(r"(\$\{?\w+\}?|\[[^\]]*\])", name)
    return "/^" + "".join(".*" if i % 2 else re.sub(r"([\\^$.|?*+()\[\]{}])", r"\\\1", part)
                          for i, part in enumerate(parts)) + "$"


def body_end(text, start):
    """Index just past the brace that closes the body opened at text[start - 1]."""
    depth, i = 1, start
    while i < len(text) and depth:
        c = text[i]
        if c == "\\":
            i += 1
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        i += 1
    return i


def tests(text):
    # `test {name} {` or `test "name" {` at any indentation; the body is the braced block that
    # follows (not the text up to the next test, which may hold a foreach list of other commands).
    pattern = re.compile(r'^\s*test\s+(?:\{(.*?)\}|"(.*?)")\s+\{', re.M)
    for m in pattern.finditer(text):
        yield (m.group(1) if m.group(1) is not None else m.group(2)), text[m.end():body_end(text, m.end())]


for path in sys.argv[1:]:
    text = open(path).read()
    runs_anyway = RUNS_ANYWAY.get(path.rsplit("/", 1)[-1], set())
    for name, body in tests(text):
        if name in runs_anyway:
            continue
        # Comment lines say nothing about what a test runs ("# Restore original DB").
        lowered = "\n".join(l for l in body.lower().splitlines() if not l.lstrip().startswith("#"))
        for feature, rx in MISSING.items():
            if re.search(rx, lowered, re.M):
                print(skip_line(name))
                print(f"{path}: {name}: {feature}", file=sys.stderr)
                break
