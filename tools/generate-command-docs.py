#!/usr/bin/env python3
"""Generates src/Cinnabar.Server/Commands/Data/command-docs.json from Redis 7.0.15's command
definitions (src/commands/*.json): the facts COMMAND DOCS reports that our command table does not
spell out by hand - each command's summary, since, group, complexity, doc_flags, deprecated_since, replaced_by,
history and argument tree.

Usage: tools/generate-command-docs.py [/path/to/redis/src/commands]  (default /work/redis-src/src/commands)

The output has one command per line, keyed by its full lowercase name ("get", "client|kill"),
so a change in Redis's definitions shows as a readable diff. Argument fields follow Redis's
generator (utils/generate-command-code.py): names lowercased, tokens uppercased, the flags
optional/multiple/multiple_token, nested arguments for oneof and block.
"""
import glob
import json
import os
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "/work/redis-src/src/commands"
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "Cinnabar.Server", "Commands", "Data", "command-docs.json")


def argument(desc):
    a = {"name": desc["name"].lower(), "type": desc["type"]}
    if "key_spec_index" in desc:
        a["key_spec_index"] = desc["key_spec_index"]
    if "token" in desc:
        a["token"] = desc["token"].upper()
    for field in ("summary", "since", "deprecated_since"):
        if field in desc:
            a[field] = desc[field]
    flags = [f for f in ("optional", "multiple", "multiple_token") if desc.get(f, False)]
    if flags:
        a["flags"] = flags
    if desc["type"] in ("oneof", "block"):
        a["arguments"] = [argument(d) for d in desc["arguments"]]
    return a


entries = {}
for path in sorted(glob.glob(os.path.join(src, "*.json"))):
    with open(path) as f:
        for name, cmd in json.load(f).items():
            full = (cmd["container"] + "|" + name if "container" in cmd else name).lower()
            doc = {}
            for field in ("summary", "since"):
                if field in cmd:
                    doc[field] = cmd[field]
            # COMMAND_GROUP_STR spells sorted_set with a dash.
            doc["group"] = cmd["group"].replace("_", "-")
            if "arguments" in cmd:
                doc["arguments"] = [argument(d) for d in cmd["arguments"]]
            for field in ("complexity", "deprecated_since", "replaced_by", "history"):
                if field in cmd:
                    doc[field] = cmd[field]
            if "doc_flags" in cmd:
                doc["doc_flags"] = [f.lower() for f in cmd["doc_flags"]]
            if doc:
                entries[full] = doc

os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    f.write("{\n")
    names = sorted(entries)
    for i, name in enumerate(names):
        line = json.dumps(name) + ": " + json.dumps(entries[name], separators=(",", ":"))
        f.write(line + (",\n" if i + 1 < len(names) else "\n"))
    f.write("}\n")
print("%d commands -> %s" % (len(entries), os.path.normpath(out)))
