"""``seamless-service-logs -f`` across ``seamless-service-restart`` loses no line (issue 14.6).

The real hashserver writes its last lines ("Waiting for application shutdown.", "Application
shutdown complete.", "Finished server process") while it is being stopped; the restart then
moves its log to ``<key>.log.1`` and the new run writes a new log. A follower must print the
old log to its very end before the new one, as ``tail -F`` does, every time.
"""

from __future__ import annotations

import pathlib
import signal
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
from project_support import Project

from conftest import _kill_leftovers, find_command

HS = "hashserver-here-rw-myproj"
STARTED = "Uvicorn running on"
LAST_LINES = (
    "Waiting for application shutdown.",
    "Application shutdown complete.",
    "Finished server process",
)


@pytest.fixture
def project(tmp_path: pathlib.Path) -> Iterator[Project]:
    project = Project(tmp_path)
    yield project
    _kill_leftovers(project.state / "server")


class Follower:
    """``seamless-service-logs --service hashserver -f``, its output collected by a thread."""

    def __init__(self, project: Project) -> None:
        self.proc = subprocess.Popen(
            [find_command("seamless-service-logs"), "--service", "hashserver", "-f"],
            cwd=project.dir,
            env=project.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    def wait_for(self, text: str, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while sum(text in line for line in self.lines) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{text!r} x{count} not followed within {timeout} s: {''.join(self.lines)}"
                self.changed.wait(left)

    def stop(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGINT)  # Ctrl-C ends following: exit 0
        code = self.proc.wait(timeout=30)
        self.reader.join(timeout=10)
        assert self.proc.stderr is not None
        return code, self.proc.stderr.read()


def test_follow_across_restarts_prints_every_line_of_every_run(project: Project) -> None:
    project.start("hashserver")
    log = project.state / "server" / f"{HS}.log"
    follower = Follower(project)
    try:
        follower.wait_for(STARTED, 1)
        runs = [log.read_text()]
        for restart in range(1, 4):
            project.ok("seamless-service-restart", "--service", "hashserver", timeout=180)
            follower.wait_for(STARTED, restart + 1)
            previous = pathlib.Path(str(log) + ".1").read_text()
            assert previous.startswith(runs[-1]) and all(line in previous for line in LAST_LINES)
            runs[-1] = previous
            runs.append(log.read_text())
        project.ok("seamless-service-stop", "--service", "hashserver")
        follower.wait_for(LAST_LINES[-1], 4)
    finally:
        code, err = follower.stop()
    assert (code, err) == (0, "")
    out = "".join(follower.lines)
    runs[-1] = log.read_text()
    # Every run's log, whole and in order: nothing of an old run is lost at a restart.
    assert out == "".join(runs), out


def test_lines_written_just_before_the_log_is_replaced_are_printed_first(project: Project) -> None:
    """The window a restart leaves, made certain: the old run writes its last lines and the log
    is replaced while the follower sleeps at the end of the file (between two polls)."""
    project.start("hashserver")
    project.ok("seamless-service-stop", "--service", "hashserver")
    log = project.state / "server" / f"{HS}.log"
    follower = Follower(project)
    try:
        for attempt in range(1, 4):
            follower.wait_for(LAST_LINES[-1], attempt)  # caught up: at the end of the file, polling
            time.sleep(0.05)
            with log.open("a") as handle:  # the old run's last lines, then the new run's log
                handle.write(f"old run {attempt}: last line\n")
            log.replace(pathlib.Path(str(log) + ".1"))
            log.write_text(f"new run {attempt + 1}: first line\n{LAST_LINES[-1]} {attempt + 1}\n")
        follower.wait_for(LAST_LINES[-1], 4)
    finally:
        code, err = follower.stop()
    assert (code, err) == (0, "")
    out = "".join(follower.lines)
    for attempt in range(1, 4):
        assert f"old run {attempt}: last line\n" in out, out
        assert out.index(f"old run {attempt}: last line") < out.index(f"new run {attempt + 1}: first line")
