"""The exit record: why a service is gone, written where ``rhl-ps`` and ``rhl-inspect`` see it.

A server state file gains, once its service's exit is known (contract in docs/reference/
state-files.md, "Exit record")::

    "exit": {"reason": "stopped" | "exited" | "killed" | "idle" | null,
             "code": int | null, "signal": int | null, "at": float | null, "inferred": bool}

Who writes it:

* the launch *supervisor* (:func:`supervise`), the parent of the service, which sees the exit
  status the moment the service ends (``inferred: false``);
* ``rhl-stop`` (and a launch that stops a service that did not become ready) with reason
  ``stopped``, which wins over what the supervisor saw (a service stopped by SIGINT exits 0 or
  dies from the signal; either way *we* stopped it). Whichever of the two writes second keeps
  the other's information: the supervisor fills in ``code``/``signal`` of a ``stopped`` record.

Readers compute an *inferred* record (:func:`inferred`, ``reason`` null) for a state file
whose process is gone but which has no record (a service launched by 0.4.5, or whose
supervisor was killed).
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from typing import Any

STOPPED = "stopped"
EXITED = "exited"
KILLED = "killed"
IDLE = "idle"

#: Stored statuses that become ``stale`` once the exit is known.
LIVE_STATUSES = ("starting", "running")


def has_idle_timeout(argv: list[str]) -> bool:
    """True if the service's command line sets its own idle limit (``--timeout``)."""
    return any(arg == "--timeout" or arg.startswith("--timeout=") for arg in argv)


def from_wait_status(status: int, argv: list[str], at: float) -> dict[str, Any]:
    """The record for a ``waitpid`` status seen by the service's parent."""
    if os.WIFSIGNALED(status):
        return {"reason": KILLED, "code": None, "signal": os.WTERMSIG(status), "at": at, "inferred": False}
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    reason = IDLE if code == 0 and has_idle_timeout(argv) else EXITED
    return {"reason": reason, "code": code, "signal": None, "at": at, "inferred": False}


def inferred() -> dict[str, Any]:
    """The record shown for a dead service that left none: nobody saw why it ended."""
    return {"reason": None, "code": None, "signal": None, "at": None, "inferred": True}


def recorded(data: dict[str, Any]) -> dict[str, Any] | None:
    """The state's exit record if it is a well-formed object, else None."""
    value = data.get("exit")
    return value if isinstance(value, dict) else None


def describes(data: dict[str, Any], pid: int, start_ticks: int) -> bool:
    """Does this state file (still) describe the process ``pid`` that started at ``start_ticks``?

    The supervisor writes only into the file of its own service: after a relaunch, a removed
    file or a failed record, the file describes something else and is left alone."""
    recorded_pid = data.get("pid")
    return (
        isinstance(recorded_pid, int)
        and not isinstance(recorded_pid, bool)
        and recorded_pid == pid
        and data.get("pid_start_time") == start_ticks
    )


def apply_seen(data: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """Merge what the supervisor saw into ``data`` (a ``stopped`` record keeps its reason)."""
    previous = recorded(data)
    if previous is not None and previous.get("reason") == STOPPED and not previous.get("inferred"):
        merged = dict(previous)
        merged["code"], merged["signal"] = record["code"], record["signal"]
        data["exit"] = merged
    else:
        data["exit"] = record
    if data.get("status") in LIVE_STATUSES:
        data["status"] = "stale"
    return data


def apply_stopped(data: dict[str, Any], at: float | None = None) -> dict[str, Any]:
    """Record that we stopped the service (keeps an exit status the supervisor already saw)."""
    previous = recorded(data)
    record: dict[str, Any] = {
        "reason": STOPPED,
        "code": None,
        "signal": None,
        "at": round(time.time(), 3) if at is None else at,
        "inferred": False,
    }
    if previous is not None and not previous.get("inferred"):
        record["code"], record["signal"] = previous.get("code"), previous.get("signal")
        if isinstance(previous.get("at"), (int, float)) and not isinstance(previous.get("at"), bool):
            record["at"] = previous["at"]
    data["exit"] = record
    return data


def supervise(key: str, pid: int, start_ticks: int, argv: list[str], lock_fds: list[int]) -> None:
    """Body of the supervisor process: wait for the service ``pid`` (our child), record its exit.

    Runs in the process forked by ``rhl-launch-service`` that forked the service; it is in a
    session and process group of its own, so the signals ``rhl-stop`` sends to the service's
    group never reach it. The service-lock descriptors are closed as soon as the service has
    ended (its leftover workers keep the lock if they inherited it), before the key lock is
    taken: a launch waiting on the service lock while holding the key lock cannot deadlock us.
    """
    from . import state

    while True:
        try:
            _done, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:  # pragma: no cover - nobody else reaps our child
            return
    at = round(time.time(), 3)
    for fd in lock_fds:
        try:
            os.close(fd)
        except OSError:
            pass
    record = from_wait_status(status, argv, at)

    def change(data: dict[str, Any]) -> dict[str, Any] | None:
        if not describes(data, pid, start_ticks):
            return None
        return apply_seen(data, record)

    from . import paths

    if not os.path.exists(paths.state_path(key)):
        return  # removed (with its directory, perhaps): never recreate anything
    try:
        state.update_state(key, change)
    except Exception:  # noqa: BLE001, S110 - nobody to tell: the readers infer the exit instead
        pass
