"""The Python API: what the ``seamless-service-*`` commands do, as plain data in and out.

Every function takes the same selection arguments as the commands (a
:class:`~seamless_config_services.model.Request`, re-exported here),
loads the configuration once, and returns plain data (dicts, lists, :class:`Outcome`). The
click commands are thin shells that print what these return.
"""

from __future__ import annotations

import os
import sys

from .errors import ConfigError, HelperFailed, ServiceError, UsageError
from .model import CACHE_ALIAS, CACHE_CLUSTER, CACHE_PROJECT, Configuration, Request, field
from .model import record as dataclass  # plain __slots__ classes: importing dataclasses costs ~5 ms
from .rows import Report

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import IO, Any

    from . import dispatch
    from .dispatch import Call

__all__ = [
    "Outcome",
    "Request",
    "Selected",
    "StartFailed",
    "clear",
    "inspect",
    "load",
    "logs",
    "ps",
    "resolve",
    "resolve_json",
    "restart",
    "rm",
    "select",
    "start",
    "status",
    "stop",
]


@dataclass
class Outcome:
    """What an action printed (the helpers' own lines) and its exit code."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    exit_code: int = 0
    keys: list[str] = field(default_factory=list)

    def add(self, result: dispatch.Result) -> None:
        self.lines.extend(result.stdout.splitlines())
        if result.rc != 0:
            self.problems.extend(line for line in result.stderr.splitlines() if line.strip())
            self.exit_code = max(self.exit_code, result.rc)

    def fail(self, message: str, exit_code: int) -> None:
        self.problems.append(message)
        self.exit_code = max(self.exit_code, exit_code)


# -- configuration ----------------------------------------------------------------------------


def wants_cache(request: Request) -> bool:
    return request.project in (CACHE_ALIAS, CACHE_PROJECT) and request.cluster in (None, CACHE_CLUSTER)


def load(request: Request, *, read_command_files: bool = True) -> Configuration:
    """The configuration a command works on: the files (from ``request.workdir`` or the
    current directory), with the request's flags applied."""
    from . import config
    from .model import fields

    # The flags the configuration layer applies: the request's fields of the same names
    # (all but --service and --workdir, which say what to resolve and where to start).
    flags = {spec.name: getattr(request, spec.name) for spec in fields(config.Overrides)}
    if request.project == CACHE_ALIAS:
        flags["project"] = CACHE_PROJECT
    overrides = config.Overrides(**flags)
    if wants_cache(request):
        from . import cache_alias

        return cache_alias.configuration_for(overrides, service=request.service)
    return config.load(request.workdir, overrides=overrides, read_command_files=read_command_files)


def resolve(request: Request, *, read_command_files: bool = True) -> Any:
    """The :class:`~seamless_config_services.resolve.Resolution` of ``request.service``."""
    from . import resolve as resolver

    if not request.service:
        raise UsageError("--service is required")
    return resolver.resolve(load(request, read_command_files=read_command_files), request.service)


def resolve_json(request: Request) -> dict[str, Any]:
    """``seamless-service-resolve``: the project's files are read (from ``workdir``, else the
    current directory) like every other command reads them. seamless-config 0.3.2 read only
    the cluster files without ``--workdir``, so from a project directory ``resolve`` failed
    ("no cluster selected") or answered for another service than ``start`` would launch.

    It has no side effects: it reads the caches the other commands keep
    (:mod:`.diskcache`), and writes nothing."""
    from . import diskcache

    with diskcache.read_only():
        return dict(resolve(request).as_json())


# -- ps ---------------------------------------------------------------------------------------


def ps(
    request: Request,
    *,
    view: str = "client",
    status: str | None = None,
    persistent: bool = False,
) -> Report:
    """Rows for ``view``: ``client`` (every connection file of this machine, no SSH),
    ``cluster`` (the cluster's hosts, persistent data included unless filtering by status),
    ``server`` (the hosts, persistent data only when asked), ``all`` (every known cluster).

    ``status`` drops the rows whose PROCESS differs, after persistent data has been joined:
    a filter never changes what a row says."""
    from . import status as st
    from .rows import HELPER_STATES

    report = Report()
    filters = request.filters()
    # 'absent' rows are data without a process: only the walks find them.
    walks_wanted = persistent or status == "absent" or (view == "cluster" and status is None)
    # Without walks, rhl-ps can filter by status itself (less to read); with walks, every
    # row is needed to join the data to, and the filter comes last. The client's own states
    # (client, absent, unreachable) are never sent to the helper.
    helper_status = None if walks_wanted or status not in HELPER_STATES else status

    walks: list[st.Walk] = []
    plan = _plan(request, view)
    known: list[str] = plan["known"]
    if view == "client":

        def keep_client(_call: Call, row: dict[str, Any]) -> bool:
            return (not request.cluster or row.get("cluster") == request.cluster) and filters.keep(row)

        st.gather_state(
            report, [st.client_call()], client=True, accept=keep_client, known=known, anonymous=True
        )
        if persistent or status == "absent":
            configuration = load(request)
            walks = (
                st.cluster_walks(configuration, request.cluster, request.service)
                if request.cluster
                else _workdir_walks(configuration, request)
            )
    else:
        for message in plan["errors"]:
            report.fail(message, 1)
        names: list[str] = plan["names"]
        by_target: dict[str | None, set[str]] = {
            target: set(clusters) for target, clusters in plan["targets"]
        }
        if walks_wanted:
            configuration = load(request)
            for name in names:
                walks.extend(st.cluster_walks(configuration, name, request.service))
            if request.project and view != "all":
                # The project's own data directories, walked exactly: a cleared database
                # directory (no seamless.db, so no marker) then shows as 'empty', not nothing.
                walks.extend(_workdir_walks(configuration, request))
        state_calls = st.state_calls(list(by_target), helper_status)
        if walks:
            from . import dispatch as one_round

            # The walks do not depend on the rows: one round trip per host for both.
            one_round.send_ahead([*state_calls, *(w.call() for w in walks)])
        st.gather_state(
            report,
            state_calls,
            client=False,
            accept=lambda call, row: row.get("cluster") in by_target[call.target] and filters.keep(row),
            known=known,
            clusters_of=lambda call: sorted(by_target[call.target]),
        )
    if walks:
        st.merge_persistent(report, st.run_walks(walks, report), filters)
    report.rows = st.keep_status(report.rows, status)
    from . import workerjobs
    from .rows import mark_not_applicable

    mark_not_applicable(report.rows, set(plan["persistent"]), set(plan["types"]))
    jobs: dict[tuple[Any, Any], str] = plan["jobs"]  # none in the client view
    # Counting jobs is extra information: a scheduler that does not answer costs the JOBS
    # cell and one line on stderr, not the listing's exit code.
    report.problems.extend(
        workerjobs.add_counts(report.rows, lambda row: jobs.get((row.get("service"), row.get("cluster"))))
    )
    return report


def _plan(request: Request, view: str) -> dict[str, Any]:
    """What a ps needs besides the state it reads (:mod:`.plans`): kept, and recomputed from
    the configuration when a file it depends on changed. Not kept in SEAMLESS_CACHE mode
    (``--project SEAMLESS_CACHE`` finds its directory in state files)."""
    from . import plans

    if wants_cache(request) or os.environ.get("SEAMLESS_CACHE", "").strip():
        return _compute_plan(load(request), request, view)
    question = ("ps", view)
    plan = plans.lookup(question, request)
    if plan is None:
        taken = plans.stamps(request)
        plan = _compute_plan(load(request), request, view)
        plans.store(question, request, taken, plan)
    return plan


def _compute_plan(configuration: Configuration, request: Request, view: str) -> dict[str, Any]:
    """Which clusters and hosts to ask (none in the client view), the clusters known (to read
    keys), which service types keep data, and the ``rhl-jobs --system`` of each (service,
    cluster) with batch worker jobs. Plain data only: it is kept on disk."""
    from .hosts import cluster_targets
    from .plugins import service_types
    from .workerjobs import batch_system

    names: list[str] = []
    errors: list[str] = []
    if view == "all":
        names, errors = _valid_clusters(configuration)
    elif view != "client":
        name = request.cluster or configuration.selection.cluster
        if not name:
            raise UsageError("--server requires --cluster (or a 'cluster' command in seamless.profile.yaml)")
        configuration.cluster(name)
        names, errors = [name], []
    targets: dict[str | None, list[str]] = {}
    for name in names:
        for target in cluster_targets(configuration, name):
            clusters = targets.setdefault(target, [])
            if name not in clusters:
                clusters.append(name)
    types = service_types().by_name
    jobs = {}
    for name in names:
        for service in types:
            system = batch_system(configuration, service, name)
            if system is not None:
                jobs[(service, name)] = system
    return {
        "names": names,
        "errors": errors,
        "targets": [(target, clusters) for target, clusters in targets.items()],
        "known": list(configuration.clusters.clusters),
        "types": list(types),
        "persistent": [n for n, t in types.items() if t.persistent],
        "jobs": jobs,
    }


def status(
    request: Request, *, view: str = "cluster", status: str | None = None, persistent: bool = False
) -> list[dict[str, Any]]:
    """The rows of :func:`ps` as plain dicts (the objects ``seamless-service-ps --json``
    prints); problems raise the first one as :class:`ServiceError`."""
    from .rows import json_row

    report = ps(request, view=view, status=status, persistent=persistent)
    if report.problems and not report.rows:
        raise ServiceError(report.problems[0])
    return [json_row(row) for row in report.rows]


def _valid_clusters(configuration: Configuration) -> tuple[list[str], list[str]]:
    names: list[str] = []
    errors: list[str] = []
    for name in configuration.clusters.clusters:
        try:
            configuration.cluster(name)
        except ConfigError as exc:
            errors.append(f"cluster {name!r}: {exc}")
            continue
        names.append(name)
    return names, errors


def _workdir_walks(configuration: Configuration, request: Request) -> list[Any]:
    """Client view: the data directories of this project's persistent services."""
    from . import resolve as resolver
    from . import status as st
    from .plugins import service_types

    walks = []
    for service_type in service_types().by_name.values():
        if not service_type.persistent or (request.service and service_type.name != request.service):
            continue
        try:
            resolution = resolver.resolve(configuration, service_type.name)
        except ConfigError:
            continue
        specs = service_type.persistent_walks(resolution.frontend)
        if not specs:
            continue
        spec = specs[0]
        identity = {
            k: resolution.meta.get(k) for k in ("service", "cluster", "project", "subproject", "stage")
        }
        walks.append(
            st.Walk(
                service_type.name,
                resolution.cluster.name,
                resolution.ssh_target,
                resolution.workdir,
                0,
                spec.file,
                None,
                identity=identity,
            )
        )
    return walks


# -- actions on services ----------------------------------------------------------------------


@dataclass
class Selected:
    """Keys to act on, per host, and the hosts that could not be asked (best effort: one
    dead frontend does not stop the others from being served)."""

    by_target: dict[str | None, list[str]]
    resolution: Any = None
    problems: list[str] = field(default_factory=list)
    exit_code: int = 0
    #: Keys of Dask services whose workers are batch jobs -> the rhl-jobs --system.
    batch_systems: dict[str, str] = field(default_factory=dict)


def require_target(request: Request) -> None:
    """A usage error comes before anything is read."""
    if not request.service and not request.cluster:
        raise UsageError("--service or --cluster is required")


def select(request: Request, configuration: Configuration | None = None) -> Selected:
    """``--service``: the one resolved service. Else ``--cluster``: every service of the
    cluster on its hosts (narrowed by explicit ``--project``/``--stage``/... flags)."""
    from . import resolve as resolver
    from . import status as st
    from .hosts import cluster_targets
    from .workerjobs import batch_system

    require_target(request)
    configuration = configuration or load(request)
    if request.service:
        resolution = resolver.resolve(configuration, request.service)
        selected = Selected({resolution.ssh_target: [resolution.key]}, resolution)
        system = batch_system(configuration, request.service, resolution.cluster.name)
        if system is not None:
            selected.batch_systems[resolution.key] = system
        return selected
    cluster = configuration.cluster(request.cluster).name
    known = list(configuration.clusters.clusters)
    targets = cluster_targets(configuration, cluster)
    filters = request.filters()
    selected = Selected({})

    def take(call: Call, row: dict[str, Any]) -> bool:
        if row.get("cluster") == request.cluster and filters.keep(row):
            selected.by_target.setdefault(call.target, []).append(str(row["key"]))
            system = batch_system(configuration, row.get("service"), cluster)
            if system is not None:
                selected.batch_systems[str(row["key"])] = system
        return False  # keys are collected here, not as rows

    report = Report(name_hosts=False)
    st.gather_state(report, st.state_calls(targets, None), client=False, accept=take, known=known)
    selected.problems, selected.exit_code = report.problems, report.exit_code
    return selected


#: An rhl-stop/rhl-rm without ``--meta-*`` options (an earlier build of ours: exit 1; its
#: guard: 77 with the parser's reason; 0.4.5 never gets them: they go only in an rhl-batch)
#: did nothing: the keys are then named one by one.
_NO_META_OPTION = ("No such option", "unknown option")
#: Sent as ``--cancel-worker-jobs=SYSTEM``, first: a server without it refuses the whole call
#: and names it (0.4.5's rhl-stop: "invalid key '--cancel-worker-jobs=slurm'" - it takes every
#: word for a key, but checks them all first -; its rhl-rm: "unknown flag(s)"; an earlier
#: build of ours or its guard: "unknown option"). The old sequence then (:func:`_old_server_way`).
_WORKER_JOBS_OPTION = "--cancel-worker-jobs"


def _refused_option(outcome: dispatch.Outcome, option: str | None = None) -> bool:
    """Did a helper refuse the call for an option it lacks (``option``: that one by name)?"""
    from . import dispatch

    if not isinstance(outcome, dispatch.Result) or outcome.rc == 0:
        return False
    if option is not None:
        return option in outcome.stderr
    return any(text in outcome.stderr for text in _NO_META_OPTION)


def _meta_wanted(request: Request) -> dict[str, str]:
    """The ``--meta-*`` fields of ``--cluster``'s selection: exactly what :func:`select`'s
    filter compares (:meth:`~.rows.Filters.keep`), for the rows whose meta decides."""
    filters = request.filters()
    wanted = {"cluster": str(request.cluster)}
    for name in ("service", "mode", "project", "subproject", "stage", "substage"):
        value = getattr(filters, name)
        if value is not None:
            wanted[name] = CACHE_PROJECT if name == "project" and value == CACHE_ALIAS else value
    return wanted


def _act_on_cluster(
    request: Request, configuration: Configuration, helper: str, extra: Sequence[str]
) -> tuple[Selected, Outcome]:
    """``--cluster``: select and act in one round trip per host.

    Each host gets one batch: ``rhl-ps --json``, then ``HELPER EXTRA --meta-cluster C ...``,
    which acts on every state file whose ``meta`` names a service of the selection
    (``remote_http_launcher.selection``, the client's own rule for such files). On a batch
    cluster (Dask workers as batch jobs) the helper also gets ``--cancel-worker-jobs SYSTEM
    --worker-jobs-of SERVICE...`` (the Dask service types): it reads their scheduler ports and
    cancels their jobs itself. The rows of the ``rhl-ps`` tell the client which keys its full
    rule (:func:`select`, key parsing for files without meta included) selects, and which of
    them the helper picked (:func:`~remote_http_launcher.selection.meta_matches`): only keys
    it did not pick (state without meta) cost a second call, naming them. A host without
    ``rhl-batch`` gets the ``rhl-ps`` alone, then the keys; a server without these options,
    the keys the old way (:func:`_act_on_keys`)."""
    from remote_http_launcher.selection import meta_matches

    from . import dispatch
    from . import status as st
    from .hosts import cluster_targets
    from .plugins import service_types
    from .rows import add_state_rows
    from .workerjobs import batch_system

    cluster = configuration.cluster(request.cluster).name
    systems_by_service = {
        name: system
        for name in service_types().by_name
        if (system := batch_system(configuration, name, cluster)) is not None
    }
    wanted = _meta_wanted(request)
    options: tuple[str, ...] = tuple(f"--meta-{name}={value}" for name, value in wanted.items())
    for system in dict.fromkeys(systems_by_service.values()):  # one scheduler per cluster
        dask = [name for name, named in systems_by_service.items() if named == system]
        options += (f"{_WORKER_JOBS_OPTION}={system}", *(f"--worker-jobs-of={name}" for name in dask))
    targets = cluster_targets(configuration, cluster)
    known = list(configuration.clusters.clusters)
    filters = request.filters()
    calls = []
    for target in targets:
        calls.append(dispatch.Call(target, "rhl-ps", ("--json",)))
        calls.append(dispatch.Call(target, helper, (*extra, *options), batch_only=True))
    answers = dispatch.run_many(calls)
    selected = Selected({})
    outcome = Outcome()
    report = Report(name_hosts=False)
    again: dict[str | None, list[str]] = {}
    old_servers: set[str | None] = set()
    for index, target in enumerate(targets):
        ps_call, ps_answer, acted = calls[2 * index], answers[2 * index], answers[2 * index + 1]
        chosen: list[str] = []

        def take(row: dict[str, Any], chosen: list[str] = chosen) -> bool:
            if row.get("cluster") == request.cluster and filters.keep(row):
                key = str(row["key"])
                chosen.append(key)
                system = systems_by_service.get(str(row.get("service")))
                if system is not None:
                    selected.batch_systems[key] = system
            return False  # keys are collected here, not as rows

        rows: list[dict[str, Any]] = []
        try:  # the helper may have acted already: a garbled listing must not hide what it did
            add_state_rows(
                report,
                ps_call,
                ps_answer,
                client=False,
                identify=lambda state_row: st.identity_fields(state_row, known),
                accept=take,
            )
            if isinstance(ps_answer, dispatch.Result) and ps_answer.rc == 0:
                rows = ps_answer.json_rows()
        except ServiceError as exc:
            report.fail(str(exc), exc.exit_code)
            chosen.clear()
        picked: set[str] = set()  # what the helper acted on (never named a second time)
        refused = _refused_option(acted) or _refused_option(acted, _WORKER_JOBS_OPTION)
        if refused or isinstance(acted, dispatch.NotBatched):  # named below, the old way
            old_servers.add(target)
        elif isinstance(acted, dispatch.Result):
            outcome.add(acted)
            picked = {str(row.get("key")) for row in rows if meta_matches(row.get("meta"), wanted)}
            # A service that started between the two calls is in the helper's lines too.
            if helper == "rhl-stop":
                named = [line.split(":", 1)[0] for line in acted.stdout.splitlines() if ":" in line]
                chosen.extend(key for key in named if key not in chosen)
                picked.update(named)
        elif isinstance(acted, ServiceError):
            if not isinstance(ps_answer, ServiceError):  # the same failure is reported once
                outcome.fail(str(acted), acted.exit_code)
        keys = list(dict.fromkeys(chosen))
        if keys:
            selected.by_target[target] = keys
        rest = [key for key in keys if key not in picked]
        if rest:
            again[target] = rest
    if again:
        _absorb(outcome, _act_on_keys(helper, again, extra, selected.batch_systems, old_servers))
    selected.problems, selected.exit_code = report.problems, report.exit_code
    return selected, outcome


def _act_on_keys(
    helper: str,
    by_target: dict[str | None, list[str]],
    extra: Sequence[str],
    systems: dict[str, str],
    old_servers: set[str | None] | frozenset[str | None] = frozenset(),
) -> Outcome:
    """rhl-stop/rhl-rm of named keys, one call per host (and batch system): the keys of Dask
    services on a batch cluster (``systems``: key -> batch system) go with
    ``--cancel-worker-jobs SYSTEM``, so that the helper reads their scheduler ports, acts and
    cancels their jobs in the same call. A server that lacks the option (``old_servers``, or
    refusing it now) gets the old sequence of calls for those keys."""
    from . import dispatch

    calls: list[dispatch.Call] = []
    old: dict[str | None, list[str]] = {}
    plain: dict[str | None, list[str]] = {}
    for target, keys in by_target.items():
        groups: dict[str | None, list[str]] = {}
        for key in keys:
            if key in systems and target in old_servers:
                old.setdefault(target, []).append(key)
            elif key in systems:
                groups.setdefault(systems[key], []).append(key)
            else:
                plain.setdefault(target, []).append(key)
        for system, grouped in groups.items():
            args = (f"{_WORKER_JOBS_OPTION}={system}", *extra, *grouped)
            calls.append(dispatch.Call(target, helper, args))
    calls.extend(dispatch.Call(target, helper, (*extra, *keys)) for target, keys in plain.items())
    outcome = Outcome()
    for call, result in zip(calls, dispatch.run_many(calls)):
        asked = bool(call.args) and call.args[0].startswith(f"{_WORKER_JOBS_OPTION}=")
        if asked and _refused_option(result, _WORKER_JOBS_OPTION):
            old.setdefault(call.target, []).extend(call.args[len(extra) + 1 :])
        elif isinstance(result, ServiceError):
            outcome.fail(str(result), result.exit_code)
        else:
            outcome.add(result)
    if old:
        _absorb(outcome, _old_server_way(helper, old, extra, systems))
    return outcome


def _old_server_way(
    helper: str, by_target: dict[str | None, list[str]], extra: Sequence[str], systems: dict[str, str]
) -> Outcome:
    """For a server without ``--cancel-worker-jobs`` (remote-http-launcher 0.4.5, an earlier
    build): ``rhl-stop``: the scheduler ports first (rhl-jobs), the stop, then the jobs still
    connecting to the ports of the stopped keys (rhl-jobs --cancel --port); ``rhl-rm``: the
    jobs by key (rhl-jobs --cancel), then the removal."""
    from . import workerjobs

    if helper == "rhl-stop":
        ports, problems = workerjobs.ports_before_stop(by_target, systems)
        outcome = _run_per_target(helper, by_target, extra)
        _absorb(outcome, Outcome(problems=problems))
        stopped = {key: where for key, where in ports.items() if _stopped(outcome, key)}
        if stopped:
            lines, problems = workerjobs.cancel_leftovers(stopped)
            _absorb(outcome, Outcome(lines=lines, problems=problems, exit_code=1 if problems else 0))
        return outcome
    lines, problems = workerjobs.cancel_by_key(by_target, systems)
    outcome = _run_per_target(helper, by_target, extra)
    outcome.lines[:0] = lines
    outcome.problems.extend(problems)
    return outcome


def _run_per_target(helper: str, selected: dict[str | None, list[str]], extra: Sequence[str] = ()) -> Outcome:
    from . import dispatch

    outcome = Outcome()
    calls = [dispatch.Call(target, helper, (*extra, *keys)) for target, keys in selected.items() if keys]
    for result in dispatch.run_many(calls):
        if isinstance(result, ServiceError):
            outcome.fail(str(result), result.exit_code)
            continue
        outcome.add(result)
    return outcome


def stop(request: Request) -> Outcome:
    """Stop the selected services (SIGINT, SIGTERM, SIGKILL, per rhl-stop); their client
    connection files are marked stale and their SSH tunnels closed; the worker jobs of Dask
    services on batch clusters are cancelled by the same rhl-stop call. One round trip per
    host (:func:`_act_on_cluster`, :func:`_act_on_keys`)."""
    from . import clientstate
    from .hosts import cluster_targets

    if request.cluster and not request.service:
        require_target(request)
        configuration = load(request)
        targets = cluster_targets(configuration, request.cluster)
        hosts: dict[str | None, list[str]] = {target: [] for target in targets}
        with _stop_progress(hosts, request.cluster):
            selected, outcome = _act_on_cluster(request, configuration, "rhl-stop", ())
    else:
        selected = select(request)
        with _stop_progress(selected.by_target):
            outcome = _act_on_keys("rhl-stop", selected.by_target, (), selected.batch_systems)
    _absorb(outcome, Outcome(problems=selected.problems, exit_code=selected.exit_code))
    for keys in selected.by_target.values():
        for key in keys:
            if _stopped(outcome, key):
                problem = clientstate.mark_stale(key)
                if problem:
                    outcome.problems.append(problem)
    outcome.keys = [k for keys in selected.by_target.values() for k in keys]
    return outcome


def _stop_progress(by_target: dict[str | None, list[str]], cluster: str | None = None) -> Any:
    """On a terminal, while rhl-stop escalates: which signal it has sent by now and how long
    it waits (rhl-stop's fixed schedule: SIGINT, SIGTERM after its grace, SIGKILL after the
    next; it reports only at the end, so the phase shown is the one its schedule is in).
    ``cluster``: the stop selects its services on the hosts (``by_target``: the hosts only).
    Off a terminal: nothing."""
    from remote_http_launcher.stopping import DEFAULT_SIGINT_GRACE, DEFAULT_SIGTERM_GRACE, SIGKILL_CONFIRM

    from .progress import Progress

    keys = [key for keys in by_target.values() for key in keys]
    progress = Progress()
    if not keys and cluster is None:
        return progress
    if cluster is not None:  # the keys are selected on the hosts, by the stop itself
        named = f"the services of cluster {cluster}"
    else:
        named = keys[0] if len(keys) == 1 else f"{len(keys)} services"
    where = ", ".join(sorted(t or "localhost" for t, k in by_target.items() if k or cluster is not None))
    term_at = DEFAULT_SIGINT_GRACE
    kill_at = DEFAULT_SIGINT_GRACE + DEFAULT_SIGTERM_GRACE

    def text(elapsed: float) -> str:
        if elapsed < term_at:
            phase = f"SIGINT sent, waiting up to {term_at:g} s"
        elif elapsed < kill_at:
            phase = f"not gone after SIGINT: SIGTERM sent, waiting up to {DEFAULT_SIGTERM_GRACE:g} s more"
        else:
            phase = f"not gone after SIGTERM: SIGKILL sent, confirming (up to {SIGKILL_CONFIRM:g} s)"
        return f"stopping {named} on {where}: {phase} ({elapsed:.1f} s)"

    progress.step(text)
    return progress


def _stopped(outcome: Outcome, key: str) -> bool:
    for line in outcome.lines:
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip() in (
                "stopped",
                "already gone",
                "kill required",
                "missing state",
            )
    return False


def rm(request: Request, *, client: bool, server: bool, force: bool = False) -> Outcome:
    """Remove the selected services' state files (server and/or client side); logs stay."""
    from . import clientstate

    if not client and not server:
        client = server = True
    require_target(request)
    configuration = load(request)
    outcome = Outcome()
    if server:
        # One round trip per host; the worker jobs of Dask services are cancelled by the same
        # rhl-rm call, before the state files holding their scheduler port go.
        extra = ["--server", "--force"] if force else ["--server"]
        if request.cluster and not request.service:
            selected, part = _act_on_cluster(request, configuration, "rhl-rm", extra)
        else:
            selected = select(request, configuration)
            part = _act_on_keys("rhl-rm", selected.by_target, extra, selected.batch_systems)
        _absorb(part, Outcome(problems=selected.problems, exit_code=selected.exit_code))
        _absorb(outcome, part)
        if part.exit_code and request.service and client:
            # The server side was refused (a service still running, a host down): keep this
            # machine's connection file, so both sides still describe the same service.
            outcome.problems.append("the client connection file was kept (the server side was not removed)")
            return outcome
    if client:
        keys = clientstate.client_keys(request, configuration)
        for key in keys:
            clientstate.close_tunnel(key)
        if keys:
            _absorb(outcome, _run_per_target("rhl-rm", {None: keys}, ["--client"]))
    return outcome


def _absorb(outcome: Outcome, part: Outcome) -> None:
    outcome.lines.extend(part.lines)
    outcome.problems.extend(part.problems)
    outcome.exit_code = max(outcome.exit_code, part.exit_code)


def logs(
    request: Request,
    *,
    tail: int | None = None,
    follow: bool = False,
    previous: bool = False,
    stdout: IO[str] | None = None,
) -> int:
    """Copy the service's server-side log to ``stdout``; the helper's exit code."""
    from . import dispatch

    resolution = resolve(request)
    args = [resolution.key]
    if tail is not None:
        args += ["--tail", str(tail)]
    if follow:
        args.append("--follow")
    if previous:
        args.append("--previous")
    try:
        result = dispatch.run(
            dispatch.Call(resolution.ssh_target, "rhl-logs", tuple(args)),
            stdout=stdout or sys.stdout,
            timeout=None if follow else dispatch.CALL_TIMEOUT,
        )
    except KeyboardInterrupt:
        if follow:  # Ctrl-C is how following ends, here as with rhl-logs itself
            return 0
        raise
    if result.rc != 0:
        raise HelperFailed(result.error_line(), result.rc)
    return 0


def inspect(request: Request) -> dict[str, Any]:
    """The service's server-side state, as a dict."""
    import json

    from . import dispatch

    resolution = resolve(request)
    result = dispatch.run(dispatch.Call(resolution.ssh_target, "rhl-inspect", (resolution.key,)))
    if result.rc != 0:
        raise HelperFailed(result.error_line(), result.rc)
    try:
        data = json.loads(result.stdout)
    except ValueError:
        raise ServiceError(f"rhl-inspect printed invalid JSON for {resolution.key}") from None
    return data if isinstance(data, dict) else {"value": data}


#: The direct children of a data directory that hold a service's own data (``rhl-clear
#: --only``): a hashserver's two-character prefix directories (and, with the flat layout,
#: its buffer files and their temporary files, named by the 64-hex-digit checksum), a
#: database's file and its journals. Everything else in the directory is kept: ``STAGE-*``
#: (the other stages' own directories), subproject directories, markers. A service type
#: without an entry here keeps ``STAGE-*`` only.
_HEX = "[0-9a-f]"
DATA_ENTRIES: dict[str, tuple[str, ...]] = {
    "hashserver": (_HEX * 2, _HEX * 64 + "*"),
    "database": ("seamless.db", "seamless.db-*"),
}
#: The other stages' directories are never a part of a data directory's own data.
STAGE_GLOB = "STAGE-*"
#: How rhl-clear refuses a directory that a running service uses.
_IN_USE = "is running there; stop it first"
#: What an rhl-clear without --keep/--only/--nested (remote-http-launcher 0.4.5) answers.
_OLD_CLEAR = ("exactly one path is required", "No such option")


def clear(request: Request, *, force: bool = False) -> Outcome:
    """Empty the service's persistent data directory for the selected project, subproject
    and stage: only that instance's own data goes; the directories of the other stages
    (``STAGE-*``) and subprojects inside it are kept. Refused for services without persistent
    data, and while a service still uses that data unless ``force``; a directory that was
    never created (a stage that never ran) is already cold: nothing to clear, exit 0."""
    from fnmatch import fnmatchcase

    from . import dispatch
    from .plugins import service_types

    if not request.service:
        raise UsageError("--service is required (a service with persistent data: " + _clearable_names() + ")")
    service_type = service_types().get(request.service)
    if not service_type.clearable:
        raise UsageError(
            f"{request.service} keeps no persistent data (it runs in /tmp); nothing to clear "
            f"(clearable services: {_clearable_names()})"
        )
    resolution = resolve(request)
    workdir = resolution.workdir
    if not workdir or os.path.normpath(workdir) == "/tmp":
        raise UsageError("service has no clearable persistent workdir")
    outcome = Outcome()
    if resolution.cluster.name == CACHE_CLUSTER:
        # One directory holds the buffers and seamless.db: clearing it empties both.
        only = tuple(glob for name in ("hashserver", "database") for glob in DATA_ENTRIES[name])
        outcome.problems.append(
            "note: in SEAMLESS_CACHE mode buffers and seamless.db share one directory; both are cleared"
        )
    else:
        only = DATA_ENTRIES.get(request.service, ())

    def removed(name: str) -> bool:
        """Would clearing ``workdir`` remove its direct child ``name``?"""
        if fnmatchcase(name, STAGE_GLOB):
            return False
        return not only or any(fnmatchcase(name, glob) for glob in only)

    def refuse_if_in_use() -> None:
        users = _running_on(resolution.ssh_target, workdir, removed)
        if users:
            raise ServiceError(
                f"{workdir} is in use by running service(s) {', '.join(users)}: stop them first "
                "(seamless-service-stop), or pass --force"
            )

    nested = bool(resolution.meta.get("stage") or resolution.meta.get("subproject"))
    target_dir = os.path.expanduser(workdir) if resolution.ssh_target is None else workdir
    options = [word for glob in only for word in ("--only", glob)] + ["--keep", STAGE_GLOB]
    if nested:
        options.append("--nested")
    if force:
        options.append("--force")
    # One round trip: rhl-clear refuses a directory in use by itself (the same rule, with
    # --only/--keep/--nested) and names every service in the way. Only a 0.4.5 server (which
    # clears without asking, and knows no --keep: nothing removed yet) costs the client-side
    # rhl-ps check.
    result = dispatch.run(dispatch.Call(resolution.ssh_target, "rhl-clear", (*options, target_dir)))
    if result.rc != 0 and any(text in result.stderr for text in _OLD_CLEAR):
        if not force:
            refuse_if_in_use()
        result = _clear_on_old_server(resolution, target_dir, force, nested)
    elif result.rc == 1 and not force and _IN_USE in result.stderr:
        users = _users_named(result.stderr)
        if not users:  # an rhl-clear that names only the first user: ask rhl-ps for them all
            refuse_if_in_use()
        raise ServiceError(
            f"{workdir} is in use by running service(s) {', '.join(users)}: stop them first "
            "(seamless-service-stop), or pass --force"
        )
    if result.rc == 1 and "path does not exist" in result.stderr:
        outcome.lines.append(f"nothing to clear: {target_dir} does not exist (never used: a cold cache)")
    else:
        outcome.add(result)
    outcome.keys = [resolution.key]
    return outcome


def _users_named(stderr: str) -> list[str]:
    """The keys of rhl-clear's refusal: ``service 'KEY' (pid N) is running there; ...
    (also running there: 'KEY2' (pid N2), ...)`` (it names every user); [] when the line
    is not worded so (then the client asks rhl-ps)."""
    import re

    line = next((line for line in stderr.splitlines() if _IN_USE in line), "")
    first = re.search(r"service '([^']+)' \(pid \d+\) " + re.escape(_IN_USE), line)
    if first is None:
        return []
    keys = [first.group(1)]
    also = re.search(r"\(also running there: (.*)\)$", line)
    if also is not None:
        keys += re.findall(r"'([^']+)' \(pid \d+\)", also.group(1))
    return keys


def _clear_on_old_server(resolution: Any, target_dir: str, force: bool, nested: bool) -> dispatch.Result:
    """rhl-clear of remote-http-launcher 0.4.5 empties the whole directory. A stage's own
    directory holds nothing of another instance: clear it so. The project's (or a
    subproject's) directory holds the other stages' directories: refuse, rather than delete
    them."""
    from . import dispatch

    call = dispatch.Call(
        resolution.ssh_target, "rhl-clear", ("--force", target_dir) if force else (target_dir,)
    )
    if resolution.meta.get("stage"):
        return dispatch.run(call)
    raise ServiceError(
        f"rhl-clear on {call.where} is too old to keep the other stages' and subprojects' "
        f"directories inside {target_dir} (remote-http-launcher 0.4.5): refusing to clear; "
        f"upgrade remote-http-launcher on {call.where}, or remove the data by hand"
    )


def _clearable_names() -> str:
    from .plugins import service_types

    return ", ".join(n for n, t in service_types().by_name.items() if t.clearable)


def _running_on(target: str | None, workdir: str, removed: Callable[[str], bool]) -> list[str]:
    """Keys of services recorded as running/starting whose data the clear would remove: on
    ``workdir`` itself, or inside one of its children that ``removed(name)`` says goes.
    A service on an enclosing directory (the project's, for a stage) does not block: it keeps
    no data in the stage's or subproject's directory. Checked client-side too, because
    servers with remote-http-launcher 0.4.5 clear without asking."""
    from . import dispatch

    result = dispatch.run(dispatch.Call(target, "rhl-ps", ("--json",)))
    if result.rc != 0:
        return []
    wanted = os.path.normpath(workdir)

    def holds(other: str) -> bool:
        other = os.path.normpath(other)
        if other == wanted:
            return True
        if not other.startswith(wanted + "/"):
            return False
        return removed(other[len(wanted) + 1 :].split("/", 1)[0])

    return [
        str(row.get("key"))
        for row in result.json_rows()
        if row.get("status") in ("running", "starting")
        and isinstance(row.get("workdir"), str)
        and holds(str(row["workdir"]))
    ]


class StartFailed(ServiceError):
    """The launch failed; ``shown``: the launcher already printed this error on stderr (with
    the end of the service's log), so the commands do not print it a second time."""

    def __init__(self, message: str, *, shown: bool) -> None:
        super().__init__(message)
        self.shown = shown


def start(request: Request, *, log_level: str | None = None) -> dict[str, Any]:
    """Launch (or reuse) the service through the launcher; the connection payload, with
    ``outcome``: ``launched`` (this call started it) or ``reused`` (it already ran: a valid
    connection file here, or a running service on the server)."""
    from remote_http_launcher.errors import RhlError
    from remote_http_launcher.launch.api import launch
    from remote_http_launcher.launch.errors import LauncherError

    resolution = resolve(request)
    try:
        # The launcher's public launch(): run() plus the outcome its sequence reported
        # (launched, reused-local, reused-remote); the payload alone does not say it.
        payload, outcome = launch(resolution.launcher_config, log_level=log_level)
    except RhlError as exc:  # the launcher's one-line reason (it already showed its progress)
        raise StartFailed(f"{resolution.key}: {exc}", shown=isinstance(exc, LauncherError)) from None
    return {
        "key": resolution.key,
        "host": resolution.ssh_target or "localhost",
        **payload,
        "outcome": "launched" if outcome == "launched" else "reused",
    }


def restart(
    request: Request,
    *,
    log_level: str | None = None,
    on_stopped: Callable[[Outcome], object] | None = None,
) -> tuple[Outcome, dict[str, Any]]:
    """Stop, remove both sides' state, then launch afresh. ``on_stopped`` sees the stop/rm
    outcome before the launch starts (so a failed launch does not hide what was stopped)."""
    if not request.service:
        raise UsageError("--service is required")
    stopped = stop(request)
    removed = rm(request, client=True, server=True)
    _absorb(stopped, removed)
    if on_stopped is not None:
        on_stopped(stopped)
    if stopped.exit_code:
        return stopped, {}
    return stopped, start(request, log_level=log_level)


# -- a project's services (start/restart without --service) ------------------------------------


def project_services(request: Request) -> list[str]:
    """The services ``start``/``restart`` act on without ``--service`` (docker compose's
    ``up``): every service type that keeps the project's data (``persistent``: hashserver
    and database, and a plugin's data services) whose frontend section the selected
    cluster's frontends configure. Compute services (jobserver, daskserver,
    pure-daskserver) are left out: which one a workflow uses is its execution mode, not
    the cluster's; start them with ``--service``."""
    from .hosts import selected_frontends
    from .plugins import service_types

    if request.service:
        return [request.service]
    if not request.project and not request.cluster:
        raise UsageError("--service, --project or --cluster is required")
    configuration = load(request)
    cluster = request.cluster or configuration.selection.cluster
    if not cluster:
        raise UsageError("--project requires --cluster (or a 'cluster' command in seamless.profile.yaml)")
    frontends = selected_frontends(configuration, cluster)
    names = [
        t.name
        for t in service_types().by_name.values()
        if t.persistent and any((t.section or t.name) in f.sections for f in frontends)
    ]
    if not names:
        raise ConfigError(
            f"cluster {cluster!r} configures no data service (no hashserver or database section "
            "on its frontends): name one with --service"
        )
    return names


def start_many(
    request: Request,
    *,
    log_level: str | None = None,
    on_started: Callable[[dict[str, Any]], object] | None = None,
) -> tuple[list[dict[str, Any]], list[ServiceError]]:
    """:func:`start` for every service of :func:`project_services`, one after the other (each
    shows its own launch progress); the payloads and the failures (a failed launch does not
    stop the others from starting)."""
    from dataclasses import replace

    started: list[dict[str, Any]] = []
    failed: list[ServiceError] = []
    for name in project_services(request):
        try:
            payload = start(replace(request, service=name), log_level=log_level)
        except ServiceError as exc:
            failed.append(exc)
            continue
        started.append(payload)
        if on_started is not None:
            on_started(payload)
    return started, failed


def watched_remote(request: Request, view: str) -> bool:
    """Does ``ps --watch`` of this view ask a remote host (then it polls over SSH at a slower
    pace), or only this machine's state files (the client view; a local cluster)?"""
    if view == "client":
        return False
    return any(target is not None for target, _clusters in _plan(request, view)["targets"])
