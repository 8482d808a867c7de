"""Launcher logs are private (issue 13 point 16).

``~/.remote-http-launcher/logs/<cluster>/<project>/<service>.log`` and ``.debug.log`` hold full
command lines and ``meta``: they are written 0600 in 0700 directories, like ``server/`` and
``client/``. Directories of ours that an older version created 0755, and old 0644 logs, are
tightened when the launcher writes into them; directories that are not ours are left alone.
Inside the launcher's tree a symlink or a FIFO in a log's place is refused, not followed.
"""

from __future__ import annotations

import os
import pathlib
import stat
import sys
from collections.abc import Iterator

import pytest

from conftest import RhlEnv, _kill_leftovers

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "services"))
from project_support import Project

pytestmark = pytest.mark.timeout(240)

HS = "hashserver-here-rw-myproj"


def mode(path: pathlib.Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def project(tmp_path: pathlib.Path) -> Iterator[Project]:
    project = Project(tmp_path)  # the profile selects the local cluster: no SSH
    yield project
    _kill_leftovers(project.state / "server")


def test_service_start_writes_private_launcher_logs(project: Project) -> None:
    logs = project.home / ".remote-http-launcher" / "logs"
    # What an older version left: 0755 directories and a 0644 log.
    (logs / "here" / "myproj").mkdir(parents=True)
    for directory in (project.home / ".remote-http-launcher", logs, logs / "here", logs / "here" / "myproj"):
        directory.chmod(0o755)
    old = logs / "here" / "myproj" / "hashserver.log"
    old.write_text("old run: full command line\n")
    old.chmod(0o644)

    project.start("hashserver")

    written = sorted(p.name for p in (logs / "here" / "myproj").iterdir())
    assert written == ["hashserver.debug.log", "hashserver.log"]
    for name in written:
        path = logs / "here" / "myproj" / name
        assert mode(path) == 0o600, (path, oct(mode(path)))
        assert stat.S_ISREG(path.lstat().st_mode)
    assert "old run" not in old.read_text()
    assert "hashserver" in (logs / "here" / "myproj" / "hashserver.debug.log").read_text()
    for directory in (project.home / ".remote-http-launcher", logs, logs / "here", logs / "here" / "myproj"):
        assert mode(directory) == 0o700, (directory, oct(mode(directory)))
    assert mode(project.home) == 0o755  # not ours: left as it is


def test_logs_elsewhere_are_private_and_parents_not_ours_are_left_alone(rhl: RhlEnv) -> None:
    outside = rhl.tmp / "outside"
    outside.mkdir(mode=0o755)
    outside.chmod(0o755)
    old = outside / "basic.log"
    old.write_text("old\n")
    old.chmod(0o644)
    config = rhl.example_config(
        "logs-elsewhere",
        log_level="minimal",
        log_file=str(old),
        debug_log_file=str(outside / "new" / "deeper" / "debug.log"),
    )
    result = rhl.run("remote-http-launcher", str(config), timeout=90)
    assert result.returncode == 0, result.stderr
    assert mode(old) == 0o600 and "done: launched" in old.read_text()
    assert mode(outside / "new" / "deeper" / "debug.log") == 0o600
    assert mode(outside / "new") == 0o700 and mode(outside / "new" / "deeper") == 0o700
    assert mode(outside) == 0o755


def test_state_base_logs_directory_is_tightened(rhl: RhlEnv) -> None:
    """``REMOTE_HTTP_LAUNCHER_DIR`` is ours too: its logs/ tree is tightened like ``~``'s."""
    logs = rhl.base / "logs" / "c" / "p"
    logs.mkdir(parents=True)
    for directory in (rhl.base, rhl.base / "logs", rhl.base / "logs" / "c", logs):
        directory.chmod(0o755)
    config = rhl.example_config("logs-base")
    result = rhl.run(
        "remote-http-launcher", str(config), "--debug-log-file", str(logs / "svc.debug.log"), timeout=90
    )
    assert result.returncode == 0, result.stderr
    assert mode(logs / "svc.debug.log") == 0o600
    for directory in (rhl.base, rhl.base / "logs", rhl.base / "logs" / "c", logs):
        assert mode(directory) == 0o700, directory


@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_a_symlink_or_fifo_in_place_of_a_log_is_refused_before_launching(rhl: RhlEnv, kind: str) -> None:
    logs = rhl.base / "logs" / "c" / "p"
    logs.mkdir(parents=True)
    target = rhl.tmp / "victim.txt"
    target.write_text("precious\n")
    log = logs / "svc.debug.log"
    if kind == "symlink":
        log.symlink_to(target)
    else:
        os.mkfifo(log)
    config = rhl.example_config(f"logs-{kind}")
    result = rhl.run("remote-http-launcher", str(config), "--debug-log-file", str(log), timeout=30)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].endswith(f"error: cannot write log file {log}: not a regular file")
    assert target.read_text() == "precious\n"
    assert not (rhl.server / f"logs-{kind}.json").exists()  # nothing was launched
