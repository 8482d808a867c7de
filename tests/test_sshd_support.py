"""The sshd fixture itself: both accounts reach our helpers, key options are honoured, and a
test's remote services end with the test."""

from __future__ import annotations

import json
import pathlib
import shlex
import subprocess
import time

import pytest

from conftest import pid_exists, wait_gone
from sshd_support import SSHD


@pytest.mark.parametrize("alias,user", [("rhltest-svc", "svc"), ("rhltest-root", "root")])
def test_helpers_run_as_each_account(sshd: SSHD, alias: str, user: str) -> None:
    result = sshd.run(alias, "rhl-ps", "--json")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    who = sshd.run(alias, 'echo "$(id -un) $HOME"; command -v rhl-ps hashserver seamless-database')
    assert who.returncode == 0, who.stderr
    lines = who.stdout.splitlines()
    assert lines[0] == f"{user} {sshd.home(user)}"
    venv = sshd.svc_venv if user == "svc" else sshd.root_venv
    assert lines[1:] == [str(venv / "rhl-ps"), str(venv / "hashserver"), str(venv / "seamless-database")]


def test_remote_helpers_are_this_checkout(sshd: SSHD) -> None:
    """The svc venv holds our package, installed (not editable), from the current sources."""
    script = "import remote_http_launcher as m; print(m.__file__)"
    result = sshd.run("rhltest-svc", "python3", "-c", shlex.quote(script))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(sshd.venv / "lib"))


def test_bare_ssh_through_the_wrapper(sshd: SSHD) -> None:
    """Programs that run a bare `ssh HOST` find the private config through bin/ssh on PATH."""
    proc = subprocess.run(
        ["ssh", "rhltest-svc", "echo", "hi"],
        capture_output=True,
        text=True,
        env=sshd.env(),
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "hi\n", "")


def test_forced_command_is_honoured(sshd: SSHD) -> None:
    script = sshd.dir / "forced.sh"
    script.write_text('#!/bin/sh\nprintf "forced as %s: [%s]\\n" "$(id -un)" "$SSH_ORIGINAL_COMMAND"\n')
    script.chmod(0o755)
    sshd.set_key_options("svc", f'command="{script}",restrict')
    try:
        result = sshd.run("rhltest-svc", 'rhl-ps --json "a b"; rm -rf /x')
        assert result.returncode == 0, result.stderr
        assert result.stdout == 'forced as svc: [rhl-ps --json "a b"; rm -rf /x]\n'
        assert "restrict" in sshd.key_line("svc")
    finally:
        sshd.set_key_options("svc", None)
    assert sshd.run("rhltest-svc", "echo", "plain").stdout == "plain\n"


def test_key_line_can_change_the_remote_path(sshd: SSHD) -> None:
    try:
        sshd.set_key_options("svc", None, path="/usr/bin:/bin")
        result = sshd.run("rhltest-svc", "rhl-ps")
        assert result.returncode == 127
        assert "rhl-ps: command not found" in result.stderr
    finally:
        sshd.reset_keys()
    assert sshd.run("rhltest-svc", "rhl-ps", "--json").returncode == 0


def test_isolated_stops_what_the_test_started(sshd: SSHD) -> None:
    tools = sshd.dir / "tools-example.yaml"
    tools.write_text('example:\n  command_template: "rhl-example-service --status-file {status_file}"\n')
    tools.chmod(0o644)
    with sshd.isolated() as server:
        home = server.home("svc")
        server.set_key_options("svc", f'environment="RHL_TOOLS_YAML={tools}"')
        status_file = f"{home}/.remote-http-launcher/server/isolated-demo.json"
        argv = ["rhl-launch-service", "--key", "isolated-demo", "--workdir", f"{home}/work"]
        argv += ["--", "rhl-example-service", "--status-file", status_file]
        launched = server.run("rhltest-svc", shlex.join(argv))
        assert launched.returncode == 0, launched.stderr
        pid = json.loads(launched.stdout)["pid"]
        deadline = time.monotonic() + 30
        while json.loads(pathlib.Path(status_file).read_text()).get("status") != "running":
            assert time.monotonic() < deadline, "the example service did not start"
            time.sleep(0.02)
        assert pid_exists(pid)
        rows = server.run("rhltest-svc", "rhl-ps", "--json")
        assert [row["key"] for row in rows.json_lines()] == ["isolated-demo"]
    assert wait_gone(pid, timeout=15)
    assert not home.exists()
    assert sshd.home("svc") != home
    assert sshd.run("rhltest-svc", "rhl-ps", "--json").stdout == ""


def test_tunnel_through_a_restricted_key(sshd: SSHD) -> None:
    """`restrict,port-forwarding,permitopen=...` (the recipe's tunnel line) forwards, and the
    environment= options still apply under restrict."""
    import http.server
    import socket
    import threading
    import urllib.request

    sshd.set_key_options("svc", 'restrict,port-forwarding,permitopen="127.0.0.1:*"')
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        local_port = probe.getsockname()[1]
    tunnel = subprocess.Popen(
        sshd.ssh_argv(
            "rhltest-svc",
            "-N",
            "-o",
            "ExitOnForwardFailure=yes",
            "-L",
            f"{local_port}:127.0.0.1:{httpd.server_address[1]}",
        ),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert sshd.run("rhltest-svc", "echo", "$HOME").stdout == f"{sshd.home('svc')}\n"
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{local_port}/", timeout=5) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert tunnel.poll() is None, tunnel.stderr.read() if tunnel.stderr else ""
                assert time.monotonic() < deadline, "the tunnel never forwarded"
                time.sleep(0.02)
    finally:
        tunnel.terminate()
        tunnel.wait(timeout=10)
        httpd.shutdown()
        httpd.server_close()
        sshd.set_key_options("svc", None)
