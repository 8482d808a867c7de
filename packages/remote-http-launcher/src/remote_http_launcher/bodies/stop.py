"""rhl-stop: stop services by key, keeping their state for post-mortem.

The command body: the runner (``commands``) calls run() with the parsed values."""

from __future__ import annotations

import sys

from .. import stopping
from ..output import out


def selected(keys: tuple[str, ...], meta: dict[str, str | None]) -> list[str]:
    """``keys``, then the keys a ``--meta-*`` selection picks (:mod:`..selection`), each once.
    Without keys or ``--meta-cluster``: the usage error of a missing KEY (a selection always
    names its cluster, so that no option alone means "every service of this account")."""
    from ..errors import UsageProblem
    from ..selection import select_keys, wanted_fields

    wanted = wanted_fields(meta)
    if wanted and "cluster" not in wanted:
        raise UsageProblem("--meta-* options need --meta-cluster")
    if not keys and not wanted:
        raise UsageProblem("Missing argument 'KEY...'.")
    return list(dict.fromkeys([*keys, *(select_keys(wanted) if wanted else ())]))


def run(keys: tuple[str, ...], sigint_grace: float, sigterm_grace: float, **meta: str | None) -> int:
    """One ``<key>: <outcome>`` line per key on stdout (data: what tools parse, as in 0.4.5);
    a key that failed gets its bare outcome there and its explanation on stderr, one line
    (``rhl-stop: <key>: <outcome> (<why>)``). Keys that did not fail keep their detail on
    stdout (``already gone (PID ... now belongs to another process; not signalled)``).
    ``meta``: the ``--meta-*`` selection (:func:`selected`)."""
    results = stopping.stop_keys(selected(keys, meta), sigint_grace=sigint_grace, sigterm_grace=sigterm_grace)
    out("".join((f"{r.key}: {r.outcome}" if r.failed else r.line()) + "\n" for r in results))
    failed = [r for r in results if r.failed]
    if failed:
        sys.stdout.flush()  # the data first, then the explanations
        sys.stderr.write("".join(f"rhl-stop: {r.line()}\n" for r in failed))
    return 1 if failed else 0
