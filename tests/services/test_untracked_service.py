"""Issue 13.14 end to end: deleting a live hashserver's state file does not lead
``seamless-service-start`` to start a second writable hashserver on the same buffer directory.

The running service still holds its service lock (remote-http-launcher's
``server/.locks/<key>.service``): the start is refused with one line naming it, the server
view lists it as ``untracked``, and ``seamless-service-stop`` stops it.
"""

from __future__ import annotations

import json
import os
import pathlib
import time
from collections.abc import Iterator

import pytest
from project_support import Project

from conftest import _kill_leftovers, group_pids, wait_gone

HS = "hashserver-here-rw-myproj"


@pytest.fixture
def project(tmp_path: pathlib.Path) -> Iterator[Project]:
    found = Project(tmp_path)
    yield found
    _kill_leftovers(found.state / "server")


def _hashservers_on(directory: pathlib.Path) -> list[int]:
    """PIDs of live hashserver processes serving ``directory``."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            argv = pathlib.Path(f"/proc/{name}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(arg.endswith(b"hashserver") for arg in argv[:2]) and str(directory).encode() in argv:
            found.append(int(name))
    return found


def test_deleted_state_file_does_not_give_a_second_hashserver(project: Project) -> None:
    project.start("hashserver")
    pid = project.server_state(HS, remote=False)["pid"]
    buffers = project.local_buffers / "myproj"
    assert _hashservers_on(buffers) == [pid]
    os.unlink(project.state / "server" / f"{HS}.json")
    os.unlink(project.state / "client" / f"{HS}.json")  # so the start asks the server side
    try:
        started = project.run("seamless-service-start", "--service", "hashserver", timeout=180)
        assert started.returncode != 0
        assert f"{HS}: not launched: a service of this key is still running (pid {pid})" in started.stderr
        assert _hashservers_on(buffers) == [pid]  # no second writer on the buffer directory

        rows = project.ok("seamless-service-ps", "--server", "--json").json_lines()
        assert [(r["key"], r["process"]) for r in rows if r["key"] == HS] == [(HS, "untracked")]

        # The doctor names it a problem, says why, and how to end it.
        doctored = project.run("seamless-service-doctor", "--json", timeout=120)
        assert doctored.returncode == 2, doctored.stderr
        (found,) = [
            f
            for c in json.loads(doctored.stdout)["checks"]
            if c["id"] == "services"
            for f in c["findings"]
            if f["subject"] == HS
        ]
        assert found["verdict"] == "problem"
        assert found["message"].startswith(f"untracked: a process of this key still runs (PID {pid})")
        assert found["next_step"].startswith("stop it (the server finds it by its service lock): ")
        assert "seamless-service-stop" in found["next_step"]

        project.ok("seamless-service-stop", "--service", "hashserver")
        assert wait_gone(pid)
        project.start("hashserver")
        (new,) = _hashservers_on(buffers)
        assert new != pid
    finally:
        try:
            os.killpg(pid, 9)
        except ProcessLookupError:
            pass


def test_a_crashed_leaders_workers_are_shown_and_stopped(project: Project, tmp_path: pathlib.Path) -> None:
    """Issue 13.13 through the client: the leader of a service's process group dies, its
    worker keeps running; ps (JSON) and the doctor show the survivor, stop ends it.

    The service is ``rhl-example-service --children 1`` under the hashserver's key (the client
    reads the identity from the key), since a hashserver starts no workers."""
    tools = tmp_path / "tools.yaml"
    tools.write_text('example:\n  command_template: "rhl-example-service --status-file {status_file}"\n')
    env = {**project.env, "RHL_TOOLS_YAML": str(tools)}
    state_file = project.state / "server" / f"{HS}.json"
    launched = project.run(
        "rhl-launch-service", "--key", HS, "--workdir", str(tmp_path / "work"), "--await", "--",
        "rhl-example-service", "--status-file", str(state_file), "--children", "1",
        env=env, timeout=60,
    )  # fmt: skip
    assert launched.returncode == 0, launched
    leader = project.server_state(HS, remote=False)["pid"]
    workers = [pid for pid in group_pids(leader) if pid != leader]
    assert len(workers) == 1, workers
    (worker,) = workers
    try:
        os.kill(leader, 9)
        assert wait_gone(leader)

        def survivors() -> list[int] | None:
            rows = project.ok("seamless-service-ps", "--server", "--json").json_lines()
            (row,) = [r for r in rows if r["key"] == HS]
            return row["leftovers"] if row["process"] == "stale" else None

        deadline = time.monotonic() + 30
        while survivors() != [worker] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert survivors() == [worker]

        doctored = project.run("seamless-service-doctor", "--json", timeout=120)
        (found,) = [
            f
            for c in json.loads(doctored.stdout)["checks"]
            if c["id"] == "services"
            for f in c["findings"]
            if f["subject"] == HS
        ]
        assert found["verdict"] == "problem"
        assert f"processes of its group still run (PIDs {worker})" in found["message"]
        assert found["details"]["leftovers"] == [worker]

        stopped = project.ok("seamless-service-stop", "--service", "hashserver")
        assert f"stopped leftover PIDs {worker}" in stopped.stdout, stopped
        assert wait_gone(worker)
    finally:
        for pid in (worker, leader):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
