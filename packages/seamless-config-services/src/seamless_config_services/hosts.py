"""Which host a cluster's helpers run on.

Only the ``local_cluster`` runs here, without SSH. Every other cluster is reached over SSH
at each frontend's ``ssh_hostname`` (or its ``hostname``): per-service commands and
cluster-wide ones follow the same rule, and cluster-wide ones visit every frontend, not
only the first (seamless-config 0.3.2 ran per-service helpers locally when a remote
frontend had no explicit ``ssh_hostname``, and looked only at the first frontend).
"""

from __future__ import annotations

from .model import Configuration, Frontend


def frontend_target(configuration: Configuration, cluster: str, frontend: Frontend) -> str | None:
    """``None`` (run here) for the local cluster, else the frontend's SSH target."""
    if configuration.is_local(cluster):
        return None
    return frontend.ssh_target


def selected_frontends(configuration: Configuration, cluster: str) -> list[Frontend]:
    """The cluster's frontends in file order, narrowed by ``--frontend-name``."""
    from .errors import ConfigError

    wanted = configuration.selection.frontend_name
    frontends = [f for f in configuration.cluster(cluster).frontends if not wanted or f.hostname == wanted]
    if not frontends:
        raise ConfigError(f"cluster {cluster!r} has no frontend named {wanted!r}")
    return frontends


def cluster_targets(configuration: Configuration, cluster: str) -> list[str | None]:
    """The distinct hosts of a cluster's (selected) frontends, in file order."""
    targets: list[str | None] = []
    for frontend in selected_frontends(configuration, cluster):
        target = frontend_target(configuration, cluster, frontend)
        if target not in targets:
            targets.append(target)
    return targets
