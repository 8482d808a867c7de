"""Issue 13.14 end to end: deleting a live hashserver's state file does not lead
``seamless-service-start`` to start a second writable hashserver on the same buffer directory.

The running service still holds its service lock (remote-http-launcher's
``server/.locks/<key>.service``): the start is refused with one line naming it, the server
view lists it as ``untracked``, and ``seamless-service-stop`` stops it.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterator

import pytest
from project_support import Project

from conftest import _kill_leftovers, wait_gone

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
