"""Worker jobs as the seamless-service commands show and clean them, on real SLURM and OAR.

A pure-daskserver on an ``interactive`` queue keeps one worker job submitted at all times.
``seamless-service-ps`` counts it (JOBS column, ``jobs`` in JSON) through ``rhl-jobs`` on the
frontend. Then the wrapper is killed with SIGKILL, as an out-of-memory kill would: it cannot
cancel its jobs, and ps still counts the job of the dead service. ``seamless-service-stop``
cancels it (``cancelled 1 worker job``) and the scheduler's queue is empty. The same for
``seamless-service-rm`` after a second crash.
"""

from __future__ import annotations

import json
import os
import pathlib
import pwd
import signal
from collections.abc import Callable
from typing import Any

import pytest

from services.project_support import Project
from sshd_support import SSHD

from .batch_support import wait_until
from .test_batch_dask import SCHEDULERS, dask_cluster, scheduler_jobs

pytestmark = [pytest.mark.batch, pytest.mark.timeout(300)]

#: OAR schedules every few seconds (up to 13 s measured); SLURM within about one.
SCHEDULED = 90


def ps_rows(project: Project, kind: str) -> list[dict[str, Any]]:
    result = project.ok("seamless-service-ps", "--server", "--cluster", kind, "--json")
    return [json.loads(line) for line in result.stdout.splitlines()]


def dask_row(project: Project, kind: str) -> dict[str, Any]:
    (row,) = [r for r in ps_rows(project, kind) if r["service"] == "pure-daskserver"]
    return row


def worker_processes(user: str = "svc") -> list[int]:
    """PIDs of ``user``'s Dask worker processes (the job scripts' ``dask_worker`` commands)."""
    uid = pwd.getpwnam(user).pw_uid
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"distributed.cli.dask_worker" in command:
            found.append(int(entry.name))
    return found


def crash(project: Project, kind: str, key: str) -> None:
    """SIGKILL the wrapper's process group (staging an out-of-memory kill).

    A Dask worker closes as soon as its scheduler is gone, and its batch job then ends on its
    own (on SLURM within a second): the leftover this test is about would be a race. So the
    job's worker is frozen first (SIGSTOP, as a worker stuck in a task would be): the job stays
    RUNNING with nobody left to cancel it, and only our stop/rm can. The cancellation kills
    the frozen processes (SIGKILL needs no SIGCONT)."""
    running = {"running": 1, "pending": 0}
    wait_until(lambda: dask_row(project, kind)["jobs"] == running, SCHEDULED, "the job running")
    wait_until(lambda: bool(worker_processes()), 30, "the job's Dask worker process started")
    frozen = worker_processes()
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    pid = project.server_state(key)["pid"]
    os.killpg(pid, signal.SIGKILL)
    wait_until(lambda: dask_row(project, kind)["process"] == "stale", 30, "wrapper seen dead")


@pytest.mark.parametrize("kind", SCHEDULERS)
def test_worker_jobs_are_counted_and_leftovers_cancelled(
    kind: str,
    request: pytest.FixtureRequest,
    batch_frontend: SSHD,
    batch_bin: pathlib.Path,
    tmp_path: pathlib.Path,
) -> None:
    jobs: Callable[[str], dict[str, str]] = scheduler_jobs(request, kind)
    project = Project(tmp_path, batch_frontend)
    cluster = dask_cluster(kind, batch_bin)
    cluster["queues"]["q"]["interactive"] = True  # one job at all times, no task needed
    project.clusters[kind] = cluster
    project.write_clusters()
    key = f"pure-daskserver-{kind}-q"
    project.start("pure-daskserver", "--cluster", kind)

    # Counted while the service runs: one worker job, pending or already running.
    wait_until(lambda: len(jobs("svc")) == 1, SCHEDULED, f"one {kind} job of svc submitted")
    row = dask_row(project, kind)
    assert row["process"] == "running"
    assert sum(row["jobs"].values()) == 1, row
    one_running = {"running": 1, "pending": 0}
    wait_until(lambda: dask_row(project, kind)["jobs"] == one_running, SCHEDULED, "the job running")
    table = project.ok("seamless-service-ps", "--server", "--cluster", kind).stdout
    assert table.splitlines()[0].split()[-1] == "JOBS"
    assert table.splitlines()[1].endswith("1 running, 0 pending"), table

    # The wrapper dies without cleaning up: its job is still there, and ps says so.
    (job_id,) = jobs("svc")
    crash(project, kind, key)
    assert dask_row(project, kind)["jobs"]["running"] + dask_row(project, kind)["jobs"]["pending"] == 1

    # stop cancels what the crash left behind.
    stopped = project.ok("seamless-service-stop", "--service", "pure-daskserver", "--cluster", kind)
    assert stopped.stdout == f"{key}: already gone\n{key}: cancelled 1 worker job ({job_id})\n"
    wait_until(lambda: not jobs("svc"), SCHEDULED, f"no {kind} job of svc left after stop")
    wait_until(lambda: not worker_processes(), 30, "the frozen worker gone with its job (stop)")

    # rm does the same for a service that is forgotten instead of stopped.
    project.start("pure-daskserver", "--cluster", kind)
    wait_until(lambda: len(jobs("svc")) == 1, SCHEDULED, f"one {kind} job of svc submitted again")
    (job_id,) = jobs("svc")
    crash(project, kind, key)
    removed = project.ok("seamless-service-rm", "--service", "pure-daskserver", "--cluster", kind)
    assert removed.stdout.splitlines()[0] == f"{key}: cancelled 1 worker job ({job_id})", removed.stdout
    wait_until(lambda: not jobs("svc"), SCHEDULED, f"no {kind} job of svc left after rm")
    wait_until(lambda: not worker_processes(), 30, "the frozen worker gone with its job (rm)")
    assert [r for r in ps_rows(project, kind) if r["service"] == "pure-daskserver"] == []
