"""Gather every fact the checks judge: all SSH calls happen here, the judging is pure.

One round trip per host (hosts side by side):

1. One batch: ``rhl-batch --session 'rhl-ps --json' ...`` with the seeds' PATH prepend (what
   every seamless-service-* command sends): are the helpers installed, the host's state rows,
   and the session record (``dispatch.session_call``): is rhl-guard running the batch, and,
   without a guard, what ``rhl-ps --version`` answers on the PATH *without* the prepend (are
   the helpers on the default PATH, or only in a conda base that the prepend adds). Exit
   255: the host cannot be reached. The same batch carries what the doctor asks of each
   configured service whatever its row says (``diagnose._known_calls``): the log tail, the
   data walks, and the row-dependent checks in forms that read the key's state on the host
   (:func:`keyed_calls`: ``rhl-verify-port --key``, ``rhl-handshake --key``,
   ``rhl-inspect --runtime KEY``); and, for the instances only the rows reveal (other
   stages, ``ro``), the same checks and the log tail as ``rhl-batch --each`` templates
   (``diagnose._revealed_calls``) that the host expands for every state file whose meta names
   the selection, each expanded line answered as the call naming its key.
2. :func:`plan_calls` then takes every answer the batch holds; what it still asks (a second
   round) is only what no template could name: a state file without meta (0.4.5's), another
   stage's directory missing from the stage walk, a row whose ``HOST PORT`` / URL form would
   check something else than the key form (:func:`_answered_keyed`).

A host without ``rhl-batch`` (remote-http-launcher 0.4.5) is asked the old way, one call at
a time: the guard probe ``ssh HOST '# ...'``, a shell comment, which a shell ignores (exit 0)
and rhl-guard refuses (exit 77, ``rhl-guard: rejected: ...``); ``rhl-ps --json``; without a
guard, ``ssh HOST 'rhl-ps --version'`` without the prepend.
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
    #: The guard probe (a host without rhl-batch), or None.
    probe: Raw | None = None
    #: ``rhl-batch --session``'s record (``dispatch.session_call``), or None.
    session: dispatch.Result | None = None
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
    if target is None:
        return _take_ps(host, _outcome(host.ps_call))
    session, ps = dispatch.run_many([dispatch.session_call(target), host.ps_call])
    if isinstance(session, dispatch.Result):
        _take_session(host, session)
        return _take_ps(host, ps)
    if isinstance(session, HostUnreachable):
        host.unreachable = session.message
        return host
    # No rhl-batch there (ps was asked alone): the old probes, one call each.
    host.probe = raw_ssh(target, GUARD_PROBE)
    if host.probe.rc == 255:
        from remote_http_launcher.transport import unreachable_message

        host.unreachable = unreachable_message(target, host.probe.error_line())
        return host
    if host.probe.rc == GUARD_REJECTED and "rhl-guard" in host.probe.stderr:
        host.guard = True
    elif host.probe.rc == 0:
        host.guard = False
    _take_ps(host, ps)
    if host.guard is False and host.ps is not None and host.ps.rc == 0 and host.ps_error is None:
        host.plain = raw_ssh(target, PLAIN_PROBE)
    return host


def _outcome(call: Call) -> dispatch.Outcome:
    try:
        return dispatch.run(call)
    except ServiceError as exc:
        return exc


def _take_ps(host: Host, ps: dispatch.Outcome) -> Host:
    """The answer of ``rhl-ps --json``: the rows, or why there are none."""
    if isinstance(ps, HostUnreachable):
        host.unreachable = ps.message
        return host
    if isinstance(ps, ServiceError):
        host.ps_error = ps
        return host
    host.ps = ps
    if ps.rc == 0:
        try:
            host.rows = ps.json_rows()
        except ServiceError as exc:
            host.ps_error = exc
    return host


def _take_session(host: Host, answer: dispatch.Result) -> None:
    """``rhl-batch --session``: rhl-guard ran the batch (``guard``), or a plain shell did (no
    forced command), or some other forced command (then: not known, as with the old probe);
    and without a guard, the ``rhl-ps --version`` answer without the PATH prepend."""
    import json

    assert host.target is not None
    host.session = answer
    try:
        facts = json.loads(answer.stdout)
    except ValueError:
        facts = {}
    if facts.get("guard") == "rhl-guard":
        host.guard = True
    elif facts.get("forced_command") is False:
        host.guard = False
    plain = facts.get("plain")
    if host.guard is False and isinstance(plain, dict) and isinstance(plain.get("rc"), int):
        host.plain = Raw(
            f"ssh {shlex.quote(host.target)} {shlex.quote(PLAIN_PROBE)}",
            plain["rc"],
            str(plain.get("stdout") or ""),
            str(plain.get("stderr") or ""),
        )


def probe_hosts(targets: list[str | None], ahead: list[Call] | None = None) -> dict[str | None, Host]:
    """Probe every host, side by side (each opens its own master connection), at most
    ``transport.MAX_PARALLEL`` at a time: a dead host holds one slot for its connect timeout.

    ``ahead``: calls the doctor will make next whatever the rows say (the log tails and data
    walks of the resolved services, their project directories' stage walks): they ride in
    the same batch as the probe (``batch_only``: a host without ``rhl-batch`` gets them later,
    one at a time, as before), and the next rounds take their answers (``dispatch.send_ahead``),
    so that a host whose rows ask for nothing more costs one round trip."""
    import functools

    from remote_http_launcher.transport import run_many

    remote = [t for t in targets if t is not None]
    if remote:
        first = [c for t in remote for c in (dispatch.session_call(t), Call(t, "rhl-ps", ("--json",)))]
        riders = [Call(c.target, c.helper, c.args, batch_only=True) for c in ahead or () if c.target]
        dispatch.send_ahead([*first, *riders])
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


def handshake_path(handshake: Any) -> str:
    """The path and query ``handshake`` asks (its URL after ``http://HOST:PORT``): what
    ``rhl-handshake --key KEY --path PATH`` appends to the host and port it reads."""
    from remote_http_launcher.launch.hosts import url_authority

    prefix = f"http://{url_authority('localhost', 1)}"
    url = str(handshake.url("localhost", 1))
    return url[len(prefix) :] if url.startswith(prefix) else "/"


def keyed_calls(target: str | None, key: str, handshake: Any) -> list[Call]:
    """The row-dependent checks of one service in the forms that read its state file on the
    host (port, handshake, runtime: ``--key`` / ``--runtime KEY``): known before any call, so
    they ride in the first batch (:func:`probe_hosts`); :func:`plan_calls` takes their
    answers when the row says they are the checks it would make."""
    calls = [Call(target, "rhl-verify-port", ("--key", key))]
    if handshake is not None:
        port_name = ("--port-name", handshake.port_name) if handshake.port_name else ()
        calls.append(
            Call(target, "rhl-handshake", ("--key", key, "--path", handshake_path(handshake), *port_name))
        )
    calls.append(Call(target, "rhl-inspect", ("--runtime", key)))
    return calls


def _valid_port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def _answered_keyed(svc: Service, host: str, index: int) -> Call | None:
    """The key form of check ``index`` (:func:`keyed_calls`) when the first batch answered it
    and it checked what the row-based form would: the host the helper takes from the state
    (its ``network_interface``) is the one this client derives (a row without one: the
    configuration's interface, which the helper cannot know), and the row's port is valid."""
    if svc.target is None or svc.row is None:
        return None
    interface = svc.row.get("network_interface")
    from remote_http_launcher.netcheck import reachable_host

    if reachable_host(interface if isinstance(interface, str) else None) != host:
        return None
    calls = keyed_calls(svc.target, svc.key, svc.handshake)
    call = calls[index] if index < len(calls) else None
    return call if call is not None and dispatch.answered_ahead(call) else None


def plan_calls(services: list[Service]) -> list[tuple[Service, str, Call]]:
    """The second batch: port, handshake, log tail and persistent walk per service. What the
    first batch already answered (the log tails and walks of the resolved services, the key
    forms of their port/handshake/runtime checks) is taken from it: a host whose services are
    all known from the configuration costs no second round."""
    from remote_http_launcher.netcheck import reachable_host

    planned: list[tuple[Service, str, Call]] = []
    for svc in services:
        if svc.status in ("running", "starting") and svc.port is not None and svc.row is not None:
            interface = svc.row.get("network_interface")
            if not isinstance(interface, str) and svc.resolution is not None:
                interface = svc.resolution.launcher_config.get("network_interface")
            host = reachable_host(interface if isinstance(interface, str) else None)
            keyed = _answered_keyed(svc, host, 0) if _valid_port(svc.port) else None
            svc.port_call = keyed or Call(svc.target, "rhl-verify-port", (host, str(svc.port)))
            planned.append((svc, "port", svc.port_call))
            if svc.handshake is not None and svc.status == "running":
                port = svc.row.get(svc.handshake.port_name) if svc.handshake.port_name else svc.port
                if isinstance(port, int) and not isinstance(port, bool):
                    keyed = _answered_keyed(svc, host, 1) if _valid_port(port) else None
                    url = svc.handshake.url(host, port)
                    svc.handshake_call = keyed or Call(svc.target, "rhl-handshake", (url,))
                    planned.append((svc, "handshake", svc.handshake_call))
        svc.log_call = Call(svc.target, "rhl-logs", (svc.key, "--tail", str(LOG_TAIL)))
        planned.append((svc, "log", svc.log_call))
        if svc.walk_call is not None and svc.walk_result is None:  # not taken from a stage walk
            planned.append((svc, "walk", svc.walk_call))
    planned += runtime_calls(services)
    return planned


def runtime_calls(services: list[Service]) -> list[tuple[Service, str, Call]]:
    """``rhl-inspect --runtime`` for the running services: a service whose own
    ``--runtime KEY`` the first batch answered takes it; the others of a host share one
    ``rhl-inspect --runtime KEY...`` (the same call object for each of them:
    :func:`run_planned` runs it once)."""
    by_host: dict[str | None, list[Service]] = {}
    planned: list[tuple[Service, str, Call]] = []
    for svc in services:
        if svc.status == "running" and svc.row is not None:
            own = Call(svc.target, "rhl-inspect", ("--runtime", svc.key))
            if svc.target is not None and dispatch.answered_ahead(own):
                svc.runtime_call = own
                planned.append((svc, "runtime", own))
            else:
                by_host.setdefault(svc.target, []).append(svc)
    for target, running in by_host.items():
        keys = list(dict.fromkeys(svc.key for svc in running))
        call = Call(target, "rhl-inspect", ("--runtime", *keys))
        for svc in running:
            svc.runtime_call = call
            planned.append((svc, "runtime", call))
    return planned


def run_planned(planned: list[tuple[Service, str, Call]]) -> None:
    """Run the second batch; what the first batch already answered is taken from it
    (:func:`probe_hosts`): on our servers, everything (nothing is sent)."""
    unique = list({id(call): call for _s, _w, call in planned}.values())  # a shared call runs once
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
    for svc in {id(s): s for s, what, _c in planned if what == "walk"}.values():
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
