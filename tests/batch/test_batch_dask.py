"""Dask workers as real batch jobs, on real SLURM and real OAR (issue 6).

First the simplest proof, raw dask-jobqueue run as ``svc``; then the product path: a
``pure-daskserver`` started with ``seamless-service-start`` from a cluster file of
``type: slurm`` / ``type: oar`` whose frontend is the ``svc`` account of the test sshd. The
client connects to the Dask scheduler the wrapper reports, a task reports the batch job it
runs in (``SLURM_JOB_ID`` / ``OAR_JOB_ID``) and the scheduler shows that job of svc running;
``seamless-service-stop`` then leaves no job behind, within a bounded wait.
"""

from __future__ import annotations

import json
import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from services.project_support import Project, free_port_range
from sshd_support import SSHD, SYSTEM_PATH

from .batch_support import wait_until
from .conftest import TIMINGS

pytestmark = [pytest.mark.batch, pytest.mark.timeout(300)]

HERE = pathlib.Path(__file__).resolve().parent
SCHEDULERS = ["slurm", "oar"]
#: How the schedulers spell a running job.
RUNNING = {"slurm": "RUNNING", "oar": "Running"}
JOB_VARIABLE = {"slurm": "SLURM_JOB_ID", "oar": "OAR_JOB_ID"}
#: OAR schedules every few seconds (up to 13 s measured); SLURM within about one.
JOBS_GONE_TIMEOUT = 60


def scheduler_jobs(request: pytest.FixtureRequest, kind: str) -> Callable[[str], dict[str, str]]:
    """Start the scheduler (session fixture) and return its ``jobs(user)`` function."""
    jobs: Callable[[str], dict[str, str]] = request.getfixturevalue(kind)
    return jobs


def dask_client(address: str) -> Any:
    try:
        from distributed import Client
    except ImportError:
        pytest.fail("distributed is not installed here: run the batch nox session", pytrace=False)
    return Client(address, timeout=30)


def run_as_svc(argv: list[str], cwd: pathlib.Path, timeout: float) -> subprocess.CompletedProcess[str]:
    entry = pwd.getpwnam("svc")
    return subprocess.run(
        argv,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        user=entry.pw_uid,
        group=entry.pw_gid,
        extra_groups=[],
        # oarsub takes the job's launching directory from PWD and fails ("please verify your
        # request syntax", exit 8) when it is not set; a shell would have set it.
        env={"HOME": str(cwd), "PWD": str(cwd), "PATH": SYSTEM_PATH, "LANG": "C.UTF-8"},
    )


@pytest.fixture
def svc_workdir() -> Iterator[pathlib.Path]:
    """A directory svc owns and can reach (pytest's tmp_path is under a root-only 0700 dir)."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="rhl-batch-", dir="/tmp"))
    os.chown(path, pwd.getpwnam("svc").pw_uid, -1)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("kind", SCHEDULERS)
def test_raw_dask_jobqueue(
    kind: str, request: pytest.FixtureRequest, batch_bin: pathlib.Path, svc_workdir: pathlib.Path
) -> None:
    """dask-jobqueue alone, as svc: one worker job, one task on it, no job left after close()."""
    jobs = scheduler_jobs(request, kind)
    work = svc_workdir
    # svc cannot read the checkout when it lives in a private directory (mktemp -d): copy.
    script = work / "raw_jobqueue.py"
    shutil.copyfile(HERE / "scripts" / "raw_jobqueue.py", script)
    os.chmod(script, 0o644)
    proc = run_as_svc([str(batch_bin / "python"), str(script), kind], work, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.splitlines()[-1])
    assert report["result"] == 42
    assert report["job_id"], report  # the task ran inside a batch job...
    assert report["job_state"] == RUNNING[kind], report  # ...that the scheduler showed running
    TIMINGS[f"{kind}: raw worker up"] = report["worker_up_s"]
    took = wait_until(lambda: report["job_id"] not in jobs("svc"), JOBS_GONE_TIMEOUT, f"{kind} job cancelled")
    TIMINGS[f"{kind}: raw job gone after close()"] = took


def dask_cluster(kind: str, batch_bin: pathlib.Path) -> dict[str, Any]:
    """A cluster-file entry: one frontend (svc over the test sshd), one small queue."""
    start, end = free_port_range()
    queue: dict[str, Any] = {"walltime": "00:10:00", "cores": 1, "memory": "1GB", "maximum_jobs": 1}
    cluster: dict[str, Any] = {
        "type": kind,
        "frontends": [
            {
                "hostname": "127.0.0.1",
                "ssh_hostname": "rhltest-svc",
                "daskserver": {"network_interface": "127.0.0.1", "port_start": start, "port_end": end},
            }
        ],
        "default_queue": "q",
        "queues": {"q": queue},
    }
    if kind == "slurm":
        queue["partition"] = "debug"
    else:
        # OAR does not pass the submitter's environment to the job: the worker's `python`
        # must be put on PATH by the job script itself.
        queue["job_script_prologue"] = [f"export PATH={batch_bin}:$PATH"]
        cluster["memory_per_core_property_name"] = "not_applicable"
    return cluster


@pytest.mark.parametrize("kind", SCHEDULERS)
def test_pure_daskserver_on_batch_workers(
    kind: str,
    request: pytest.FixtureRequest,
    batch_frontend: SSHD,
    batch_bin: pathlib.Path,
    tmp_path: pathlib.Path,
) -> None:
    jobs = scheduler_jobs(request, kind)
    project = Project(tmp_path, batch_frontend)
    project.clusters[kind] = dask_cluster(kind, batch_bin)
    project.write_clusters()
    key = f"pure-daskserver-{kind}-q"

    began = time.monotonic()
    payload = project.start("pure-daskserver", "--cluster", kind)
    TIMINGS[f"{kind}: seamless-service-start pure-daskserver"] = time.monotonic() - began
    assert payload["key"] == key
    state = project.server_state(key)
    assert state["status"] == "running"
    assert state["parameters"]["pure_dask"] is True
    log = project.remote_home / ".remote-http-launcher" / "server" / f"{key}.log"
    try:
        run_and_stop(kind, project, key, state, jobs)
    finally:  # shown by pytest when the test fails
        print(f"--- {log}:\n{log.read_text(errors='replace') if log.exists() else '(none)'}")


def run_and_stop(
    kind: str, project: Project, key: str, state: dict[str, Any], jobs: Callable[[str], dict[str, str]]
) -> None:
    """A task on a worker that is a batch job of svc; then stop, and no job is left."""
    variable = JOB_VARIABLE[kind]
    with dask_client(f"tcp://127.0.0.1:{state['port']}") as client:
        began = time.monotonic()
        future = client.submit(lambda x: (x * 2, __import__("os").environ.get(variable)), 21, pure=False)
        value, job_id = future.result(timeout=180)
        TIMINGS[f"{kind}: service worker up + first result"] = time.monotonic() - began
        assert value == 42
        assert job_id, "the task did not run inside a batch job"
        assert jobs("svc").get(job_id) == RUNNING[kind], jobs("svc")

    stopped = project.run("seamless-service-stop", "--service", "pure-daskserver", "--cluster", kind)
    took = wait_until(lambda: not jobs("svc"), JOBS_GONE_TIMEOUT, f"no {kind} job of svc left")
    TIMINGS[f"{kind}: jobs gone after seamless-service-stop"] = took
    assert jobs("svc") == {}
    # The wrapper cancelled its own job on the way out: nothing else to say, nothing failed.
    assert (stopped.returncode, stopped.stdout, stopped.stderr) == (0, f"{key}: stopped\n", "")
