"""The jobserver: runs Seamless transformations on the frontend, with the cluster's ``workers``.

Not persistent (workdir ``/tmp``); one instance per project/stage/substage, keyed
``jobserver-<cluster>-rw-<suffix(P+SS)>`` (mode is always ``rw``; the substage counts only
with a stage). Command (spec §2.5)::

    seamless-jobserver --workers W --port-range S E --status-file {status_file} --host NI --timeout 600

``file_parameters`` carries the buffer/database clients the jobserver should use; a running
Seamless session fills the two lists (seamless-config's ``collect_remote_clients``), the
command-line resolution leaves them empty, as 0.3.2 did.
"""

from __future__ import annotations

from ..errors import ConfigError
from .base import KeyIdentity, ServiceContext
from .data_service import require_project
from .keyparse import split_cluster_mode, split_tail
from .launcher_fields import STATUS_FILE, TIMEOUT, LaunchedService, make_meta, render_command
from .naming import present, project_dir, stage_substage_dir, suffix

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection
    from typing import Any

NON_PERSISTENT_WORKDIR = "/tmp"


class StagedService(LaunchedService):
    """A non-persistent service per project/stage/substage (jobserver, daskserver)."""

    def task_path(self, ctx: ServiceContext) -> str:
        """``P + SS``."""
        project = require_project(ctx, self.name)
        return project_dir(project, ctx.subproject) + stage_substage_dir(
            present(ctx.stage), present(ctx.substage)
        )

    def key(self, ctx: ServiceContext) -> str:
        return f"{self.name}-{ctx.cluster.name}-rw-{suffix(self.task_path(ctx))}"

    def workdir(self, ctx: ServiceContext) -> str:
        return NON_PERSISTENT_WORKDIR

    def log_location(self, ctx: ServiceContext) -> tuple[str, str]:
        return ctx.cluster.name + self.task_path(ctx), self.name

    def meta_queue(self, ctx: ServiceContext) -> str | None:
        return None

    def meta(self, ctx: ServiceContext) -> dict[str, Any]:
        stage = present(ctx.stage)
        return make_meta(
            self.name,
            ctx.cluster.name,
            mode="rw",
            project=ctx.project,
            subproject=present(ctx.subproject),
            stage=stage,
            substage=present(ctx.substage) if stage else None,
            queue=self.meta_queue(ctx),
        )

    def parse_key(self, key: str, known_clusters: Collection[str] = ()) -> KeyIdentity | None:
        prefix = self.name + "-"
        if not key.startswith(prefix):
            return None
        split = split_cluster_mode(key[len(prefix) :], ("rw",), known_clusters)
        if split is None:
            return None
        cluster, mode, tail = split
        project, subproject, stage, substage = split_tail(tail)
        return KeyIdentity(
            service=self.name,
            cluster=cluster,
            mode=mode,
            project=project,
            subproject=subproject,
            stage=stage,
            substage=substage,
        )


class Jobserver(StagedService):
    name = "jobserver"
    section = "jobserver"
    section_required = ("conda", "network_interface", "port_start", "port_end")
    summary = "runs transformations on the frontend with the cluster's workers"

    def workers(self, ctx: ServiceContext) -> int:
        if ctx.cluster.workers is None:
            raise ConfigError(
                f"cluster '{ctx.cluster.name}' has no 'workers' (the jobserver needs it)",
                file=ctx.cluster.source,
            )
        return ctx.cluster.workers

    def leading_fields(self, ctx: ServiceContext) -> dict[str, Any]:
        return {"workers": self.workers(ctx)}

    def trailing_fields(self, ctx: ServiceContext) -> dict[str, Any]:
        return {"file_parameters": {"database": [], "buffer": [], "record": ctx.record}}

    def command(self, ctx: ServiceContext, workdir: str) -> str:
        section = ctx.section
        return render_command(
            "seamless-jobserver",
            "--workers",
            self.workers(ctx),
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
