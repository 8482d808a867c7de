"""What a running service really runs: "a local fix is not a live fix" (the seeds).

A service runs the code installed in *its* environment, which need not be the client's: a
fix made in this checkout is live for the service only if the service's interpreter imports
it. The probing happens on the service's host, for local and remote services alike, through
one route: ``rhl-inspect --runtime KEY...`` (:mod:`remote_http_launcher.runtime`: the PID
identity-checked against the state file, ``/proc/PID/exe``, the command line, and the
service's own interpreter asked which distribution provides the command), one call per host
in the doctor's batch (:func:`.probe.plan_calls`). Here only the comparison with this client's
environment (the same question, asked in this process) and the finding's wording remain.

A host whose remote-http-launcher predates ``--runtime`` (0.4.5) is "not checked", never an
error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

#: The finding's message for a server whose rhl-inspect has no ``--runtime``.
OLDER = "not checked: the server's remote-http-launcher is older"


@dataclass
class Runtime:
    """One running service's process and what its environment holds (None: unknown)."""

    pid: int | None
    host: str = "localhost"
    local: bool = True
    exe: str | None = None
    argv: list[str] = field(default_factory=list)
    interpreter: str | None = None
    command: str | None = None
    service: dict[str, Any] | None = None
    client: dict[str, Any] | None = None
    error: str | None = None
    #: The host's rhl-inspect has no --runtime (remote-http-launcher 0.4.5).
    older: bool = False
    #: What the host printed for this key, one field a line (the finding's evidence).
    answer: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "host": self.host,
            "exe": self.exe,
            "argv": self.argv,
            "interpreter": self.interpreter,
            "command": self.command,
            "service_environment": self.service,
            "client_environment": self.client,
            "error": self.error,
        }

    @property
    def differences(self) -> list[str]:
        """How the service's environment differs from this client's (empty: the same).

        On this machine the environments themselves are compared (their prefixes) and what
        provides the command; for a remote service only the latter (a path on another host
        says nothing about this one), and only when this client has the command at all."""
        if self.service is None or self.client is None:
            return []
        found = []
        if self.local and _real(self.service.get("prefix")) != _real(self.client.get("prefix")):
            found.append(
                f"the service's environment is {self.service.get('prefix')}, "
                f"this client's is {self.client.get('prefix')}"
            )
        if not self.local and not self.client.get("distribution"):
            return found
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


def older_server(result: Any) -> bool:
    """The answer of a 0.4.5 ``rhl-inspect`` to ``--runtime KEY...``: it takes the option
    for a key (``exactly one key is required``, or ``no state file for '--runtime'``)."""
    stderr = str(getattr(result, "stderr", "") or "")
    return getattr(result, "rc", 0) != 0 and (
        "exactly one key is required" in stderr
        or "'--runtime'" in stderr
        or "No such option: --runtime" in stderr
    )


def client_environment(command: str, cache: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """This client's answer to the question the service's interpreter answered."""
    from remote_http_launcher.runtime import local_environment

    if command not in cache:
        cache[command] = local_environment(command)
    return cache[command]


def from_row(row: dict[str, Any], host: str, local: bool, cache: dict[str, dict[str, Any]]) -> Runtime:
    """A :class:`Runtime` from one ``rhl-inspect --runtime`` row, with this client's side."""
    argv = row.get("argv")
    environment = row.get("environment")
    pid = row.get("pid")
    runtime = Runtime(
        pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
        host,
        local,
        exe=str(row["exe"]) if isinstance(row.get("exe"), str) else None,
        argv=[str(a) for a in argv] if isinstance(argv, list) else [],
        interpreter=str(row["interpreter"]) if isinstance(row.get("interpreter"), str) else None,
        command=str(row["command"]) if isinstance(row.get("command"), str) else None,
        service=environment if isinstance(environment, dict) else None,
        error=str(row["error"]) if row.get("error") else None,
    )
    if runtime.service is not None and runtime.command:
        runtime.client = client_environment(runtime.command, cache)
    return runtime


def attach(services: list[Any]) -> None:
    """Set ``svc.runtime`` from each running service's host answer (``svc.runtime_result``)."""
    import json

    from .. import dispatch
    from ..errors import ServiceError

    cache: dict[str, dict[str, Any]] = {}
    for svc in services:
        result = svc.runtime_result
        if svc.runtime_call is None or result is None:
            continue
        pid = svc.row.get("pid") if svc.row is not None else None
        pid = pid if isinstance(pid, int) and not isinstance(pid, bool) else None
        if isinstance(result, ServiceError):
            svc.runtime = Runtime(pid, svc.where, svc.target is None, error=result.message)
            continue
        assert isinstance(result, dispatch.Result)
        if older_server(result):
            svc.runtime = Runtime(pid, svc.where, svc.target is None, older=True)
            continue
        try:
            rows = result.json_rows()
        except ServiceError as exc:
            svc.runtime = Runtime(pid, svc.where, svc.target is None, error=exc.message)
            continue
        row = next((r for r in rows if r.get("key") == svc.key), None)
        if row is None:
            svc.runtime = Runtime(pid, svc.where, svc.target is None, error=result.error_line())
            continue
        svc.runtime = from_row(row, svc.where, svc.target is None, cache)
        svc.runtime.answer = "\n".join(
            f"{name}: {json.dumps(row.get(name))}"
            for name in ("pid", "exe", "interpreter", "command", "environment", "error")
        )
