"""Shell completion values of the selection flags (``--service``, ``--cluster``, ``--project`` ...).

Each :class:`~.model.Request` field names its completer in its metadata (``complete``); the
click options built from those fields (:func:`.cli._click.build`) ask
:func:`values` when the shell asks click (``_SEAMLESS_SERVICE_PS_COMPLETE=bash_complete``).

What completion promises, because it runs on every Tab press:

* **what this machine knows, nothing more:** the registered service types (plugins included),
  the cluster names of the cluster files and of the project's inline ``clusters`` commands,
  and the projects, subprojects, stages and substages named by the project's command files
  (their ``project`` / ``subproject`` commands and ``- stage NAME:`` blocks), by this machine's
  connection files (``<launcher dir>/client``) and by the server state files of this machine
  (``<launcher dir>/server``): their ``meta``, else what their key says. No SSH, no network;
* **no side effects:** nothing is written (the parsed-YAML cache is only read:
  :func:`.diskcache.read_only`), no lock is taken, nothing goes to stderr (a broken plugin's
  warning would garble the prompt);
* **never a failure:** a source that cannot be read (a broken ``clusters.yaml``, a corrupt or
  hostile state file, a FIFO in its place) contributes nothing, and any other error completes
  nothing. The command itself reports the problem when it runs.

Values already given on the command line narrow the state-file values: after ``--cluster hpc``,
``--project <Tab>`` offers the projects of services on ``hpc`` (plus the project's own).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

#: The identity fields a state file (or the command files) can name, in the order they nest.
IDENTITY = ("service", "cluster", "project", "subproject", "stage", "substage")

#: One known service instance (or a command-file scope): identity field -> value, ``None`` =
#: not named (a wildcard when filtering: the project's files apply to every cluster).
Record = dict[str, "str | None"]


@contextmanager
def _quiet() -> Iterator[None]:
    """No output on stderr while completing (warnings of plugins, of the YAML reader)."""
    saved = sys.stderr
    sys.stderr = io.StringIO()
    try:
        yield
    finally:
        sys.stderr = saved


def values(kind: str, incomplete: str, given: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """The ``(value, help)`` pairs of completer ``kind`` that start with ``incomplete``.

    ``given`` holds the flags already on the command line (click's ``ctx.params``). Never
    raises, writes nothing; an error anywhere completes nothing."""
    from . import diskcache

    try:
        with _quiet(), diskcache.read_only():
            found = COMPLETERS[kind](_given(given))
    except Exception:  # noqa: BLE001 - completion must never print a traceback at a prompt
        return []
    seen: set[str] = set()
    out = []
    for value, help_text in found:
        if value and value not in seen and value.startswith(incomplete):
            seen.add(value)
            out.append((value, help_text))
    return out


def _given(params: Mapping[str, Any]) -> dict[str, str]:
    """The non-empty string flags already given (``--stage ''`` means "none")."""
    return {name: value for name, value in params.items() if isinstance(value, str) and value}


# -- the sources ------------------------------------------------------------------------------


def _home() -> str:
    from .config import home_directory

    return home_directory(os.environ)


def _start_directory(given: Mapping[str, str]) -> str:
    return os.path.realpath(given.get("workdir") or os.getcwd())


def _cache_mode() -> bool:
    from .config import cache_root

    return cache_root(os.environ, _home()) is not None


def _command_files(given: Mapping[str, str]) -> list[Any]:
    """The project's parsed command files, or none when one cannot be read."""
    from .config.discovery import command_files

    try:
        return command_files(_start_directory(given))
    except Exception:  # noqa: BLE001 - a broken project file: its values are not offered
        return []


def cluster_names(given: Mapping[str, str]) -> list[str]:
    """The clusters a ``--cluster`` may name: every readable cluster file's, then the
    project's inline ``clusters`` commands (SEAMLESS_CACHE set: only its synthetic cluster)."""
    from .model import CACHE_CLUSTER

    if _cache_mode():
        return [CACHE_CLUSTER]
    from .config.clusters import LOCAL_CLUSTER, cluster_file_paths
    from .config.commands import StageBlock
    from .config.yamlio import read_yaml
    from .errors import ConfigError

    names: list[str] = []
    for path in cluster_file_paths(_home()):
        try:
            document = read_yaml(path)
        except (ConfigError, OSError, ValueError, RecursionError):  # a broken file: nothing
            continue
        if isinstance(document, Mapping):
            names.extend(name for name in document if isinstance(name, str) and name != LOCAL_CLUSTER)

    def inline(entries: Iterable[Any]) -> None:
        for entry in entries:
            if isinstance(entry, StageBlock):
                inline(entry.entries)
            elif entry.name == "clusters" and isinstance(entry.value, Mapping):
                names.extend(n for n in entry.value if isinstance(n, str) and n != LOCAL_CLUSTER)

    for parsed in _command_files(given):
        inline(parsed.entries)
    return sorted(set(names))


def _file_records(given: Mapping[str, str]) -> list[Record]:
    """What the project's command files name: one record for the top level (its project and
    subproject) and one per ``- stage NAME:`` block (with what that block sets). None in
    SEAMLESS_CACHE mode: the commands do not read them then."""
    from .config.commands import StageBlock

    if _cache_mode():
        return []

    records: list[Record] = []
    top: Record = dict.fromkeys(IDENTITY)

    def walk(entries: Iterable[Any], scope: Record) -> None:
        for entry in entries:
            if isinstance(entry, StageBlock):
                block = {**scope, "stage": entry.stage}
                records.append(block)
                walk(entry.entries, block)
            elif entry.name in ("project", "subproject") and isinstance(entry.value, str):
                scope[entry.name] = entry.value

    for parsed in _command_files(given):
        walk(parsed.entries, top)
    # Blocks inherit the top level's project where they do not set their own.
    for record in records:
        for name in ("project", "subproject"):
            record[name] = record[name] or top[name]
    return [top, *records]


def _state_records(known_clusters: list[str]) -> list[Record]:
    """The identity of every connection file and local server state file."""
    from remote_http_launcher import paths, state
    from remote_http_launcher.errors import RhlError

    from .identity import identify

    records: list[Record] = []
    for directory in (paths.client_dir(), paths.server_dir()):
        try:
            keys = state.list_keys(directory)
        except OSError:
            continue
        for key in keys:
            try:
                paths.validate_key(key)
            except RhlError:  # not a key a command could name
                continue
            read = state.read_state(os.path.join(directory, key + ".json"))
            meta = read.data.get("meta") if read.data is not None else None
            found = identify({"key": key, "meta": meta}, known_clusters)
            if found is not None:
                records.append({name: getattr(found, name) or None for name in IDENTITY})
    return records


def _matches(record: Record, given: Mapping[str, str], field: str) -> bool:
    """Whether ``record`` agrees with every identity flag already given (except ``field``)."""
    from .model import CACHE_ALIAS, CACHE_PROJECT

    for name in IDENTITY:
        wanted = given.get(name)
        if name == field or wanted is None or record[name] is None:
            continue
        if name == "project" and wanted == CACHE_ALIAS:
            wanted = CACHE_PROJECT
        if record[name] != wanted:
            return False
    return True


def _identity_values(field: str) -> Callable[[Mapping[str, str]], list[tuple[str, str | None]]]:
    def complete(given: Mapping[str, str]) -> list[tuple[str, str | None]]:
        from .model import CACHE_ALIAS, CACHE_CLUSTER, CACHE_PROJECT

        if _cache_mode():  # the only cluster there is
            given = {**given, "cluster": CACHE_CLUSTER}
        records = _file_records(given) + _state_records(cluster_names(given))
        found = {value for r in records if _matches(r, given, field) and (value := r[field]) is not None}
        if field == "project":
            # A SEAMLESS_CACHE directory's services are asked for as --project SEAMLESS_CACHE.
            if CACHE_PROJECT in found or _cache_mode():
                found.discard(CACHE_PROJECT)
                found.add(CACHE_ALIAS)
        return [(value, None) for value in sorted(found)]

    return complete


def _services(given: Mapping[str, str]) -> list[tuple[str, str | None]]:
    from .plugins import service_types

    registry = service_types()
    return [(name, registry.by_name[name].summary or None) for name in registry.names()]


def _clusters(given: Mapping[str, str]) -> list[tuple[str, str | None]]:
    return [(name, None) for name in cluster_names(given)]


def _selected_cluster(given: Mapping[str, str]) -> Any:
    """The cluster ``--cluster`` (else the project's profile) selects, validated."""
    from . import config

    cluster = given.get("cluster")
    configuration = config.load(_start_directory(given), overrides=config.Overrides(cluster=cluster))
    return configuration.cluster()


def _queues(given: Mapping[str, str]) -> list[tuple[str, str | None]]:
    return [(name, None) for name in sorted(_selected_cluster(given).queues)]


def _frontends(given: Mapping[str, str]) -> list[tuple[str, str | None]]:
    return [(frontend.hostname, None) for frontend in _selected_cluster(given).frontends]


#: Completer name (a :class:`~.model.Request` field's ``complete`` metadata) -> function.
COMPLETERS: dict[str, Callable[[Mapping[str, str]], list[tuple[str, str | None]]]] = {
    "services": _services,
    "clusters": _clusters,
    "projects": _identity_values("project"),
    "subprojects": _identity_values("subproject"),
    "stages": _identity_values("stage"),
    "substages": _identity_values("substage"),
    "queues": _queues,
    "frontends": _frontends,
}
