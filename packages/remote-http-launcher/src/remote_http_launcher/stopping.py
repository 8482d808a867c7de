"""Stopping services: SIGINT, then SIGTERM, then SIGKILL, to whole process groups.

Each key's process is verified (see :mod:`.process`) before anything is signalled; a key
whose file is missing, corrupt or names a process that is gone, reused or foreign is
reported and never signalled, and does not prevent the other keys from being stopped.
Waiting returns as soon as a group is gone. After a confirmed stop the server state is
marked ``stale`` (under the key lock) and kept, with its log, for post-mortem.
"""

from __future__ import annotations

import signal
import time

from . import paths, process, state

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from typing import Any

STOPPED = "stopped"
ALREADY_GONE = "already gone"
KILL_REQUIRED = "kill required"
PERMISSION_DENIED = "permission denied"
MISSING = "missing state"
CORRUPT = "corrupt state"
INVALID_PID = "invalid PID"
SURVIVED = "still running after SIGKILL"

#: Outcomes after which the process is known to be gone, so the file is marked stale.
GONE_OUTCOMES = (STOPPED, ALREADY_GONE, KILL_REQUIRED)
#: Outcomes that make the command exit non-zero.
FAILED_OUTCOMES = (PERMISSION_DENIED, CORRUPT, INVALID_PID, SURVIVED)

DEFAULT_SIGINT_GRACE = 5.0
DEFAULT_SIGTERM_GRACE = 5.0
#: How long we wait for the kernel to reap a SIGKILLed group before saying it survived.
SIGKILL_CONFIRM = 5.0


class StopResult:
    """The outcome for one key: a word from the outcome list, and why."""

    def __init__(self, key: str, outcome: str, detail: str = "") -> None:
        self.key = key
        self.outcome = outcome
        self.detail = detail
        self.marked_stale = False

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED_OUTCOMES

    def line(self) -> str:
        text = f"{self.key}: {self.outcome}"
        return f"{text} ({self.detail})" if self.detail else text


def _prepare(key: str) -> tuple[StopResult | None, process.Target | None]:
    read = state.read_state(paths.state_path(key))
    if read.missing:
        return StopResult(key, MISSING), None
    if read.corrupt:
        return StopResult(key, CORRUPT, read.error or ""), None
    data = read.require()
    live = process.check_state_process(data, read)
    if live.verdict == process.NO_PID:
        return StopResult(key, INVALID_PID, live.detail), None
    if live.verdict == process.FOREIGN:
        return StopResult(key, PERMISSION_DENIED, live.detail + "; not signalled"), None
    if live.verdict in (process.DEAD, process.REUSED):
        detail = "" if live.verdict == process.DEAD else live.detail + "; not signalled"
        return StopResult(key, ALREADY_GONE, detail), None
    assert live.info is not None
    target = process.Target(key, live.info)
    if target.leader_gone:
        target.close()
        return StopResult(key, ALREADY_GONE), None
    return None, target


def _escalate(targets: list[process.Target], grace_int: float, grace_term: float) -> dict[str, StopResult]:
    results: dict[str, StopResult] = {}
    pending = list(targets)
    for sig, grace in ((signal.SIGINT, grace_int), (signal.SIGTERM, grace_term)):
        signalled = []
        for target in pending:
            try:
                target.send(sig)
            except PermissionError:
                results[target.key] = StopResult(target.key, PERMISSION_DENIED)
                continue
            signalled.append(target)
        pending = process.wait_gone(signalled, grace)
    for target in targets:
        if target not in pending and target.key not in results:
            results[target.key] = StopResult(target.key, STOPPED)
    if pending:
        for target in pending:
            try:
                target.send(signal.SIGKILL)
            except PermissionError:
                results[target.key] = StopResult(target.key, PERMISSION_DENIED)
        survivors = process.wait_gone([t for t in pending if t.key not in results], SIGKILL_CONFIRM)
        for target in pending:
            if target.key in results:
                continue
            if target in survivors:
                results[target.key] = StopResult(target.key, SURVIVED)
            else:
                results[target.key] = StopResult(target.key, KILL_REQUIRED)
    return results


def _mark_stale(result: StopResult) -> None:
    def change(data: dict[str, Any]) -> dict[str, Any]:
        data["status"] = "stale"
        data["stopped_at"] = round(time.time(), 3)
        return data

    try:
        result.marked_stale = state.update_state(result.key, change) is not None
    except Exception as exc:  # noqa: BLE001 - reported, never a traceback
        result.outcome = CORRUPT
        result.detail = f"could not mark stale: {exc}"


def stop_keys(
    keys: list[str],
    *,
    sigint_grace: float = DEFAULT_SIGINT_GRACE,
    sigterm_grace: float = DEFAULT_SIGTERM_GRACE,
) -> list[StopResult]:
    """Stop the services of ``keys`` together; one result per key, in argument order."""
    for key in keys:
        paths.validate_key(key)
    results: dict[str, StopResult] = {}
    targets: list[process.Target] = []
    for key in dict.fromkeys(keys):
        result, target = _prepare(key)
        if result is not None:
            results[key] = result
        if target is not None:
            targets.append(target)
    try:
        results.update(_escalate(targets, sigint_grace, sigterm_grace))
    finally:
        for target in targets:
            target.close()
    ordered = [results[key] for key in dict.fromkeys(keys)]
    for result in ordered:
        if result.outcome in GONE_OUTCOMES:
            _mark_stale(result)
    return ordered
