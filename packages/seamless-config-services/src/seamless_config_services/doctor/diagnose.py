"""Run the checklist: load the selection, gather the facts, judge them in the seeds' order."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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
    """The doctor's report for ``request`` (an :class:`~..api.Request`); reads only. On a
    terminal a live line on stderr says which check runs (:mod:`..progress`; erased before
    the report is printed); off a terminal nothing is added to stderr."""
    from ..progress import Progress

    progress = Progress()
    try:
        return _diagnose(request, progress)
    finally:
        progress.done()


def _diagnose(request: Any, progress: Any) -> Report:
    from .. import api
    from ..hosts import cluster_targets

    report = Report()
    report.selection = {"cluster": request.cluster, "project": request.project, "service": request.service}
    progress.step(lambda t: f"doctor: 0. reading the configuration ({t:.1f} s)")
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
    where = ", ".join(t or "localhost" for t in targets)
    progress.step(lambda t: f"doctor: 1. reaching {where} and its helpers ({t:.1f} s)")
    # Without --stage the doctor looks at the whole project: every stage's instance found on
    # the hosts is checked (a corrupt or crashed stage must not hide behind an OK verdict).
    every_stage = request.stage is None
    ahead = _known_calls(resolutions, every_stage) + _revealed_calls(
        resolutions, left_out, targets, selection, every_stage
    )
    hosts = probe.probe_hosts(targets, ahead)
    known = list(configuration.clusters.clusters)
    services = _services(
        resolutions, hosts, selection, request.service, known, every_stage, _stage_resolver(request)
    )
    progress.step(lambda t: f"doctor: 2-4. reading service state, log tails and persistent data ({t:.1f} s)")
    stage_walks = _stage_walk_outcomes(services, hosts) if every_stage else None
    if stage_walks is not None:
        _take_stage_rows(services, stage_walks)
    probe.run_planned(probe.plan_calls([s for s in services if hosts[s.target].helpers_ok]))
    if stage_walks is not None:
        _stage_directories(services, stage_walks, _stage_resolver(request))
    _runtimes(services)

    facts = Facts(
        cluster=cluster.name,
        workdir=request.workdir,
        resolutions=resolutions,
        left_out=left_out,
        hosts=hosts,
        services=services,
    )
    progress.step(lambda t: f"doctor: 5. local leftovers: connection files, SSH tunnels ({t:.1f} s)")
    _local_facts(facts, selection, request.service, known, every_stage)
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


def _stage_walks(
    services: list[probe.Service], hosts: dict[str | None, probe.Host]
) -> tuple[list[Any], list[Any]]:
    """The persistent services whose project directory is walked one level deep for
    ``STAGE-*`` directories, and those walks (known before any service's own batch runs)."""
    base = [
        s
        for s in services
        if s.resolution is not None
        and s.walk_call is not None
        and not s.resolution.meta.get("stage")
        and hosts[s.target].helpers_ok
    ]
    return base, [_stage_walk(svc.resolution, svc.target) for svc in base]


def _stage_walk(resolution: Any, target: str | None) -> Any:
    """The one-level walk of a persistent service's project directory (its ``STAGE-*``)."""
    from ..status import Walk

    spec = resolution.service_type.persistent_walks(resolution.frontend)[0]
    name = resolution.cluster.name
    return Walk(resolution.service, name, target, resolution.workdir, 1, spec.file, spec.marker)


def _known_calls(resolutions: list[Any], every_stage: bool) -> list[dispatch.Call]:
    """What the doctor asks of the resolved services whatever their hosts' rows say: the log
    tail (:func:`.probe.plan_calls`), on a remote host the key forms of the port, handshake
    and runtime checks (:func:`.probe.keyed_calls`: the helper reads the port from the state
    itself), the data walk (:func:`.probe.walk_call`) and, for the whole project, the stage
    walk of the project directory (:func:`_stage_walks`); the same calls, so that the first
    batch answers them (:func:`.probe.probe_hosts`)."""
    calls: list[dispatch.Call] = []
    for resolution in resolutions:
        target = resolution.ssh_target
        calls.append(dispatch.Call(target, "rhl-logs", (resolution.key, "--tail", str(probe.LOG_TAIL))))
        if target is not None:
            calls += probe.keyed_calls(target, resolution.key, probe.handshake_of(resolution.launcher_config))
        walk = probe.walk_call(resolution)
        if walk is not None:
            calls.append(walk)
            if every_stage and not resolution.meta.get("stage"):
                calls.append(_stage_walk(resolution, target).call())
    return calls


def _revealed_calls(
    resolutions: list[Any],
    left_out: dict[str, str],
    targets: list[str | None],
    selection: dict[str, Any],
    every_stage: bool,
) -> list[dispatch.Call]:
    """What the doctor asks of the instances that only the hosts' rows reveal (other stages,
    ``ro`` ones, other frontends'), before the rows are known: per remote host and service
    type, ``rhl-batch --each`` templates of the key-form checks (:func:`.probe.keyed_calls`,
    with the type's own handshake path) and of the log tail, for every state file whose meta
    names the selection (the rule of ``rhl-stop --meta-cluster``), the configured keys left
    out (their calls are in :func:`_known_calls`). The host expands them in the same batch
    as its ``rhl-ps``, each expanded line answered as the call naming its key: one round trip
    (a host without ``rhl-batch`` is asked nothing here; :func:`.probe.plan_calls` asks it
    later, one call at a time, as before)."""
    handshakes: dict[str, Any] = {}
    for resolution in resolutions:
        handshakes.setdefault(resolution.service, probe.handshake_of(resolution.launcher_config))
    names = [*handshakes, *(name for name in left_out if name not in handshakes)]
    fields = ("project", "subproject") if every_stage else ("project", "subproject", "stage")
    narrow = {name: str(selection[name]) for name in fields if selection.get(name)}
    calls: list[dispatch.Call] = []
    for target in targets:
        if target is None:
            continue  # a local call costs no round trip: asked when the rows say so
        configured = [r.key for r in resolutions if r.ssh_target == target]
        for name in names:
            wanted = {"cluster": str(selection["cluster"]), "service": name, **narrow}
            templates = [
                *probe.keyed_calls(target, dispatch.KEY_WORD, handshakes.get(name)),
                dispatch.Call(target, "rhl-logs", (dispatch.KEY_WORD, "--tail", str(probe.LOG_TAIL))),
            ]
            calls += [dispatch.each_call(target, wanted, t, except_keys=configured) for t in templates]
    return calls


if TYPE_CHECKING:
    #: The stage walks of :func:`_stage_walk_outcomes`: (base services, walks, their outcomes).
    StageWalks = tuple[list[probe.Service], list[Any], list[dispatch.Outcome]]


def _stage_walk_outcomes(services: list[probe.Service], hosts: dict[str | None, probe.Host]) -> StageWalks:
    """The project directories' stage walks (:func:`_stage_walks`; on our servers the first
    batch answered them), asked again without ``--size`` where a 0.4.5 helper lacks it."""
    base, walks = _stage_walks(services, hosts)
    outcomes = dispatch.run_many([w.call() for w in walks])
    retry = [i for i, o in enumerate(outcomes) if dispatch.lacks_size_option(o)]
    for index, outcome in zip(retry, dispatch.run_many([walks[i].call(with_size=False) for i in retry])):
        outcomes[index] = outcome
    return base, walks, outcomes


def _stage_row(svc: probe.Service, stage_walks: StageWalks) -> tuple[dispatch.Result, dict[str, Any]] | None:
    """The row of ``svc``'s data directory in a stage walk, when ``svc`` is another stage's
    instance whose own walk would be that directory with the same options (the
    ``STAGE-<stage>`` child of a walked project directory): the same row
    (:func:`remote_http_launcher.persistent.directory_row` at any level), no call of its own."""
    stage = svc.resolution.meta.get("stage") if svc.resolution is not None else None
    if not stage or svc.walk_call is None or svc.walk_result is not None:
        return None
    own = svc.walk_call.args
    for base, outcome in zip(stage_walks[0], stage_walks[2]):
        if (
            base.target != svc.target
            or base.service != svc.service
            or not isinstance(outcome, dispatch.Result)
        ):
            continue
        walked = outcome.call.args
        if (
            outcome.rc != 0
            or own[3:-1] != walked[3:-1]
            or own[-1] != f"{walked[-1].rstrip('/')}/STAGE-{stage}"
        ):
            continue
        try:
            rows = outcome.json_rows()
        except ServiceError:
            continue
        for row in rows:
            if str(row.get("path") or "").rstrip("/").rsplit("/", 1)[-1] == f"STAGE-{stage}":
                return outcome, row
    return None


def _take_stage_rows(services: list[probe.Service], stage_walks: StageWalks) -> None:
    """Instances of other stages take their data directory's row from the stage walk that
    lists it (:func:`_stage_row`), so they need no walk call of their own (a second round
    trip: their directories are only known from the rows). One the walk does not list (no
    such directory, or it lacks the marker) is walked itself, as before."""
    for svc in services:
        if svc.row is not None and (found := _stage_row(svc, stage_walks)) is not None:
            svc.walk_result, row = found
            svc.walk_call, svc.walk_rows = svc.walk_result.call, [row]


def _stage_directories(
    services: list[probe.Service],
    stage_walks: StageWalks,
    resolve_other: Callable[[dict[str, Any]], Any],
) -> None:
    """The whole project's data: the ``STAGE-*`` data directories inside each persistent
    service's project directory whose stage has no instance on the hosts (its state removed,
    or never kept) become services of their own, so that check 4 judges their cached data."""
    base, _walks, outcomes = stage_walks
    known = {(s.target, s.service, s.identity.get("stage")) for s in services}
    for svc, outcome in zip(base, outcomes):
        if not isinstance(outcome, dispatch.Result) or outcome.rc != 0:
            continue  # the service's own walk (check 4) already reports why
        try:
            rows = outcome.json_rows()
        except ServiceError:
            continue
        for row in rows:
            name = str(row.get("path") or "").rstrip("/").rsplit("/", 1)[-1]
            if not name.startswith("STAGE-") or len(name) == len("STAGE-"):
                continue
            stage = name[len("STAGE-") :]
            if (svc.target, svc.service, stage) in known:
                continue
            other = resolve_other({**svc.identity, "stage": stage})
            if other is None or other.ssh_target != svc.target:
                continue
            known.add((svc.target, svc.service, stage))
            services.append(
                probe.Service(
                    other.key,
                    svc.service,
                    svc.target,
                    dict(other.meta),
                    resolution=other,
                    row=None,
                    handshake=probe.handshake_of(other.launcher_config),
                    walk_call=outcome.call,
                    walk_result=outcome,
                    walk_rows=[row],
                )
            )


def _runtimes(services: list[probe.Service]) -> None:
    """Running services, local and remote: what their hosts' ``rhl-inspect --runtime``
    answered in the batch, against this client's environment (:mod:`.runtime`)."""
    from . import runtime

    runtime.attach(services)


def _identity(row: dict[str, Any], known: list[str]) -> dict[str, Any]:
    from ..status import identity_fields

    return identity_fields(row, known)


def _selected(
    identity: dict[str, Any], selection: dict[str, Any], service: str | None, every_stage: bool = False
) -> bool:
    if not identity.get("service") or (service and identity.get("service") != service):
        return False
    return all(
        identity.get(name) == selection[name]
        for name in SELECTION_FIELDS
        if not (every_stage and name == "stage")
    )


def _stage_resolver(request: Any) -> Callable[[dict[str, Any]], Any]:
    """Resolve another stage's instance of the selection (its data directory is walked too);
    None when it cannot be resolved (an instance of a service the files no longer describe)."""
    from dataclasses import replace

    from .. import api
    from .. import resolve as resolver

    def resolve_other(identity: dict[str, Any]) -> Any:
        if identity.get("mode") not in (None, "rw") or identity.get("substage"):
            return None
        try:
            configuration = api.load(replace(request, stage=identity.get("stage")))
            resolution = resolver.resolve(configuration, str(identity.get("service")))
        except ServiceError:
            return None
        return resolution if resolution.meta.get("stage") == identity.get("stage") else None

    return resolve_other


def _services(
    resolutions: list[Any],
    hosts: dict[str | None, probe.Host],
    selection: dict[str, Any],
    service: str | None,
    known: list[str],
    every_stage: bool = False,
    resolve_other: Callable[[dict[str, Any]], Any] | None = None,
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
            if (target, key) in seen or not _selected(identity, selection, service, every_stage):
                continue
            seen.add((target, key))
            name = identity.get("service")
            other = None
            if identity.get("stage") != selection["stage"] and resolve_other is not None:
                other = resolve_other(identity)
            if other is not None and other.key == key and other.ssh_target == target:
                found.append(
                    probe.Service(
                        key,
                        name,
                        target,
                        dict(other.meta),
                        resolution=other,
                        row=row,
                        handshake=probe.handshake_of(other.launcher_config),
                        walk_call=probe.walk_call(other),
                    )
                )
                continue
            found.append(
                probe.Service(key, name, target, identity, row=row, handshake=handshakes.get(str(name)))
            )
    return found


def _local_facts(
    facts: Facts, selection: dict[str, Any], service: str | None, known: list[str], every_stage: bool
) -> None:
    keys = {s.key for s in facts.services}
    facts.client_call = dispatch.Call(None, "rhl-ps", ("--client", "--json"))
    facts.client_result = dispatch.run(facts.client_call)
    rows = facts.client_result.json_rows() if facts.client_result.rc == 0 else []
    for row in rows:
        key = str(row.get("key"))
        if key in keys or _selected(_identity(row, known), selection, service, every_stage):
            facts.client_rows.append(row)
    facts.tunnels = [
        record
        for record in local.tunnel_records()
        if record.key in keys
        or _selected(_identity({"key": record.key}, known), selection, service, every_stage)
    ]
    for key in {str(r.get("key")) for r in rows} | {t.key for t in facts.tunnels}:
        try:
            facts.client_data[key] = state.read_state(paths.state_path(key, client=True)).data
        except Exception:  # noqa: BLE001 - an invalid key in a file name: nothing to compare with
            facts.client_data[key] = None
    facts.ssh = local.ssh_processes()
