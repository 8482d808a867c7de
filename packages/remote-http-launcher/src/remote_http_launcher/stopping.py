"""Stopping services: SIGINT, then SIGTERM, then SIGKILL, to whole process groups.

Each key's process is verified (see :mod:`.process`) before anything is signalled; a key
whose file is missing, corrupt or names a process that is gone, reused or foreign is
reported and never signalled, and does not prevent the other keys from being stopped.
Waiting returns as soon as a group is gone. After a confirmed stop the server state is
marked ``stale`` (under the key lock) and kept, with its log, for post-mortem.
"""

from __future__ import annotations

import os
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


#: What a target is: the recorded service, the leftovers of its crashed leader, or a service
#: found through its service lock although its state file is gone.
SERVICE = "service"
LEFTOVERS = "leftovers"
UNTRACKED = "untracked"


def _untracked_target(key: str) -> process.Target | None:
    """The live service that still holds ``key``'s service lock, if its recorded identity
    matches a live process of ours (never signalled otherwise)."""
    from . import servicelock

    owner = servicelock.probe(key)
    if not owner or not isinstance(owner.get("pid_start_time"), int):
        return None
    recorded = {**owner, "uid": os.getuid()}
    live = process.check_state_process(recorded)
    if not live.alive:
        members = process.leftovers(recorded, live)
        return process.GroupTarget(key, members[0].pgid, members) if members else None
    if live.info is None or live.info.pgid != live.pid:
        return None
    target = process.Target(key, live.info)
    if target.leader_gone:
        target.close()
        return None
    return target


def _prepare(key: str) -> tuple[StopResult | None, process.Target | None, str]:
    read = state.read_state(paths.state_path(key))
    if read.missing:
        untracked = _untracked_target(key)
        if untracked is not None:
            return None, untracked, UNTRACKED
        return StopResult(key, MISSING), None, SERVICE
    if read.corrupt:
        return StopResult(key, CORRUPT, read.error or ""), None, SERVICE
    data = read.require()
    live = process.check_state_process(data, read)
    if live.verdict == process.NO_PID:
        return StopResult(key, INVALID_PID, live.detail), None, SERVICE
    if live.verdict == process.FOREIGN:
        return StopResult(key, PERMISSION_DENIED, live.detail + "; not signalled"), None, SERVICE
    if live.verdict in (process.DEAD, process.REUSED):
        members = process.leftovers(data, live)
        if members:
            return None, process.GroupTarget(key, members[0].pgid, members), LEFTOVERS
        detail = "" if live.verdict == process.DEAD else live.detail + "; not signalled"
        return StopResult(key, ALREADY_GONE, detail), None, SERVICE
    assert live.info is not None
    target = process.Target(key, live.info)
    if target.leader_gone:
        target.close()
        return StopResult(key, ALREADY_GONE), None, SERVICE
    return None, target, SERVICE


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


def _mark_stale(result: StopResult, record_stop: bool) -> None:
    from . import exits

    def change(data: dict[str, Any]) -> dict[str, Any]:
        data["status"] = "stale"
        data["stopped_at"] = round(time.time(), 3)
        if record_stop:
            exits.apply_stopped(data, data["stopped_at"])
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
    """Stop the services of ``keys`` together; one result per key, in argument order.

    A key whose leader is gone but whose process group still has verified members gets those
    stopped (``stopped (leader PID N was already gone; stopped leftover PIDs ...)``); a key
    whose state file is gone but whose service still holds the service lock is stopped as
    ``untracked``. Only a stop of the recorded, live service writes the ``stopped`` exit
    record: a leader that died on its own keeps the record its supervisor wrote."""
    for key in keys:
        paths.validate_key(key)
    results: dict[str, StopResult] = {}
    targets: list[process.Target] = []
    kinds: dict[str, str] = {}
    for key in dict.fromkeys(keys):
        result, target, kind = _prepare(key)
        kinds[key] = kind
        if result is not None:
            results[key] = result
        if target is not None:
            targets.append(target)
    try:
        results.update(_escalate(targets, sigint_grace, sigterm_grace))
    finally:
        for target in targets:
            target.close()
    for target in targets:
        result = results[target.key]
        if result.outcome not in GONE_OUTCOMES or result.detail:
            continue
        if isinstance(target, process.GroupTarget):
            pids = ", ".join(str(pid) for pid in target.members)
            result.detail = f"leader PID {target.pid} was already gone; stopped leftover PIDs {pids}"
        elif kinds[target.key] == UNTRACKED:
            result.detail = f"untracked PID {target.pid}: its state file was missing"
    ordered = [results[key] for key in dict.fromkeys(keys)]
    for result in ordered:
        if result.outcome in GONE_OUTCOMES and kinds[result.key] != UNTRACKED:
            _mark_stale(result, kinds[result.key] == SERVICE and result.outcome != ALREADY_GONE)
    return ordered
