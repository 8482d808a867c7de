"""Stdlib floors: the least any implementation of a scenario must do, as ``python -c`` code.

Each floor is run by our side's interpreter, interleaved with ours and the reference, and the
report gives ours/floor beside ours/reference: how much of our time is the work itself
(interpreter start, system calls, encoding) and how much is ours to remove. A floor checks
nothing a real helper must check (strict JSON, field types, symlinks, leftovers, locks), so
no implementation can reach it; it bounds the ratio from below.
"""

from __future__ import annotations

#: ``rhl-ps --help``: print a text (argv[1]) that is already known.
PRINT = "import sys; sys.stdout.write(sys.argv[1])"

#: ``rhl-ps --json``: read every state file of argv[1]/server, probe the PID of the live ones,
#: print one sorted JSON line each.
PS_JSON = """
import json, os, sys
server = os.path.join(sys.argv[1], "server")
out = []
for name in sorted(os.listdir(server)):
    if not name.endswith(".json"):
        continue
    with open(os.path.join(server, name), "rb") as handle:
        row = json.loads(handle.read())
    if row.get("status") in ("running", "starting"):
        try:
            os.kill(row["pid"], 0)
        except (OSError, OverflowError):
            row["status"] = "stale"
    row["key"] = name[:-5]
    out.append(json.dumps(row, sort_keys=True))
sys.stdout.write("\\n".join(out) + "\\n")
"""

#: ``rhl-ps-persistent --level 2 --marker .HASHSERVER_PREFIX --json ROOT``: list ROOT two
#: levels down, and for each directory holding the marker say whether anything else is in it.
PS_PERSISTENT = """
import json, os, sys
MARKER = ".HASHSERVER_PREFIX"
rows = []
def walk(path, level):
    with os.scandir(path) as entries:
        entries = list(entries)
    names = {e.name for e in entries}
    if MARKER in names:
        content = any(e.name != MARKER and not e.name.startswith("STAGE-") for e in entries)
        rows.append({"path": path, "state": "populated" if content else "empty"})
    if level:
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                walk(e.path, level - 1)
walk(sys.argv[1], 2)
sys.stdout.write("".join(json.dumps(r, sort_keys=True) + "\\n" for r in rows))
"""

#: A guard's accept decision: read the forced command's request and name the helper (split
#: on blanks only: a real guard needs shell quoting rules, whose module imports ``re``).
GUARD = """
import os, sys
sys.stdout.write(os.environ["SSH_ORIGINAL_COMMAND"].split()[-2] + "\\n")
"""
