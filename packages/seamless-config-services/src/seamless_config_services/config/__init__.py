"""The configuration layer: command files, cluster files, SEAMLESS_CACHE, command-line flags.

:func:`load` is what every ``seamless-service-*`` command starts with; it returns a
:class:`~seamless_config_services.model.Configuration` or raises a
:class:`~seamless_config_services.errors.ConfigError` whose one line names the file, the field
and what is expected. Cluster definitions are validated when first used
(``configuration.clusters.clusters[name]``), so a broken cluster only breaks the commands that
use it; :func:`validate_all` and :func:`iter_clusters` look at all of them.

The modules say what changed from seamless-config 0.3.2: :mod:`.commands` (stage block keys,
messages), :mod:`.discovery` (upward search), :mod:`.loader` (stage known before reading, strict
``--queue``), :mod:`.clusters` (sorted files, lazy validation, types), :mod:`.queues`
(``job_script_prologue``, types).
"""

from __future__ import annotations

from .cache import ENV_CACHE, cache_configuration, cache_root
from .clusters import LazyClusters, cluster_types, iter_clusters, validate_all
from .commands import COMMAND_FILES
from .loader import Overrides, apply_overrides, home_directory, load, load_clusters

__all__ = [
    "COMMAND_FILES",
    "ENV_CACHE",
    "LazyClusters",
    "Overrides",
    "apply_overrides",
    "cache_configuration",
    "cache_root",
    "cluster_types",
    "home_directory",
    "iter_clusters",
    "load",
    "load_clusters",
    "validate_all",
]
