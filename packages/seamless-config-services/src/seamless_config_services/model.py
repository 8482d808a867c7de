"""Plain data for the configuration: clusters, frontends, queues and the selection.

The config layer (:mod:`seamless_config_services.config`) builds these from the YAML files;
service types (:mod:`seamless_config_services.services`) read them. They hold validated,
defaulted values only, so nothing downstream re-checks types.

:class:`Request` is what a command asks for: its selection flags. Each flag is declared once,
as a field of :class:`Request` whose metadata (:func:`flag`) carries its help text, value
kind and shell completion (:mod:`seamless_config_services.completion`); the options of
every ``seamless-service-*`` command are derived from these fields
(:func:`seamless_config_services.cli._table.selection_options`).
"""

from __future__ import annotations

TYPE_CHECKING = False  # every command imports this module: no typing at run time
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform

    from .rows import Filters

    _T = TypeVar("_T")
else:

    def dataclass_transform(**_options: object) -> Callable[[_T], _T]:
        return lambda decorated: decorated


# -- plain records ------------------------------------------------------------------------------
#
# The classes below used to be dataclasses. Importing :mod:`dataclasses` (it imports inspect,
# re, enum, ast, tokenize) and generating each class's methods took a third of a command's
# start-up, so they are plain ``__slots__`` classes made by :func:`record` from the same
# annotated declaration. ``dataclasses.fields`` / ``replace`` / ``astuple`` still work on them
# (``__dataclass_fields__`` is built on first use, importing dataclasses only then).

_MISSING: Any = object()


class Attribute:
    """One declared attribute of a :func:`record`: its name, default (or ``factory``) and
    metadata, in declaration order (what :func:`fields` returns)."""

    __slots__ = ("default", "factory", "metadata", "name")

    def __init__(self, default: Any = _MISSING, factory: Any = None, metadata: Any = None) -> None:
        self.name = ""
        self.default = default
        self.factory = factory
        self.metadata = dict(metadata or {})

    def __repr__(self) -> str:
        return f"Attribute({self.name!r})"


def field(*, default: Any = _MISSING, default_factory: Any = None, metadata: Any = None) -> Any:
    """An attribute with a default value or a factory of one (as ``dataclasses.field``)."""
    return Attribute(default, default_factory, metadata)


def fields(cls_or_instance: Any) -> tuple[Attribute, ...]:
    """The declared attributes of a :func:`record` class (or instance), in order."""
    declared: tuple[Attribute, ...] = cls_or_instance.__record__
    return declared


def astuple(instance: Any) -> tuple[Any, ...]:
    """The attribute values, in declaration order (shallow, unlike ``dataclasses.astuple``)."""
    return tuple(getattr(instance, name) for name in instance.__slots__)


def replace(instance: _T, **changes: Any) -> _T:
    """A copy of a record with some attributes changed (as ``dataclasses.replace``)."""
    values: dict[str, Any] = dict(zip(instance.__slots__, astuple(instance)))  # type: ignore[attr-defined]
    values.update(changes)
    return type(instance)(**values)


class _DataclassFields:
    """``__dataclass_fields__`` on first access, so the :mod:`dataclasses` functions accept a
    record: the fields of a dataclass twin declared with the same names, defaults and metadata."""

    def __get__(self, instance: object, owner: Any) -> dict[str, Any]:
        import dataclasses

        namespace: dict[str, Any] = {"__annotations__": dict.fromkeys(owner.__slots__, "Any")}
        for spec in fields(owner):
            if spec.factory is not None:
                namespace[spec.name] = dataclasses.field(default_factory=spec.factory, metadata=spec.metadata)
            elif spec.default is _MISSING:
                namespace[spec.name] = dataclasses.field(metadata=spec.metadata)
            else:
                namespace[spec.name] = dataclasses.field(default=spec.default, metadata=spec.metadata)
        twin: Any = dataclasses.dataclass(type(owner.__name__, (), namespace))
        found: dict[str, Any] = twin.__dataclass_fields__
        type.__setattr__(owner, "__dataclass_fields__", found)
        return found


def _record_methods(names: tuple[str, ...], declared: tuple[Attribute, ...], frozen: bool) -> dict[str, Any]:
    required = {spec.name for spec in declared if spec.default is _MISSING and spec.factory is None}
    assign = object.__setattr__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__}() takes {len(names)} positional arguments")
        for name, value in zip(names, args):
            if name in kwargs:
                raise TypeError(f"{type(self).__name__}() got multiple values for argument {name!r}")
            kwargs[name] = value
        for spec in declared:
            if spec.name in kwargs:
                assign(self, spec.name, kwargs.pop(spec.name))
            elif spec.factory is not None:
                assign(self, spec.name, spec.factory())
            elif spec.name in required:
                raise TypeError(f"{type(self).__name__}() missing required argument: {spec.name!r}")
            else:
                assign(self, spec.name, spec.default)
        if kwargs:
            unexpected = next(iter(kwargs))
            raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {unexpected!r}")

    def values(self: Any) -> Iterator[Any]:
        return (getattr(self, name) for name in names)

    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in zip(names, values(self)))
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return tuple(values(self)) == tuple(values(other))

    def __reduce__(self: Any) -> tuple[Any, ...]:
        return (type(self), tuple(values(self)))

    methods: dict[str, Any] = {
        "__init__": __init__,
        "__repr__": __repr__,
        "__eq__": __eq__,
        "__reduce__": __reduce__,
        "__hash__": None,
    }
    if frozen:

        def __setattr__(self: Any, name: str, _value: Any) -> None:
            raise AttributeError(f"cannot assign to field {name!r}")

        def __delattr__(self: Any, name: str) -> None:
            raise AttributeError(f"cannot delete field {name!r}")

        def __hash__(self: Any) -> int:
            return hash(tuple(values(self)))

        methods.update(__setattr__=__setattr__, __delattr__=__delattr__, __hash__=__hash__)
    return methods


@dataclass_transform(field_specifiers=(field,))
def record(cls: Any = None, *, frozen: bool = False) -> Any:
    """A plain ``__slots__`` class from an annotated declaration, as ``@dataclass`` (or
    ``@record(frozen=True)``) made: keyword or positional ``__init__`` with the defaults
    (``field(default_factory=...)`` for mutable ones), ``__repr__``, ``__eq__``, and for a
    frozen record ``__hash__`` and no assignment."""

    def make(declared_cls: Any) -> Any:
        namespace = dict(declared_cls.__dict__)
        names = tuple(namespace.get("__annotations__", {}))
        declared = []
        for name in names:
            value = namespace.pop(name, _MISSING)
            spec = value if isinstance(value, Attribute) else Attribute(value)
            spec.name = name
            declared.append(spec)
        namespace.pop("__dict__", None)
        namespace.pop("__weakref__", None)
        namespace.update(_record_methods(names, tuple(declared), frozen))
        namespace["__slots__"] = names
        namespace["__record__"] = tuple(declared)
        namespace["__dataclass_fields__"] = _DataclassFields()
        return type(declared_cls)(declared_cls.__name__, declared_cls.__bases__, namespace)

    return make if cls is None else make(cls)


#: The synthetic cluster and project of SEAMLESS_CACHE mode (same names as seamless-config).
CACHE_CLUSTER = "__SEAMLESS_CACHE__"
CACHE_PROJECT = "__TOPLEVEL__"
#: The ``--project`` alias for :data:`CACHE_PROJECT`.
CACHE_ALIAS = "SEAMLESS_CACHE"


@record(frozen=True)
class Queue:
    """One scheduler queue of a cluster, after TEMPLATE inheritance. ``fields`` uses
    underscore names (``job_extra_directives``) and holds only fields that have a value."""

    name: str
    fields: Mapping[str, Any]


@record(frozen=True)
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


@record(frozen=True)
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


@record(frozen=True)
class ClusterSet:
    """All known clusters and the name of the one that is this machine."""

    clusters: Mapping[str, Cluster]
    local_cluster: str | None = None


@record
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


@record(frozen=True)
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
    default: None = None,
) -> Any:
    """A :class:`Request` field declaring one selection flag (default ``None``: not given)."""
    assert kind in FLAG_KINDS, kind
    assert complete is None or complete in COMPLETERS, complete
    metadata = {"help": help, "metavar": metavar, "kind": kind, "choices": choices, "complete": complete}
    return field(default=default, metadata=metadata)


@record
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
