"""The fast path of ``seamless-service-resolve`` and ``seamless-service-ps --server``.

Both commands are called often, by people and by tools, and most of their time used to go to
starting Python with click, PyYAML, pluggy and the configuration layer, to arrive at the same
answer as last time. ``resolve`` skips click (it writes nothing, so it keeps no cache: see
:func:`resolve`); ``ps --server`` answers from a cache, and imports none of those:

* the cache entry is keyed by the command line, the working directory and the environment
  variables that matter, and stamped with the ``stat`` of every file the answer depends on
  (the cluster files, every ``seamless.yaml`` / ``seamless.profile.yaml`` the upward search
  could find, and the directories where plugins are installed); any change to any of them
  makes the entry stale;
* on a miss the full configuration layer computes the answer (and stores it);
* ``ps`` caches only its *plan* (which hosts to ask, which clusters are known, which service
  types keep data): the state itself is always read live from the hosts, over the shared SSH
  master connection.

Anything unusual (``--help``, another flag, an error) returns ``None`` and the click command
runs as usual, so the fast path never changes what a command does, only how fast.
"""

from __future__ import annotations

import marshal
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CACHE_VERSION = 1
#: Environment variables that change an answer (part of the cache key).
ENV_KEYS = (
    "HOME",
    "SEAMLESS_CACHE",
    "REMOTE_HTTP_LAUNCHER_DIR",
    "SEAMLESS_CONFIG_SERVICES_PLUGINS",
    "RHL_CONTROL_DIR",
    "XDG_RUNTIME_DIR",
)
ENV_DISABLE = "SEAMLESS_SERVICES_NO_FAST_PATH"
SELECTION = (
    "--service", "--cluster", "--project", "--subproject", "--stage", "--substage", "--mode", "--queue",
    "--frontend-name", "--workdir",
)  # fmt: skip
PS_FLAGS = ("--server", "--json", "--wide")
PS_VALUES = (
    "--service",
    "--cluster",
    "--project",
    "--subproject",
    "--stage",
    "--substage",
    "--mode",
    "--status",
)
STATES = ("running", "starting", "failed", "stale", "client")


def parse(argv: list[str], with_value: tuple[str, ...], flags: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """``--opt value`` / ``--opt=value`` / ``--flag``; None for anything else or a repeat."""
    values: dict[str, Any] = {}
    index = 0
    while index < len(argv):
        word = argv[index]
        name, equals, value = word.partition("=")
        if name in values:
            return None
        if name in with_value:
            if not equals:
                index += 1
                if index >= len(argv):
                    return None
                value = argv[index]
            if value.startswith("-") or not value:
                return None
            values[name] = value
        elif name in flags and not equals:
            values[name] = True
        else:
            return None
        index += 1
    return values


# -- the cache --------------------------------------------------------------------------------


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "seamless-config-services")


def _stat(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def watched_paths(start: str | None) -> list[str]:
    """Every file and directory whose change could change an answer."""
    home = os.environ.get("HOME") or os.path.expanduser("~")
    seamless = os.path.join(home, ".seamless")
    paths = [os.path.join(seamless, "clusters.yaml"), os.path.join(seamless, "clusters")]
    try:
        paths += sorted(os.path.join(seamless, "clusters", n) for n in os.listdir(paths[1]))
    except OSError:
        pass
    if start is not None:
        directory = start
        while True:
            paths += [
                os.path.join(directory, "seamless.yaml"),
                os.path.join(directory, "seamless.profile.yaml"),
            ]
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
    # Installing or removing a plugin changes its site-packages directory.
    paths += [p for p in sys.path if p.endswith("-packages")]
    return paths


def _stamp(paths: list[str]) -> list[Any]:
    return [(p, _stat(p)) for p in paths]


def _entry_path(key: tuple[Any, ...]) -> str:
    import zlib

    return os.path.join(cache_dir(), f"{zlib.crc32(marshal.dumps(key)):08x}.marshal")


def load(key: tuple[Any, ...]) -> Any:
    import stat

    try:
        # Without blocking, and only a regular file: a FIFO in its place must not hang ps.
        fd = os.open(_entry_path(key), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            with os.fdopen(fd, "rb", closefd=False) as handle:
                # Only this user writes here (a 0700 directory in their own cache).
                stored_key, stamp, value = marshal.load(handle)  # noqa: S302
        finally:
            os.close(fd)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if stored_key != key or [tuple(x) for x in stamp] != [tuple(x) for x in _stamp([p for p, _s in stamp])]:
        return None
    return value


def store(key: tuple[Any, ...], paths: list[str], value: Any) -> None:
    """Atomically (write, then rename); a cache that cannot be written is simply not used."""
    try:
        directory = cache_dir()
        os.makedirs(directory, mode=0o700, exist_ok=True)
        path = _entry_path(key)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "wb") as handle:
            marshal.dump((key, _stamp(paths), value), handle)
        os.replace(temporary, path)
    except (OSError, ValueError):
        pass


def cache_key(command: str, argv: list[str]) -> tuple[Any, ...]:
    from ._version import __version__

    env = tuple(os.environ.get(name) for name in ENV_KEYS)
    return (CACHE_VERSION, __version__, command, tuple(argv), os.getcwd(), env)


# -- resolve ----------------------------------------------------------------------------------


def resolve(argv: list[str]) -> int | None:
    """``seamless-service-resolve`` without click: computed every time, never cached.

    Resolve promises no side effects (an agent may run it with a read-only home), so it
    writes no cache entry; the answer is computed by the configuration layer directly."""
    values = parse(argv, SELECTION)
    if values is None or "--service" not in values:
        return None
    text = _compute_resolve(values)
    if text is None:
        return None
    sys.stdout.write(text)
    return 0


def _compute_resolve(values: dict[str, Any]) -> str | None:
    import json

    from .api import Request, resolve_json
    from .errors import ServiceError

    request = Request(**{name[2:].replace("-", "_"): value for name, value in values.items()})
    try:
        return json.dumps(resolve_json(request), sort_keys=True) + "\n"
    except ServiceError:
        return None  # the click command reports it


# -- ps --server ------------------------------------------------------------------------------


def ps(argv: list[str]) -> int | None:
    values = parse(argv, PS_VALUES, PS_FLAGS)
    if values is None:
        return None
    # Only the server view without persistent walks: --server, or --cluster with --status.
    if not values.get("--server") and not ("--cluster" in values and "--status" in values):
        return None
    if values.get("--status", "running") not in STATES or values.get("--mode", "rw") not in ("ro", "rw"):
        return None
    if values.get("--project") == "SEAMLESS_CACHE" or "SEAMLESS_CACHE" in os.environ:
        return None
    key = cache_key("ps", [a for a in argv if a not in ("--json", "--wide")])
    plan = load(key)
    if plan is None:
        plan = _compute_plan(values)
        if plan is None:
            return None
        store(key, watched_paths(os.path.realpath(os.getcwd())), plan)
    if "--service" in values and values["--service"] not in plan["types"]:
        return None
    return _run_ps(values, plan)


def _compute_plan(values: dict[str, Any]) -> dict[str, Any] | None:
    from . import dispatch
    from .api import Request, load
    from .errors import ServiceError
    from .hosts import cluster_targets
    from .plugins import service_types
    from .workerjobs import batch_system

    try:
        names = ("cluster", "project", "stage", "subproject", "substage")
        configuration = load(Request(**{name: values.get(f"--{name}") for name in names}))
        name = values.get("--cluster") or configuration.selection.cluster
        if not name:
            return None
        configuration.cluster(name)
        targets = cluster_targets(configuration, name)
        types = service_types().by_name
        jobs = {n: batch_system(configuration, n, name) for n in types}
        if any(t is not None for t in targets):
            dispatch.control_dir()
    except ServiceError:
        return None
    return {
        "cluster": name,
        "targets": [t if t is not None else "" for t in targets],
        "known": list(configuration.clusters.clusters),
        "types": list(types),
        "persistent": [n for n, t in types.items() if t.persistent],
        "control_dir": dispatch._control_dir or "",
        # Service -> rhl-jobs system, for the Dask services whose workers are batch jobs.
        "jobs": {n: system for n, system in jobs.items() if system},
    }


def _identify(known: list[str]) -> Any:
    from .rows import meta_identity

    def identify(state_row: dict[str, Any]) -> dict[str, Any]:
        identity = meta_identity(state_row)
        if identity is None:  # written without meta: parse the key (the full model)
            from .status import identity_fields

            identity = identity_fields(state_row, known)
        return identity

    return identify


def _run_ps(values: dict[str, Any], plan: dict[str, Any]) -> int:
    import json

    from . import dispatch, rows

    if plan["control_dir"]:
        dispatch._control_dir = plan["control_dir"]
    status = values.get("--status")
    args = ("--json", "--status", status) if status else ("--json",)
    calls = [dispatch.Call(t or None, "rhl-ps", args) for t in plan["targets"]]
    filters = rows.Filters(**{n[2:]: v for n, v in values.items() if n[2:] in rows.Filters.NAMES})
    report = rows.Report()
    for call, outcome in zip(calls, dispatch.run_many(calls)):
        rows.add_state_rows(
            report,
            call,
            outcome,
            client=False,
            identify=_identify(plan["known"]),
            accept=lambda row: row.get("cluster") == plan["cluster"] and filters.keep(row),
            unreachable_clusters=[plan["cluster"]],
        )
    rows.mark_not_applicable(report.rows, set(plan["persistent"]), set(plan["types"]))
    jobs = plan.get("jobs") or {}  # (a plan cached by an older version has none)
    if any(row.get("service") in jobs for row in report.rows):
        from .workerjobs import add_counts

        report.problems.extend(add_counts(report.rows, lambda row: jobs.get(row.get("service"))))
    if values.get("--json"):
        sys.stdout.write("".join(json.dumps(rows.json_row(r), sort_keys=True) + "\n" for r in report.rows))
    else:
        sys.stdout.write(rows.format_table(report.rows, wide=bool(values.get("--wide"))))
    sys.stdout.flush()
    for problem in report.problems:
        sys.stderr.write(f"seamless-service-ps: {problem}\n")
    return report.exit_code


COMMANDS = {"seamless-service-resolve": resolve, "seamless-service-ps": ps}


def run(command: str, argv: list[str]) -> int | None:
    """The exit code when the fast path answered, else None (the click command runs)."""
    handler = COMMANDS.get(command)
    if handler is None or os.environ.get(ENV_DISABLE):
        return None
    try:
        return handler(argv)
    except BrokenPipeError:
        return 141
    except KeyboardInterrupt:
        return 130
