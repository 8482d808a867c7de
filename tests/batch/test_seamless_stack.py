"""Real Seamless with ``remote: daskserver`` on real SLURM and OAR workers (issue 15).

The client stack venv of tests/seamless_stack (PyPI's seamless-transformer, seamless-config
0.3.2, seamless-remote, seamless-dask ... with ours installed over it) drives a cluster file of
``type: slurm`` / ``type: oar`` whose frontend is the ``svc`` account of the test sshd:
hashserver, seamless-database and the Dask wrapper (``seamless-dask-wrapper``, launched through
our layer over SSH) run there as svc, and the wrapper's workers are batch jobs of svc. The
queue's ``conda`` is the stack venv itself, activated by path through the conda stand-in
(tests/fakeconda) in svc's home: seamless-remote 0.4.0 refuses a persistent daskserver
without a conda environment. A transformation then executes inside a batch job (its
``SLURM_JOB_ID`` / ``OAR_JOB_ID``, a job of svc by the scheduler's own records), its result is
cached on the frontend (the rerun does not execute), and ``seamless-service-stop`` leaves no
job behind.
"""

from __future__ import annotations

import json
import os
import pathlib
import pwd
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import fakeconda
from seamless_stack.stack_support import Stack, StackError, StackVenv, ensure_stack_venv, free_port_range
from sshd_support import SSHD

from .batch_support import run, wait_until
from .conftest import TIMINGS

pytestmark = [pytest.mark.batch, pytest.mark.timeout(420)]

SCHEDULERS = ["slurm", "oar"]
P = Stack.PROJECT
JOBS_GONE_TIMEOUT = 60


@pytest.fixture(scope="module")
def stack_venv() -> StackVenv:
    began = time.monotonic()
    try:
        venv = ensure_stack_venv()
    except StackError as exc:
        pytest.fail(f"batch setup: seamless stack venv: {exc}", pytrace=False)
    TIMINGS.setdefault("seamless stack venv (0 when cached)", time.monotonic() - began)
    return venv


@pytest.fixture
def svc_dir() -> Iterator[pathlib.Path]:
    """A directory the workers (svc) write the side-effect file to, and root reads."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="rhl-seamless-batch-", dir="/tmp"))
    os.chown(path, pwd.getpwnam("svc").pw_uid, -1)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _job_owner(kind: str, job: str) -> str:
    """The user that owns batch job ``job``, from the scheduler's own records (the job may
    already be over: SLURM keeps it MinJobAge=60 s, OAR keeps every job)."""
    if kind == "slurm":
        text = run(["scontrol", "show", "job", job], timeout=20).stdout
        [field] = [word for word in text.split() if word.startswith("UserId=")]
        return field.split("=", 1)[1].split("(", 1)[0]
    data = json.loads(run(["oarstat", "-j", job, "-J"], timeout=30).stdout)
    return str(data[job]["owner"])


def _cluster(stack: Stack, sshd: SSHD, kind: str) -> None:
    start, end = free_port_range(40)
    queue: dict[str, Any] = {
        "conda": str(stack.venv.path),
        "walltime": "00:10:00",
        "cores": 1,
        "memory": "1GB",
        "maximum_jobs": 1,
        "unknown_task_duration": "1m",
        "target_duration": "10s",
    }
    extra: dict[str, Any] = {"type": kind, "tunnel": False, "default_queue": "q", "queues": {"q": queue}}
    if kind == "slurm":
        queue["partition"] = "debug"
    else:
        # OAR does not pass the submitter's environment to the job; the wrapper puts
        # `export PATH="$CONDA_PREFIX/bin:$PATH"` in the job script itself (the conda
        # activation set CONDA_PREFIX). seamless-config 0.3.2 refuses a queue's
        # `job_script_prologue` (ClusterQueueWithTemplate has no such field).
        extra["memory_per_core_property_name"] = "not_applicable"
    cluster = stack.over_ssh(sshd, kind, **extra)
    cluster["frontends"][0]["daskserver"] = {
        "network_interface": "127.0.0.1",
        "port_start": start,
        "port_end": end,
    }
    stack.write_clusters()
    stack.write_project(execution="remote", remote="daskserver", cluster=kind)
    entry = pwd.getpwnam("svc")
    fakeconda.build(sshd.home("svc"), owner=(entry.pw_uid, entry.pw_gid))
    # The venv as a prefix environment (`conda create -p` registers it the same way).
    registry = sshd.home("svc") / ".conda" / "environments.txt"
    registry.parent.mkdir(exist_ok=True)
    registry.write_text(f"{stack.venv.path}\n")
    for path in (registry.parent, registry):
        os.chown(path, entry.pw_uid, entry.pw_gid)


@pytest.mark.parametrize("kind", SCHEDULERS)
def test_seamless_transformation_in_a_batch_job(
    kind: str,
    request: pytest.FixtureRequest,
    sshd_isolated: SSHD,
    stack_venv: StackVenv,
    tmp_path: pathlib.Path,
    svc_dir: pathlib.Path,
) -> None:
    jobs: Callable[[str], dict[str, str]] = request.getfixturevalue(kind)
    stack = Stack(tmp_path, stack_venv)
    stack.side = svc_dir / "executions.log"
    try:
        _cluster(stack, sshd_isolated, kind)
        cold = stack.job(timeout=300)
        TIMINGS[f"{kind}: seamless cold run (frontend services + worker job)"] = cold.seconds
        runs = stack.executions()
        assert len(runs) == 1, runs
        assert runs[0].job != "-", f"the transformation did not run inside a batch job: {runs[0]}"
        assert runs[0].pid != cold.pid
        assert _job_owner(kind, runs[0].job) == "svc"
        rows = stack.rows("--server", "--cluster", kind)
        assert rows["daskserver"]["process"] == "running", rows
        buffers = sshd_isolated.home("svc") / "buffers" / P
        assert any(buffers.iterdir()), "the result is stored in the frontend's hashserver"

        warm = stack.job(timeout=300)
        TIMINGS[f"{kind}: seamless warm run (cached)"] = warm.seconds
        assert len(stack.executions()) == 1, "the rerun must be served from the cache"

        before = jobs("svc")
        assert before, "the daskserver's worker job is still queued or running before the stop"
        stop = stack.ok("stop", "--cluster", kind, "--project", P)
        assert f"daskserver-{kind}-rw-{P}: stopped" in stop.stdout.splitlines(), stop
        took = wait_until(lambda: not jobs("svc"), JOBS_GONE_TIMEOUT, f"no {kind} job of svc left")
        assert jobs("svc") == {}, f"seamless-service-stop left jobs behind (before: {before})"
        TIMINGS[f"{kind}: seamless jobs gone after seamless-service-stop"] = took
    finally:
        stack.close()
