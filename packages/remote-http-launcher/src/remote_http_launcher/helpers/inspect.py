"""rhl-inspect: print one server state file.

The command body, free of click: the fast path and the click command both call run()."""

from __future__ import annotations

import json

from .. import paths, state
from ..cli._out import out
from ..errors import RhlError


def run(key: str, with_mtime: bool) -> int:
    read = state.read_state(paths.state_path(key))
    if read.missing:
        raise RhlError(f"no state file for {key!r}")
    data = read.require()
    if with_mtime:
        out(json.dumps({"mtime": read.mtime, "data": data}, separators=(",", ":")) + "\n")
    else:
        out(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return 0
