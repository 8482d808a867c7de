"""This machine's side: connection files, the launcher's tunnel records, ssh forwards.

Only reads. A tunnel is *ours* when the launcher's record names a tunnel monitor that is still
the very process it recorded (PID and start time, as :func:`remote_http_launcher.launch.tunnel.stop`
checks before it signals anything); every other ``ssh -L`` process is someone else's and is
only reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from remote_http_launcher import paths, process, state


@dataclass
class TunnelRecord:
    """``<client dir>/.tunnels/<key>.json`` and whether its monitor is still ours and alive."""

    key: str
    path: str
    data: dict[str, Any]
    monitor_pid: int | None
    monitor_alive: bool
    ssh_pid: int | None

    @property
    def local_ports(self) -> list[int]:
        ports = self.data.get("local_ports")
        if not isinstance(ports, dict):
            return []
        return [p for p in ports.values() if isinstance(p, int) and not isinstance(p, bool)]

    @property
    def remote_ports(self) -> list[int]:
        forwards = self.data.get("forwards")
        if not isinstance(forwards, list):
            return []
        found = []
        for forward in forwards:
            port = forward.get("port") if isinstance(forward, dict) else None
            if isinstance(port, int) and not isinstance(port, bool):
                found.append(port)
        return found


def tunnel_records() -> list[TunnelRecord]:
    """Every tunnel record of the launcher on this machine, sorted by key."""
    directory = os.path.join(paths.client_dir(), ".tunnels")
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith(".json") and not n.startswith("."))
    except OSError:
        return []
    records = []
    for name in names:
        path = os.path.join(directory, name)
        data = state.read_state(path).data or {}
        pid = process.parse_pid(data.get("monitor_pid"))
        info = process.read_process(pid) if pid and pid > 1 else None
        alive = (
            info is not None
            and not info.zombie
            and info.start_ticks == data.get("monitor_start_time")
            and info.uid == os.getuid()
        )
        records.append(
            TunnelRecord(
                key=name[: -len(".json")],
                path=path,
                data=data,
                monitor_pid=pid,
                monitor_alive=alive,
                ssh_pid=process.parse_pid(data.get("ssh_pid")),
            )
        )
    return records


@dataclass
class Forward:
    """One ``-L [bind:]port:host:hostport`` of an ssh process."""

    local_port: int
    host: str
    remote_port: int


@dataclass
class SshProcess:
    pid: int
    ppid: int
    uid: int
    argv: list[str]
    forwards: list[Forward] = field(default_factory=list)
    #: The ssh destination (the first word after the options), when it can be told.
    destination: str | None = None

    @property
    def command_line(self) -> str:
        import shlex

        return shlex.join(self.argv)


#: ssh options that take a value (the next word, when not attached).
_SSH_VALUE_OPTIONS = set("BbcDEeFIiJLlmOoPpQRSWw")


def parse_ssh_argv(argv: list[str]) -> tuple[list[Forward], str | None]:
    """The ``-L`` forwards of an ssh command line, and its destination. Like ssh itself,
    options are read before and right after the destination (``ssh host -N -L ...``)."""
    forwards: list[Forward] = []
    destination = None
    index = 1
    while index < len(argv):
        word = argv[index]
        if word == "--" or not word.startswith("-") or word == "-":
            if word == "--":
                index += 1
            if destination is not None or index >= len(argv):
                break  # the remote command starts here
            destination = argv[index]
            index += 1
            continue
        letters = word[1:]
        for position, letter in enumerate(letters):
            if letter in _SSH_VALUE_OPTIONS:
                value = letters[position + 1 :]
                if not value:
                    index += 1
                    value = argv[index] if index < len(argv) else ""
                if letter == "L":
                    forward = _parse_forward(value)
                    if forward is not None:
                        forwards.append(forward)
                break
        index += 1
    return forwards, destination


def _parse_forward(spec: str) -> Forward | None:
    parts = []
    current = ""
    depth = 0
    for char in spec:  # [bind:]port:host:hostport, host possibly [v6]
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == ":" and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    if len(parts) == 4:
        parts = parts[1:]
    if len(parts) != 3 or not parts[0].isdigit() or not parts[2].isdigit():
        return None  # unix-socket forwards and the like
    return Forward(int(parts[0]), parts[1].strip("[]"), int(parts[2]))


def ssh_processes() -> list[SshProcess]:
    """Live ``ssh`` processes with at least one ``-L`` forward, by PID."""
    found = []
    try:
        pids = sorted(int(name) for name in os.listdir("/proc") if name.isdigit())
    except OSError:
        return []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                raw = handle.read()
        except OSError:
            continue
        argv = [part.decode(errors="replace") for part in raw.split(b"\0") if part]
        if not argv or os.path.basename(argv[0]) != "ssh":
            continue
        forwards, destination = parse_ssh_argv(argv)
        if not forwards:
            continue
        info = process.read_process(pid)
        if info is None or info.zombie:
            continue
        found.append(SshProcess(pid, _ppid(pid), info.uid, argv, forwards, destination))
    return found


def _ppid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read()
        return int(raw[raw.rindex(b")") + 2 :].split()[1])
    except (OSError, ValueError, IndexError):
        return 0
