"""rhl-rm: remove state files (never logs).

The command body: the runner (``commands``) calls run() with the parsed values."""

from __future__ import annotations

import sys

from .. import removing
from ..output import out


def run(
    keys: tuple[str, ...],
    client: bool,
    server: bool,
    force: bool,
    cancel_worker_jobs: str | None = None,
    worker_jobs_of: tuple[str, ...] = (),
    **meta: str | None,
) -> int:
    """``meta``: the ``--meta-*`` selection of server state files (see ``bodies.stop.selected``),
    whose keys are removed as if they had been named.

    ``cancel_worker_jobs`` (with the server side): first cancel the batch jobs of each key's
    Dask workers (``<key>: cancelled N worker jobs (ids)``, before the removal lines; refused
    for a port a live service uses, as rhl-jobs --cancel does), since the state file about to
    go holds the scheduler port they connect to."""
    from ..errors import UsageProblem
    from .stop import selected

    if not client and not server:
        client = server = True
    if worker_jobs_of and cancel_worker_jobs is None:
        raise UsageProblem("--worker-jobs-of needs --cancel-worker-jobs")
    if cancel_worker_jobs is not None and not server:
        raise UsageProblem("--cancel-worker-jobs needs the server state (--server, or neither side)")
    chosen = selected(keys, meta)
    lines: list[str] = []
    errors: list[str] = []
    if cancel_worker_jobs is not None:
        from ..batchjobs import cancel_lines, worker_selectors

        lines, errors = cancel_lines(*worker_selectors(cancel_worker_jobs, chosen, worker_jobs_of))
    removed, failed = removing.remove_keys(chosen, client=client, server=server, force=force)
    out("".join(line + "\n" for line in lines + removed))
    for error in errors + failed:
        sys.stderr.write(f"rhl-rm: {error}\n")
    return 1 if errors or failed else 0
