"""rhl-inspect: print one server state file, or with --runtime what services run.

The command body: the runner (``commands``) calls run() with the parsed values."""

from __future__ import annotations

import json

from .. import paths, state
from ..errors import RhlError, UsageProblem
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


def run(key: str, more: tuple[str, ...], with_mtime: bool, runtime: bool = False) -> int:
    if runtime:
        return _runtime((key, *more), with_mtime)
    if more:
        raise UsageProblem("exactly one KEY is required without --runtime")
    read = state.read_state(paths.state_path(key))
    if read.missing:
        raise RhlError(f"no state file for {key!r}")
    data = read.require()
    if with_mtime:
        out(json.dumps({"mtime": read.mtime, "data": data}, separators=(",", ":")) + "\n")
    else:
        out(json.dumps(_with_inferred_exit(data, read), indent=2, sort_keys=True) + "\n")
    return 0


def _runtime(keys: tuple[str, ...], with_mtime: bool) -> int:
    """``--runtime``: one row per key (:func:`..runtime.report`), NDJSON; exit 1 when a row
    has an error (every key is still reported)."""
    from .. import runtime
    from ..output import ndjson

    if with_mtime:
        raise UsageProblem("--runtime and --with-mtime exclude each other")
    import time

    cache: dict[tuple[str, str], dict[str, Any]] = {}
    deadline = time.monotonic() + runtime.TOTAL_TIMEOUT
    failed = False
    for key in dict.fromkeys(keys):
        row = runtime.report(key, cache, deadline)
        failed = failed or row["error"] is not None
        out(ndjson([row]))
    return 1 if failed else 0
