"""rhl-pid-alive: is a PID alive; with --wait, block until it is not.

The command body: the runner (``commands``) calls run() with the parsed values.
``--wait`` exists for the launcher's SSH tunnel, which runs ``rhl-pid-alive --wait PID`` as
the remote command of its ``ssh -L`` so that the tunnel ends the moment the service does,
instead of asking every few seconds. A waiter stops when its stdout's reader goes away (the
SSH connection closed), so waiters never pile up on the server.
"""

from __future__ import annotations

import os

from .. import process
from ..errors import EXIT_USAGE_DISTINCT, RhlError, UsageProblem


def _parse(raw: str) -> int:
    text = raw.strip().replace("_", "")
    if text.startswith("+"):
        text = text[1:]
    if not text.isdigit() or len(text) > 10 or int(text) <= 0 or int(text) > 2**31 - 1:
        raise RhlError("PID must be a positive integer", EXIT_USAGE_DISTINCT)
    return int(text)


def run(pid: str, wait: bool = False, timeout: float | None = None) -> int:
    target = _parse(pid)
    if timeout is not None:
        if not wait:
            raise UsageProblem("--timeout requires --wait")
        if timeout != timeout:  # NaN
            raise UsageProblem("--timeout must be a number of seconds")
    if not wait:
        return 0 if process.pid_alive(target) else 1
    if not process.pid_alive(target):
        return 1
    outcome = process.wait_exit(target, timeout, watch_fd=_stdout_fd())
    return 1 if outcome == process.EXITED else 0


def _stdout_fd() -> int | None:
    """Our stdout, if it is open (a closed one would read as "the caller went away")."""
    try:
        os.fstat(1)
    except OSError:
        return None
    return 1
