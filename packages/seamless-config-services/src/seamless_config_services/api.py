"""The Python API: what the ``seamless-service-*`` commands do, as plain data in and out.

Every function takes the same selection arguments as the commands (a :class:`Request`),
loads the configuration once, and returns plain data (dicts, lists, :class:`Outcome`). The
click commands are thin shells that print what these return.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from . import dispatch
from .dispatch import Call
from .errors import ConfigError, HelperFailed, ServiceError, UsageError
from .model import CACHE_ALIAS, CACHE_CLUSTER, CACHE_PROJECT, Configuration
from .rows import Filters, Report


@dataclass
class Request:
    """The selection flags of a command; ``None`` = not given (the files decide)."""

    service: str | None = None
    cluster: str | None = None
    project: str | None = None
    subproject: str | None = None
    stage: str | None = None
    substage: str | None = None
    mode: str | None = None
    queue: str | None = None
    frontend_name: str | None = None
    workdir: str | None = None

    def filters(self, status: str | None = None) -> Filters:
        return Filters(
            service=self.service,
            cluster=self.cluster,
            project=self.project,
            subproject=self.subproject or None,
            stage=self.stage or None,
            substage=self.substage or None,
            mode=self.mode,
            status=status,
        )


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

    overrides = config.Overrides(
        cluster=request.cluster,
        project=CACHE_PROJECT if request.project == CACHE_ALIAS else request.project,
        subproject=request.subproject,
        stage=request.stage,
        substage=request.substage,
        queue=request.queue,
        mode=request.mode,
        frontend_name=request.frontend_name,
    )
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
    ("no cluster selected") or answered for another service than ``start`` would launch."""
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
    from .hosts import cluster_targets

    report = Report()
    filters = request.filters()
    configuration = load(request)
    known = list(configuration.clusters.clusters)
    walks_wanted = persistent or (view == "cluster" and status is None)
    # Without walks, rhl-ps can filter by status itself (less to read); with walks, every
    # row is needed to join the data to, and the filter comes last.
    helper_status = None if walks_wanted else status

    walks: list[st.Walk] = []
    if view == "client":

        def keep_client(_call: Call, row: dict[str, Any]) -> bool:
            return (not request.cluster or row.get("cluster") == request.cluster) and filters.keep(row)

        st.gather_state(
            report, [st.client_call()], client=True, accept=keep_client, known=known, anonymous=True
        )
        if persistent:
            walks = (
                st.cluster_walks(configuration, request.cluster, request.service)
                if request.cluster
                else _workdir_walks(configuration, request)
            )
    else:
        if view == "all":
            names, errors = _valid_clusters(configuration)
            for message in errors:
                report.fail(message, 1)
        else:
            name = request.cluster or configuration.selection.cluster
            if not name:
                raise UsageError(
                    "--server requires --cluster (or a 'cluster' command in seamless.profile.yaml)"
                )
            configuration.cluster(name)
            names = [name]
        by_target: dict[str | None, set[str]] = {}
        for name in names:
            for target in cluster_targets(configuration, name):
                by_target.setdefault(target, set()).add(name)
        st.gather_state(
            report,
            st.state_calls(list(by_target), helper_status),
            client=False,
            accept=lambda call, row: row.get("cluster") in by_target[call.target] and filters.keep(row),
            known=known,
            clusters_of=lambda call: sorted(by_target[call.target]),
        )
        if walks_wanted:
            for name in names:
                walks.extend(st.cluster_walks(configuration, name, request.service))
            if request.project and view != "all":
                # The project's own data directories, walked exactly: a cleared database
                # directory (no seamless.db, so no marker) then shows as 'empty', not nothing.
                walks.extend(_workdir_walks(configuration, request))
    if walks:
        st.merge_persistent(report, st.run_walks(walks, report), filters)
    report.rows = st.keep_status(report.rows, status)
    st.mark_not_applicable(report.rows)
    if view != "client":
        from . import workerjobs

        # Counting jobs is extra information: a scheduler that does not answer costs the
        # JOBS cell and one line on stderr, not the listing's exit code.
        report.problems.extend(
            workerjobs.add_counts(
                report.rows,
                lambda row: workerjobs.batch_system(configuration, row.get("service"), row.get("cluster")),
            )
        )
    return report


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


def _run_per_target(helper: str, selected: dict[str | None, list[str]], extra: Sequence[str] = ()) -> Outcome:
    outcome = Outcome()
    calls = [Call(target, helper, (*extra, *keys)) for target, keys in selected.items() if keys]
    for result in dispatch.run_many(calls):
        if isinstance(result, ServiceError):
            outcome.fail(str(result), result.exit_code)
            continue
        outcome.add(result)
    return outcome


def stop(request: Request) -> Outcome:
    """Stop the selected services (SIGINT, SIGTERM, SIGKILL, per rhl-stop); their client
    connection files are marked stale and their SSH tunnels closed."""
    from . import clientstate, workerjobs

    selected = select(request)
    ports, problems = workerjobs.ports_before_stop(selected.by_target, selected.batch_systems)
    outcome = _run_per_target("rhl-stop", selected.by_target)
    _absorb(outcome, Outcome(problems=selected.problems + problems, exit_code=selected.exit_code))
    stopped = {key: where for key, where in ports.items() if _stopped(outcome, key)}
    if stopped:
        lines, problems = workerjobs.cancel_leftovers(stopped)
        _absorb(outcome, Outcome(lines=lines, problems=problems, exit_code=1 if problems else 0))
    for keys in selected.by_target.values():
        for key in keys:
            if _stopped(outcome, key):
                problem = clientstate.mark_stale(key)
                if problem:
                    outcome.problems.append(problem)
    outcome.keys = [k for keys in selected.by_target.values() for k in keys]
    return outcome


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
        from . import workerjobs

        selected = select(request, configuration)
        # Before the state files go: they hold the scheduler port the worker jobs connect to.
        lines, problems = workerjobs.cancel_by_key(selected.by_target, selected.batch_systems)
        extra = ["--server", "--force"] if force else ["--server"]
        part = _run_per_target("rhl-rm", selected.by_target, extra)
        part.lines[:0] = lines
        part.problems.extend(problems)
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
            Call(resolution.ssh_target, "rhl-logs", tuple(args)),
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

    resolution = resolve(request)
    result = dispatch.run(Call(resolution.ssh_target, "rhl-inspect", (resolution.key,)))
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
#: What an rhl-clear without --keep/--only/--nested (remote-http-launcher 0.4.5) answers.
_OLD_CLEAR = ("exactly one path is required", "No such option")


def clear(request: Request, *, force: bool = False) -> Outcome:
    """Empty the service's persistent data directory for the selected project, subproject
    and stage: only that instance's own data goes; the directories of the other stages
    (``STAGE-*``) and subprojects inside it are kept. Refused for services without persistent
    data, and while a service still uses that data unless ``force``; a directory that was
    never created (a stage that never ran) is already cold: nothing to clear, exit 0."""
    from fnmatch import fnmatchcase

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

    if not force:
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
    result = dispatch.run(Call(resolution.ssh_target, "rhl-clear", (*options, target_dir)))
    if result.rc != 0 and any(text in result.stderr for text in _OLD_CLEAR):
        result = _clear_on_old_server(resolution, target_dir, force, nested)
    if result.rc == 1 and "path does not exist" in result.stderr:
        outcome.lines.append(f"nothing to clear: {target_dir} does not exist (never used: a cold cache)")
    else:
        outcome.add(result)
    outcome.keys = [resolution.key]
    return outcome


def _clear_on_old_server(resolution: Any, target_dir: str, force: bool, nested: bool) -> dispatch.Result:
    """rhl-clear of remote-http-launcher 0.4.5 empties the whole directory. A stage's own
    directory holds nothing of another instance: clear it so. The project's (or a
    subproject's) directory holds the other stages' directories: refuse, rather than delete
    them."""
    call = Call(resolution.ssh_target, "rhl-clear", ("--force", target_dir) if force else (target_dir,))
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
    result = dispatch.run(Call(target, "rhl-ps", ("--json",)))
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
    """Launch (or reuse) the service through the launcher; the connection payload."""
    from remote_http_launcher.errors import RhlError
    from remote_http_launcher.launch.api import run
    from remote_http_launcher.launch.errors import LauncherError

    resolution = resolve(request)
    try:
        payload = run(resolution.launcher_config, log_level=log_level)
    except RhlError as exc:  # the launcher's one-line reason (it already showed its progress)
        raise StartFailed(f"{resolution.key}: {exc}", shown=isinstance(exc, LauncherError)) from None
    return {"key": resolution.key, "host": resolution.ssh_target or "localhost", **payload}


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
