"""Run the checklist: load the selection, gather the facts, judge them in the seeds' order."""

from __future__ import annotations

from typing import Any

from remote_http_launcher import paths, state

from .. import dispatch
from ..errors import ConfigError, ServiceError
from . import checks, falsepass, leftovers, local, probe, states
from .facts import Facts
from .model import Check, Report

TITLES = (
    ("reachability", 1, "Hosts and helpers (reachability)"),
    ("services", 2, "Service state"),
    ("logs", 3, "Server-side logs (read before any cleanup)"),
    ("false-pass", 4, "False-pass risk (persistent data)"),
    ("leftovers", 5, "Local leftovers (connection files, SSH tunnels)"),
)
SELECTION_FIELDS = ("cluster", "project", "subproject", "stage")


def diagnose(request: Any) -> Report:
    """The doctor's report for ``request`` (an :class:`~..api.Request`); reads only."""
    from .. import api
    from ..hosts import cluster_targets

    report = Report()
    report.selection = {"cluster": request.cluster, "project": request.project, "service": request.service}
    try:
        configuration = api.load(request)
        cluster = configuration.cluster()
        resolutions, left_out = probe.resolve_selection(configuration, request.service)
        if not resolutions:
            reasons = "; ".join(f"{name}: {message}" for name, message in left_out.items())
            raise ConfigError(f"no service can be resolved for this selection ({reasons})")
        targets: list[str | None] = []
        for target in [r.ssh_target for r in resolutions] + cluster_targets(configuration, cluster.name):
            if target not in targets:
                targets.append(target)
    except ServiceError as exc:
        report.checks = [checks.configuration_failed(exc.message, request.workdir)]
        for check_id, number, title in TITLES:
            report.checks.append(
                Check(check_id, number, title, skipped=True, summary="not checked: the configuration failed")
            )
        return report

    from ..services.naming import present

    chosen = configuration.selection
    selection = {
        "cluster": cluster.name,
        "project": present(chosen.project),
        "subproject": present(chosen.subproject),
        "stage": present(chosen.stage),
    }
    hosts = probe.probe_hosts(targets)
    known = list(configuration.clusters.clusters)
    services = _services(resolutions, hosts, selection, request.service, known)
    probe.run_planned(probe.plan_calls([s for s in services if hosts[s.target].helpers_ok]))

    facts = Facts(
        cluster=cluster.name,
        workdir=request.workdir,
        resolutions=resolutions,
        left_out=left_out,
        hosts=hosts,
        services=services,
    )
    _local_facts(facts, selection, request.service, known)
    report.selection = {
        **selection,
        "service": request.service,
        "keys": [s.key for s in services],
        "hosts": [h.where for h in hosts.values()],
    }
    report.checks = [
        checks.configuration(facts),
        checks.reachability(facts),
        states.services(facts),
        states.logs(facts),
        falsepass.false_pass(facts),
        leftovers.leftovers(facts),
    ]
    return report


def _identity(row: dict[str, Any], known: list[str]) -> dict[str, Any]:
    from ..status import identity_fields

    return identity_fields(row, known)


def _selected(identity: dict[str, Any], selection: dict[str, Any], service: str | None) -> bool:
    if not identity.get("service") or (service and identity.get("service") != service):
        return False
    return all(identity.get(name) == selection[name] for name in SELECTION_FIELDS)


def _services(
    resolutions: list[Any],
    hosts: dict[str | None, probe.Host],
    selection: dict[str, Any],
    service: str | None,
    known: list[str],
) -> list[probe.Service]:
    """The resolved services, then the other instances of the selection found on its hosts
    (an ``ro`` hashserver, a substage's jobserver, ...)."""
    found: list[probe.Service] = []
    handshakes: dict[str, Any] = {}
    for resolution in resolutions:
        host = hosts[resolution.ssh_target]
        svc = probe.Service(
            key=resolution.key,
            service=resolution.service,
            target=resolution.ssh_target,
            identity=dict(resolution.meta),
            resolution=resolution,
            row=host.row(resolution.key) if host.helpers_ok else None,
            handshake=probe.handshake_of(resolution.launcher_config),
            walk_call=probe.walk_call(resolution),
        )
        handshakes.setdefault(resolution.service, svc.handshake)
        found.append(svc)
    seen = {(s.target, s.key) for s in found}
    for target, host in hosts.items():
        if not host.helpers_ok:
            continue
        for row in host.rows:
            key = str(row.get("key"))
            identity = _identity(row, known)
            if (target, key) in seen or not _selected(identity, selection, service):
                continue
            seen.add((target, key))
            name = identity.get("service")
            found.append(
                probe.Service(key, name, target, identity, row=row, handshake=handshakes.get(str(name)))
            )
    return found


def _local_facts(facts: Facts, selection: dict[str, Any], service: str | None, known: list[str]) -> None:
    keys = {s.key for s in facts.services}
    facts.client_call = dispatch.Call(None, "rhl-ps", ("--client", "--json"))
    facts.client_result = dispatch.run(facts.client_call)
    rows = facts.client_result.json_rows() if facts.client_result.rc == 0 else []
    for row in rows:
        key = str(row.get("key"))
        if key in keys or _selected(_identity(row, known), selection, service):
            facts.client_rows.append(row)
    facts.tunnels = [
        record
        for record in local.tunnel_records()
        if record.key in keys or _selected(_identity({"key": record.key}, known), selection, service)
    ]
    for key in {str(r.get("key")) for r in rows} | {t.key for t in facts.tunnels}:
        try:
            facts.client_data[key] = state.read_state(paths.state_path(key, client=True)).data
        except Exception:  # noqa: BLE001 - an invalid key in a file name: nothing to compare with
            facts.client_data[key] = None
    facts.ssh = local.ssh_processes()
