"""Issue 17.2/17.3: ``start`` says launched or reused; ``start``/``restart`` without
``--service`` act on every data service the project uses (docker compose's ``up``); the
doctor says which check runs, on a terminal only. Real hashserver + seamless-database."""

from __future__ import annotations

import pathlib
import re
from collections.abc import Iterator

import pytest
from project_support import Project
from pty_support import PtyRun

from conftest import _kill_leftovers, wait_gone

HS = "hashserver-here-rw-myproj"
DB = "database-here-rw-myproj"


@pytest.fixture
def project(tmp_path: pathlib.Path) -> Iterator[Project]:
    found = Project(tmp_path)
    yield found
    _kill_leftovers(found.state / "server")


def test_start_project_launches_then_reuses_and_restart_takes_the_same_selection(project: Project) -> None:
    first = project.run("seamless-service-start", "--project", "myproj", timeout=180)
    assert (first.returncode, first.stderr) == (0, ""), first
    assert re.fullmatch(
        rf"{HS}: running at 127\.0\.0\.1:\d+ \(launched\)\n{DB}: running at 127\.0\.0\.1:\d+ \(launched\)\n",
        first.stdout,
    ), first.stdout
    again = project.ok("seamless-service-start", "--cluster", "here", "--json", timeout=180)
    documents = again.json_lines()  # each validated against seamless-service-start/1
    assert [(d["schema"], d["key"], d["outcome"]) for d in documents] == [
        ("seamless-service-start/1", HS, "reused"),
        ("seamless-service-start/1", DB, "reused"),
    ]
    one = project.ok("seamless-service-start", "--service", "database", timeout=180)
    assert one.stdout == f"{DB}: running at 127.0.0.1:{documents[1]['port']} (reused)\n"

    pids = {key: project.server_state(key, remote=False)["pid"] for key in (HS, DB)}
    restarted = project.ok("seamless-service-restart", "--project", "myproj", "--json", timeout=240)
    results = restarted.json_lines()  # seamless-service-restart/1, with the start/1 inside
    assert [(r["schema"], r["keys"], r["exit_code"]) for r in results] == [
        ("seamless-service-restart/1", [HS], 0),
        ("seamless-service-restart/1", [DB], 0),
    ]
    assert [(r["started"]["key"], r["started"]["outcome"]) for r in results] == [
        (HS, "launched"),
        (DB, "launched"),
    ]
    assert all(wait_gone(pid) for pid in pids.values())
    assert results[0]["lines"][0] == f"{HS}: stopped"


def test_start_needs_a_selection_and_a_cluster_without_data_services_says_so(project: Project) -> None:
    bare = project.run("seamless-service-start")
    assert (bare.returncode, bare.stdout, bare.stderr) == (
        2, "", "seamless-service-start: --service, --project or --cluster is required\n",
    )  # fmt: skip
    project.clusters["here"]["frontends"][0].pop("hashserver")
    project.clusters["here"]["frontends"][0].pop("database")
    project.clusters["here"]["frontends"][0]["jobserver"] = {
        "conda": "base", "network_interface": "127.0.0.1", "port_start": 41000, "port_end": 41010,
    }  # fmt: skip
    project.write_clusters()
    empty = project.run("seamless-service-start", "--cluster", "here")
    assert empty.returncode != 0 and empty.stdout == ""
    assert empty.stderr == (
        "seamless-service-start: cluster 'here' configures no data service (no hashserver or "
        "database section on its frontends): name one with --service\n"
    )


def test_doctor_says_which_check_runs_on_a_terminal_only(project: Project) -> None:
    project.ok("seamless-service-start", "--project", "myproj", timeout=180)
    on_tty = PtyRun("seamless-service-doctor", env=project.env, cwd=project.dir)
    code = on_tty.finish(timeout=120)
    assert code == 0, on_tty.text
    for step in (
        "doctor: 0. reading the configuration",
        "doctor: 1. reaching localhost and its helpers",
        "doctor: 2-4. reading service state, log tails and persistent data",
        "doctor: 5. local leftovers: connection files, SSH tunnels",
    ):
        assert step in on_tty.text
    piped = project.run("seamless-service-doctor", timeout=120)
    assert (piped.returncode, piped.stderr) == (0, "")
    assert "doctor: 1." not in piped.stdout
