"""Gather every fact the checks judge: all SSH calls happen here, the judging is pure.

Order of the calls, per host (hosts side by side):

1. the guard probe: ``ssh HOST '# ...'``, a shell comment. A shell does nothing with it (exit
   0); rhl-guard refuses it (exit 77, ``rhl-guard: rejected: ...``), which is how a client can
   tell that a guard is installed. It is the host's first call, so it opens the SSH master
   connection that every other call then shares; exit 255 means the host cannot be reached.
2. ``rhl-ps --json`` with the seeds' PATH prepend (what every seamless-service-* command sends):
   are the helpers installed, and the host's state rows.
3. without a guard: ``rhl-ps --version`` *without* the prepend: are the helpers on the default
   PATH, or only in a conda base that the prepend adds.

Then, in one batch (one master per host): per service, the port check and the handshake of
running services, the tail of every known service's log, and the persistent-data walks; per
host, ``rhl-inspect --runtime KEY...`` for its running services (:mod:`.runtime`).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from .. import dispatch
from ..dispatch import Call
from ..errors import ConfigError, HostUnreachable, ServiceError

GUARD_PROBE = "# seamless-service-doctor: rhl-guard probe (a shell comment, it does nothing)"
PLAIN_PROBE = "rhl-ps --version"
LOG_TAIL = 200
PROBE_TIMEOUT = 60.0
GUARD_REJECTED = 77


@dataclass
class Raw:
    """A raw ssh call (no PATH prepend): what it printed and returned."""

    command: str
    rc: int
    stdout: str
    stderr: str

    def error_line(self) -> str:
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else f"exit code {self.rc}"


def raw_ssh(target: str, text: str, timeout: float = PROBE_TIMEOUT) -> Raw:
    """Run ``text`` on ``target`` as the remote shell (or the forced command) gets it, over
    the same master connection as the helpers (the one transport, no PATH prepend)."""
    from remote_http_launcher.transport import TransportError

    command = f"ssh {shlex.quote(target)} {shlex.quote(text)}"
    try:
        done = dispatch.host_transport(target).run(text, timeout=timeout)
    except TransportError:
        return Raw(command, 255, "", f"no answer within {timeout:g} s")
    return Raw(command, done.rc, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"))


@dataclass
class Host:
    """One host of the selection and what the reachability probes found."""

    target: str | None
    probe: Raw | None = None
    unreachable: str | None = None
    #: True: rhl-guard answered; False: a plain shell; None: not known (local, or odd answer).
    guard: bool | None = None
    ps_call: Call | None = None
    ps: dispatch.Result | None = None
    ps_error: ServiceError | None = None
    plain: Raw | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def where(self) -> str:
        return self.target or "localhost"

    @property
    def helpers_ok(self) -> bool:
        return self.unreachable is None and self.ps is not None and self.ps.rc == 0

    def row(self, key: str) -> dict[str, Any] | None:
        return next((r for r in self.rows if r.get("key") == key), None)


def probe_host(target: str | None) -> Host:
    host = Host(target)
    host.ps_call = Call(target, "rhl-ps", ("--json",))
    if target is not None:
        host.probe = raw_ssh(target, GUARD_PROBE)
        if host.probe.rc == 255:
            from remote_http_launcher.transport import unreachable_message

            host.unreachable = unreachable_message(target, host.probe.error_line())
            return host
        if host.probe.rc == GUARD_REJECTED and "rhl-guard" in host.probe.stderr:
            host.guard = True
        elif host.probe.rc == 0:
            host.guard = False
    try:
        host.ps = dispatch.run(host.ps_call)
    except HostUnreachable as exc:
        host.unreachable = exc.message
        return host
    except ServiceError as exc:
        host.ps_error = exc
        return host
    if host.ps.rc == 0:
        try:
            host.rows = host.ps.json_rows()
        except ServiceError as exc:
            host.ps_error = exc
    if target is not None and host.guard is False and host.ps.rc == 0:
        host.plain = raw_ssh(target, PLAIN_PROBE)
    return host


def probe_hosts(targets: list[str | None]) -> dict[str | None, Host]:
    """Probe every host, side by side (each opens its own master connection), at most
    ``transport.MAX_PARALLEL`` at a time: a dead host holds one slot for its connect timeout."""
    import functools

    from remote_http_launcher.transport import run_many

    probed = run_many([functools.partial(probe_host, t) for t in targets])
    for found in probed:
        if isinstance(found, BaseException):
            raise found
    return dict(zip(targets, probed))


# -- services ---------------------------------------------------------------------------------


@dataclass
class Service:
    """One service instance of the selection on its host."""

    key: str
    service: str | None
    target: str | None
    identity: dict[str, Any]
    #: The resolved service (None for an instance only found on the host, e.g. an 'ro' one).
    resolution: Any = None
    row: dict[str, Any] | None = None
    handshake: Any = None
    port_call: Call | None = None
    port_result: dispatch.Result | ServiceError | None = None
    handshake_call: Call | None = None
    handshake_result: dispatch.Result | ServiceError | None = None
    log_call: Call | None = None
    log_result: dispatch.Result | ServiceError | None = None
    walk_call: Call | None = None
    walk_result: dispatch.Result | ServiceError | None = None
    walk_rows: list[dict[str, Any]] = field(default_factory=list)
    #: What a running service really runs (:mod:`.runtime`), or None. One
    #: ``rhl-inspect --runtime KEY...`` call per host covers every running service there.
    runtime_call: Call | None = None
    runtime_result: dispatch.Result | ServiceError | None = None
    runtime: Any = None

    @property
    def where(self) -> str:
        return self.target or "localhost"

    @property
    def status(self) -> str:
        """running / starting / failed / stale / corrupt / absent (no state file)."""
        if self.row is None:
            return "absent"
        return str(self.row.get("status") or "failed")

    @property
    def exit_record(self) -> dict[str, Any] | None:
        """The state's exit record (``rhl-ps --json`` rows: ``exit``; see docs/reference/
        state-files.md): why the service is gone, when known."""
        value = self.row.get("exit") if self.row is not None else None
        return value if isinstance(value, dict) else None

    @property
    def exit_reason(self) -> str | None:
        """stopped / exited / killed / idle, or None when nobody saw the exit."""
        record = self.exit_record
        reason = record.get("reason") if record is not None else None
        return reason if reason in ("stopped", "exited", "killed", "idle") else None

    @property
    def crashed(self) -> bool:
        """Stale because the process ended without being stopped: the exit record says it
        exited with an error or was killed; without a record, the state still said
        running/starting (seamless-service-stop would have marked it stale)."""
        if self.status != "stale" or self.row is None:
            return False
        reason = self.exit_reason
        if reason == "killed":
            return True
        if reason == "exited":
            record = self.exit_record or {}
            return record.get("code") != 0
        if reason in ("stopped", "idle"):
            return False
        return self.row.get("json_status") != "stale"

    @property
    def port(self) -> int | None:
        port = self.row.get("port") if self.row else None
        return port if isinstance(port, int) and not isinstance(port, bool) and port > 0 else None


def handshake_of(launcher_config: dict[str, Any]) -> Any:
    from remote_http_launcher.launch.config import Handshake

    try:
        return Handshake.from_value(launcher_config.get("handshake"))
    except Exception:  # noqa: BLE001 - a service type with an odd handshake: check the port only
        return None


def plan_calls(services: list[Service]) -> list[tuple[Service, str, Call]]:
    """The second batch: port, handshake, log tail and persistent walk per service."""
    from remote_http_launcher.netcheck import reachable_host

    planned: list[tuple[Service, str, Call]] = []
    for svc in services:
        if svc.status in ("running", "starting") and svc.port is not None and svc.row is not None:
            interface = svc.row.get("network_interface")
            if not isinstance(interface, str) and svc.resolution is not None:
                interface = svc.resolution.launcher_config.get("network_interface")
            host = reachable_host(interface if isinstance(interface, str) else None)
            svc.port_call = Call(svc.target, "rhl-verify-port", (host, str(svc.port)))
            planned.append((svc, "port", svc.port_call))
            if svc.handshake is not None and svc.status == "running":
                port = svc.row.get(svc.handshake.port_name) if svc.handshake.port_name else svc.port
                if isinstance(port, int) and not isinstance(port, bool):
                    svc.handshake_call = Call(svc.target, "rhl-handshake", (svc.handshake.url(host, port),))
                    planned.append((svc, "handshake", svc.handshake_call))
        svc.log_call = Call(svc.target, "rhl-logs", (svc.key, "--tail", str(LOG_TAIL)))
        planned.append((svc, "log", svc.log_call))
        if svc.walk_call is not None:
            planned.append((svc, "walk", svc.walk_call))
    planned += runtime_calls(services)
    return planned


def runtime_calls(services: list[Service]) -> list[tuple[Service, str, Call]]:
    """One ``rhl-inspect --runtime KEY...`` per host, for its running services (the same
    call object for each of them: :func:`run_planned` runs it once)."""
    by_host: dict[str | None, list[Service]] = {}
    for svc in services:
        if svc.status == "running" and svc.row is not None:
            by_host.setdefault(svc.target, []).append(svc)
    planned: list[tuple[Service, str, Call]] = []
    for target, running in by_host.items():
        keys = list(dict.fromkeys(svc.key for svc in running))
        call = Call(target, "rhl-inspect", ("--runtime", *keys))
        for svc in running:
            svc.runtime_call = call
            planned.append((svc, "runtime", call))
    return planned


def run_planned(planned: list[tuple[Service, str, Call]], ahead: list[Call] | None = None) -> None:
    """Run the second batch; ``ahead``: calls the doctor makes next that do not depend on
    these answers (the project's stage walks), sent in the same round trip per host."""
    unique = list({id(call): call for _s, _w, call in planned}.values())  # a shared call runs once
    if ahead:
        dispatch.send_ahead([*unique, *ahead])
    answers = dict(zip((id(call) for call in unique), dispatch.run_many(unique)))
    outcomes = [answers[id(call)] for _s, _w, call in planned]
    retry: list[int] = []
    for index, ((svc, what, _call), outcome) in enumerate(zip(planned, outcomes)):
        setattr(svc, f"{what}_result", outcome)
        if what == "walk" and dispatch.lacks_size_option(outcome):
            retry.append(index)
    if retry:
        again = [planned[i] for i in retry]
        calls = [Call(c.target, c.helper, tuple(a for a in c.args if a != "--size")) for _s, _w, c in again]
        for (svc, _what, _call), call, outcome in zip(again, calls, dispatch.run_many(calls)):
            svc.walk_call, svc.walk_result = call, outcome
    for svc in {id(s): s for s, _w, _c in planned}.values():
        if isinstance(svc.walk_result, dispatch.Result) and svc.walk_result.rc == 0:
            try:
                svc.walk_rows = svc.walk_result.json_rows()
            except ServiceError as exc:
                svc.walk_result = exc


def walk_call(resolution: Any) -> Call | None:
    """``rhl-ps-persistent`` of a persistent service's own data directory (as ps does)."""
    from ..status import Walk

    service_type = resolution.service_type
    if not service_type.persistent:
        return None
    specs = service_type.persistent_walks(resolution.frontend)
    if not specs:
        return None
    walk = Walk(
        resolution.service,
        resolution.cluster.name,
        resolution.ssh_target,
        resolution.workdir,
        0,
        specs[0].file,
        specs[0].marker,  # a hashserver's own marker file alone is not cached data
    )
    return walk.call()


def resolve_selection(configuration: Any, service: str | None) -> tuple[list[Any], dict[str, str]]:
    """The resolved services of the selection, and why the other service types were left out."""
    from .. import resolve as resolver
    from ..plugins import service_types

    names = [service] if service else list(service_types().by_name)
    resolved: list[Any] = []
    left_out: dict[str, str] = {}
    for name in names:
        try:
            resolved.append(resolver.resolve(configuration, name))
        except ConfigError as exc:
            left_out[name] = exc.message
    return resolved, left_out
