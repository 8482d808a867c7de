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


def cluster_targets(configuration: Configuration, cluster: str) -> list[str | None]:
    """The distinct hosts of a cluster's frontends, in file order (``--frontend-name`` narrows)."""
    from .errors import ConfigError

    wanted = configuration.selection.frontend_name
    targets: list[str | None] = []
    definition = configuration.cluster(cluster)
    for frontend in definition.frontends:
        if wanted and frontend.hostname != wanted:
            continue
        target = frontend_target(configuration, cluster, frontend)
        if target not in targets:
            targets.append(target)
    if not targets:
        raise ConfigError(f"cluster {cluster!r} has no frontend named {wanted!r}")
    return targets
