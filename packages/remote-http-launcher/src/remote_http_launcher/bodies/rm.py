"""rhl-rm: remove state files (never logs).

The command body: the runner (``commands``) calls run() with the parsed values."""

from __future__ import annotations

import sys

from .. import removing
from ..output import out


def run(keys: tuple[str, ...], client: bool, server: bool, force: bool, **meta: str | None) -> int:
    """``meta``: the ``--meta-*`` selection of server state files (see ``bodies.stop.selected``),
    whose keys are removed as if they had been named."""
    from .stop import selected

    if not client and not server:
        client = server = True
    lines, errors = removing.remove_keys(selected(keys, meta), client=client, server=server, force=force)
    out("".join(line + "\n" for line in lines))
    for error in errors:
        sys.stderr.write(f"rhl-rm: {error}\n")
    return 1 if errors else 0
