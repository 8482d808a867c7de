"""The two Dask services, both started by ``seamless-dask-wrapper`` on a queue of the cluster.

* ``daskserver``: Seamless tasks on Dask workers, one per project/stage/substage, keyed like
  the jobserver (``daskserver-<cluster>-rw-<suffix(P+SS)>``);
* ``pure-daskserver``: plain Dask, one per cluster and queue (``pure-daskserver-<cluster>-<queue>``),
  no project.

Both read the frontend's ``daskserver`` section and take ``conda`` from the queue; the
scheduler-specific parts come from :mod:`..schedulers`. Command (spec §2.5)::

    seamless-dask-wrapper CLUSTER_STRING --port-range S E --status-file {status_file} --host NI --timeout 600

The handshake asks ``/health`` on the ``dashboard_port`` the wrapper reports.
"""

from __future__ import annotations

from ..errors import ConfigError
from ..model import Queue
from ..schedulers import Scheduler, scheduler_for
from .base import KeyIdentity, ServiceContext
from .jobserver import NON_PERSISTENT_WORKDIR, StagedService
from .keyparse import split_cluster_queue
from .launcher_fields import STATUS_FILE, TIMEOUT, make_meta, render_command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Mapping
    from typing import Any


def require_queue(ctx: ServiceContext, service: str) -> Queue:
    if ctx.queue is None:
        raise ConfigError(f"no queue for the {service} on cluster '{ctx.cluster.name}'")
    return ctx.queue


class Daskserver(StagedService):
    name = "daskserver"
    section = "daskserver"
    section_required = ("network_interface", "port_start", "port_end")
    needs_queue = True
    handshake: Mapping[str, Any] = {"path": "health", "port_name": "dashboard_port"}
    summary = "Seamless tasks on Dask workers of a queue (LocalCluster, SLURM or OAR)"

    def scheduler(self, ctx: ServiceContext) -> Scheduler:
        return scheduler_for(ctx.cluster, self.name)

    def meta_queue(self, ctx: ServiceContext) -> str | None:
        return require_queue(ctx, self.name).name

    def leading_fields(self, ctx: ServiceContext) -> dict[str, Any]:
        return {"cluster_string": self.scheduler(ctx).cluster_string}

    def service_fields(self, ctx: ServiceContext) -> dict[str, Any]:
        section = ctx.section
        return {
            "network_interface": section.get("network_interface"),
            "conda": require_queue(ctx, self.name).fields.get("conda"),
            "port_start": section.get("port_start"),
            "port_end": section.get("port_end"),
        }

    def file_parameters(self, ctx: ServiceContext) -> dict[str, Any]:
        queue = require_queue(ctx, self.name)
        return self.scheduler(ctx).dask_parameters(ctx.cluster, queue, node=ctx.node, record=ctx.record)

    def trailing_fields(self, ctx: ServiceContext) -> dict[str, Any]:
        return {"file_parameters": self.file_parameters(ctx)}

    def command(self, ctx: ServiceContext, workdir: str) -> str:
        section = ctx.section
        return render_command(
            "seamless-dask-wrapper",
            self.scheduler(ctx).cluster_string,
            "--port-range",
            section.get("port_start"),
            section.get("port_end"),
            "--status-file",
            STATUS_FILE,
            "--host",
            section.get("network_interface"),
            "--timeout",
            TIMEOUT,
        )


class PureDaskserver(Daskserver):
    name = "pure-daskserver"
    needs_project = False
    summary = "plain Dask on a queue of the cluster (one per cluster and queue, no project)"

    def key(self, ctx: ServiceContext) -> str:
        return f"{self.name}-{ctx.cluster.name}-{require_queue(ctx, self.name).name}"

    def workdir(self, ctx: ServiceContext) -> str:
        return NON_PERSISTENT_WORKDIR

    def log_location(self, ctx: ServiceContext) -> tuple[str, str]:
        return ctx.cluster.name, f"{self.name}-{require_queue(ctx, self.name).name}"

    def meta(self, ctx: ServiceContext) -> dict[str, Any]:
        return make_meta(self.name, ctx.cluster.name, queue=require_queue(ctx, self.name).name)

    def file_parameters(self, ctx: ServiceContext) -> dict[str, Any]:
        queue = require_queue(ctx, self.name)
        return self.scheduler(ctx).pure_dask_parameters(ctx.cluster, queue, node=ctx.node)

    def parse_key(self, key: str, known_clusters: Collection[str] = ()) -> KeyIdentity | None:
        prefix = self.name + "-"
        if not key.startswith(prefix):
            return None
        split = split_cluster_queue(key[len(prefix) :], known_clusters)
        if split is None:
            return None
        cluster, queue = split
        return KeyIdentity(service=self.name, cluster=cluster, queue=queue)
