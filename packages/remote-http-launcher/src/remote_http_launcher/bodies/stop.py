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


def run(
    keys: tuple[str, ...],
    sigint_grace: float,
    sigterm_grace: float,
    cancel_worker_jobs: str | None = None,
    worker_jobs_of: tuple[str, ...] = (),
    **meta: str | None,
) -> int:
    """One ``<key>: <outcome>`` line per key on stdout (data: what tools parse, as in 0.4.5);
    a key that failed gets its bare outcome there and its explanation on stderr, one line
    (``rhl-stop: <key>: <outcome> (<why>)``). Keys that did not fail keep their detail on
    stdout (``already gone (PID ... now belongs to another process; not signalled)``).
    ``meta``: the ``--meta-*`` selection (:func:`selected`).

    ``cancel_worker_jobs``: the batch system of Dask services whose workers are batch jobs.
    Each key's scheduler port is read before the stop (the wrapper deletes its state on the
    way out); after it, the jobs still connecting to the port of each key that is gone are
    cancelled (``<key>: cancelled N worker jobs (ids)``, after the stop lines), so that
    ``seamless-service-stop`` is one call: what rhl-jobs --cancel --port does, same rules."""
    chosen = selected(keys, meta)
    workers = None
    if cancel_worker_jobs is not None:
        from ..batchjobs import worker_selectors

        workers = worker_selectors(cancel_worker_jobs, chosen, worker_jobs_of)
    elif worker_jobs_of:
        from ..errors import UsageProblem

        raise UsageProblem("--worker-jobs-of needs --cancel-worker-jobs")
    results = stopping.stop_keys(chosen, sigint_grace=sigint_grace, sigterm_grace=sigterm_grace)
    text = "".join((f"{r.key}: {r.outcome}" if r.failed else r.line()) + "\n" for r in results)
    problems = [f"{r.line()}" for r in results if r.failed]
    if workers is not None:
        from ..batchjobs import cancel_lines

        system, selectors = workers
        gone = {r.key for r in results if r.outcome in stopping.GONE_OUTCOMES}
        lines, failures = cancel_lines(system, {k: s for k, s in selectors.items() if k in gone})
        text += "".join(line + "\n" for line in lines)
        problems += failures
    out(text)
    if problems:
        sys.stdout.flush()  # the data first, then the explanations
        sys.stderr.write("".join(f"rhl-stop: {line}\n" for line in problems))
    return 1 if problems else 0
