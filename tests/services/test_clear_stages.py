"""``seamless-service-clear`` clears one instance's data and nothing else (issue 14.9, 14.10).

A project's data directory ``<bufferdir>/<project>`` also holds the other stages'
(``STAGE-*``) and the subprojects' own directories: clearing the default stage must keep
them, for the hashserver and for the database. Clearing a stage is not blocked by the
project-level service (it keeps no data there), and a stage that never ran is already cold.
Real hashserver and seamless-database, on the local cluster.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from project_support import Project, put_buffer, recall_transformation, remember_transformation

from conftest import _kill_leftovers, find_command

HS = "hashserver-here-rw-myproj"
T1, R1 = "a" * 64, "b" * 64


@pytest.fixture
def project(tmp_path: pathlib.Path) -> Iterator[Project]:
    project = Project(tmp_path)
    yield project
    _kill_leftovers(project.state / "server")


def buffer_file(root: pathlib.Path, checksum: str) -> pathlib.Path:
    return root / checksum[:2] / checksum


def test_clearing_the_default_stage_keeps_the_other_stages_and_subprojects(project: Project) -> None:
    buffers = project.local_buffers / "myproj"
    stored: dict[str, pathlib.Path] = {}
    for name, flags in (("default", ()), ("stage", ("--stage", "s1")), ("sub", ("--subproject", "sub"))):
        hs = project.start("hashserver", *flags)
        checksum = put_buffer(hs["port"], f"buffer of {name}".encode())
        stored[name] = buffer_file(
            buffers / {"default": "", "stage": "STAGE-s1", "sub": "sub"}[name], checksum
        )
        db = project.start("database", *flags)
        remember_transformation(db["port"], T1, R1)
    project.ok("seamless-service-stop", "--cluster", "here", "--project", "myproj")
    assert all(path.is_file() for path in stored.values()), stored
    databases = project.local_db / "myproj"
    assert sorted(p.relative_to(databases).as_posix() for p in databases.rglob("seamless.db")) == [
        "STAGE-s1/seamless.db",
        "seamless.db",
        "sub/seamless.db",
    ]

    cleared = project.ok("seamless-service-clear", "--service", "hashserver")
    assert cleared.stdout == f"removed 1 item(s) from {buffers}\n"
    assert not stored["default"].exists()
    assert stored["stage"].is_file() and stored["sub"].is_file()
    assert sorted(p.name for p in buffers.iterdir()) == [".HASHSERVER_PREFIX", "STAGE-s1", "sub"]

    cleared = project.ok("seamless-service-clear", "--service", "database")
    assert cleared.stdout == f"removed 1 item(s) from {databases}\n"
    assert sorted(p.relative_to(databases).as_posix() for p in databases.rglob("seamless.db")) == [
        "STAGE-s1/seamless.db",
        "sub/seamless.db",
    ]
    # The stage's and the subproject's caches still answer: their data is intact.
    for flags in (("--stage", "s1"), ("--subproject", "sub")):
        db = project.start("database", *flags)
        assert recall_transformation(db["port"], T1) == R1, flags
    project.ok("seamless-service-stop", "--cluster", "here", "--project", "myproj")

    # A subproject's default stage the same way: its own buffers go, nothing else.
    cleared = project.ok("seamless-service-clear", "--service", "hashserver", "--subproject", "sub")
    assert cleared.stdout == f"removed 1 item(s) from {buffers / 'sub'}\n"
    assert not stored["sub"].exists() and stored["stage"].is_file()


def test_a_stage_is_cleared_while_the_project_service_runs_and_a_cold_stage_is_nothing_to_clear(
    project: Project,
) -> None:
    buffers = project.local_buffers / "myproj"
    staged = project.start("hashserver", "--stage", "s1")
    in_stage = buffer_file(buffers / "STAGE-s1", put_buffer(staged["port"], b"stage data"))
    project.ok("seamless-service-stop", "--service", "hashserver", "--stage", "s1")
    hs = project.start("hashserver")
    in_project = buffer_file(buffers, put_buffer(hs["port"], b"project data"))

    cleared = project.run("seamless-service-clear", "--service", "hashserver", "--stage", "s1")
    assert (cleared.returncode, cleared.stderr) == (0, ""), cleared
    assert cleared.stdout == f"removed 1 item(s) from {buffers / 'STAGE-s1'}\n"
    assert not in_stage.exists() and in_project.is_file()

    never = project.run("seamless-service-clear", "--service", "hashserver", "--stage", "never")
    assert (never.returncode, never.stderr) == (0, ""), never
    assert never.stdout == (
        f"nothing to clear: {buffers / 'STAGE-never'} does not exist (never used: a cold cache)\n"
    )
    assert not (buffers / "STAGE-never").exists()

    # A running stage does not block clearing the default stage either; the project's own
    # running service does.
    project.start("hashserver", "--stage", "s1")
    refused = project.run("seamless-service-clear", "--service", "hashserver")
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr == (
        f"seamless-service-clear: {buffers} is in use by running service(s) {HS}: stop them first "
        "(seamless-service-stop), or pass --force\n"
    )
    project.ok("seamless-service-stop", "--service", "hashserver")
    cleared = project.ok("seamless-service-clear", "--service", "hashserver")
    assert cleared.stdout == f"removed 1 item(s) from {buffers}\n" and not in_project.exists()
    assert (buffers / "STAGE-s1").is_dir()


def test_rhl_clear_keep_only_and_nested(project: Project, tmp_path: pathlib.Path) -> None:
    """The helper's options, as the client uses them (and the guard parses them)."""
    import subprocess

    data = tmp_path / "data" / "proj"
    for name in ("ab", "cd", "STAGE-x", "sub", "seamless.db"):
        (data / name).mkdir(parents=True) if "." not in name else (data / name).write_text("x")
    (data / "ab" / "ab12").write_text("buffer")
    (data / ".HASHSERVER_PREFIX").write_text("1")

    def rhl_clear(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [find_command("rhl-clear"), *args],
            env={**project.env, "HOME": str(project.home)},
            capture_output=True,
            text=True,
            timeout=60,
        )

    done = rhl_clear("--only", "[0-9a-f][0-9a-f]", "--keep", "STAGE-*", str(data))
    assert (done.returncode, done.stdout, done.stderr) == (0, f"removed 2 item(s) from {data}\n", "")
    assert sorted(os.listdir(data)) == [".HASHSERVER_PREFIX", "STAGE-x", "seamless.db", "sub"]
    done = rhl_clear("--keep", "STAGE-*", "--keep", "sub", str(data))
    assert (done.returncode, done.stdout) == (0, f"removed 1 item(s) from {data}\n")
    assert sorted(os.listdir(data)) == [".HASHSERVER_PREFIX", "STAGE-x", "sub"]
    bad = rhl_clear("--keep", "a/b", str(data))
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.startswith("rhl-clear: ") and "--keep" in bad.stderr and bad.stderr.count("\n") == 1


def test_a_0_4_5_server_clears_a_stage_and_refuses_to_lose_the_others(
    sshd_isolated: Any, tmp_path: pathlib.Path, reference_bin: pathlib.Path
) -> None:
    """remote-http-launcher 0.4.5 on the frontend: its rhl-clear knows no --keep, so clearing
    a project's directory is refused (nothing deleted); a stage's own directory is cleared."""
    from test_doctor import remote_file

    project = Project(tmp_path, sshd_isolated)
    sshd_isolated.set_key_options("svc", None, path=f"{reference_bin}:/usr/local/bin:/usr/bin:/bin")
    remote_file(project, "buffers/myproj/.HASHSERVER_PREFIX", "1")
    remote_file(project, "buffers/myproj/ab/ab12", "project buffer")
    remote_file(project, "buffers/myproj/STAGE-s1/.HASHSERVER_PREFIX", "1")
    remote_file(project, "buffers/myproj/STAGE-s1/cd/cd34", "stage buffer")
    buffers = project.remote_home / "buffers" / "myproj"

    refused = project.run("seamless-service-clear", "--service", "hashserver")
    assert (refused.returncode, refused.stdout) == (1, ""), refused
    assert refused.stderr == (
        "seamless-service-clear: rhl-clear on rhltest-svc is too old to keep the other stages' and "
        "subprojects' directories inside ~/buffers/myproj (remote-http-launcher 0.4.5): refusing to "
        "clear; upgrade remote-http-launcher on rhltest-svc, or remove the data by hand\n"
    )
    assert (buffers / "ab" / "ab12").is_file() and (buffers / "STAGE-s1" / "cd" / "cd34").is_file()

    cleared = project.ok("seamless-service-clear", "--service", "hashserver", "--stage", "s1")
    # 0.4.5's rhl-clear also unlinks dot-files (the marker; the hashserver writes it again).
    assert cleared.stdout == f"removed 2 item(s) from {buffers / 'STAGE-s1'}\n"
    assert sorted(os.listdir(buffers / "STAGE-s1")) == []
    assert (buffers / "ab" / "ab12").is_file()
