"""rhl-ps-persistent: report absent / empty / populated data directories.

The command body: the runner (``commands``) calls run() with the parsed values."""

from __future__ import annotations

import os

from .. import paths, persistent
from ..output import format_table, ndjson, out
from ..policy import enforced


def run(
    roots: tuple[str, ...],
    level: int,
    filename: str | None,
    marker: str | None,
    with_size: bool,
    as_json: bool,
) -> int:
    for root in roots:
        paths.validate_data_dir(root, destructive=False)
        enforced.require(root, "walk", "rhl-ps-persistent")  # no-op unless run by rhl-guard
    # Under rhl-guard, only directories the guard's policy allows are reported or descended into.
    accept = enforced.walk_filter()
    rows = []
    for root in (os.path.normpath(os.path.expanduser(r)) for r in roots):
        rows.extend(
            persistent.walk(
                root, level=level, filename=filename, marker=marker, size=with_size, accept=accept
            )
        )
    if as_json:
        out(ndjson(rows))
    else:
        out(
            format_table(
                ("PATH", "STATE", "SIZE", "MODIFIED"),
                ((r["path"], r["state"], r["size"], r["modified"]) for r in rows),
            )
        )
    return 0
