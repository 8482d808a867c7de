"""What a service type is: the contract every built-in and third-party type implements.

A service type turns "this service, for this cluster/project/stage" into everything the
commands need: the key that names its state files, its workdir, the launcher config
(command, handshake, extra fields, ``meta``), its client-side log path, how its persistent
data is walked, and how to recognise its keys in state files that carry no ``meta``.
Types are registered through the ``register_service_types(register)`` hook
(:mod:`seamless_config_services.hookspecs`); the five built-ins are ordinary plugins.
"""

from __future__ import annotations

from ..model import Cluster, Configuration, Frontend, Queue, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Mapping
    from typing import Any


@record(frozen=True)
class ServiceContext:
    """Everything a service type may read to configure one instance.

    ``section`` is the frontend section of the type (``frontend.sections[type.section]``),
    ``queue`` the queue in use for types that need one (``None`` otherwise), ``local`` is
    true when the cluster is the ``local_cluster`` (the service runs here, without SSH)."""

    configuration: Configuration
    cluster: Cluster
    frontend: Frontend
    section: Mapping[str, Any]
    project: str | None
    subproject: str | None
    stage: str | None
    substage: str | None
    mode: str
    queue: Queue | None
    record: bool
    node: str | None
    local: bool


@record(frozen=True)
class PersistentWalk:
    """How ``ps --persistent`` looks for this type's data under one root directory: the
    arguments of ``rhl-ps-persistent --json --level LEVEL [--file FILE] [--marker MARKER] ROOT``."""

    root: str
    level: int = 2
    file: str | None = None
    marker: str | None = None


@record(frozen=True)
class KeyIdentity:
    """What a key alone tells about a service (for state files without ``meta``)."""

    service: str
    cluster: str
    mode: str | None = None
    project: str | None = None
    subproject: str | None = None
    stage: str | None = None
    substage: str | None = None
    queue: str | None = None


class ServiceType:
    """Base class of service types. Subclasses set the class attributes and implement the
    methods that raise :class:`NotImplementedError`."""

    #: The name users type (``--service NAME``) and that ``meta.service`` carries.
    name: str = ""
    #: The frontend section that holds this type's settings (pure-daskserver uses ``daskserver``).
    section: str = ""
    #: Fields the section must have / may have (anything else is rejected, naming the field).
    section_required: tuple[str, ...] = ()
    section_optional: tuple[str, ...] = ()
    #: Whether the service keeps durable data in its workdir (hashserver, database).
    persistent: bool = False
    #: Whether the key needs a project (pure-daskserver's does not).
    needs_project: bool = True
    #: Whether this type runs a queue of the cluster (dask services).
    needs_queue: bool = False
    #: One-line description for listings and docs.
    summary: str = ""

    @property
    def clearable(self) -> bool:
        """``seamless-service-clear`` is allowed only for persistent types."""
        return self.persistent

    def key(self, ctx: ServiceContext) -> str:
        raise NotImplementedError

    def workdir(self, ctx: ServiceContext) -> str:
        raise NotImplementedError

    def launcher_config(self, ctx: ServiceContext) -> dict[str, Any]:
        """The mapping handed to the launcher, with the key evaluated, the command rendered
        (only ``{status_file}`` left for the launcher), and ``meta`` always present."""
        raise NotImplementedError

    def meta(self, ctx: ServiceContext) -> dict[str, Any]:
        """``{service, cluster, mode, project, subproject, stage, substage, queue}``, truthful:
        only what the key really depends on is set, the rest is ``None``."""
        raise NotImplementedError

    def check_section(self, section: Mapping[str, Any]) -> None:
        """Rules on the section beyond required/optional fields (e.g. hashserver's "both ports
        or neither"); raise :class:`~seamless_config_services.errors.ConfigError`. The config
        loader calls it for every frontend section of this type."""

    def persistent_walks(self, frontend: Frontend) -> list[PersistentWalk]:
        """The walks ``ps --persistent`` runs on this frontend (none for non-persistent types)."""
        return []

    def parse_key(self, key: str, known_clusters: Collection[str] = ()) -> KeyIdentity | None:
        """Identity from a key written without ``meta`` (runtime launches of seamless-config
        0.3.2), or ``None`` when the key is not of this type. ``known_clusters`` (the
        configured cluster names, when the caller has them) settles where a cluster name
        containing ``-`` ends."""
        return None
