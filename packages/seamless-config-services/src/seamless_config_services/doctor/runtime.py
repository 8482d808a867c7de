"""What a running local service really runs: "a local fix is not a live fix" (the seeds).

A service runs the code installed in *its* environment, which need not be the client's: a
fix made in this checkout is live for the service only if the service's interpreter imports
it (the same environment with an editable install pointing here). For every running service
of the local cluster the doctor reads ``/proc/PID/exe`` and ``/proc/PID/cmdline`` (only for a
process of this user) and asks the service's own interpreter which distribution provides the
service's command, its version, and whether it is an editable install and where it points;
then the same question to this client's interpreter. A remote service's process cannot be
read from here (the helpers do not report it), so only local services are checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

#: Run by the service's interpreter (``-I``: isolated, no user site, no PYTHON* variables):
#: which distribution provides the console script ``sys.argv[1]``, and how it is installed.
_QUERY = r"""
import json, sys
from importlib import metadata
name = sys.argv[1]
out = {"prefix": sys.prefix, "executable": sys.executable, "python": sys.version.split()[0]}
for dist in metadata.distributions():
    try:
        scripts = [ep.name for ep in dist.entry_points if ep.group == "console_scripts"]
    except Exception:
        continue
    if name not in scripts:
        continue
    out["distribution"] = dist.metadata["Name"]
    out["version"] = dist.version
    out["editable"] = False
    out["location"] = None
    try:
        direct = json.loads(dist.read_text("direct_url.json") or "null")
    except ValueError:
        direct = None
    if isinstance(direct, dict):
        out["editable"] = bool((direct.get("dir_info") or {}).get("editable"))
        url = direct.get("url")
        if isinstance(url, str) and url.startswith("file://"):
            from urllib.parse import unquote, urlsplit
            out["location"] = unquote(urlsplit(url).path)
    break
print(json.dumps(out))
"""
QUERY_TIMEOUT = 20.0


@dataclass
class Runtime:
    """One running service's process and what its environment holds (None: unknown)."""

    pid: int
    exe: str | None = None
    argv: list[str] = field(default_factory=list)
    command: str | None = None
    service: dict[str, Any] | None = None
    client: dict[str, Any] | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "exe": self.exe,
            "argv": self.argv,
            "command": self.command,
            "service_environment": self.service,
            "client_environment": self.client,
            "error": self.error,
        }

    @property
    def differences(self) -> list[str]:
        """How the service's environment differs from this client's (empty: the same)."""
        if self.service is None or self.client is None:
            return []
        found = []
        if _real(self.service.get("prefix")) != _real(self.client.get("prefix")):
            found.append(
                f"the service's environment is {self.service.get('prefix')}, "
                f"this client's is {self.client.get('prefix')}"
            )
        mine, theirs = describe(self.client), describe(self.service)
        if mine != theirs:
            found.append(f"{self.command} is {theirs} for the service, {mine} for this client")
        return found


def _real(path: Any) -> str | None:
    return os.path.realpath(path) if isinstance(path, str) else None


def describe(environment: dict[str, Any]) -> str:
    """``hashserver 1.1.0``, ``tinysvc 0.1 (editable: /src/tinysvc)`` or ``not installed``."""
    if not environment.get("distribution"):
        return "not installed"
    text = f"{environment['distribution']} {environment.get('version')}"
    if environment.get("editable"):
        text += f" (editable: {environment.get('location')})"
    elif environment.get("location"):
        text += f" (installed from {environment.get('location')})"
    return text


def _read_process(pid: int) -> tuple[str | None, list[str]] | None:
    """``/proc/PID/exe`` and ``cmdline`` of a live process of this user, else None."""
    try:
        if os.stat(f"/proc/{pid}").st_uid != os.getuid():
            return None
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    try:
        exe: str | None = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        exe = None
    return exe, [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _interpreter_and_command(exe: str | None, argv: list[str]) -> tuple[str | None, str | None]:
    """The Python interpreter to ask (as the service was started: ``argv[0]`` keeps a venv's
    ``bin/python``, which ``exe`` resolves to the base interpreter) and the command name."""
    first = argv[0] if argv else None
    for candidate in (first, exe):
        if candidate and os.path.basename(candidate).startswith("python") and os.path.isabs(candidate):
            script = argv[1] if len(argv) > 1 and not argv[1].startswith("-") else None
            return candidate, os.path.basename(script) if script else None
    return None, os.path.basename(first) if first else None


def query(interpreter: str, command: str) -> dict[str, Any]:
    """Ask ``interpreter`` about the distribution providing ``command`` (bounded)."""
    try:
        proc = subprocess.run(
            [interpreter, "-I", "-c", _QUERY, command],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=QUERY_TIMEOUT,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"could not ask {interpreter}: {exc}") from None
    lines = proc.stdout.strip().splitlines()
    try:
        value = json.loads(lines[-1]) if proc.returncode == 0 and lines else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        error = proc.stderr.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        raise RuntimeError(f"{interpreter} did not answer: {error[0]}")
    return value


def inspect(pid: int, cache: dict[tuple[str, str], dict[str, Any]] | None = None) -> Runtime | None:
    """The runtime of the local process ``pid`` (None: not a live process of this user)."""
    read = _read_process(pid)
    if read is None:
        return None
    exe, argv = read
    runtime = Runtime(pid, exe, argv)
    interpreter, runtime.command = _interpreter_and_command(exe, argv)
    if interpreter is None or runtime.command is None:
        runtime.error = "not a Python console script: its distribution cannot be told"
        return runtime
    cache = {} if cache is None else cache
    try:
        for who, python in (("service", interpreter), ("client", sys.executable)):
            if (python, runtime.command) not in cache:
                cache[(python, runtime.command)] = query(python, runtime.command)
            setattr(runtime, who, cache[(python, runtime.command)])
    except RuntimeError as exc:
        runtime.error = str(exc)
    return runtime
