"""Which server state files a ``--meta-*`` selection of ``rhl-stop``/``rhl-rm`` picks.

``seamless-service-stop/rm --cluster C [--project P --stage S ...]`` act on every service of
a cluster; which keys those are is only known from the host's state files. Sending the
selection itself lets one helper call both select and act (one round trip per host). The
rule is the client's own rule for a state file whose ``meta`` names its service and cluster
(``seamless_config_services.identity``): every field asked for must be a non-empty string
equal to the value asked for. A state file whose ``meta`` does not name both (written by
remote-http-launcher 0.4.5 or by another tool, corrupt, or untracked) is never picked here:
only its key tells who it belongs to, which the client parses itself (the client then names
such a key explicitly). The client imports :func:`meta_matches` to predict exactly what the
server picked.
"""

from __future__ import annotations

from .commands._table import META_FIELDS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = ["META_FIELDS", "meta_matches", "select_keys", "wanted_fields"]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def meta_matches(meta: object, wanted: Mapping[str, str]) -> bool:
    """Does a state file's ``meta`` name its service and cluster, and every ``wanted`` field
    with exactly the wanted value? (``""`` is never a value: it matches nothing.)"""
    if not isinstance(meta, dict):
        return False
    if _text(meta.get("service")) is None or _text(meta.get("cluster")) is None:
        return False
    return all(_text(meta.get(name)) == value for name, value in wanted.items())


def wanted_fields(values: Mapping[str, Any]) -> dict[str, str]:
    """The ``--meta-*`` values given (``meta_<field>`` in the parsed values), by field."""
    return {name: values[f"meta_{name}"] for name in META_FIELDS if values.get(f"meta_{name}") is not None}


def select_keys(wanted: Mapping[str, str]) -> list[str]:
    """The keys of the server state files whose ``meta`` matches ``wanted``, in file order
    (the rows ``rhl-ps`` lists, without probing any process)."""
    from .listing import list_rows

    return [str(row["key"]) for row in list_rows(probe=False) if meta_matches(row.get("meta"), wanted)]
