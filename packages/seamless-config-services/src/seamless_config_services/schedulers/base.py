"""The :class:`Scheduler` a plugin subclasses: one cluster ``type``, start to finish.

A scheduler owns everything that depends on the batch system under a Dask service:

* its ``type`` value in the cluster file and the Dask cluster class the wrapper starts
  (``cluster_string``, spec §3.1);
* its queues: the defaults filled in for fields a queue leaves out, the fields it requires,
  and the rules between fields (:meth:`Scheduler.check_queue`, errors naming the field);
* how a queue becomes the ``file_parameters`` the Dask wrapper reads (§3.3), with exclusive
  whole-node mode (:meth:`Scheduler.whole_node`, §3.4), node selection
  (:meth:`Scheduler.pin_node`, §3.5) and the ``job_script_prologue``;
* which server-side adapter lists and cancels a service's worker jobs (``batch_system``:
  the ``rhl-jobs --system`` name; ``None`` when workers are not batch jobs).

Compared with seamless-config 0.3.2 (spec §7): the nominal defaults and requirements are
applied (weak point 8: 0.3.2 never applied them, so a queue without ``walltime`` or
``memory`` was accepted and failed later inside the wrapper), ``job_script_prologue`` is
accepted in YAML, a pure-daskserver on an exclusive queue of a batch scheduler gets
``exclusive: true`` and the whole-node request, as a daskserver does (weak point 9), and an
exclusive daskserver queue with ``cores`` no longer passes ``job_cores`` (the wrapper refused
it, so no worker ever started).
"""

from __future__ import annotations

from ..errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, ClassVar

    from ..model import Cluster, Queue


class QueueProblem(Exception):
    """A queue a scheduler cannot use: ``field`` (underscore spelling, or ``None`` for the
    queue as a whole) and what is wrong. The configuration layer turns it into a one-line
    error naming the file, the cluster, the queue and the field."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


#: The wrapper's own defaults (seamless-dask), written out so that the status file says
#: what the workers will really use. Shared by the built-in schedulers.
WRAPPER_DEFAULTS: Mapping[str, Any] = {
    "exclusive": False,
    "interactive": False,
    "tmpdir": "/tmp",
    "unknown_task_duration": "1m",
    "target_duration": "10m",
    "lifetime_stagger": "4m",
}


def _without_nulls(params: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in params.items() if value is not None}


def append_once(directives: list[Any], directive: str) -> None:
    """Add a job directive unless the queue already has it."""
    if directive not in directives:
        directives.append(directive)


class Scheduler:
    """The behaviour of one cluster ``type``; the defaults suit a batch scheduler.

    Subclass it, set the class attributes, override what differs, and register an instance
    from a ``register_schedulers(register)`` hook.
    """

    #: The cluster file's ``type`` value.
    type: ClassVar[str] = ""
    #: ``module::Class`` of the Dask cluster the wrapper starts.
    cluster_string: ClassVar[str] = ""
    #: One line for ``--help``-style listings and error messages.
    summary: ClassVar[str] = ""
    #: The ``rhl-jobs --system`` adapter that lists and cancels worker jobs (None: no jobs).
    batch_system: ClassVar[str | None] = None
    #: Filled in when a queue leaves the field out (after TEMPLATE inheritance).
    queue_defaults: ClassVar[Mapping[str, Any]] = WRAPPER_DEFAULTS
    #: Fields every queue must end up with: field -> why (the error says it).
    required_queue_fields: ClassVar[Mapping[str, str]] = {
        "walltime": "the batch jobs need a walltime",
        "memory": "the Dask workers need a memory size",
    }
    #: Cluster fields a cluster of this type with queues must set: field -> why.
    required_cluster_fields: ClassVar[Mapping[str, str]] = {}

    # ------------------------------------------------------------------ queue rules
    def complete_queue(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The queue's fields with the defaults filled in."""
        return {**{k: v for k, v in self.queue_defaults.items() if k not in fields}, **fields}

    def check_queue(self, cluster_workers: int | None, fields: Mapping[str, Any]) -> None:
        """Raise :class:`QueueProblem` for a queue this scheduler cannot run.

        ``fields`` are complete (defaults applied). The base rules: required fields, then
        exclusive mode (no ``job_cores``), then ``cores`` unless the queue is exclusive.
        """
        for field, why in self.required_queue_fields.items():
            if fields.get(field) is None:
                raise QueueProblem(field, f"required for a {self.type} queue ({why})")
        if fields.get("exclusive"):
            if "job_cores" in fields:
                raise QueueProblem(None, "'job_cores' must not be set in exclusive mode")
        elif fields.get("cores") is None:
            raise QueueProblem(None, "'cores' is required when 'exclusive' is not set")

    # ------------------------------------------------------------------ job directives
    def pin_node(self, directives: list[Any], node: str) -> dict[str, Any]:
        """Add the job directives that run the workers on ``node``; extra parameters returned."""
        raise ConfigError(f"node selection is not supported for cluster type '{self.type}'")

    def whole_node(self, directives: list[Any]) -> dict[str, Any]:
        """Request whole nodes for an exclusive queue without ``cores``: directives are
        appended to ``directives``, extra parameters returned."""
        return {}

    def prologue(self, cluster: Cluster, queue: Queue) -> list[str] | None:
        """The ``job_script_prologue``: shell lines at the top of every worker job."""
        lines = queue.fields.get("job_script_prologue")
        return list(lines) if lines else None

    def default_cores(self, cluster: Cluster) -> Any:
        """``cores`` when the queue sets none."""
        return None

    def default_maximum_jobs(self, cluster: Cluster) -> Any:
        """pure-daskserver's ``maximum_jobs`` when the queue sets none."""
        return None

    def pure_exclusive(self, queue: Queue, directives: list[Any]) -> dict[str, Any]:
        """pure-daskserver's parameters for an exclusive queue: ``exclusive`` and, without
        ``cores``, the whole-node request (weak point 9)."""
        fields = queue.fields
        if not fields.get("exclusive"):
            return {}
        extra: dict[str, Any] = {"exclusive": True}
        if fields.get("cores") is None:
            extra.update(self.whole_node(directives))
        return extra

    # ------------------------------------------------------------------ file_parameters
    def _directives(
        self, cluster: Cluster, queue: Queue, node: str | None
    ) -> tuple[list[Any], dict[str, Any]]:
        directives = list(queue.fields.get("job_extra_directives") or [])
        extra: dict[str, Any] = {}
        if node is not None:
            try:
                extra = self.pin_node(directives, node) or {}
            except ConfigError as exc:
                raise ConfigError(f"cluster '{cluster.name}', node '{node}': {exc.detail}") from None
        return directives, extra

    def _cores(self, cluster: Cluster, queue: Queue) -> Any:
        cores = queue.fields.get("cores")
        return cores if cores is not None else self.default_cores(cluster)

    def _resources(self, cluster: Cluster, queue: Queue, **extra: Any) -> dict[str, Any]:
        """What each job asks for (``extra`` placed after ``walltime``, in 0.3.2's order)."""
        fields = queue.fields
        return {
            "walltime": fields.get("walltime"),
            **extra,
            "cores": self._cores(cluster, queue),
            "job_cores": fields.get("job_cores"),
            "memory": fields.get("memory"),
            "tmpdir": fields.get("tmpdir"),
            "partition": fields.get("partition"),
        }

    def _common_tail(self, cluster: Cluster, queue: Queue) -> dict[str, Any]:
        return {
            "project": queue.fields.get("project"),
            "memory_per_core_property_name": cluster.memory_per_core_property_name,
            "job_script_prologue": self.prologue(cluster, queue),
        }

    def _durations(self, queue: Queue) -> dict[str, Any]:
        fields = queue.fields
        return {
            "unknown-task-duration": fields.get("unknown_task_duration"),
            "target-duration": fields.get("target_duration"),
            "lifetime-stagger": fields.get("lifetime_stagger"),
            "lifetime": fields.get("lifetime"),
            "dask-resources": fields.get("dask_resources"),
            "interactive": fields.get("interactive"),
        }

    def dask_parameters(
        self, cluster: Cluster, queue: Queue, *, node: str | None, record: bool
    ) -> dict[str, Any]:
        """``file_parameters`` of a daskserver (Seamless tasks on Dask workers)."""
        fields = queue.fields
        exclusive = fields.get("exclusive")
        params = self._resources(cluster, queue, exclusive=exclusive)
        directives, node_extra = self._directives(cluster, queue, node)
        if exclusive and fields.get("cores") is None:
            params.update(self.whole_node(directives))
        # Exclusive with ``cores``: one task per job of that size. 0.3.2 also passed
        # ``job_cores := cores``, which the seamless-dask wrapper refuses in exclusive mode
        # (it derives job_cores from cores itself): not passed.
        params["job_extra_directives"] = directives or None
        params.update(node_extra)
        params.update(self._common_tail(cluster, queue))
        params["worker_threads"] = fields.get("worker_threads")
        params["processes"] = fields.get("processes")
        params.update(self._durations(queue))
        params["maximum_jobs"] = fields.get("maximum_jobs")
        params["extra_dask_config"] = fields.get("extra_dask_config")
        params["record"] = record
        return _without_nulls(params)

    def pure_dask_parameters(self, cluster: Cluster, queue: Queue, *, node: str | None) -> dict[str, Any]:
        """``file_parameters`` of a pure-daskserver (plain Dask, no Seamless tasks)."""
        fields = queue.fields
        params = self._resources(cluster, queue)
        directives, node_extra = self._directives(cluster, queue, node)
        extra = self.pure_exclusive(queue, directives)
        params["job_extra_directives"] = directives or None
        params.update(node_extra)
        params.update(extra)
        params.update(self._common_tail(cluster, queue))
        worker_threads = fields.get("worker_threads")
        params["worker_threads"] = 2 if worker_threads is None else worker_threads
        params["processes"] = fields.get("processes")
        params.update(self._durations(queue))
        maximum_jobs = fields.get("maximum_jobs")
        params["maximum_jobs"] = self.default_maximum_jobs(cluster) if maximum_jobs is None else maximum_jobs
        params["pure_dask"] = True
        params["extra_dask_config"] = fields.get("extra_dask_config")
        return _without_nulls(params)
