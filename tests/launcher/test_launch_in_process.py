"""A local launch from the command line runs ``rhl-launch-service --await`` inside the
launcher's own process (no second interpreter); the Python API keeps it in a subprocess, so
a long-lived caller is never the parent image of a supervisor.

What shows it: the service's parent is the supervisor, a fork of whichever process ran the
launch helper; its command line names that process.
"""

from __future__ import annotations

import pathlib
import sys

from conftest import RhlEnv


def supervisor_cmdline(rhl: RhlEnv, key: str) -> list[str]:
    pid = rhl.read_server(key)["pid"]
    stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    ppid = int(stat.rsplit(")", 1)[1].split()[1])
    return pathlib.Path(f"/proc/{ppid}/cmdline").read_bytes().decode().split("\0")[:-1]


def test_command_line_launch_runs_the_helper_in_process(rhl: RhlEnv) -> None:
    config = rhl.example_config("inproc-cli")
    result = rhl.run("remote-http-launcher", str(config), timeout=90)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1].endswith("done: launched")
    argv = supervisor_cmdline(rhl, "inproc-cli")
    assert any(word.endswith("remote-http-launcher") for word in argv[:2]), argv
    assert "rhl-launch-service" not in argv


def test_python_api_launch_keeps_the_helper_in_a_subprocess(rhl: RhlEnv) -> None:
    config = rhl.example_config("inproc-api")
    code = (
        "import json, sys\n"
        "from remote_http_launcher import run\n"
        "run(json.load(open(sys.argv[1])), connection_dir=sys.argv[2])\n"
    )
    result = rhl.run(sys.executable, "-c", code, str(config), str(rhl.tmp / "conn"), timeout=90)
    assert result.returncode == 0, result.stderr
    argv = supervisor_cmdline(rhl, "inproc-api")
    assert "rhl-launch-service" in argv and "remote_http_launcher.cli" in argv, argv
