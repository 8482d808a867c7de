"""Which registered scheduler a cluster's ``type`` names.

Apart from :mod:`.base` because it asks the plugin manager (:mod:`..plugins`), which imports
the hook specifications, which name :class:`.base.Scheduler`: kept in :mod:`.base`, the lookup
closed an import cycle ``hookspecs -> schedulers.base -> plugins -> hookspecs``.
"""

from __future__ import annotations

from ..errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..model import Cluster
    from .base import Scheduler


def registered() -> Mapping[str, Scheduler]:
    """The registered schedulers by ``type`` (built-ins first)."""
    from ..plugins import schedulers

    return schedulers().by_name


def scheduler_for(cluster: Cluster, service: str) -> Scheduler:
    """The scheduler of ``cluster``; a one-line error when its ``type`` is unset or unknown."""
    known = registered()
    if cluster.type is None:
        raise ConfigError(
            f"cluster '{cluster.name}' has no 'type' (one of {', '.join(known)}); the {service} needs one",
            file=cluster.source,
        )
    found = known.get(cluster.type)
    if found is None:
        raise ConfigError(
            f"cluster '{cluster.name}' has type '{cluster.type}' (expected one of {', '.join(known)})",
            file=cluster.source,
        )
    return found
