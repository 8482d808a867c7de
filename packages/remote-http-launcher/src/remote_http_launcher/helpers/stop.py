"""rhl-stop: stop services by key, keeping their state for post-mortem.

The command body, free of click: the fast path and the click command both call run()."""

from __future__ import annotations

from .. import stopping
from ..cli._out import out


def run(keys: tuple[str, ...], sigint_grace: float, sigterm_grace: float) -> int:
    results = stopping.stop_keys(list(keys), sigint_grace=sigint_grace, sigterm_grace=sigterm_grace)
    out("".join(result.line() + "\n" for result in results))
    return 1 if any(result.failed for result in results) else 0
