"""What every check shares: the gathered facts, and the commands a person would run.

The checks (:mod:`.checks`, :mod:`.states`, :mod:`.falsepass`, :mod:`.leftovers`) are pure
judgements over a :class:`Facts`: nothing in them touches a host or a file.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any

from .. import dispatch
from ..errors import ServiceError
from ..model import CACHE_PROJECT
from .local import SshProcess, TunnelRecord
from .model import OK, PROBLEM, WARNING, Check, Evidence, excerpt
from .probe import Host, Service


@dataclass
class Facts:
    """Everything the checks judge."""

    cluster: str
    workdir: str | None
    resolutions: list[Any]
    left_out: dict[str, str]
    hosts: dict[str | None, Host]
    services: list[Service]
    client_call: dispatch.Call | None = None
    client_result: dispatch.Result | None = None
    client_rows: list[dict[str, Any]] = field(default_factory=list)
    client_data: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    tunnels: list[TunnelRecord] = field(default_factory=list)
    ssh: list[SshProcess] = field(default_factory=list)


def checked(svc: Service, facts: Facts) -> bool:
    """The service's host answered with working helpers (else check 1 already says why)."""
    host = facts.hosts.get(svc.target)
    return host is not None and host.helpers_ok


def compact(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True)


# -- commands a person would run --------------------------------------------------------------


def flags(identity: dict[str, Any], workdir: str | None = None) -> str:
    """The seamless-service-* flags that select exactly this service instance."""
    words: list[str] = []
    for name in ("service", "cluster", "project", "subproject", "stage", "substage", "queue"):
        value = identity.get(name)
        if name == "project" and value == CACHE_PROJECT:
            value = "SEAMLESS_CACHE"
        if value:
            words += [f"--{name}", str(value)]
    if identity.get("mode") == "ro":
        words += ["--mode", "ro"]
    if workdir:
        words += ["--workdir", workdir]
    return shlex.join(words)


def command(name: str, svc: Service, workdir: str | None, *extra: str) -> str:
    return " ".join([f"seamless-service-{name}", flags(svc.identity, workdir), *extra]).strip()


def result_evidence(call: dispatch.Call, result: dispatch.Result | ServiceError | None) -> Evidence:
    if isinstance(result, dispatch.Result):
        return Evidence(call.command_line(), excerpt(result.stdout + result.stderr), result.rc)
    return Evidence(call.command_line(), str(result) if result is not None else "", None)


def summary(check: Check, ok_text: str) -> str:
    """One line: the counts of findings by verdict."""
    counts = {v: sum(1 for f in check.findings if f.verdict == v) for v in (OK, WARNING, PROBLEM)}
    if not counts[WARNING] and not counts[PROBLEM]:
        return f"{counts[OK]} {ok_text}"
    parts = []
    if counts[PROBLEM]:
        parts.append(f"{counts[PROBLEM]} problem(s)")
    if counts[WARNING]:
        parts.append(f"{counts[WARNING]} warning(s)")
    if counts[OK]:
        parts.append(f"{counts[OK]} ok")
    return ", ".join(parts)
