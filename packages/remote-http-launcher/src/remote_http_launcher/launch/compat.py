"""Launching on a server that has only remote-http-launcher 0.4.5's helpers.

Same decisions as ``rhl-launch-service --await``, taken from the client one helper call at a
time (each call rides the multiplexed SSH connection, so it costs milliseconds, not a new
login). Waiting polls ``rhl-inspect --with-mtime`` with a short backoff instead of fixed 1–2 s
sleeps, and compares the target's file times only with each other (never with our clock).

What this mode cannot give: 0.4.5's ``rhl-launch-service`` has no lock, so two launchers
racing on such a server may still start two services, and its ``rhl-stop`` signals only the
leader PID. Install our helpers on the server for the race-free path.
"""

from __future__ import annotations

import time

from . import client_check
from .errors import LauncherError, LaunchFailed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .config import Configuration
    from .executors import Executor
    from .progress import Observer


def where(executor: Executor) -> str:
    """The host an error message names: the SSH host, or localhost (never a class name)."""
    return str(getattr(executor, "host", None) or "localhost")


def launch_arguments(config: Configuration) -> list[str]:
    """The ``rhl-launch-service`` options every launch sends (0.4.5's helper knows them all)."""
    import json  # not at module level: a launch from the cached plan never imports json

    args = ["--key", config.key, "--workdir", config.workdir, "--network-interface", config.network_interface]
    if config.conda:
        args += ["--conda-env", config.conda]
    if config.file_parameters is not None:
        args += ["--parameters", json.dumps(config.file_parameters)]
    if config.meta is not None:
        args += ["--meta", json.dumps(config.meta)]
    return args


DEAD_GRACE = 2.0
VERIFY_BUDGET = 15.0


def _inspect(executor: Executor, key: str) -> tuple[float | None, dict[str, Any] | None]:
    result = executor.call("rhl-inspect", [key, "--with-mtime"], timeout=60)
    if result.rc != 0:
        return None, None
    import json

    try:
        value = json.loads(result.stdout)
    except ValueError:
        return None, None
    if not isinstance(value, dict) or not isinstance(value.get("data"), dict):
        return None, None
    mtime = value.get("mtime")
    return (float(mtime) if isinstance(mtime, (int, float)) else None), value["data"]


def _remove(executor: Executor, key: str) -> None:
    executor.call("rhl-rm", [key, "--server"], timeout=60)


def _stop_and_remove(executor: Executor, key: str) -> None:
    executor.call("rhl-stop", [key], timeout=60)
    _remove(executor, key)


def _verify(executor: Executor, config: Configuration, data: dict[str, Any]) -> str | None:
    port = data.get("port")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        return "the state file has no valid port"
    host = data.get("network_interface") if isinstance(data.get("network_interface"), str) else None
    host = host or config.network_interface
    deadline = time.monotonic() + VERIFY_BUDGET
    delay = 0.05
    while True:
        result = executor.call("rhl-verify-port", [host, str(port)], timeout=60)
        problem = None if result.rc == 0 else f"port check failed: {result.last_error_line()}"
        if problem is None and config.handshake is not None:
            check_port = data.get(config.handshake.port_name) if config.handshake.port_name else port
            if not isinstance(check_port, int):
                return f"the state file has no integer {config.handshake.port_name!r}"
            url = f"http://{host}:{check_port}{client_check.target_of(config.handshake)}"
            result = executor.call("rhl-handshake", [url], timeout=60)
            problem = None if result.rc == 0 else f"handshake {url} failed: {result.last_error_line()}"
        if problem is None or time.monotonic() >= deadline:
            return problem
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


def _wait(executor: Executor, config: Configuration, idle_timeout: float) -> dict[str, Any] | str:
    """The running state, or why the start failed."""
    key = config.key
    last_mtime: float | None = None
    last_change = time.monotonic()
    dead_since: float | None = None
    delay = 0.02
    while True:
        mtime, data = _inspect(executor, key)
        if data is None:
            return "the state file disappeared while the service was starting"
        status = data.get("status")
        if status == "running":
            problem = _verify(executor, config, data)
            return data if problem is None else problem
        if status != "starting":
            return f"the service reported status {status!r}"
        now = time.monotonic()
        if mtime != last_mtime:
            last_mtime, last_change = mtime, now
        elif now - last_change > idle_timeout:
            return f"no progress for {idle_timeout:g} s"
        pid = data.get("pid")
        if isinstance(pid, int) and executor.call("rhl-pid-alive", [str(pid)], timeout=60).rc == 1:
            dead_since = dead_since or now
            if now - dead_since > DEAD_GRACE:
                return "the service process is gone"
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def _log_tail(executor: Executor, key: str) -> str:
    result = executor.call("rhl-logs", [key, "--tail", "20"], timeout=60)
    return result.stdout if result.rc == 0 else ""


def _ensure_conda(executor: Executor, config: Configuration, observer: Observer) -> None:
    if not config.conda:
        return
    observer.phase("conda_setup")
    info = executor.call("rhl-conda-info", [], timeout=120)
    if info.rc != 0:
        observer.detail("conda cache miss, running rhl-cache-conda")
        cached = executor.call("rhl-cache-conda", [], timeout=300)
        if cached.rc != 0:
            raise LauncherError(f"conda is not usable on {executor.name}: {cached.last_error_line()}")
        info = executor.call("rhl-conda-info", [], timeout=120)
    import json

    try:
        cache = json.loads(info.stdout)
        envs = [str(e) for e in cache.get("envs", [])]
    except (ValueError, AttributeError):
        raise LauncherError(f"conda cache on {executor.name} is unreadable") from None
    base = str(cache.get("conda_base") or "")
    if config.conda not in ("base", base) and not any(
        e == config.conda or e.endswith("/" + config.conda) for e in envs
    ):
        raise LauncherError(f"conda environment {config.conda!r} does not exist on {executor.name}")


def ensure(
    executor: Executor, config: Configuration, observer: Observer, idle_timeout: float
) -> tuple[dict[str, Any], str]:
    """Reuse, wait for, or launch the service on a 0.4.5 server; (state, outcome)."""
    key = config.key
    _mtime, data = _inspect(executor, key)
    observer.phase("remote_check", f"found:{data.get('status')}" if data else "missing")
    if data is not None and data.get("dry_run"):
        _remove(executor, key)
        data = None
    if data is not None and data.get("status") == "running":
        problem = _verify(executor, config, data)
        if problem is None:
            observer.phase("remote_validate", "ok")
            return data, "reused-remote"
        observer.phase("remote_validate", "failed")
        observer.detail(problem)
        _stop_and_remove(executor, key)
    elif data is not None and data.get("status") == "starting":
        observer.phase("wait_for_start", "waiting")
        waited = _wait(executor, config, idle_timeout)
        if isinstance(waited, dict):
            return waited, "reused-remote"
        observer.detail(waited)
        _stop_and_remove(executor, key)
    elif data is not None:
        observer.phase("stale_cleanup", "remove")
        _remove(executor, key)
    _ensure_conda(executor, config, observer)
    args = [*launch_arguments(config), "--", *config.command_argv(executor.status_file(key))]
    observer.phase("launch", "started")
    result = executor.call("rhl-launch-service", args, timeout=120)
    if result.rc != 0:
        raise LauncherError(f"rhl-launch-service failed on {where(executor)}: {result.last_error_line()}")
    observer.phase("wait_for_start", "waiting")
    waited = _wait(executor, config, idle_timeout)
    if isinstance(waited, dict):
        return waited, "launched"
    tail = _log_tail(executor, key)
    _stop_and_remove(executor, key)
    raise LaunchFailed(f"service {key} did not become ready on {where(executor)}: {waited}", tail)
