"""The ``example-service`` service type: a plugin of seamless-config-services.

Not persistent: the service keeps no data, its workdir is ``/tmp`` and ``seamless-service-clear``
refuses it. One instance per cluster/project/stage, keyed like a jobserver
(``example-service-<cluster>-rw-<project>[--<subproject>][--STAGE-<stage>]``), so keys written
without ``meta`` can be parsed back. Frontends that can run it have an ``example`` section::

    example: {network_interface: 127.0.0.1, port_start: 41000, port_end: 41099, conda: myenv}

(every field optional). The command is remote-http-launcher's ``rhl-example-service``, which
follows the status-file protocol; the launcher's handshake asks ``/healthcheck``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from seamless_config_services.hookspecs import RegisterServiceType, hookimpl
from seamless_config_services.services.base import KeyIdentity, ServiceContext, ServiceType
from seamless_config_services.services.keyparse import split_cluster_mode, split_tail
from seamless_config_services.services.launcher_fields import (
    STATUS_FILE,
    host_fields,
    make_meta,
    render_command,
)
from seamless_config_services.services.naming import (
    launcher_log_files,
    present,
    project_dir,
    stage_dir,
    suffix,
)

__version__ = "1.0.0"


class ExampleService(ServiceType):
    name = "example-service"
    section = "example"
    section_optional = ("network_interface", "port_start", "port_end", "conda")
    persistent = False
    summary = "rhl-example-service, the launcher's demonstration service (example plugin)"

    def _path(self, ctx: ServiceContext) -> str:
        return project_dir(ctx.project or "", ctx.subproject) + stage_dir(present(ctx.stage))

    def key(self, ctx: ServiceContext) -> str:
        return f"{self.name}-{ctx.cluster.name}-rw-{suffix(self._path(ctx))}"

    def workdir(self, ctx: ServiceContext) -> str:
        return "/tmp"

    def meta(self, ctx: ServiceContext) -> dict[str, Any]:
        return make_meta(
            self.name,
            ctx.cluster.name,
            mode="rw",
            project=ctx.project,
            subproject=present(ctx.subproject),
            stage=present(ctx.stage),
        )

    def launcher_config(self, ctx: ServiceContext) -> dict[str, Any]:
        section = ctx.section
        words: list[object] = ["rhl-example-service", "--status-file", STATUS_FILE]
        if section.get("port_start") is not None and section.get("port_end") is not None:
            words += ["--port-range", section["port_start"], section["port_end"]]
        if section.get("network_interface") is not None:
            words += ["--host", section["network_interface"]]
        log_file, debug_log_file = launcher_log_files(ctx.cluster.name + self._path(ctx), self.name)
        config: dict[str, Any] = host_fields(ctx)
        config.update(
            {name: section[name] for name in self.section_optional if section.get(name) is not None}
        )
        config.update(
            log_level="minimal",
            log_file=log_file,
            debug_log_file=debug_log_file,
            workdir=self.workdir(ctx),
            key=self.key(ctx),
            command=render_command(*words),
            handshake="healthcheck",
            meta=self.meta(ctx),
        )
        return config

    def parse_key(self, key: str, known_clusters: Collection[str] = ()) -> KeyIdentity | None:
        if not key.startswith(self.name + "-"):
            return None
        split = split_cluster_mode(key[len(self.name) + 1 :], ("rw",), known_clusters)
        if split is None:
            return None
        cluster, mode, tail = split
        project, subproject, stage, _substage = split_tail(tail)
        return KeyIdentity(self.name, cluster, mode, project, subproject, stage)


@hookimpl
def register_service_types(register: RegisterServiceType) -> None:
    register(ExampleService())
