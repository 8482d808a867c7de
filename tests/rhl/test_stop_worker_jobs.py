"""rhl-stop/rhl-rm --cancel-worker-jobs: one call reads each Dask service's scheduler port,
acts, and cancels the batch jobs still connecting to that port (what
``seamless-service-stop/rm`` of a Dask service on a batch cluster send, one round trip per host).

The batch system here is a recorded stand-in on PATH (``squeue``/``scontrol``/``scancel``
printing what SLURM prints, and logging what they were asked): enough to check the order of
the steps, the lines and the refusals. Real SLURM and OAR: tests/batch/test_worker_jobs.py.
"""

from __future__ import annotations

import os
import pathlib
import pwd
import subprocess

import pytest

from conftest import RhlEnv

#: No scheduler command on PATH: a call that reaches squeue fails loudly.
NO_SCHEDULER = {"PATH": "/nonexistent"}


def fake_slurm(tmp_path: pathlib.Path, port: int) -> tuple[dict[str, str], pathlib.Path]:
    """squeue lists job 41 (a dask-worker of the scheduler on ``port``) and job 42 (another
    port); scancel records its arguments. PATH for it, and the log."""
    bin_dir = tmp_path / "slurmbin"
    bin_dir.mkdir()
    log = tmp_path / "slurm.log"
    scripts = {
        "squeue": 'echo "squeue $*" >> {log}\nprintf "41|RUNNING|dask-worker\\n42|PENDING|dask-worker\\n"',
        "scontrol": (
            'echo "scontrol $*" >> {log}\n'
            'if [ "$3" = 41 ]; then echo "python -m distributed.cli.dask_worker tcp://node:{port} -n 1";'
            ' else echo "python -m distributed.cli.dask_worker tcp://node:1{port}"; fi'
        ),
        "scancel": 'echo "scancel $*" >> {log}',
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text("#!/bin/sh\n" + body.format(log=log, port=port) + "\n")
        path.chmod(0o755)
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}"}, log


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def crashed(rhl: RhlEnv, key: str, port: int, service: str = "pure-daskserver") -> None:
    """The state a SIGKILLed Dask wrapper leaves: running, its process gone, its port."""
    meta = {"service": service, "cluster": "hpc"}
    rhl.write_server(key, {"status": "running", "pid": dead_pid(), "port": port, "meta": meta})


def test_stop_cancels_the_jobs_of_the_stopped_service_after_the_stop(
    rhl: RhlEnv, tmp_path: pathlib.Path
) -> None:
    data = rhl.launch("dask-live")
    port = data["port"]
    env, log = fake_slurm(tmp_path, port)
    result = rhl.run("rhl-stop", "--cancel-worker-jobs", "slurm", "dask-live", env=env)
    assert (result.returncode, result.stderr) == (0, ""), result
    assert result.stdout == "dask-live: stopped\ndask-live: cancelled 1 worker job (41)\n"
    # Listed and cancelled after the stop (a port a live service uses is never cleared).
    assert log.read_text().splitlines() == [
        f"squeue --noheader --user {pwd.getpwuid(os.getuid()).pw_name} --format=%i|%T|%j",
        "scontrol write batch_script 41 -",
        "scontrol write batch_script 42 -",
        "scancel 41",
    ]
    assert rhl.read_server("dask-live")["status"] == "stale"


def test_stop_of_a_crashed_service_cancels_its_leftover_jobs(rhl: RhlEnv, tmp_path: pathlib.Path) -> None:
    crashed(rhl, "pure-daskserver-hpc-q", 40123)
    env, log = fake_slurm(tmp_path, 40123)
    result = rhl.run("rhl-stop", "--cancel-worker-jobs", "slurm", "pure-daskserver-hpc-q", "nothere", env=env)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "pure-daskserver-hpc-q: already gone\nnothere: missing state\n"
        "pure-daskserver-hpc-q: cancelled 1 worker job (41)\n"
    )
    assert log.read_text().splitlines()[-1] == "scancel 41"


def test_meta_selection_cancels_only_for_the_named_services(rhl: RhlEnv, tmp_path: pathlib.Path) -> None:
    """``--meta-cluster hpc --worker-jobs-of pure-daskserver``: every service of the cluster is
    stopped, the jobs are looked for only on the Dask service's port."""
    crashed(rhl, "pure-daskserver-hpc-q", 40123)
    crashed(rhl, "hashserver-hpc-rw-p", 40124, service="hashserver")
    env, log = fake_slurm(tmp_path, 40123)
    argv = ["--meta-cluster", "hpc", "--cancel-worker-jobs", "slurm", "--worker-jobs-of", "pure-daskserver"]
    result = rhl.run("rhl-stop", *argv, env=env)
    assert (result.returncode, result.stderr) == (0, "")
    assert sorted(result.stdout.splitlines()) == [
        "hashserver-hpc-rw-p: already gone",
        "pure-daskserver-hpc-q: already gone",
        "pure-daskserver-hpc-q: cancelled 1 worker job (41)",
    ]
    assert result.stdout.splitlines()[-1] == "pure-daskserver-hpc-q: cancelled 1 worker job (41)"
    assert log.read_text().count("scancel") == 1
    # Only the hashserver: no batch system command at all.
    crashed(rhl, "hashserver-hpc-rw-p", 40124, service="hashserver")
    alone = rhl.run("rhl-stop", *argv, "--meta-service", "hashserver", env=NO_SCHEDULER)
    assert (alone.returncode, alone.stdout, alone.stderr) == (0, "hashserver-hpc-rw-p: already gone\n", "")


def test_a_failing_batch_system_does_not_undo_the_stop(rhl: RhlEnv) -> None:
    rhl.launch("dask-live")
    result = rhl.run("rhl-stop", "--cancel-worker-jobs", "slurm", "dask-live", env=NO_SCHEDULER)
    assert result.returncode == 1
    assert result.stdout == "dask-live: stopped\n"
    assert result.stderr == (
        "rhl-stop: dask-live: worker jobs not cancelled: squeue not found: "
        "is SLURM installed on this host and on PATH?\n"
    )
    assert rhl.read_server("dask-live")["status"] == "stale"


@pytest.mark.parametrize(
    ("helper", "argv", "message"),
    [
        ("rhl-stop", ("--cancel-worker-jobs", "pbs"), "unknown batch system 'pbs' (known here: oar, slurm)"),
        ("rhl-stop", ("--cancel-worker-jobs", "../x"), "invalid batch system name '../x'"),
        ("rhl-stop", ("--worker-jobs-of", "pure-daskserver"), "--worker-jobs-of needs --cancel-worker-jobs"),
        ("rhl-rm", ("--cancel-worker-jobs", "pbs"), "unknown batch system 'pbs' (known here: oar, slurm)"),
        (
            "rhl-rm",
            ("--client", "--cancel-worker-jobs", "slurm"),
            "--cancel-worker-jobs needs the server state (--server, or neither side)",
        ),
    ],
)
def test_bad_worker_job_options_do_nothing(
    rhl: RhlEnv, helper: str, argv: tuple[str, ...], message: str
) -> None:
    data = rhl.launch("dask-live")
    result = rhl.run(helper, *argv, "dask-live", env=NO_SCHEDULER)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"{helper}: {message}\n")
    assert rhl.read_server("dask-live")["pid"] == data["pid"]
    assert rhl.read_server("dask-live")["status"] == "running"  # not stopped, not removed
    rhl.run("rhl-stop", "dask-live")


def test_rm_cancels_before_removing_and_refuses_a_live_service(rhl: RhlEnv, tmp_path: pathlib.Path) -> None:
    crashed(rhl, "pure-daskserver-hpc-q", 40123)
    env, log = fake_slurm(tmp_path, 40123)
    result = rhl.run("rhl-rm", "--server", "--cancel-worker-jobs", "slurm", "pure-daskserver-hpc-q", env=env)
    assert (result.returncode, result.stderr) == (0, "")
    path = rhl.server / "pure-daskserver-hpc-q.json"
    assert result.stdout == f"pure-daskserver-hpc-q: cancelled 1 worker job (41)\nremoved {path}\n"
    assert not path.exists() and log.read_text().splitlines()[-1] == "scancel 41"
    # A running service: its port is its own; neither its jobs nor its state are touched.
    port = rhl.launch("dask-live")["port"]
    result = rhl.run("rhl-rm", "--server", "--cancel-worker-jobs", "slurm", "dask-live", env=NO_SCHEDULER)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"rhl-rm: dask-live: worker jobs not cancelled: port {port} belongs to the running service "
        "dask-live: stop it first",
        f"rhl-rm: dask-live: not removed: service is running (pid {rhl.read_server('dask-live')['pid']}); "
        "stop it first or pass --force",
    ]
    rhl.run("rhl-stop", "dask-live")
