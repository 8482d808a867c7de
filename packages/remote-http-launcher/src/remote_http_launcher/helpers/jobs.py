"""rhl-jobs: the batch jobs of Dask services (list, count, cancel).

The command body, free of click: the fast path and the click command both call run()."""

from __future__ import annotations

from .. import batchjobs
from ..cli._out import ndjson, out
from ..errors import UsageProblem


def run(system: str, keys: tuple[str, ...], port: int | None, cancel: bool) -> int:
    if not keys and port is None:
        raise UsageProblem("give at least one KEY or --port")
    rows, complete = batchjobs.report(system, list(keys), port, cancel=cancel)
    out(ndjson(rows))
    return 0 if complete else 1
