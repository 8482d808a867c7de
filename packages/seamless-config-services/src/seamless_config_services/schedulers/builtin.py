"""The built-in schedulers (``local``, ``slurm``, ``oar``), registered like any plugin's."""

from __future__ import annotations

from ..hookspecs import RegisterScheduler, hookimpl
from .base import QueueProblem, Scheduler, append_once

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, ClassVar

    from ..model import Cluster, Queue


class LocalScheduler(Scheduler):
    """A Dask ``LocalCluster`` on the frontend; the cluster's ``workers`` are its cores.

    No batch jobs, so no walltime is needed, but the wrapper computes the workers' lifetime
    from ``walltime`` unless ``lifetime`` is given: one of the two is required.
    """

    type = "local"
    cluster_string = "distributed::LocalCluster"
    summary = "a Dask LocalCluster on the frontend itself"
    required_queue_fields: ClassVar[Mapping[str, str]] = {"memory": "the Dask workers need a memory size"}

    def check_queue(self, cluster_workers: int | None, fields: Mapping[str, Any]) -> None:
        for field, why in self.required_queue_fields.items():
            if fields.get(field) is None:
                raise QueueProblem(field, f"required for a local queue ({why})")
        if fields.get("walltime") is None and fields.get("lifetime") is None:
            raise QueueProblem(
                "walltime",
                "required for a local queue unless 'lifetime' is set (the workers' lifetime comes from it)",
            )
        if fields.get("exclusive"):
            if "job_cores" in fields:
                raise QueueProblem(None, "'job_cores' must not be set in exclusive mode")
            if fields.get("cores") is None:
                raise QueueProblem(None, "'cores' is required for local cluster exclusive mode")

    def default_cores(self, cluster: Cluster) -> Any:
        return cluster.workers

    def default_maximum_jobs(self, cluster: Cluster) -> Any:
        return cluster.workers

    def pure_exclusive(self, queue: Queue, directives: list[Any]) -> dict[str, Any]:
        return {}  # a LocalCluster has no whole nodes to ask for; exclusive needs cores here


class SlurmScheduler(Scheduler):
    """SLURM through dask-jobqueue's ``SLURMCluster``."""

    type = "slurm"
    cluster_string = "dask_jobqueue::SLURMCluster"
    summary = "SLURM batch jobs (dask-jobqueue SLURMCluster)"
    batch_system = "slurm"

    def pin_node(self, directives: list[Any], node: str) -> dict[str, Any]:
        append_once(directives, f"--nodelist={node}")
        return {}

    def whole_node(self, directives: list[Any]) -> dict[str, Any]:
        append_once(directives, "--exclusive")
        return {}


class OarScheduler(Scheduler):
    """OAR through dask-jobqueue's ``OARCluster``.

    The wrapper needs the cluster's ``memory_per_core_property_name`` for OAR (write
    ``not_applicable`` when the site has no such property); a cluster with queues must set it.
    """

    type = "oar"
    cluster_string = "dask_jobqueue::OARCluster"
    summary = "OAR batch jobs (dask-jobqueue OARCluster)"
    batch_system = "oar"
    required_cluster_fields: ClassVar[Mapping[str, str]] = {
        "memory_per_core_property_name": "the Dask wrapper needs it for OAR; write 'not_applicable' "
        "when the site has no such property",
    }

    def pin_node(self, directives: list[Any], node: str) -> dict[str, Any]:
        # One directive, quoted for the shlex split dask-jobqueue applies to "#OAR" lines
        # (0.3.2 wrote "-p" and "host='n'" as two, which reach oarsub as -p host=n: not SQL).
        append_once(directives, f"-p \"host='{node}'\"")
        return {}

    def whole_node(self, directives: list[Any]) -> dict[str, Any]:
        return {"resource_spec": "/nodes=1"}


@hookimpl
def register_schedulers(register: RegisterScheduler) -> None:
    for scheduler in (LocalScheduler(), SlurmScheduler(), OarScheduler()):
        register(scheduler)
