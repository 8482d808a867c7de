"""rhl-clear: empty a persistent data directory.

The command body: the runner (``commands``) calls run() with the parsed values."""

from __future__ import annotations

import sys

from .. import persistent
from ..output import out
from ..policy import enforced


def run(
    path: str, force: bool, keep: tuple[str, ...] = (), only: tuple[str, ...] = (), nested: bool = False
) -> int:
    # Under rhl-guard, the opened directory is re-checked against the guard's path policy.
    result = persistent.clear(
        path, force=force, verify=enforced.clear_verifier(), keep=keep, only=only, nested=nested
    )
    for error in result.errors:
        sys.stderr.write(f"rhl-clear: {error}\n")
    out(f"removed {result.removed} item(s) from {result.path}\n")
    return 1 if result.errors else 0
