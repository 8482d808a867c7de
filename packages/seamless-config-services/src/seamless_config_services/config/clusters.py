"""Cluster files: where they are, how they merge, and validation on first use.

Files: ``$HOME/.seamless/clusters.yaml``, then every ``$HOME/.seamless/clusters/*.yaml``, then
the inline ``clusters`` commands of the command files. Each maps cluster names to definitions
(plus an optional ``local_cluster: <name>``); a later source replaces an earlier definition of
the same name entirely.

Differences from seamless-config 0.3.2 (spec §7 items 18, 19, 24):

* ``clusters/*.yaml`` are read in sorted order, so the winner of a name clash does not depend
  on the file system;
* an empty file is an empty mapping; a file that is not a mapping is an error naming *that*
  file;
* a cluster is validated when it is first used (:class:`LazyClusters`), not at every load:
  one broken definition does not break the projects that use another cluster. Every error
  names the file, the cluster and the field, e.g.
  ``~/.seamless/clusters.yaml: cluster 'hpc': frontends[0].hashserver.port_start: expected an
  integer, got 'abc'``;
* field types are checked, unknown fields are named, ``default_queue`` must name a queue, a
  jobserver section needs ``workers``, and a dangling ``local_cluster`` is a clear error
  (raised when a cluster is used) instead of an ``AssertionError``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..errors import ConfigError
from ..model import Cluster, ClusterSet, Frontend, record
from .checks import (
    Where,
    check_keys,
    describe,
    expect_bool,
    expect_choice,
    expect_int,
    expect_mapping,
    expect_str,
)
from .frontends import build_frontend
from .queues import build_queues
from .sections import SectionRule, registered_sections
from .yamlio import read_yaml

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any


def cluster_types() -> list[str]:
    """The ``type`` values a cluster may have: one per registered scheduler."""
    from ..plugins import schedulers

    return schedulers().names()


#: The top-level key that is not a cluster.
LOCAL_CLUSTER = "local_cluster"
CLUSTER_FIELDS = (
    "frontends",
    "type",
    "tunnel",
    "workers",
    "memory_per_core_property_name",
    "default_queue",
    "queues",
)
#: Sections whose service runs workers of the cluster itself, so ``workers`` is required.
SECTIONS_NEEDING_WORKERS = ("jobserver",)


def cluster_file_paths(home: str) -> list[str]:
    """The cluster files that exist, in the order they are merged."""
    base = os.path.join(home, ".seamless")
    found = []
    main = os.path.join(base, "clusters.yaml")
    if os.path.exists(main):
        found.append(main)
    directory = os.path.join(base, "clusters")
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        names = []
    found.extend(os.path.join(directory, n) for n in names if n.endswith(".yaml"))
    return found


@record(frozen=True)
class RawCluster:
    """A definition as written, and where: the file and a label (``cluster 'hpc'``, preceded
    by ``clusters`` for an inline command)."""

    definition: Any
    where: Where
    #: False when the key was not a string (YAML ``1:`` or ``true:``); the label quotes it.
    name_is_string: bool = True


@record(frozen=True)
class RawLocal:
    value: Any
    where: Where


class Sources:
    """The merged top level of all cluster sources, in merge order."""

    def __init__(self) -> None:
        self.clusters: dict[str, RawCluster] = {}
        self.local: RawLocal | None = None
        self.files: list[str] = []

    def add(self, document: Any, where: Where) -> None:
        """Merge one document (a whole file, or an inline ``clusters`` argument)."""
        if document is None:
            return
        mapping = expect_mapping(
            document, where, expected="a mapping of cluster names to cluster definitions"
        )
        for name, definition in mapping.items():
            if name == LOCAL_CLUSTER:
                self.local = RawLocal(definition, where.sub(LOCAL_CLUSTER))
                continue
            if isinstance(name, str):
                self.clusters[name] = RawCluster(definition, where.labelled(f"cluster {name!r}"))
            else:
                key = describe(name)
                self.clusters[key] = RawCluster(definition, where.labelled(f"cluster {key}"), False)

    def read_files(self, home: str) -> None:
        for path in cluster_file_paths(home):
            self.add(read_yaml(path), Where(path))
            self.files.append(path)


def build_cluster(name: str, raw: RawCluster, rules: Mapping[str, SectionRule]) -> Cluster:
    """Validate one definition and fill in the defaults."""
    where = raw.where
    if not raw.name_is_string:
        raise where.error("cluster names must be strings")
    definition = expect_mapping(raw.definition, where, expected="a mapping (the cluster definition)")
    check_keys(definition, where, CLUSTER_FIELDS)
    cluster_type = definition.get("type")
    scheduler = None
    if cluster_type is not None:
        from ..plugins import schedulers

        cluster_type = expect_choice(cluster_type, where.sub("type"), cluster_types())
        scheduler = schedulers().get(cluster_type)
    frontends = _frontends(definition.get("frontends"), where.sub("frontends"), cluster_type, rules)
    tunnel = definition.get("tunnel")
    workers = definition.get("workers")
    if workers is not None:
        workers = expect_int(workers, where.sub("workers"), minimum=1)
    else:
        _require_workers(frontends, where.sub("workers"))
    memory_name = definition.get("memory_per_core_property_name")
    queues = {}
    if definition.get("queues") is not None:
        queues = build_queues(definition["queues"], where.sub("queues"), scheduler, workers)
        if scheduler is not None:
            for field, why in scheduler.required_cluster_fields.items():
                if definition.get(field) is None:
                    raise where.sub(field).error(f"required for a {cluster_type} cluster with queues ({why})")
    default_queue = definition.get("default_queue")
    if default_queue is not None:
        default_queue = expect_str(default_queue, where.sub("default_queue"))
        if default_queue not in queues:
            listed = ", ".join(queues) if queues else "the cluster has no queues"
            raise where.sub("default_queue").error(
                f"{default_queue!r} is not a queue of this cluster ({listed})"
            )
    return Cluster(
        name=name,
        frontends=frontends,
        type=cluster_type,
        tunnel=False if tunnel is None else expect_bool(tunnel, where.sub("tunnel")),
        workers=workers,
        memory_per_core_property_name=(
            None
            if memory_name is None
            else expect_str(memory_name, where.sub("memory_per_core_property_name"))
        ),
        default_queue=default_queue,
        queues=queues,
        source=where.file,
    )


def _frontends(
    raw: Any, where: Where, cluster_type: str | None, rules: Mapping[str, SectionRule]
) -> tuple[Frontend, ...]:
    if raw is None:
        raise where.error("required: a list of frontends (at least one)")
    if not isinstance(raw, list) or not raw:
        raise where.error(
            f"expected a non-empty list of frontends, got {describe(raw) if raw else 'an empty list'}"
        )
    return tuple(build_frontend(item, where.index(i), cluster_type, rules) for i, item in enumerate(raw))


def _require_workers(frontends: tuple[Frontend, ...], where: Where) -> None:
    for position, frontend in enumerate(frontends):
        for section in SECTIONS_NEEDING_WORKERS:
            if section in frontend.sections:
                raise where.error(
                    f"required (a positive integer) because frontends[{position}] has a {section} section"
                )


class LazyClusters(Mapping[str, Cluster]):
    """Cluster name -> :class:`Cluster`, validated on first access and cached.

    Iterating, ``len`` and ``in`` only look at names. ``clusters[name]`` (and ``.get``)
    validates that one definition, and raises its :class:`ConfigError` every time it is asked
    again; it also raises the ``local_cluster`` error, if any, since no cluster can be used
    without knowing which one is this machine. :meth:`outcome` gives a definition's result
    without raising (for ``ps --all-clusters``)."""

    def __init__(
        self,
        sources: Sources,
        local_error: ConfigError | None,
        rules: Callable[[], Mapping[str, SectionRule]] = registered_sections,
    ) -> None:
        self._raw = dict(sources.clusters)
        self.local_error = local_error
        self._rules_factory = rules
        self._rules: Mapping[str, SectionRule] | None = None
        self._done: dict[str, Cluster | ConfigError] = {}

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def __getitem__(self, name: str) -> Cluster:
        if name not in self._raw:
            raise KeyError(name)
        if self.local_error is not None:
            raise self.local_error
        result = self.outcome(name)
        if isinstance(result, ConfigError):
            raise result
        return result

    def source(self, name: str) -> str | None:
        """The file the definition of ``name`` came from."""
        return self._raw[name].where.file

    def outcome(self, name: str) -> Cluster | ConfigError:
        """The validated cluster, or the error of its definition (never raised)."""
        if name not in self._done:
            if self._rules is None:
                self._rules = self._rules_factory()
            try:
                self._done[name] = build_cluster(name, self._raw[name], self._rules)
            except ConfigError as exc:
                self._done[name] = exc
        return self._done[name]


def local_cluster_of(sources: Sources) -> tuple[str | None, ConfigError | None]:
    """The ``local_cluster`` name, and the error to raise when a cluster is used if it is
    not a string naming a defined cluster."""
    local = sources.local
    if local is None or local.value is None:
        return None, None
    if not isinstance(local.value, str) or not local.value:
        return None, local.where.error(f"expected a cluster name, got {describe(local.value)}")
    if local.value not in sources.clusters:
        known = ", ".join(sources.clusters) or "none"
        return local.value, local.where.error(f"{local.value!r} is not a defined cluster (clusters: {known})")
    return local.value, None


def cluster_set(sources: Sources, rules: Callable[[], Mapping[str, SectionRule]] | None = None) -> ClusterSet:
    local, error = local_cluster_of(sources)
    lazy = LazyClusters(sources, error) if rules is None else LazyClusters(sources, error, rules)
    return ClusterSet(clusters=lazy, local_cluster=local)


def iter_clusters(clusters: ClusterSet) -> Iterator[tuple[str, Cluster | ConfigError]]:
    """Every cluster with its validated definition or its error, without raising: what
    ``ps --all-clusters`` walks. The ``local_cluster`` error is not repeated per cluster; see
    :func:`validate_all`."""
    mapping = clusters.clusters
    for name in mapping:
        if isinstance(mapping, LazyClusters):
            yield name, mapping.outcome(name)
        else:
            yield name, mapping[name]


def validate_all(clusters: ClusterSet) -> list[ConfigError]:
    """Every problem of the cluster configuration: the ``local_cluster`` one first, then one
    per broken cluster definition, in merge order."""
    problems: list[ConfigError] = []
    if isinstance(clusters.clusters, LazyClusters) and clusters.clusters.local_error is not None:
        problems.append(clusters.clusters.local_error)
    problems.extend(result for _name, result in iter_clusters(clusters) if isinstance(result, ConfigError))
    return problems
