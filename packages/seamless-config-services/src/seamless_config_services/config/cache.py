"""SEAMLESS_CACHE mode: one directory replaces all configuration (spec §1.3).

With ``SEAMLESS_CACHE`` set to a non-blank value, no file is read: a synthetic ``local`` cluster
``__SEAMLESS_CACHE__`` is the local cluster and is selected, its one frontend keeps buffers and
``seamless.db`` under that directory, the project defaults to ``__TOPLEVEL__``, execution is
``process`` and persistence on. :func:`cache_configuration` is also what the resolver uses for
``--project SEAMLESS_CACHE`` when it found the root in a launcher state file.
"""

from __future__ import annotations

import os

from ..model import (
    CACHE_CLUSTER,
    CACHE_PROJECT,
    Cluster,
    ClusterSet,
    Configuration,
    Frontend,
    Selection,
    replace,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

ENV_CACHE = "SEAMLESS_CACHE"


def cache_root(environ: Mapping[str, str], home: str) -> str | None:
    """The absolute cache directory named by ``SEAMLESS_CACHE``, ``None`` when unset or blank.
    A leading ``~`` is this ``home`` (the ``HOME`` of ``environ``)."""
    value = environ.get(ENV_CACHE, "").strip()
    if not value:
        return None
    if value == "~" or value.startswith("~/"):
        value = home + value[1:]
    else:
        value = os.path.expanduser(value)
    return os.path.abspath(value)


def cache_cluster(root: str) -> Cluster:
    frontend = Frontend(
        hostname="localhost",
        sections={"hashserver": {"bufferdir": root}, "database": {"database_dir": root}},
    )
    return Cluster(name=CACHE_CLUSTER, frontends=(frontend,), type="local", source=ENV_CACHE)


def cache_configuration(root: str, selection: Selection) -> Configuration:
    """The configuration of SEAMLESS_CACHE mode for the directory ``root`` (made absolute),
    keeping what ``selection`` chose except cluster, execution and persistence."""
    root = os.path.abspath(root)
    clusters = ClusterSet(clusters={CACHE_CLUSTER: cache_cluster(root)}, local_cluster=CACHE_CLUSTER)
    chosen = replace(
        selection,
        cluster=CACHE_CLUSTER,
        project=selection.project or CACHE_PROJECT,
        execution="process",
        persistent=True,
    )
    return Configuration(clusters=clusters, selection=chosen, cache_root=root)
