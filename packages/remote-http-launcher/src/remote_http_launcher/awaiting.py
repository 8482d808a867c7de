"""``rhl-launch-service --await``: bring a key's service up exactly once and say where it listens.

The whole target-side decision of a launch happens here, in one process and one SSH round
trip, under a per-key *launch lock*:

* a ``running`` service that still answers (port, then handshake) is reused;
* a ``starting`` one (launched by an earlier launcher that died, or by a 0.4.5 launcher) is
  waited for, not duplicated;
* anything else (absent, failed, stale, dead, corrupt) is replaced by a fresh launch.

Waiting is event-driven: the service is our child, so its death is seen at once
(``waitpid``), and the state file and log are polled with a short backoff for progress. A
service that fails, dies, or makes no progress for ``idle_timeout`` seconds is stopped (its
whole process group) and its state marked ``failed`` with the reason, so ``rhl-ps`` tells
the truth and ``rhl-logs`` still has the log.

The launch lock (``.locks/<key>.launch``) is separate from the key lock that guards short
read-modify-writes, so ``rhl-stop`` and ``rhl-rm`` never wait behind a slow start.
"""

from __future__ import annotations

import os
import sys
import time

from . import paths, process, spawn, state
from .errors import RhlError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Exit code of ``--await`` when the service did not become ready (see docs/reference/exit-codes.md).
EXIT_NOT_READY = 3
DEFAULT_IDLE_TIMEOUT = 60.0
DEFAULT_LOCK_TIMEOUT = 600.0
#: Longest pause between two looks at a starting service's state file during its first
#: FIRST_POLL_WINDOW seconds (most services are ready by then), up to FAST_POLL_WINDOW
#: seconds, and afterwards. A look is two stats and one small read (tens of microseconds).
FIRST_POLL_CAP = 0.002
FIRST_POLL_WINDOW = 1.0
FAST_POLL_CAP = 0.005
FAST_POLL_WINDOW = 5.0
SLOW_POLL_CAP = 0.05
#: How long a service that says ``running`` gets to accept connections and answer its handshake.
VERIFY_BUDGET = 15.0
LOG_TAIL_LINES = 20


class NotReady(RhlError):
    """The service did not become ready; carries what the launcher shows the user."""

    exit_code = EXIT_NOT_READY

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: service did not become ready: {reason}")
        self.key = key
        self.reason = reason


class Progress:
    """Phase announcements on stderr (``@rhl-phase <name>``) that the launcher turns into its
    live progress line; silent unless asked for."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, phase: str, detail: str = "") -> None:
        if self.enabled:
            sys.stderr.write(f"@rhl-phase {phase} {detail}".rstrip() + "\n")
            sys.stderr.flush()


def launch_lock(key: str, timeout: float) -> state.file_lock:
    """Exclusive per-key lock held for a whole check-launch-wait sequence (bounded wait)."""
    return state.file_lock(
        state.lock_path(paths.server_dir(), key, ".launch"),
        timeout,
        f"another launch of this key is still running after {timeout:g} s",
    )


class AwaitOptions:
    def __init__(
        self,
        handshake: str | None = None,
        port_name: str | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        timeout: float | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        progress: bool = False,
    ) -> None:
        self.handshake = handshake
        self.port_name = port_name
        self.idle_timeout = idle_timeout
        self.timeout = timeout
        self.lock_timeout = lock_timeout
        self.progress = Progress(progress)


def _port_of(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        return None
    return value


def _url(host: str, port: int, path: str) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}{path if path.startswith('/') else '/' + path}"


def verify(data: dict[str, Any], options: AwaitOptions, budget: float = VERIFY_BUDGET) -> str | None:
    """None when the service described by ``data`` accepts connections and answers its
    handshake (if one is configured); else why not. Retries with a short backoff."""
    from . import netcheck

    port = _port_of(data, "port")
    if port is None:
        return "the state file has no valid port"
    host = netcheck.reachable_host(data.get("network_interface"))
    deadline = time.monotonic() + budget
    delay = 0.005
    last = ""
    while True:
        try:
            # socket.create_connection on the C module (socket.py costs a cold launch 3 ms)
            netcheck._connect(host, port, 2.0).close()
            last = ""
        except OSError as exc:
            last = f"port {host}:{port} does not accept connections ({exc.strerror or exc})"
        if not last and options.handshake is not None:
            check_port = _port_of(data, options.port_name) if options.port_name else port
            if check_port is None:
                return f"the state file has no valid {options.port_name!r}"
            url = _url(host, check_port, options.handshake)
            path = options.handshake if options.handshake.startswith("/") else "/" + options.handshake
            try:
                # A raw GET: importing urllib would cost more than the whole check.
                status = netcheck.http_status(host, check_port, path, timeout=_remaining(deadline))
                last = "" if 200 <= status < 300 else f"handshake {url} answered HTTP {status}"
            except OSError as exc:
                last = f"handshake {url} failed: {exc.strerror or exc}"
        if not last:
            return None
        if time.monotonic() >= deadline:
            return last
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def _remaining(deadline: float) -> float:
    return min(10.0, max(0.5, deadline - time.monotonic()))


def _log_tail(key: str) -> str:
    from . import logs

    try:
        fd, _path = logs.open_log(key)
    except RhlError:
        return ""
    try:
        data, _end = logs.tail_bytes(fd, LOG_TAIL_LINES)
    finally:
        os.close(fd)
    return data.decode(errors="replace")


def _stat_signature(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _child_exit(pid: int) -> int | None:
    """Exit status of our child ``pid`` if it has ended (reaping it), else None."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    if done == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def _exit_reason(record: dict[str, Any]) -> str:
    """Why a service that had not become ready is gone, from its exit record."""
    code, sig = record.get("code"), record.get("signal")
    if record.get("reason") == "killed" and isinstance(sig, int):
        return f"the service was killed by signal {sig} before it was ready"
    if isinstance(code, int):
        return f"the service exited with code {code} before it was ready"
    return "the service process is gone"


def wait_until_ready(
    key: str, pid: int, own_child: bool, options: AwaitOptions, supervisor: int | None = None
) -> dict[str, Any]:
    """Wait until the state says ``running`` and the service answers; raise :class:`NotReady`.

    ``supervisor`` (our child, the service's parent, when we launched it) records the exit
    in the state file and then ends: its end, or the record, says the service is gone and why.
    """
    import _socket  # noqa: F401 - for verify(): imported while the service starts, not once it is ready

    from . import exits, netcheck  # noqa: F401 - netcheck: the same

    state_file = paths.state_path(key)
    log = paths.log_path(key)
    started = time.monotonic()
    last_progress = started
    signature = (_stat_signature(state_file), _stat_signature(log))
    delay = 0.001
    supervisor_gone = False
    while True:
        if supervisor is not None and _child_exit(supervisor) is not None:
            supervisor, supervisor_gone = None, True  # it recorded the exit (if it could) and ended
        read = state.read_state(state_file)
        data = read.data
        if data is not None and data.get("status") == "running":
            options.progress("handshake")
            problem = verify(data, options)
            if problem is None:
                return data
            raise NotReady(key, problem)
        if data is not None and data.get("status") == "failed":
            raise NotReady(key, "the service reported that it failed")
        if read.missing:
            raise NotReady(key, "the state file was removed while the service was starting")
        record = exits.recorded(data) if data is not None else None
        if record is not None and data is not None and process.parse_pid(data.get("pid")) == pid:
            raise NotReady(key, _exit_reason(record))
        if (supervisor_gone or not own_child) and data is not None:
            if not process.check_state_process(data, read).alive:
                raise NotReady(key, "the service process is gone")
        now = time.monotonic()
        current = (_stat_signature(state_file), _stat_signature(log))
        if current != signature:
            signature, last_progress, delay = current, now, 0.001
        elif now - last_progress > options.idle_timeout:
            raise NotReady(key, f"no progress (state file and log unchanged) for {options.idle_timeout:g} s")
        if options.timeout is not None and now - started > options.timeout:
            raise NotReady(key, f"not ready after {options.timeout:g} s")
        time.sleep(delay)
        # Readiness is seen at most one sleep late: keep the sleeps short while a start is
        # young (a poll is two stats and one small read), longer once it takes seconds.
        age = now - started
        cap = (
            FIRST_POLL_CAP
            if age < FIRST_POLL_WINDOW
            else FAST_POLL_CAP
            if age < FAST_POLL_WINDOW
            else SLOW_POLL_CAP
        )
        delay = min(delay * 1.5, cap)


def _stop_process(key: str) -> bool:
    """Stop the process recorded for ``key`` (whole group), if it is alive and verifiably ours,
    or the leftover members of its group if its leader is gone; True if anything was signalled."""
    from . import stopping

    read = state.read_state(paths.state_path(key))
    if read.data is None:
        return False
    live = process.check_state_process(read.data, read)
    target: process.Target | None = None
    if live.alive and live.info is not None:
        target = process.Target(key, live.info)
    else:
        members = process.leftovers(read.data, live)
        if members:
            target = process.GroupTarget(key, members[0].pgid, members)
    if target is None:
        return False
    try:
        if TYPE_CHECKING:
            import signal
        else:  # the C module: ``signal`` builds enums (``enum``: milliseconds)
            import _signal as signal

        for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, stopping.SIGKILL_CONFIRM)):
            if not target.alive():
                break
            target.send(sig)
            process.wait_gone([target], grace)
    except PermissionError:
        pass
    finally:
        target.close()
    return not isinstance(target, process.GroupTarget)


def _stop_failed(key: str, reason: str) -> None:
    """Stop a service that did not become ready and record why in its state."""
    from . import exits

    stopped = _stop_process(key)

    def mark(data: dict[str, Any]) -> dict[str, Any]:
        data["status"] = "failed"
        data["failure"] = reason
        data["stopped_at"] = round(time.time(), 3)
        if stopped:
            exits.apply_stopped(data)
        return data

    try:
        state.update_state(key, mark)
    except RhlError:
        pass


def _current(key: str) -> tuple[str, dict[str, Any] | None, process.Liveness | None]:
    """What the server state of ``key`` says: ("running"|"starting"|"replace", data, liveness)."""
    read = state.read_state(paths.state_path(key))
    data = read.data
    if data is None or data.get("dry_run"):
        return "replace", None, None
    status = data.get("status")
    if status not in ("running", "starting"):
        return "replace", data, None
    live = process.check_state_process(data, read)
    if not live.alive:
        return "replace", data, live
    return str(status), data, live


def ensure(request: spawn.LaunchRequest, options: AwaitOptions) -> dict[str, Any]:
    """Reuse, wait for, or launch the service of ``request.key``; the result object printed."""
    key = paths.validate_key(request.key)
    paths.ensure_private_dir(paths.server_dir())
    with launch_lock(key, options.lock_timeout):
        options.progress("check")
        status, data, live = _current(key)
        if status == "running" and data is not None:
            options.progress("verify")
            problem = verify(data, options)
            if problem is None:
                return _result(key, "reused", data)
            _stop_failed(key, f"running service did not answer: {problem}")
        elif status == "starting" and live is not None and live.pid is not None:
            options.progress("wait")
            try:
                data = wait_until_ready(key, live.pid, False, options)
                return _result(key, "reused", data)
            except NotReady as exc:
                _stop_failed(key, exc.reason)
                raise
        if status == "replace" and data is not None:
            # e.g. "failed" or "stale" while its process lives on, or the leftover workers
            # of a crashed leader: never orphan them, never start a second writer next to them.
            _stop_process(key)
        if request.conda_env:
            options.progress("conda")
        options.progress("launch")
        launched = spawn.launch(request)
        options.progress("wait")
        try:
            data = wait_until_ready(key, launched.pid, launched.launched, options, launched.supervisor_pid)
        except NotReady as exc:
            _stop_failed(key, exc.reason)
            raise
        return _result(key, "launched" if launched.launched else "reused", data)


def _result(key: str, outcome: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": key,
        "outcome": outcome,
        "launched": outcome == "launched",
        "pid": data.get("pid"),
        "status": data.get("status"),
        "state_file": paths.state_path(key),
        "state": data,
    }


def failure_result(exc: NotReady) -> dict[str, Any]:
    return {
        "key": exc.key,
        "outcome": "failed",
        "reason": exc.reason,
        "state_file": paths.state_path(exc.key),
        "log_tail": _log_tail(exc.key),
    }


def dumps(result: dict[str, Any]) -> str:
    """``json.dumps(result, sort_keys=True)`` to the byte, without importing json."""
    from .jsontext import dumps

    return dumps(result)
