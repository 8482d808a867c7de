"""Client side of SSH tunnels: start a tunnel monitor for a key, find it, stop it.

See :mod:`.tunnel_monitor` for the process itself. One monitor (one ``ssh``) per key, with
one ``-L`` per forwarded port; its record lives in ``<client dir>/.tunnels/<key>.json``.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys

from .. import paths, process, state
from .errors import LauncherError

READY_WAIT = 45.0


def record_path(client_dir: str, key: str) -> str:
    return os.path.join(client_dir, ".tunnels", key + ".json")


def start(
    *,
    key: str,
    client_dir: str,
    ssh_host: str,
    forwards: list[tuple[str, str, int]],
    remote_pid: int,
    wait_helper: bool,
) -> dict[str, int]:
    """Start the monitor; the local port of each forward (by name) once they accept connections."""
    record = record_path(client_dir, key)
    paths.ensure_private_dir(os.path.dirname(record))
    argv = [
        sys.executable, "-m", "remote_http_launcher.launch.tunnel_monitor",
        "--key", key, "--ssh-host", ssh_host, "--remote-pid", str(remote_pid), "--record", record,
    ]  # fmt: skip
    for name, host, port in forwards:
        argv += ["--forward", f"{name}:{host}:{port}"]
    if wait_helper:
        argv.append("--wait-helper")
    monitor = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )
    assert monitor.stdout is not None
    ready, _, _ = select.select([monitor.stdout], [], [], READY_WAIT)
    line = monitor.stdout.readline().decode(errors="replace").strip() if ready else ""
    monitor.stdout.close()
    if line.startswith("ready "):
        ports: dict[str, int] = json.loads(line[len("ready ") :])
        return ports
    if not line:
        _kill_group(monitor.pid)
        raise LauncherError(f"SSH tunnel to {ssh_host} was not ready after {READY_WAIT:g} s")
    monitor.wait(10)
    raise LauncherError(f"failed to establish SSH tunnel to {ssh_host}: {line.removeprefix('error ')}")


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def stop(client_dir: str, key: str, timeout: float = 5.0) -> bool:
    """Stop the tunnel monitor of ``key`` (and its ssh) if its record names a live monitor
    that is still the process we started; True if one was stopped."""
    path = record_path(client_dir, key)
    data = state.read_state(path).data
    if not data:
        return False
    pid = process.parse_pid(data.get("monitor_pid"))
    info = process.read_process(pid) if pid and pid > 1 else None
    if info is None or info.zombie or info.start_ticks != data.get("monitor_start_time"):
        state.remove_file(path)
        return False
    target = process.Target(key, info)
    try:
        target.send(signal.SIGTERM)
        if process.wait_gone([target], timeout):
            target.send(signal.SIGKILL)
            process.wait_gone([target], timeout)
    finally:
        target.close()
    state.remove_file(path)
    return True
