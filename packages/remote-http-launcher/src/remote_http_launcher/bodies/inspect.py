"""rhl-inspect: print one server state file.

The command body: the runner (``commands``) calls run() with the parsed values."""

from __future__ import annotations

import json

from .. import paths, state
from ..errors import RhlError
from ..output import out

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from typing import Any


def _with_inferred_exit(data: dict[str, Any], read: state.StateRead) -> dict[str, Any]:
    """The file's object, plus an inferred ``exit`` when it says ``running``/``starting``, has
    no exit record and its process is gone (nobody saw why; see :mod:`..exits`). The file
    itself is not changed; ``--with-mtime`` (a protocol for launchers) shows it unchanged."""
    from .. import exits, process

    if "exit" in data or data.get("status") not in exits.LIVE_STATUSES or "pid" not in data:
        return data
    verdict = process.check_state_process(data, read)
    if verdict.verdict in (process.DEAD, process.REUSED):
        return {**data, "exit": exits.inferred()}
    return data


def run(key: str, with_mtime: bool) -> int:
    read = state.read_state(paths.state_path(key))
    if read.missing:
        raise RhlError(f"no state file for {key!r}")
    data = read.require()
    if with_mtime:
        out(json.dumps({"mtime": read.mtime, "data": data}, separators=(",", ":")) + "\n")
    else:
        out(json.dumps(_with_inferred_exit(data, read), indent=2, sort_keys=True) + "\n")
    return 0
