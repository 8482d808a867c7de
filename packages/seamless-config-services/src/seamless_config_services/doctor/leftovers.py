"""Check 5: what this machine still holds for the selection's services.

Connection files that point at dead services, the launcher's tunnels to them, and other
``ssh -L`` processes forwarding to their ports. The first two are safe to clean up (the
launcher rewrites a connection file and opens a new tunnel at the next start) and carry a
:class:`~.model.Fix`; a foreign ssh process is only reported: the doctor never signals a
process that the launcher did not start.
"""

from __future__ import annotations

import shlex
from typing import Any

from remote_http_launcher import paths

from .facts import Facts, compact, summary
from .local import SshProcess, TunnelRecord
from .model import OK, WARNING, Check, Evidence, Finding, Fix, excerpt

LIVE = ("running", "starting")


def server_status(key: str, facts: Facts) -> str | None:
    """The key's server status on the cluster's hosts; ``absent`` when every host answered
    without it; None when a host could not be asked."""
    unknown = False
    for host in facts.hosts.values():
        if not host.helpers_ok:
            unknown = True
            continue
        row = host.row(key)
        if row is not None:
            return str(row.get("status") or "failed")
    return None if unknown else "absent"


def _server_exit_reason(key: str, facts: Facts) -> str | None:
    for host in facts.hosts.values():
        row = host.row(key) if host.helpers_ok else None
        record = row.get("exit") if row else None
        if isinstance(record, dict):
            reason = record.get("reason")
            return reason if isinstance(reason, str) else None
    return None


def server_port(key: str, facts: Facts) -> int | None:
    for host in facts.hosts.values():
        row = host.row(key) if host.helpers_ok else None
        port = row.get("port") if row else None
        if isinstance(port, int) and not isinstance(port, bool):
            return port
    return None


def _client_port(data: dict[str, Any]) -> int | None:
    port = data.get("tunneled-port") if data.get("tunneled-port") is not None else data.get("port")
    return port if isinstance(port, int) and not isinstance(port, bool) else None


def client_reasons(row: dict[str, Any], facts: Facts) -> list[str]:
    """Why a connection file is stale (empty: it is fine, or nothing can be said)."""
    key = str(row.get("key"))
    reasons = []
    if row.get("status") == "corrupt":
        reasons.append(f"it is corrupt ({row.get('error')})")
    elif row.get("status") == "stale":
        reasons.append("seamless-service-stop marked it stale")
    status = server_status(key, facts)
    if status is not None and status not in LIVE:
        reasons.append(f"its service is {status} on the server")
    elif status in LIVE:
        mine, theirs = _client_port(row), server_port(key, facts)
        if mine is not None and theirs is not None and mine != theirs:
            reasons.append(f"it names port {mine}, the service now runs on port {theirs}")
    return reasons


def tunnel_reasons(record: TunnelRecord, facts: Facts) -> list[str]:
    """Why a live tunnel of the launcher is a leftover (empty: it serves a live service)."""
    data = facts.client_data.get(record.key)
    reasons = []
    if data is None:
        reasons.append("no connection file uses it")
    elif data.get("status") == "stale":
        reasons.append("its connection file is marked stale")
    elif isinstance(data.get("port"), int) and record.local_ports and data["port"] not in record.local_ports:
        reasons.append(f"its connection file uses local port {data['port']}, not this tunnel's")
    status = server_status(record.key, facts)
    if status is not None and status not in LIVE:
        reasons.append(f"its service is {status} on the server")
    return reasons


def leftovers(facts: Facts) -> Check:
    check = Check("leftovers", 5, "Local leftovers (connection files, SSH tunnels)")
    client_command = "rhl-ps --client --json"
    for row in facts.client_rows:
        key = str(row.get("key"))
        reasons = client_reasons(row, facts)
        if not reasons:
            continue
        # A service that ended after its idle timeout leaves its connection file behind by
        # design; the next launch replaces it: information, cleaned up by --fix all the same.
        idle = _server_exit_reason(key, facts) == "idle"
        path = paths.state_path(key, client=True)
        shown = {
            k: row.get(k)
            for k in ("key", "status", "hostname", "port", "tunneled-port")
            if row.get(k) is not None
        }
        check.add(
            Finding(
                key,
                OK if idle else WARNING,
                f"stale connection file {path}: " + "; ".join(reasons),
                [Evidence(client_command, compact(shown), 0)],
                f"remove it (safe: the next start writes a new one): rhl-rm --client {key}, or --fix",
                {"kind": "client-file", "path": path, "reasons": reasons},
                Fix(
                    "remove-client-file",
                    key,
                    f"remove the stale connection file {path}",
                    f"rhl-rm --client {key}",
                    path=path,
                    expected=facts.client_data.get(key),
                ),
            )
        )
    ours: set[int] = set()
    for record in facts.tunnels:
        evidence = [Evidence(f"cat {shlex.quote(record.path)}", compact(record.data), 0)]
        if record.monitor_pid is not None and record.monitor_alive:
            ours.add(record.monitor_pid)
        if not record.monitor_alive:
            check.add(
                Finding(
                    record.key,
                    WARNING,
                    f"stale tunnel record {record.path}: its monitor PID {record.monitor_pid} is gone "
                    "(or is another process now)",
                    evidence,
                    "remove the record (nothing is running for it), or --fix",
                    {"kind": "tunnel-record", "path": record.path, "pid": record.monitor_pid},
                    Fix(
                        "remove-tunnel-record",
                        record.key,
                        f"remove the stale tunnel record {record.path}",
                        f"rm {shlex.quote(record.path)}",
                        path=record.path,
                        expected=record.data,
                    ),
                )
            )
            continue
        reasons = tunnel_reasons(record, facts)
        if not reasons:
            continue
        assert record.monitor_pid is not None
        evidence.append(Evidence(f"ps -o pid,ppid,args -p {record.monitor_pid},{record.ssh_pid}", "", None))
        check.add(
            Finding(
                record.key,
                WARNING,
                f"leftover SSH tunnel: monitor PID {record.monitor_pid} (ssh PID {record.ssh_pid}) "
                f"holds local port(s) {', '.join(map(str, record.local_ports))}: " + "; ".join(reasons),
                evidence,
                "end it (it was started by the launcher, identity checked): "
                f"kill {record.monitor_pid}, or --fix",
                {
                    "kind": "tunnel",
                    "path": record.path,
                    "pid": record.monitor_pid,
                    "ssh_pid": record.ssh_pid,
                    "local_ports": record.local_ports,
                    "remote_ports": record.remote_ports,
                    "reasons": reasons,
                },
                Fix(
                    "end-tunnel",
                    record.key,
                    f"end the tunnel monitor PID {record.monitor_pid} of {record.key} (and its ssh)",
                    f"kill {record.monitor_pid}",
                    pid=record.monitor_pid,
                    path=record.path,
                    expected=record.data,
                ),
            )
        )
    for proc, key, port in _foreign_forwards(facts, ours):
        check.add(
            Finding(
                key,
                WARNING,
                f"ssh PID {proc.pid} forwards to port {port} of {key}, which is {server_status(key, facts)}; "
                "the launcher did not start it, so the doctor leaves it alone",
                [Evidence(f"ps -o pid,ppid,args -p {proc.pid}", excerpt(proc.command_line), 0)],
                f"if this tunnel is yours and no longer needed: kill {proc.pid}",
                {"kind": "foreign-tunnel", "pid": proc.pid, "argv": proc.argv, "uid": proc.uid},
            )
        )
    check.summary = (
        summary(check, "")
        if check.findings
        else "no stale connection files, tunnel records or tunnels for the selection"
    )
    if check.findings and all(f.verdict == OK for f in check.findings):
        check.summary = "nothing left over"
    return check


def _foreign_forwards(facts: Facts, ours: set[int]) -> list[tuple[SshProcess, str, int]]:
    """ssh processes not started by the launcher that forward to a port of a dead service."""
    dead: dict[int, str] = {}
    for svc in facts.services:
        if svc.port is not None and svc.status not in LIVE and server_status(svc.key, facts) is not None:
            dead[svc.port] = svc.key
    found = []
    for proc in facts.ssh:
        if proc.ppid in ours:
            continue  # the ssh of one of our own monitors: reported with its monitor
        for forward in proc.forwards:
            if forward.remote_port in dead:
                found.append((proc, dead[forward.remote_port], forward.remote_port))
                break
    return found
