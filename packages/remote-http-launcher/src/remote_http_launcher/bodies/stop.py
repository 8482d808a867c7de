"""rhl-stop: stop services by key, keeping their state for post-mortem.

The command body: the runner (``commands``) calls run() with the parsed values."""

from __future__ import annotations

import sys

from .. import stopping
from ..output import out


def run(keys: tuple[str, ...], sigint_grace: float, sigterm_grace: float) -> int:
    """One ``<key>: <outcome>`` line per key on stdout (data: what tools parse, as in 0.4.5);
    a key that failed gets its bare outcome there and its explanation on stderr, one line
    (``rhl-stop: <key>: <outcome> (<why>)``). Keys that did not fail keep their detail on
    stdout (``already gone (PID ... now belongs to another process; not signalled)``)."""
    results = stopping.stop_keys(list(keys), sigint_grace=sigint_grace, sigterm_grace=sigterm_grace)
    out("".join((f"{r.key}: {r.outcome}" if r.failed else r.line()) + "\n" for r in results))
    failed = [r for r in results if r.failed]
    if failed:
        sys.stdout.flush()  # the data first, then the explanations
        sys.stderr.write("".join(f"rhl-stop: {r.line()}\n" for r in failed))
    return 1 if failed else 0
