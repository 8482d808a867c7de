"""The worker jobs of the Dask services: counted by ps, cancelled by stop and rm.

A daskserver or pure-daskserver on a batch cluster (SLURM, OAR, or a plugin's scheduler)
runs its Dask workers as batch jobs. The frontend's ``rhl-jobs`` helper finds them (jobs of
the service's user whose worker connects to the service's scheduler port) and cancels them;
which adapter it uses is the scheduler's ``batch_system``. This module decides which keys
to ask about, asks once per host and system, and turns the answers into row fields and
output lines.

Servers running remote-http-launcher 0.4.5 have no ``rhl-jobs``: their jobs are then not
counted (one line says so) and nothing else changes.
"""

from __future__ import annotations

from . import dispatch
from .dispatch import Call
from .errors import ConfigError, ServiceError
from .model import field, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    from .model import Configuration

HELPER = "rhl-jobs"
#: rhl-jobs rows count these states; "other" (completing, suspended...) is shown apart.
COUNTED = ("running", "pending")


def batch_system(configuration: Configuration, service: str | None, cluster: str | None) -> str | None:
    """The ``rhl-jobs --system`` of a service on a cluster, or None (no worker jobs)."""
    from .plugins import schedulers, service_types

    if not service or not cluster:
        return None
    service_type = service_types().by_name.get(service)
    if service_type is None or not service_type.needs_queue:
        return None
    try:
        cluster_type = configuration.cluster(cluster).type
    except ConfigError:
        return None
    scheduler = schedulers().by_name.get(cluster_type) if cluster_type else None
    return scheduler.batch_system if scheduler is not None else None


@record
class JobsAnswer:
    """rhl-jobs rows by key (and the row of a ``--port`` query under ``None``), or why not."""

    rows: dict[str | None, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _calls(groups: dict[tuple[str | None, str], list[str]], extra: Sequence[str]) -> list[Call]:
    return [
        Call(target, HELPER, ("--system", system, *extra, *keys)) for (target, system), keys in groups.items()
    ]


def _missing_helper(outcome: dispatch.Outcome) -> bool:
    if isinstance(outcome, ServiceError):
        return getattr(outcome, "exit_code", 0) == 127
    return outcome.rc == 127


def ask(calls: Sequence[Call]) -> JobsAnswer:
    """Run rhl-jobs calls side by side; rows by key (the port query's row under its call)."""
    answer = JobsAnswer()
    for call, outcome in zip(calls, dispatch.run_many(calls)):
        if _missing_helper(outcome):
            answer.problems.append(
                f"{call.where}: worker jobs not checked: {HELPER} is not installed there "
                "(remote-http-launcher 0.4.5 has no such helper)"
            )
            continue
        if isinstance(outcome, ServiceError):
            answer.problems.append(f"{call.where}: worker jobs: {outcome}")
            continue
        try:
            rows = outcome.json_rows()
        except ServiceError as exc:
            answer.problems.append(str(exc))
            continue
        for row in rows:
            key = row.get("key")
            answer.rows[key if isinstance(key, str) else None] = row
            if row.get("error"):
                answer.problems.append(f"{row.get('key') or call.where}: worker jobs: {row['error']}")
        if outcome.rc != 0 and not rows:
            answer.problems.append(f"{HELPER} on {call.where}: {outcome.error_line()}")
    return answer


def counts(row: dict[str, Any]) -> dict[str, int]:
    """``{"running": n, "pending": n}`` (and ``other`` when there are such jobs)."""
    found = {"running": 0, "pending": 0}
    for job in row.get("jobs") or ():
        state = job.get("state") if isinstance(job, dict) else None
        key = state if state in COUNTED else "other"
        found[key] = found.get(key, 0) + 1
    return found


# -- ps ---------------------------------------------------------------------------------------


def add_counts(
    rows: Iterable[dict[str, Any]], system_of: Callable[[dict[str, Any]], str | None]
) -> list[str]:
    """Give every Dask row on a batch cluster (``system_of(row)`` names its rhl-jobs system)
    a ``jobs`` field, counts by state; the problems met on the way are returned."""
    groups: dict[tuple[str | None, str], list[str]] = {}
    wanted: list[tuple[dict[str, Any], str | None, str]] = []
    for row in rows:
        system = system_of(row)
        key = row.get("key")
        if system is None or not key or row.get("process") in (None, "unreachable"):
            continue
        target = row.get("_target")
        groups.setdefault((target, system), []).append(key)
        wanted.append((row, target, key))
    if not groups:
        return []
    answer = ask(_calls(groups, ()))
    for row, _target, key in wanted:
        found = answer.rows.get(key)
        if found is not None and not found.get("error"):
            row["jobs"] = counts(found)
    return answer.problems


# -- stop and rm ------------------------------------------------------------------------------


def _by_host_and_system(
    by_target: dict[str | None, list[str]], systems: dict[str, str]
) -> dict[tuple[str | None, str], list[str]]:
    """The keys that have worker jobs, grouped into one rhl-jobs call per host and system."""
    groups: dict[tuple[str | None, str], list[str]] = {}
    for target, keys in by_target.items():
        for key in keys:
            if key in systems:
                groups.setdefault((target, systems[key]), []).append(key)
    return groups


def ports_before_stop(
    by_target: dict[str | None, list[str]], systems: dict[str, str]
) -> tuple[dict[str, tuple[str | None, str, int]], list[str]]:
    """key -> (target, system, scheduler port) for the Dask services about to be stopped: the
    wrapper deletes its state file when it exits, and with it the port the jobs connect to."""
    groups = _by_host_and_system(by_target, systems)
    if not groups:
        return {}, []
    answer = ask(_calls(groups, ()))
    ports: dict[str, tuple[str | None, str, int]] = {}
    for (target, system), keys in groups.items():
        for key in keys:
            port = (answer.rows.get(key) or {}).get("port")
            if isinstance(port, int) and not isinstance(port, bool):
                ports[key] = (target, system, port)
    return ports, answer.problems


def cancel_leftovers(ports: dict[str, tuple[str | None, str, int]]) -> tuple[list[str], list[str]]:
    """After the stop: cancel the jobs still connecting to each stopped service's port (the
    wrapper cancels its own when it shuts down cleanly; these are what a crash or a SIGKILL
    left behind). Output lines and problems."""
    keys = list(ports)
    calls = [
        Call(target, HELPER, ("--system", system, "--cancel", "--port", str(port)))
        for target, system, port in ports.values()
    ]
    lines: list[str] = []
    problems: list[str] = []
    for key, outcome in zip(keys, dispatch.run_many(calls)):
        if isinstance(outcome, ServiceError):
            problems.append(f"{key}: worker jobs not cancelled: {outcome}")
            continue
        for row in outcome.json_rows() if outcome.stdout.strip() else ():
            lines.extend(_cancel_lines(key, row))
            if row.get("error"):
                problems.append(f"{key}: worker jobs not cancelled: {row['error']}")
        if outcome.rc != 0 and not outcome.stdout.strip():
            problems.append(f"{key}: worker jobs not cancelled: {outcome.error_line()}")
    return lines, problems


def cancel_by_key(
    by_target: dict[str | None, list[str]], systems: dict[str, str]
) -> tuple[list[str], list[str]]:
    """Before removing state files: cancel the jobs of the services about to be forgotten."""
    groups = _by_host_and_system(by_target, systems)
    if not groups:
        return [], []
    answer = ask(_calls(groups, ("--cancel",)))
    lines: list[str] = []
    for answered, row in answer.rows.items():
        if answered is not None:
            lines.extend(_cancel_lines(answered, row))
    return lines, answer.problems


def _cancel_lines(key: str, row: dict[str, Any]) -> list[str]:
    cancelled = [str(job_id) for job_id in row.get("cancelled") or ()]
    if not cancelled:
        return []
    noun = "job" if len(cancelled) == 1 else "jobs"
    return [f"{key}: cancelled {len(cancelled)} worker {noun} ({', '.join(cancelled)})"]
