"""seamless-service-stop/rm of a Dask service on a batch cluster, against our server and a
remote-http-launcher 0.4.5 server, without a batch system (nothing runs: no port to look at).

Our server: the one rhl-stop/rhl-rm call carries ``--cancel-worker-jobs slurm``: one round
trip. 0.4.5 refuses that option (click: ``No such option``, nothing done): the client then asks
the old way, rhl-jobs first (0.4.5 has none: one line says the jobs were not checked), then the
helper naming the key. Real SLURM and OAR, with jobs to cancel: tests/batch/test_worker_jobs.py.
"""

from __future__ import annotations

import pathlib
import re

import pytest
from project_support import Project

from sshd_support import SSHD

KEY = "pure-daskserver-hpc-q"


def sessions(sshd: SSHD, user: str = "svc") -> int:
    pattern = re.compile(rf"Starting session: (command|forced-command .*) for {user} from ")
    return sum(1 for line in sshd.log.read_text(errors="replace").splitlines() if pattern.search(line))


def hpc_project(tmp_path: pathlib.Path, sshd: SSHD) -> Project:
    project = Project(tmp_path, sshd)
    frontend = {
        "hostname": "127.0.0.1",
        "ssh_hostname": "rhltest-svc",
        "daskserver": {"network_interface": "127.0.0.1", "port_start": 41000, "port_end": 41010},
    }
    queue = {"walltime": "00:10:00", "cores": 1, "memory": "1GB", "maximum_jobs": 1, "partition": "debug"}
    project.clusters["hpc"] = {
        "type": "slurm",
        "frontends": [frontend],
        "default_queue": "q",
        "queues": {"q": queue},
    }
    project.write_clusters()
    return project


@pytest.mark.parametrize(
    ("selection", "stopped"),
    [
        (("--service", "pure-daskserver", "--cluster", "hpc"), f"{KEY}: missing state\n"),
        (("--cluster", "hpc"), ""),
    ],
    ids=["service", "cluster"],
)
def test_our_server_stops_and_removes_in_one_round_trip(
    sshd_isolated: SSHD, tmp_path: pathlib.Path, selection: tuple[str, ...], stopped: str
) -> None:
    project = hpc_project(tmp_path, sshd_isolated)
    for command, expected in (("seamless-service-stop", stopped), ("seamless-service-rm", None)):
        before = sessions(sshd_isolated)
        result = project.run(command, *selection)
        assert (result.returncode, result.stderr) == (0, ""), result
        assert expected is None or result.stdout == expected
        assert sessions(sshd_isolated) - before == 1, command


def test_a_0_4_5_server_gets_the_old_sequence(
    sshd_isolated: SSHD, tmp_path: pathlib.Path, reference_bin: pathlib.Path
) -> None:
    """0.4.5's rhl-stop takes every word for a key but checks them all first: the
    ``--cancel-worker-jobs=slurm`` form is refused before anything is done."""
    sshd_isolated.set_key_options("svc", None, path=f"{reference_bin}:/usr/local/bin:/usr/bin:/bin")
    project = hpc_project(tmp_path, sshd_isolated)
    result = project.run("seamless-service-stop", "--service", "pure-daskserver", "--cluster", "hpc")
    assert (result.returncode, result.stdout) == (0, f"{KEY}: missing state\n"), result
    assert result.stderr == (
        "seamless-service-stop: rhltest-svc: worker jobs not checked: rhl-jobs is not installed there "
        "(remote-http-launcher 0.4.5 has no such helper)\n"
    )
    removed = project.run("seamless-service-rm", "--service", "pure-daskserver", "--cluster", "hpc")
    assert removed.returncode == 0, removed
    assert "invalid key" not in removed.stderr and "unknown flag" not in removed.stderr, removed
