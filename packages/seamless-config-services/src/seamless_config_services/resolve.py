"""From a loaded configuration and a service name to everything needed to act on the service.

:func:`resolve` picks the frontend (spec §2.3) and, for Dask services, the queue (§3.2),
lets the service type compute key, workdir and launcher config, and checks the key and
workdir against the launcher's rules, so that a bad name fails here, in one line, before
anything is launched or any host is contacted. :meth:`Resolution.as_json` is the object
``seamless-service-resolve`` prints (§4.4).

Differences from seamless-config 0.3.2, all deliberate:

* ``ssh_target`` (``ssh_hostname`` in the JSON) is the frontend's ``ssh_hostname`` *or*
  ``hostname`` for every cluster but the local one; 0.3.2 reported null for a remote
  frontend without ``ssh_hostname``, so per-service commands ran on the client (weak point 1);
* ``meta`` is truthful (weak point 6): ``queue`` is the queue actually used by a Dask
  service (also when it is the default queue) and null for the others; ``mode`` is the
  key's mode (``rw`` for jobserver/daskserver, null for pure-daskserver); ``substage`` is
  null where the key ignores it; pure-daskserver has no project/subproject/stage/substage;
* an explicit queue the cluster does not have is an error for the daskserver too (0.3.2
  silently used the default queue and reported the bogus name in ``meta``);
* an empty project is "no project" (0.3.2 built keys like ``hashserver-c-rw-``);
* ``meta`` is in every launcher config, not only on the command-line path (weak point 5);
* ``ro`` hashserver/database instances log to ``<service>-ro.log`` (weak point 26,
  :mod:`.services.data_service`); pure-daskserver on an exclusive SLURM queue is exclusive
  (weak point 9, :mod:`.schedulers`).

Keys, workdirs, command lines, handshakes, log files and every other launcher field are
otherwise those of 0.3.2 for every input (tests/services/test_golden.py runs 0.3.2 to check).
"""

from __future__ import annotations

import re

from remote_http_launcher import paths
from remote_http_launcher.errors import InvalidKey

from .errors import ConfigError
from .model import Cluster, Configuration, Frontend, Queue
from .model import record as dataclass  # a plain __slots__ class: no dataclasses import
from .plugins import service_types
from .services.base import ServiceContext, ServiceType
from .services.launcher_fields import META_FIELDS
from .services.naming import present, server_log_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: The launcher's rules (remote-http-launcher 0.4.5, kept by ours).
KEY_PATTERN = re.compile(r"[A-Za-z0-9._-]+")
WORKDIR_PATTERN = re.compile(r"[A-Za-z0-9@_./~-]+")
MODES = ("ro", "rw")


@dataclass(frozen=True)
class Resolution:
    """One service instance, resolved. ``ssh_target`` is ``None`` exactly when ``local``
    (the cluster is the ``local_cluster``); ``workdir`` keeps a leading ``~`` (expanded on the
    frontend); ``log_path`` is the service's own log on the frontend."""

    service_type: ServiceType
    service: str
    cluster: Cluster
    frontend: Frontend
    local: bool
    ssh_target: str | None
    key: str
    workdir: str
    log_path: str
    launcher_config: dict[str, Any]
    meta: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """The ``seamless-service-resolve`` object: key, ssh_hostname, workdir, log_path and
        the meta fields, keys sorted."""
        payload: dict[str, Any] = {
            "key": self.key,
            "ssh_hostname": self.ssh_target,
            "workdir": self.workdir,
            "log_path": self.log_path,
        }
        payload.update({name: self.meta.get(name) for name in META_FIELDS})
        return dict(sorted(payload.items()))


def resolve(configuration: Configuration, service: str) -> Resolution:
    """Resolve ``service`` (a registered service type name) for the selection in
    ``configuration``; a :class:`ConfigError` for anything that cannot be resolved."""
    service_type = service_types().get(service)
    ctx = service_context(configuration, service_type)
    key = check_key(service_type.key(ctx))
    workdir = check_workdir(service_type.workdir(ctx))
    launcher_config = service_type.launcher_config(ctx)
    meta = launcher_config.get("meta")
    if (
        not isinstance(meta, dict)
        or launcher_config.get("key") != key
        or launcher_config.get("workdir") != workdir
    ):
        raise ConfigError(
            f"service type {service_type.name!r}: its launcher config must hold a meta mapping "
            f"and the key and workdir it computes ({key}, {workdir})"
        )
    return Resolution(
        service_type=service_type,
        service=service_type.name,
        cluster=ctx.cluster,
        frontend=ctx.frontend,
        local=ctx.local,
        ssh_target=None if ctx.local else ctx.frontend.ssh_target,
        key=key,
        workdir=workdir,
        log_path=server_log_path(key),
        launcher_config=launcher_config,
        meta=meta,
    )


def service_context(configuration: Configuration, service_type: ServiceType) -> ServiceContext:
    """What ``service_type`` reads to configure an instance for the current selection."""
    selection = configuration.selection
    if selection.mode not in MODES:
        raise ConfigError(f"mode must be 'ro' or 'rw' (got {selection.mode!r})")
    cluster = configuration.cluster()
    frontend = select_frontend(cluster, service_type, selection.frontend_name)
    project = present(selection.project)
    if service_type.needs_project and project is None:
        raise ConfigError(
            f"no project selected (the {service_type.name} needs one: use --project, "
            "or a 'project' command in seamless.yaml)"
        )
    queue = select_queue(cluster, selection.queue, service_type.name) if service_type.needs_queue else None
    return ServiceContext(
        configuration=configuration,
        cluster=cluster,
        frontend=frontend,
        section=frontend.sections[service_type.section],
        project=project,
        subproject=present(selection.subproject),
        stage=present(selection.stage),
        substage=present(selection.substage),
        mode=selection.mode,
        queue=queue,
        record=selection.record,
        node=selection.node,
        local=configuration.is_local(cluster.name),
    )


def select_frontend(cluster: Cluster, service_type: ServiceType, frontend_name: str | None) -> Frontend:
    """The first frontend (in file order) with the type's section, among those named
    ``frontend_name`` when given."""
    for frontend in cluster.frontends:
        if frontend_name is not None and frontend.hostname != frontend_name:
            continue
        if service_type.section in frontend.sections:
            return frontend
    if frontend_name is not None:
        names = ", ".join(frontend.hostname for frontend in cluster.frontends) or "none"
        raise ConfigError(
            f"no frontend of cluster '{cluster.name}' named '{frontend_name}' can run a {service_type.name} "
            f"(it needs a '{service_type.section}' section; frontends: {names})"
        )
    raise ConfigError(
        f"no frontend of cluster '{cluster.name}' can run a {service_type.name} "
        f"(none has a '{service_type.section}' section)"
    )


def select_queue(cluster: Cluster, wanted: str | None, service: str) -> Queue:
    """The selected queue (``--queue`` or a ``queue`` command), else the cluster's default."""
    name = wanted or cluster.default_queue
    if name is None:
        raise ConfigError(
            f"no queue selected and cluster '{cluster.name}' has no default_queue "
            f"(the {service} needs one: use --queue, or a 'queue' command)"
        )
    queue = cluster.queues.get(name)
    if queue is None:
        known = ", ".join(cluster.queues) or "none"
        origin = "" if wanted else "default_queue: "
        raise ConfigError(f"{origin}cluster '{cluster.name}' has no queue '{name}' (queues: {known})")
    return queue


def check_key(key: str) -> str:
    """The key as the launcher and the helpers accept it, or a one-line error."""
    if not KEY_PATTERN.fullmatch(key):
        raise ConfigError(
            f"{key!r} is not a valid key: only letters, digits, '.', '_' and '-' are allowed "
            "(check the cluster, project, subproject, stage and queue names)",
            field="key",
        )
    try:
        paths.validate_key(key)
    except InvalidKey:
        raise ConfigError(f"{key!r} is not a valid key ({paths.KEY_RULE})", field="key") from None
    return key


def check_workdir(workdir: str) -> str:
    """The workdir as the launcher accepts it, or a one-line error."""
    if not WORKDIR_PATTERN.fullmatch(workdir):
        raise ConfigError(
            f"{workdir!r} is not a valid workdir: only letters, digits and '@_./~-' are allowed "
            "(check bufferdir/database_dir and the project, subproject and stage names)",
            field="workdir",
        )
    return workdir
