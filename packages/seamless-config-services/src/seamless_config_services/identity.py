"""Who a state file belongs to: its ``meta`` block, or else what its key says.

``rhl-ps`` rows carry the ``meta`` we write at every launch; state files written by
seamless-config 0.3.2's runtime (or by anything else) have none, and only the key tells the
service, cluster, project and stage (spec §4.5.4). Every registered service type parses its
own keys (:meth:`~seamless_config_services.services.base.ServiceType.parse_key`), given the
configured cluster names so that a name with ``-`` in it is split where it really ends.

Cluster membership is exact (weak point 14): 0.3.2 also accepted any key that merely
*started* with e.g. ``pure-daskserver-<cluster>-``, so cluster ``a`` claimed cluster
``a-b``'s services.
"""

from __future__ import annotations

from collections.abc import Mapping

from .services.base import KeyIdentity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection
    from typing import Any


def _text(meta: Mapping[str, Any], name: str) -> str | None:
    value = meta.get(name)
    return value if isinstance(value, str) and value else None


def _meta(row: Mapping[str, Any]) -> Mapping[str, Any] | None:
    meta = row.get("meta")
    return meta if isinstance(meta, Mapping) else None


def parse_key(key: str, known_clusters: Collection[str] = ()) -> KeyIdentity | None:
    """The identity a key alone gives, asking the service types with the longest names first
    (so a type named ``dask`` never claims ``daskserver-...`` keys)."""
    from .plugins import service_types  # only for keys without meta: ps rows rarely need it

    for service_type in sorted(service_types().by_name.values(), key=lambda t: len(t.name), reverse=True):
        found = service_type.parse_key(key, known_clusters)
        if found is not None:
            return found
    return None


def identify(row: Mapping[str, Any], known_clusters: Collection[str] = ()) -> KeyIdentity | None:
    """The identity of a state-file row (``rhl-ps --json``): its ``meta`` when that names a
    service, else its key parsed; ``None`` when neither tells."""
    key = row.get("key")
    meta = _meta(row)
    service = _text(meta, "service") if meta is not None else None
    if meta is None or service is None:
        return parse_key(key, known_clusters) if isinstance(key, str) else None
    cluster = _text(meta, "cluster")
    if cluster is None and isinstance(key, str):
        parsed = parse_key(key, known_clusters)
        cluster = parsed.cluster if parsed is not None else None
    return KeyIdentity(
        service=service,
        cluster=cluster or "",
        mode=_text(meta, "mode"),
        project=_text(meta, "project"),
        subproject=_text(meta, "subproject"),
        stage=_text(meta, "stage"),
        substage=_text(meta, "substage"),
        queue=_text(meta, "queue"),
    )


def belongs_to_cluster(row: Mapping[str, Any], cluster: str, known_clusters: Collection[str] = ()) -> bool:
    """Whether the row is a service of ``cluster``: its ``meta.cluster``, else the cluster
    its key names (pass every configured cluster name as ``known_clusters``)."""
    found = identify(row, known_clusters)
    return found is not None and found.cluster == cluster
