"""The common shape of the two persistent built-ins, hashserver and database.

Both keep their data in ``<root>{P}{S}`` on the frontend (``root`` = the section's
``bufferdir`` / ``database_dir``, used verbatim, a leading ``~`` expanded on the frontend),
are keyed ``<service>-<cluster>-<mode>-<suffix(P+S)>`` and ignore the substage (spec §2.2).
Unset ``conda``/``network_interface``/ports are left out of the launcher config, so the
launcher and the service use their defaults.

The launcher's own log is ``~/.remote-http-launcher/logs/<cluster>{P}{S}/<service>.log``
as in 0.3.2, except that ``ro`` instances log to ``<service>-ro.log`` (0.3.2 had the
``ro`` and ``rw`` instances of one directory write the same file; weak point 26).
"""

from __future__ import annotations

from ..errors import ConfigError
from ..model import Frontend
from .base import KeyIdentity, PersistentWalk, ServiceContext
from .keyparse import split_cluster_mode, split_tail
from .launcher_fields import LaunchedService, make_meta
from .naming import present, project_dir, stage_dir, suffix

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Mapping
    from typing import Any

MODES = ("ro", "rw")


def require_project(ctx: ServiceContext, service: str) -> str:
    if not ctx.project:
        raise ConfigError(
            f"no project selected (the {service} needs one: use --project, or a 'project' command)"
        )
    return ctx.project


class DataService(LaunchedService):
    persistent = True
    section_optional = ("conda", "network_interface", "port_start", "port_end")
    drop_unset_section_fields = True
    #: The section field holding the root directory of the data.
    root_field = ""
    #: ``rhl-ps-persistent`` arguments for this type's walk.
    walk_file: str | None = None
    walk_marker: str | None = None

    def check_section(self, section: Mapping[str, Any]) -> None:
        if (section.get("port_start") is None) != (section.get("port_end") is None):
            raise ConfigError("'port_start' and 'port_end' must both be set or both be omitted")

    def data_path(self, ctx: ServiceContext) -> str:
        """``P + S``: where this project/stage lives below the root (and in keys)."""
        return project_dir(require_project(ctx, self.name), ctx.subproject) + stage_dir(present(ctx.stage))

    def key(self, ctx: ServiceContext) -> str:
        return f"{self.name}-{ctx.cluster.name}-{ctx.mode}-{suffix(self.data_path(ctx))}"

    def workdir(self, ctx: ServiceContext) -> str:
        return f"{ctx.section[self.root_field]}{self.data_path(ctx)}"

    def log_location(self, ctx: ServiceContext) -> tuple[str, str]:
        name = self.name if ctx.mode == "rw" else f"{self.name}-{ctx.mode}"
        return ctx.cluster.name + self.data_path(ctx), name

    def meta(self, ctx: ServiceContext) -> dict[str, Any]:
        return make_meta(
            self.name,
            ctx.cluster.name,
            mode=ctx.mode,
            project=ctx.project,
            subproject=present(ctx.subproject),
            stage=present(ctx.stage),
        )

    def persistent_walks(self, frontend: Frontend) -> list[PersistentWalk]:
        section = frontend.sections.get(self.section)
        if section is None or section.get(self.root_field) is None:
            return []
        root = str(section[self.root_field])
        return [PersistentWalk(root=root, level=2, file=self.walk_file, marker=self.walk_marker)]

    def parse_key(self, key: str, known_clusters: Collection[str] = ()) -> KeyIdentity | None:
        prefix = self.name + "-"
        if not key.startswith(prefix):
            return None
        split = split_cluster_mode(key[len(prefix) :], MODES, known_clusters)
        if split is None:
            return None
        cluster, mode, tail = split
        project, subproject, stage, _substage = split_tail(tail)
        return KeyIdentity(
            service=self.name, cluster=cluster, mode=mode, project=project, subproject=subproject, stage=stage
        )
