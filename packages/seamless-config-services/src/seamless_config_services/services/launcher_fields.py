"""What every built-in service's launcher config is made of, and the base class that builds it.

The field values are those seamless-config 0.3.2 produced (spec §2.4), computed directly
instead of through ``tools.yaml`` templates:

* ``hostname`` / ``ssh_hostname`` / ``tunnel`` only when the cluster is not the
  ``local_cluster`` (then the launcher uses SSH); ``tunnel`` only when true,
  ``ssh_hostname`` only when the frontend sets one;
* ``log_level: minimal``, ``timeout: 600``, and the launcher's own log files under
  ``~/.remote-http-launcher/logs/``;
* ``workdir`` and ``key`` evaluated, the ``command`` rendered with only ``{status_file}``
  left for the launcher, the ``handshake``, and a truthful ``meta`` block, always present
  (0.3.2 added ``meta`` only on its command-line path, so runtime-launched state files
  carried none; weak points 5 and 6).
"""

from __future__ import annotations

import copy

from .base import ServiceContext, ServiceType
from .naming import escape_template, launcher_log_files

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

#: Seconds of inactivity after which the services exit (their ``--timeout``).
TIMEOUT = 600
LOG_LEVEL = "minimal"
#: The placeholder the launcher fills with the service's state-file path.
STATUS_FILE = "{status_file}"
#: The fields of every meta block, in 0.3.2's order.
META_FIELDS = ("service", "cluster", "mode", "project", "subproject", "stage", "substage", "queue")


def host_fields(ctx: ServiceContext) -> dict[str, Any]:
    """``tunnel``, ``hostname``, ``ssh_hostname``: where the launcher reaches the frontend.

    None of them for the local cluster, so the launcher runs the service here without SSH.
    A ``type: local`` cluster that is *not* the ``local_cluster`` keeps its hostname (a
    LocalCluster on a remote frontend, reached over SSH), as in 0.3.2."""
    if ctx.local:
        return {}
    fields: dict[str, Any] = {}
    if ctx.cluster.tunnel:
        fields["tunnel"] = True
    fields["hostname"] = ctx.frontend.hostname
    if ctx.frontend.ssh_hostname is not None:
        fields["ssh_hostname"] = ctx.frontend.ssh_hostname
    return fields


def section_fields(section: Mapping[str, Any], names: Sequence[str], *, drop_none: bool) -> dict[str, Any]:
    """The named fields of a frontend section; ``drop_none`` omits unset ones (hashserver and
    database do: the launcher and the service then use their defaults)."""
    fields = {name: section.get(name) for name in names}
    if drop_none:
        return {name: value for name, value in fields.items() if value is not None}
    return fields


def make_meta(service: str, cluster: str, **values: str | None) -> dict[str, Any]:
    """A meta block with every field present (``None`` where the key does not depend on it)."""
    meta: dict[str, Any] = dict.fromkeys(META_FIELDS)
    meta["service"] = service
    meta["cluster"] = cluster
    for name, value in values.items():
        if name not in meta:
            raise TypeError(f"unknown meta field {name!r}")
        meta[name] = value
    return meta


def render_command(*words: object) -> str:
    """A command line from words, each a literal for the launcher's template evaluation except
    :data:`STATUS_FILE`. Words are joined by single spaces and not quoted, exactly like the
    0.3.2 templates (the launcher splits the result shell-style)."""
    return " ".join(word if word is STATUS_FILE else escape_template(word) for word in words)


def port_range(section: Mapping[str, Any]) -> list[object]:
    """``--port-range START END`` when both ports are set (else nothing)."""
    start, end = section.get("port_start"), section.get("port_end")
    if start is None or end is None:
        return []
    return ["--port-range", start, end]


def host_option(section: Mapping[str, Any]) -> list[object]:
    """``--host NI`` when ``network_interface`` is set (else nothing)."""
    interface = section.get("network_interface")
    return [] if interface is None else ["--host", interface]


class LaunchedService(ServiceType):
    """A service type whose launcher config has the layout above. Subclasses provide the
    key, workdir, command, meta and log location; :meth:`launcher_config` assembles them."""

    #: The ``handshake`` field (a path, or a mapping with ``path`` and ``port_name``).
    handshake: str | Mapping[str, Any] = "healthcheck"
    #: Section fields copied into the launcher config, and whether unset ones are omitted.
    launcher_section_fields: tuple[str, ...] = ("network_interface", "conda", "port_start", "port_end")
    drop_unset_section_fields = False

    def command(self, ctx: ServiceContext, workdir: str) -> str:
        raise NotImplementedError

    def log_location(self, ctx: ServiceContext) -> tuple[str, str]:
        """``(directory under ~/.remote-http-launcher/logs, file name without .log)``."""
        raise NotImplementedError

    def leading_fields(self, ctx: ServiceContext) -> dict[str, Any]:
        """Fields that come before the host fields (``workers``, ``cluster_string``)."""
        return {}

    def service_fields(self, ctx: ServiceContext) -> dict[str, Any]:
        """``network_interface``, ``conda``, ``port_start``, ``port_end``."""
        return section_fields(
            ctx.section, self.launcher_section_fields, drop_none=self.drop_unset_section_fields
        )

    def trailing_fields(self, ctx: ServiceContext) -> dict[str, Any]:
        """Fields after the section fields (``file_parameters``)."""
        return {}

    def launcher_config(self, ctx: ServiceContext) -> dict[str, Any]:
        workdir = self.workdir(ctx)
        log_directory, log_name = self.log_location(ctx)
        log_file, debug_log_file = launcher_log_files(log_directory, log_name)
        config = self.leading_fields(ctx)
        config.update(host_fields(ctx))
        config.update(self.service_fields(ctx))
        config.update(self.trailing_fields(ctx))
        config.update(
            log_level=LOG_LEVEL,
            log_file=log_file,
            debug_log_file=debug_log_file,
            timeout=TIMEOUT,
            workdir=workdir,
            key=self.key(ctx),
            command=self.command(ctx, workdir),
            handshake=self.handshake
            if isinstance(self.handshake, str)
            else copy.deepcopy(dict(self.handshake)),
            meta=self.meta(ctx),
        )
        return config
