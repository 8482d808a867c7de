"""rhl-jobs: the batch jobs of Dask services (list, count, cancel).

The command body: the runner (``commands``) calls run() with the parsed values."""

from __future__ import annotations

import sys

from .. import batchjobs
from ..errors import UsageProblem
from ..output import ndjson, out


def run(system: str, keys: tuple[str, ...], port: int | None, cancel: bool) -> int:
    if not keys and port is None:
        raise UsageProblem("give at least one KEY or --port")
    rows, complete = batchjobs.report(system, list(keys), port, cancel=cancel)
    out(ndjson(rows))
    errors = [row for row in rows if row.get("error")]
    if errors:  # the rows carry the data; a failure also explains itself on stderr (issue 14.8)
        sys.stdout.flush()
        for row in errors:
            subject = row.get("key") or f"port {row.get('port')}"
            sys.stderr.write(f"rhl-jobs: {subject}: {row['error']}\n")
    return 0 if complete else 1
