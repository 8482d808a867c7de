"""A helper's process ends without the interpreter's teardown only when that loses nothing.

``commands.end_process`` (what every installed helper stub ends with) skips the teardown with
``os._exit`` after flushing; a thread still running or an ``atexit`` callback means the
normal exit, so the thread finishes and the callback runs (their effects: files on disk).
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

SCRIPT = """
import sys, threading, time, atexit, pathlib
from remote_http_launcher.commands._run import end_process
out = pathlib.Path(sys.argv[2])
if sys.argv[1] == "thread":
    def later():
        time.sleep(0.2)
        out.write_text("thread done")
    threading.Thread(target=later).start()
elif sys.argv[1] == "atexit":
    atexit.register(lambda: out.write_text("atexit ran"))
sys.stdout.write("printed, unflushed")
end_process(3)
"""


@pytest.mark.parametrize(
    ("case", "expected"), [("thread", "thread done"), ("atexit", "atexit ran"), ("none", None)]
)
def test_end_process_keeps_what_needs_the_teardown(
    case: str, expected: str | None, tmp_path: pathlib.Path
) -> None:
    marker = tmp_path / "marker"
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, case, str(marker)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 3, proc
    assert proc.stdout == "printed, unflushed"
    assert proc.stderr == ""
    if expected is None:
        assert not marker.exists()
    else:
        assert marker.read_text() == expected


def test_helper_output_is_complete_through_a_pipe(tmp_path: pathlib.Path) -> None:
    """The fast exit flushes: a large --help-sized and a 2,000-row output arrive whole."""
    server = tmp_path / "server"
    server.mkdir()
    for index in range(2000):
        (server / f"k{index:04d}.json").write_text('{"status": "failed", "pid": 1, "meta": {}}')
    helper = pathlib.Path(sys.executable).parent / "rhl-ps"
    env = {"REMOTE_HTTP_LAUNCHER_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([str(helper), "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc
    assert proc.stdout.count("\n") == 2000
    assert json.loads(proc.stdout.splitlines()[-1])["key"] == "k1999"
