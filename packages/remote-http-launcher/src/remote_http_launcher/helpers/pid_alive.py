"""rhl-pid-alive: is a PID alive.

The command body, free of click: the fast path and the click command both call run()."""

from __future__ import annotations

from .. import process
from ..errors import EXIT_USAGE_DISTINCT, RhlError


def _parse(raw: str) -> int:
    text = raw.strip().replace("_", "")
    if text.startswith("+"):
        text = text[1:]
    if not text.isdigit() or len(text) > 10 or int(text) <= 0 or int(text) > 2**31 - 1:
        raise RhlError("PID must be a positive integer", EXIT_USAGE_DISTINCT)
    return int(text)


def run(pid: str) -> int:
    return 0 if process.pid_alive(_parse(pid)) else 1
