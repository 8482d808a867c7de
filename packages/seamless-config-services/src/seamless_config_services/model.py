"""Plain data for the configuration: clusters, frontends, queues and the selection.

The config layer (:mod:`seamless_config_services.config`) builds these from the YAML files;
service types (:mod:`seamless_config_services.services`) read them. They hold validated,
defaulted values only, so nothing downstream re-checks types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
