"""The ``pbs`` cluster type: a scheduler plugin of seamless-config-services.

A cluster file says ``type: pbs``; the Dask services then run dask-jobqueue's
``PBSCluster``, whose workers are PBS jobs. The queue fields are those of SLURM and OAR
(``walltime`` and ``memory`` required, the same defaults); PBS spells the rest:

* whole-node mode (an ``exclusive`` queue without ``cores``): ``-l place=excl``;
* node selection (``node: n3`` in a command file): the job's chunk asks for that host,
  ``select=1:host=n3:ncpus=<cores>:mem=<memory>``. The Dask wrapper passes no resource
  spec to PBSCluster, so it travels in ``extra_dask_config`` as ``jobqueue.pbs.resource-spec``
  (the wrapper merges that into the Dask config before the cluster starts).

The server side, listing and cancelling a service's PBS jobs for ``rhl-jobs --system pbs``,
is the module ``seamless_example_pbs_jobs`` of the same distribution.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seamless_config_services.hookspecs import RegisterScheduler, hookimpl
from seamless_config_services.schedulers import Scheduler
from seamless_config_services.schedulers.base import append_once

if TYPE_CHECKING:
    from seamless_config_services.model import Cluster, Queue

__version__ = "1.0.0"

RESOURCE_SPEC = "jobqueue.pbs.resource-spec"


def pbs_size(memory: Any) -> str:
    """A PBS size: ``32000MB`` stays as written, a number of bytes gets ``b``."""
    return f"{memory}b" if isinstance(memory, int) else str(memory)


class PbsScheduler(Scheduler):
    type = "pbs"
    cluster_string = "dask_jobqueue::PBSCluster"
    summary = "PBS batch jobs (dask-jobqueue PBSCluster; example plugin)"
    batch_system = "pbs"

    def whole_node(self, directives: list[Any]) -> dict[str, Any]:
        append_once(directives, "-l place=excl")
        return {}

    def pin_node(self, directives: list[Any], node: str) -> dict[str, Any]:
        return {"pbs_node": node}  # turned into the chunk's host by _select_host below

    def _select_host(self, params: dict[str, Any]) -> dict[str, Any]:
        node = params.pop("pbs_node", None)
        if node is None:
            return params
        cores = params.get("job_cores") or params.get("cores") or 1
        if params.get("exclusive") and params.get("cores") is None:
            cores = 1  # whole-node mode: the wrapper runs one single-core worker per node
        spec = f"select=1:host={node}:ncpus={cores}:mem={pbs_size(params['memory'])}"
        params["extra_dask_config"] = {**params.get("extra_dask_config", {}), RESOURCE_SPEC: spec}
        return params

    def dask_parameters(
        self, cluster: Cluster, queue: Queue, *, node: str | None, record: bool
    ) -> dict[str, Any]:
        return self._select_host(super().dask_parameters(cluster, queue, node=node, record=record))

    def pure_dask_parameters(self, cluster: Cluster, queue: Queue, *, node: str | None) -> dict[str, Any]:
        return self._select_host(super().pure_dask_parameters(cluster, queue, node=node))


@hookimpl
def register_schedulers(register: RegisterScheduler) -> None:
    register(PbsScheduler())
