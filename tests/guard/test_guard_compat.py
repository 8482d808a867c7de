"""Compatible with what remote-http-launcher 0.4.5's client sends through a guard.

0.4.5's launcher sends each helper call as ``shlex.join(argv)`` (its ``invoke_helper``), the
tunnel monitor ``rhl-pid-alive PID``, and the ``seamless-service-*`` tools prepend
``PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH`` as a separate word (spec §10).
A full launch conversation in that form goes through the installed guard here, with a real
service; the through-sshd variant is in test_guard_sshd.py.
"""

from __future__ import annotations

import json
import shlex
import time

import pytest
from guardkit import EXIT_REJECTED, Tree, run_guard, tree  # noqa: F401 - fixture

from conftest import pid_exists, wait_gone

PREPEND = "PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH"
KEY = "hashserver-proj-0a1b2c"


def launcher_call(*argv: str) -> str:
    """How 0.4.5's launcher puts one helper call on the SSH command line."""
    return shlex.join(argv)


def seamless_call(*argv: str) -> str:
    """How 0.4.5's seamless-service-* tools do it: the PATH prepend, then the call."""
    return f"{PREPEND} {shlex.join(argv)}"


@pytest.fixture
def guarded(tree: Tree) -> tuple[Tree, list[str]]:  # noqa: F811
    tools = tree.tmp / "tools.yaml"
    tools.write_text('example:\n  command_template: "rhl-example-service --status-file {status_file}"\n')
    return tree, ["--data-roots", str(tree.roots_file), "--tools-yaml", str(tools), "--label", "0.4.5-client"]


def test_a_045_launch_conversation(guarded: tuple[Tree, list[str]]) -> None:
    world, options = guarded

    def call(command: str, expect: int = 0) -> str:
        result = run_guard(world, command, *options)
        assert result.returncode == expect, (command, result.stderr)
        assert result.audit == [], result.audit  # nothing the 0.4.5 client sends is rejected
        return result.stdout

    call(launcher_call("rhl-conda-info"), expect=1)  # no cache yet: a miss, not a rejection
    call(launcher_call("rhl-inspect", KEY), expect=1)  # no state yet
    # 0.4.5 passes --status-file with an unexpanded ~ (the launcher's view of the server dir).
    launch = launcher_call(
        "rhl-launch-service",
        "--key",
        KEY,
        "--workdir",
        f"{world.work}/{KEY}",
        "--network-interface",
        "localhost",
        "--parameters",
        json.dumps({"port_start": 40000, "note": "a;b $(c)"}),
        "--meta",
        json.dumps({"service": "hashserver", "project": "proj", "stage": None}),
        "--",
        "rhl-example-service",
        "--status-file",
        f"~/.remote-http-launcher/server/{KEY}.json",
    )
    started = json.loads(call(launch))
    assert started["launched"] is True
    pid = started["pid"]
    try:
        deadline = time.monotonic() + 30
        state: dict[str, object] = {}
        while time.monotonic() < deadline:
            polled = json.loads(call(launcher_call("rhl-inspect", KEY, "--with-mtime")))
            state = polled["data"]
            if state.get("status") == "running":
                break
            time.sleep(0.05)
        assert state.get("status") == "running", state
        assert state["parameters"] == {"port_start": 40000, "note": "a;b $(c)"}
        port = str(state["port"])
        call(launcher_call("rhl-verify-port", "localhost", port))
        call(launcher_call("rhl-handshake", f"http://localhost:{port}/healthcheck"))
        call(f"rhl-pid-alive {pid}")  # the tunnel monitor's form
        assert json.loads(call(launcher_call("rhl-inspect", KEY)))["status"] == "running"
        call(launcher_call("rhl-logs", KEY))
        rows = [json.loads(line) for line in call(seamless_call("rhl-ps", "--json")).splitlines()]
        assert [(r["key"], r["status"], r["meta"]["project"]) for r in rows] == [(KEY, "running", "proj")]
        assert call(seamless_call("rhl-stop", KEY)) == f"{KEY}: stopped\n"
        assert wait_gone(pid)
        call(seamless_call("rhl-rm", "--server", KEY))
        call(launcher_call("rhl-inspect", KEY), expect=1)
    finally:
        if pid_exists(pid):
            run_guard(world, f"rhl-stop {KEY}", *options)


def test_045_persistent_commands(guarded: tuple[Tree, list[str]]) -> None:
    world, options = guarded
    listed = run_guard(
        world,
        seamless_call(
            "rhl-ps-persistent", "--json", "--level", "2", "--marker", ".HASHSERVER_PREFIX", str(world.data)
        ),
        *options,
    )
    assert listed.returncode == 0, listed.stderr
    # fake/ holds a symlinked marker: the helper's own --marker filter follows links, and
    # data-roots lets it report anything inside the roots.
    paths = [json.loads(line)["path"] for line in listed.stdout.splitlines()]
    assert paths == [str(world.data / "proj" / "STAGE-a"), str(world.data / "proj" / "fake")]
    stage = world.data / "proj" / "STAGE-a"
    cleared = run_guard(world, seamless_call("rhl-clear", str(stage)), *options)
    assert cleared.returncode == 0, cleared.stderr
    assert sorted(p.name for p in stage.iterdir()) == [".HASHSERVER_PREFIX"]


@pytest.mark.parametrize(
    "command",
    [
        # 0.4.5's fallbacks when helpers seem missing: shell commands, refused as before
        "bash -lc 'conda info --base'",
        "python3 - <<'__RHL_REMOTE_SCRIPT__'",
        "env 'RHL_TOOLS_YAML=/x' python3 '~/.remote-http-launcher/launch_service.py' --key k",
        "ps -p 1 -o pid=",
    ],
)
def test_045_fallback_commands_stay_refused(guarded: tuple[Tree, list[str]], command: str) -> None:
    world, options = guarded
    result = run_guard(world, command, *options)
    assert result.returncode == EXIT_REJECTED
    # Never the words 0.4.5 takes for "helpers not installed" (it would then fall back to the
    # shell commands above), and never exit code 1 or 127.
    assert "command not found" not in result.stderr.lower()
    assert "no such file or directory" not in result.stderr.lower()
