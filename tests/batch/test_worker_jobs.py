"""Worker jobs as the seamless-service commands show and clean them, on real SLURM and OAR.

A pure-daskserver on an ``interactive`` queue keeps one worker job submitted at all times.
``seamless-service-ps`` counts it (JOBS column, ``jobs`` in JSON) through ``rhl-jobs`` on the
frontend. Then the wrapper is killed with SIGKILL, as an out-of-memory kill would: it cannot
cancel its jobs, and ps still counts the job of the dead service. ``seamless-service-stop``
cancels it (``cancelled 1 worker job``) and the scheduler's queue is empty. The same for
``seamless-service-rm`` after a second crash. Each of these, with ``--service`` or with
``--cluster``, is one remote round trip to the frontend (counted from sshd's log): rhl-stop /
rhl-rm read the scheduler ports and cancel the jobs themselves (``--cancel-worker-jobs``).
"""

from __future__ import annotations

import json
import os
import pathlib
import pwd
import re
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


def state_and_parent(pid: int) -> tuple[str, int] | None:
    """``/proc/PID/stat``'s state letter and parent PID (None: the process is gone)."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def job_workers() -> list[int]:
    """The job's own Dask worker processes: the top ``dask_worker`` process of each job (the
    nanny; its parent is the job script, within the job's step), running or sleeping.

    Not its children: while the nanny starts its worker (multiprocessing fork, then exec) the
    child still shows the nanny's command line, and a child frozen there is orphaned (parent
    PID 1, state T) once the nanny exits; the batch system no longer tracks it, so neither
    scancel nor oardel would end it (the flake this avoids)."""
    workers = worker_processes()
    found = []
    for pid in workers:
        seen = state_and_parent(pid)
        if seen is not None and seen[0] in "RS" and seen[1] not in (0, 1, *workers):
            found.append(pid)
    return found


def crash(project: Project, kind: str, key: str) -> None:
    """SIGKILL the wrapper's process group (staging an out-of-memory kill).

    A Dask worker closes as soon as its scheduler is gone, and its batch job then ends on its
    own (on SLURM within a second): the leftover this test is about would be a race. So the
    job's worker is frozen first (SIGSTOP, as a worker stuck in a task would be): the job stays
    RUNNING with nobody left to cancel it, and only our stop/rm can. The cancellation kills
    the frozen processes (SIGKILL needs no SIGCONT). Only the job's top worker process is
    frozen (:func:`job_workers`), and it is checked to be stopped inside the job's tree."""
    running = {"running": 1, "pending": 0}
    wait_until(lambda: dask_row(project, kind)["jobs"] == running, SCHEDULED, "the job running")
    wait_until(lambda: bool(job_workers()), 30, "the job's Dask worker process started")
    frozen = job_workers()
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    wait_until(
        lambda: all((state_and_parent(pid) or ("gone", 0))[0] == "T" for pid in frozen),
        10,
        "the worker frozen",
    )
    pid = project.server_state(key)["pid"]
    os.killpg(pid, signal.SIGKILL)
    wait_until(lambda: dask_row(project, kind)["process"] == "stale", 30, "wrapper seen dead")
    for pid in frozen:  # still inside the job (not orphaned): the batch system will end it
        seen = state_and_parent(pid)
        assert seen is not None and seen[0] == "T" and seen[1] != 1, (pid, seen)


def sessions(sshd: SSHD, user: str = "svc") -> int:
    """How many remote commands sshd has started for ``user`` so far (its VERBOSE log has one
    ``Starting session: command for USER`` line per command; tests/services/test_round_trips.py
    counts round trips the same way)."""
    pattern = re.compile(rf"Starting session: (command|forced-command .*) for {user} from ")
    return sum(1 for line in sshd.log.read_text(errors="replace").splitlines() if pattern.search(line))


def start_with_a_job(project: Project, kind: str, jobs: Callable[[str], dict[str, str]], what: str) -> str:
    """Start the pure-daskserver and wait for its one worker job; its id."""
    project.start("pure-daskserver", "--cluster", kind)
    wait_until(lambda: len(jobs("svc")) == 1, SCHEDULED, f"one {kind} job of svc submitted ({what})")
    (job_id,) = jobs("svc")
    return job_id


def counted(project: Project, *args: str) -> tuple[str, int]:
    """Run a command that must succeed; its stdout and how many remote commands it made."""
    assert project.sshd is not None
    before = sessions(project.sshd)
    result = project.ok(*args)
    return result.stdout, sessions(project.sshd) - before


def batch_project(
    kind: str, batch_frontend: SSHD, batch_bin: pathlib.Path, tmp_path: pathlib.Path
) -> Project:
    project = Project(tmp_path, batch_frontend)
    cluster = dask_cluster(kind, batch_bin)
    cluster["queues"]["q"]["interactive"] = True  # one job at all times, no task needed
    project.clusters[kind] = cluster
    project.write_clusters()
    return project


@pytest.mark.parametrize("kind", SCHEDULERS)
def test_worker_jobs_are_counted_and_leftovers_cancelled(
    kind: str,
    request: pytest.FixtureRequest,
    batch_frontend: SSHD,
    batch_bin: pathlib.Path,
    tmp_path: pathlib.Path,
) -> None:
    jobs: Callable[[str], dict[str, str]] = scheduler_jobs(request, kind)
    project = batch_project(kind, batch_frontend, batch_bin, tmp_path)
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

    # stop cancels what the crash left behind, in the one call to the frontend.
    stopped, trips = counted(
        project, "seamless-service-stop", "--service", "pure-daskserver", "--cluster", kind
    )
    assert stopped == f"{key}: already gone\n{key}: cancelled 1 worker job ({job_id})\n"
    assert trips == 1, trips
    wait_until(lambda: not jobs("svc"), SCHEDULED, f"no {kind} job of svc left after stop")
    wait_until(lambda: not worker_processes(), 30, "the frozen worker gone with its job (stop)")

    # rm does the same for a service that is forgotten instead of stopped.
    job_id = start_with_a_job(project, kind, jobs, "again")
    crash(project, kind, key)
    removed, trips = counted(
        project, "seamless-service-rm", "--service", "pure-daskserver", "--cluster", kind
    )
    assert removed.splitlines()[0] == f"{key}: cancelled 1 worker job ({job_id})", removed
    assert trips == 1, trips
    wait_until(lambda: not jobs("svc"), SCHEDULED, f"no {kind} job of svc left after rm")
    wait_until(lambda: not worker_processes(), 30, "the frozen worker gone with its job (rm)")
    assert [r for r in ps_rows(project, kind) if r["service"] == "pure-daskserver"] == []


@pytest.mark.parametrize("kind", SCHEDULERS)
def test_cluster_stop_and_rm_cancel_leftovers_in_one_round_trip(
    kind: str,
    request: pytest.FixtureRequest,
    batch_frontend: SSHD,
    batch_bin: pathlib.Path,
    tmp_path: pathlib.Path,
) -> None:
    """``--cluster``: the frontend's one batch holds rhl-ps and ``rhl-stop --meta-cluster ...
    --cancel-worker-jobs SYSTEM``, which selects the cluster's services, reads the Dask
    scheduler's port, stops and cancels the jobs the crash left: one round trip, the same
    lines as ``--service``. The same for rm, and for a cluster with nothing left to cancel."""
    jobs: Callable[[str], dict[str, str]] = scheduler_jobs(request, kind)
    project = batch_project(kind, batch_frontend, batch_bin, tmp_path)
    key = f"pure-daskserver-{kind}-q"

    job_id = start_with_a_job(project, kind, jobs, "for stop --cluster")
    crash(project, kind, key)
    stopped, trips = counted(project, "seamless-service-stop", "--cluster", kind)
    assert stopped == f"{key}: already gone\n{key}: cancelled 1 worker job ({job_id})\n"
    assert trips == 1, trips
    wait_until(lambda: not jobs("svc"), SCHEDULED, f"no {kind} job of svc left after stop --cluster")
    wait_until(lambda: not worker_processes(), 30, "the frozen worker gone with its job (stop --cluster)")

    job_id = start_with_a_job(project, kind, jobs, "for rm --cluster")
    crash(project, kind, key)
    removed, trips = counted(project, "seamless-service-rm", "--cluster", kind)
    assert removed.splitlines()[0] == f"{key}: cancelled 1 worker job ({job_id})", removed
    assert trips == 1, trips
    wait_until(lambda: not jobs("svc"), SCHEDULED, f"no {kind} job of svc left after rm --cluster")
    wait_until(lambda: not worker_processes(), 30, "the frozen worker gone with its job (rm --cluster)")
    assert [r for r in ps_rows(project, kind) if r["service"] == "pure-daskserver"] == []
    # Nothing left on the cluster: still one round trip each.
    assert counted(project, "seamless-service-stop", "--cluster", kind)[1] == 1
    assert counted(project, "seamless-service-rm", "--cluster", kind)[1] == 1
