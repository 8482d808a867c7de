"""Cluster types (``local``, ``slurm``, ``oar``): what a Dask service needs from the scheduler.

One small class per type with the same methods, so that a later change can register them
through a hook like the service types. Each knows its Dask cluster class
(``cluster_string``), how a job is pinned to a node, and how a whole node is requested for
an exclusive queue without ``cores`` (spec §3.1, §3.4, §3.5). :meth:`Scheduler.dask_parameters`
and :meth:`Scheduler.pure_dask_parameters` build the ``file_parameters`` the Dask wrapper
reads from its status file (§3.3), exactly as seamless-config 0.3.2 did, nulls dropped (so
the wrapper applies its own defaults) — with one fix: for a pure-daskserver on an exclusive
SLURM queue we pass ``exclusive: true`` and, without ``cores``, the ``--exclusive``
directive, as for the daskserver (0.3.2 passed neither, and the wrapper then failed for lack
of ``cores``; weak point 9).
"""

from __future__ import annotations

from typing import Any, ClassVar

from .errors import ConfigError
from .model import Cluster, Queue


def _without_nulls(params: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in params.items() if value is not None}


def _append_once(directives: list[Any], directive: str) -> None:
    if directive not in directives:
        directives.append(directive)


class Scheduler:
    """The behaviour of one cluster ``type``."""

    type: ClassVar[str] = ""
    #: ``module::Class`` of the Dask cluster the wrapper starts.
    cluster_string: ClassVar[str] = ""

    def pin_node(self, directives: list[Any], node: str) -> None:
        """Add the job directives that run the workers on ``node``."""
        raise ConfigError(f"node selection is not supported for cluster type '{self.type}'")

    def whole_node(self, directives: list[Any]) -> dict[str, Any]:
        """Request whole nodes for an exclusive queue without ``cores``: directives are
        appended to ``directives``, extra parameters returned."""
        return {}

    def default_cores(self, cluster: Cluster) -> Any:
        """``cores`` when the queue sets none."""
        return None

    def default_maximum_jobs(self, cluster: Cluster) -> Any:
        """pure-daskserver's ``maximum_jobs`` when the queue sets none."""
        return None

    def pure_exclusive(self, queue: Queue, directives: list[Any]) -> dict[str, Any]:
        """pure-daskserver's parameters for an exclusive queue."""
        fields = queue.fields
        if fields.get("exclusive") and fields.get("cores") is None:
            return self.whole_node(directives)
        return {}

    def _directives(self, cluster: Cluster, queue: Queue, node: str | None) -> list[Any]:
        directives = list(queue.fields.get("job_extra_directives") or [])
        if node is not None:
            try:
                self.pin_node(directives, node)
            except ConfigError as exc:
                raise ConfigError(f"cluster '{cluster.name}', node '{node}': {exc.detail}") from None
        return directives

    def _cores(self, cluster: Cluster, queue: Queue) -> Any:
        cores = queue.fields.get("cores")
        return cores if cores is not None else self.default_cores(cluster)

    def _common_tail(self, cluster: Cluster, queue: Queue) -> dict[str, Any]:
        fields = queue.fields
        return {
            "project": fields.get("project"),
            "memory_per_core_property_name": cluster.memory_per_core_property_name,
            "job_script_prologue": fields.get("job_script_prologue"),
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
        params: dict[str, Any] = {
            "walltime": fields.get("walltime"),
            "exclusive": exclusive,
            "cores": self._cores(cluster, queue),
            "job_cores": fields.get("job_cores"),
            "memory": fields.get("memory"),
            "tmpdir": fields.get("tmpdir"),
            "partition": fields.get("partition"),
        }
        directives = self._directives(cluster, queue, node)
        if exclusive:
            if fields.get("cores") is not None:
                params["job_cores"] = fields["cores"]  # one task per job, of a fixed size
            else:
                params.update(self.whole_node(directives))
        params["job_extra_directives"] = directives or None
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
        params: dict[str, Any] = {
            "walltime": fields.get("walltime"),
            "cores": self._cores(cluster, queue),
            "job_cores": fields.get("job_cores"),
            "memory": fields.get("memory"),
            "tmpdir": fields.get("tmpdir"),
            "partition": fields.get("partition"),
        }
        directives = self._directives(cluster, queue, node)
        extra = self.pure_exclusive(queue, directives)
        params["job_extra_directives"] = directives or None
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


class LocalScheduler(Scheduler):
    """A Dask ``LocalCluster`` on the frontend; the cluster's ``workers`` are its cores."""

    type = "local"
    cluster_string = "distributed::LocalCluster"

    def default_cores(self, cluster: Cluster) -> Any:
        return cluster.workers

    def default_maximum_jobs(self, cluster: Cluster) -> Any:
        return cluster.workers


class SlurmScheduler(Scheduler):
    type = "slurm"
    cluster_string = "dask_jobqueue::SLURMCluster"

    def pin_node(self, directives: list[Any], node: str) -> None:
        _append_once(directives, f"--nodelist={node}")

    def whole_node(self, directives: list[Any]) -> dict[str, Any]:
        _append_once(directives, "--exclusive")
        return {}

    def pure_exclusive(self, queue: Queue, directives: list[Any]) -> dict[str, Any]:
        if not queue.fields.get("exclusive"):
            return {}
        extra = super().pure_exclusive(queue, directives)
        return {"exclusive": True, **extra}


class OarScheduler(Scheduler):
    type = "oar"
    cluster_string = "dask_jobqueue::OARCluster"

    def pin_node(self, directives: list[Any], node: str) -> None:
        directives.extend(["-p", f"host='{node}'"])

    def whole_node(self, directives: list[Any]) -> dict[str, Any]:
        return {"resource_spec": "/nodes=1"}


SCHEDULERS: dict[str, Scheduler] = {
    scheduler.type: scheduler for scheduler in (LocalScheduler(), SlurmScheduler(), OarScheduler())
}


def scheduler_for(cluster: Cluster, service: str) -> Scheduler:
    """The scheduler of ``cluster``; a one-line error when its ``type`` is unset or unknown."""
    if cluster.type is None:
        raise ConfigError(
            f"cluster '{cluster.name}' has no 'type' (one of {', '.join(SCHEDULERS)}); "
            f"the {service} needs one",
            file=cluster.source,
        )
    found = SCHEDULERS.get(cluster.type)
    if found is None:
        raise ConfigError(
            f"cluster '{cluster.name}' has type '{cluster.type}' (expected one of {', '.join(SCHEDULERS)})",
            file=cluster.source,
        )
    return found
