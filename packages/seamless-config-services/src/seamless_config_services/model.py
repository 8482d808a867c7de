"""Plain data for the configuration: clusters, frontends, queues and the selection.

The config layer (:mod:`seamless_config_services.config`) builds these from the YAML files;
service types (:mod:`seamless_config_services.services`) read them. They hold validated,
defaulted values only, so nothing downstream re-checks types.

:class:`Request` is what a command asks for: its selection flags. Each flag is declared once,
as a field of :class:`Request` whose metadata (:func:`flag`) carries its help text, value
kind and shell completion (:mod:`seamless_config_services.completion`); the click options of
every ``seamless-service-*`` command are derived from these fields
(:func:`seamless_config_services.cli._common.selection_options`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .rows import Filters

#: The synthetic cluster and project of SEAMLESS_CACHE mode (same names as seamless-config).
CACHE_CLUSTER = "__SEAMLESS_CACHE__"
CACHE_PROJECT = "__TOPLEVEL__"
#: The ``--project`` alias for :data:`CACHE_PROJECT`.
CACHE_ALIAS = "SEAMLESS_CACHE"


@dataclass(frozen=True)
class Queue:
    """One scheduler queue of a cluster, after TEMPLATE inheritance. ``fields`` uses
    underscore names (``job_extra_directives``) and holds only fields that have a value."""

    name: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Frontend:
    """A host of a cluster. ``sections`` maps a frontend section name (``hashserver``,
    ``database``, ``jobserver``, ``daskserver``, or a third-party service type's section)
    to its fields, exactly as validated."""

    hostname: str
    ssh_hostname: str | None = None
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def ssh_target(self) -> str:
        """Where SSH goes: ``ssh_hostname`` when set, else ``hostname``."""
        return self.ssh_hostname or self.hostname


@dataclass(frozen=True)
class Cluster:
    """A cluster definition from the cluster files (or an inline ``clusters`` command).
    ``source`` is the file it came from, for error messages."""

    name: str
    frontends: tuple[Frontend, ...]
    type: str | None = None
    tunnel: bool = False
    workers: int | None = None
    memory_per_core_property_name: str | None = None
    default_queue: str | None = None
    queues: Mapping[str, Queue] = field(default_factory=dict)
    source: str | None = None


@dataclass(frozen=True)
class ClusterSet:
    """All known clusters and the name of the one that is this machine."""

    clusters: Mapping[str, Cluster]
    local_cluster: str | None = None


@dataclass
class Selection:
    """What the command files and the command-line flags selected. ``None`` = not selected.

    ``execution`` / ``persistent`` hold the explicit value or ``None``; the derived defaults
    are :meth:`effective_execution` / :meth:`effective_persistent`."""

    cluster: str | None = None
    project: str | None = None
    subproject: str | None = None
    stage: str | None = None
    substage: str | None = None
    queue: str | None = None
    execution: str | None = None
    persistent: bool | None = None
    record: bool = False
    node: str | None = None
    nparallel: int | None = None
    remote: str | None = None
    mode: str = "rw"
    frontend_name: str | None = None

    def effective_execution(self) -> str:
        if self.execution is not None:
            return self.execution
        return "remote" if self.cluster else "process"

    def effective_persistent(self) -> bool:
        if self.persistent is not None:
            return self.persistent
        return self.cluster is not None


@dataclass(frozen=True)
class Configuration:
    """The result of loading: the clusters, the selection, and where they came from.

    ``cache_root`` is set in SEAMLESS_CACHE mode (the expanded absolute path); then
    ``clusters`` holds only the synthetic cluster and no file was read."""

    clusters: ClusterSet
    selection: Selection
    command_files: tuple[str, ...] = ()
    cluster_files: tuple[str, ...] = ()
    cache_root: str | None = None

    def cluster(self, name: str | None = None) -> Cluster:
        """The named (or selected) cluster; a one-line error when there is none."""
        from .errors import ConfigError

        wanted = name or self.selection.cluster
        if not wanted:
            raise ConfigError(
                "no cluster selected (use --cluster, or a 'cluster' command in seamless.profile.yaml)"
            )
        found = self.clusters.clusters.get(wanted)
        if found is None:
            known = ", ".join(sorted(self.clusters.clusters)) or "none"
            raise ConfigError(f"unknown cluster {wanted!r} (known: {known})")
        return found

    def is_local(self, cluster: str) -> bool:
        """Only the ``local_cluster`` runs without SSH."""
        return cluster == self.clusters.local_cluster


# -- what a command asks for -------------------------------------------------------------------

#: How a selection flag's value is checked on the command line: ``service`` (a registered
#: service type), ``name`` (any text, ``metavar``), ``choice`` (one of ``choices``),
#: ``directory`` (a path that is not a file).
FLAG_KINDS = ("service", "name", "choice", "directory")


#: What a flag's value completes to in the shell (``complete``): a completer of
#: :mod:`seamless_config_services.completion` (``None``: only what its ``kind`` gives, e.g. the
#: ``choices``, or directories for ``directory``).
COMPLETERS = ("services", "clusters", "projects", "subprojects", "stages", "substages", "queues", "frontends")


def flag(
    help: str,
    *,
    metavar: str | None = None,
    kind: str = "name",
    choices: tuple[str, ...] = (),
    complete: str | None = None,
) -> Any:
    """A :class:`Request` field declaring one selection flag (default ``None``: not given)."""
    assert kind in FLAG_KINDS, kind
    assert complete is None or complete in COMPLETERS, complete
    metadata = {"help": help, "metavar": metavar, "kind": kind, "choices": choices, "complete": complete}
    return field(default=None, metadata=metadata)


@dataclass
class Request:
    """The selection flags of a command; ``None`` = not given (the files decide).

    The fields, in this order, are the flags ``--service``, ``--cluster``, ... of every
    ``seamless-service-*`` command (seamless-config 0.3.2's flags, same meaning); their
    metadata is the one declaration the command line is built from."""

    service: str | None = flag(
        "hashserver, database, jobserver, daskserver, pure-daskserver, or a plugin's type.",
        kind="service",
        complete="services",
    )
    cluster: str | None = flag(
        "Cluster (default: from seamless.profile.yaml).", metavar="NAME", complete="clusters"
    )
    project: str | None = flag(
        "Project (default: from seamless.yaml); SEAMLESS_CACHE: the SEAMLESS_CACHE directory.",
        metavar="NAME",
        complete="projects",
    )
    subproject: str | None = flag("Subproject (may contain '/').", metavar="NAME", complete="subprojects")
    stage: str | None = flag(
        "Stage; its 'stage NAME' blocks in the command files apply.", metavar="NAME", complete="stages"
    )
    substage: str | None = flag("Substage (jobserver, daskserver).", metavar="NAME", complete="substages")
    mode: str | None = flag(
        "Hashserver/database instance mode.  [default: rw]", kind="choice", choices=("ro", "rw")
    )
    queue: str | None = flag("Queue of the cluster (dask services).", metavar="NAME", complete="queues")
    frontend_name: str | None = flag(
        "Use the frontend with this hostname.", metavar="HOSTNAME", complete="frontends"
    )
    workdir: str | None = flag(
        "Read seamless.yaml / seamless.profile.yaml from DIR instead of the current directory.",
        metavar="DIR",
        kind="directory",
    )

    def filters(self, status: str | None = None) -> Filters:
        """The rows this selection keeps (only explicit flags filter)."""
        from .rows import Filters

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
