"""The launcher through ``rhl-guard``: the non-root ``svc`` account's key is forced to the guard
with ``restrict,port-forwarding,permitopen="127.0.0.1:*"``, as a site admin would install it.

A launch (one ``rhl-launch-service --await`` call), a reuse, a tunnel (whose session runs
``rhl-pid-alive --wait``) and the helpers all pass the guard; a naked command does not.
"""

from __future__ import annotations

import json
import pathlib

import pytest
from test_launch_ssh import Client, healthcheck, port_closed, remote_state

from sshd_support import SSHD

KEY_OPTIONS = 'command="{guard} --clear-policy seamless",restrict,port-forwarding,permitopen="127.0.0.1:*"'


@pytest.fixture
def guarded(sshd_isolated: SSHD) -> SSHD:
    sshd_isolated.set_key_options("svc", KEY_OPTIONS.format(guard=sshd_isolated.svc_venv / "rhl-guard"))
    return sshd_isolated


@pytest.mark.parametrize("tunnel", [False, True])
def test_launcher_works_through_the_guard(guarded: SSHD, tmp_path: pathlib.Path, tunnel: bool) -> None:
    client = Client(guarded, tmp_path)
    key = f"hashserver-guarded-{'tunnel' if tunnel else 'direct'}"
    config = client.config(key, "svc", tunnel=tunnel)
    result = client.launch(config)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    host = "localhost" if tunnel else "127.0.0.1"
    assert healthcheck(host, payload["port"]) == 200
    assert remote_state(guarded, "svc", key)["status"] == "running"
    (client.base / "client" / f"{key}.json").unlink()
    again = client.launch(config)
    assert again.returncode == 0 and "done: reused-remote" in again.stderr, again.stderr
    port = json.loads(again.stdout)["port"]
    listed = guarded.run("rhltest-svc", "rhl-ps", "--json")
    assert listed.returncode == 0 and [row["key"] for row in listed.json_lines()] == [key]
    assert guarded.run("rhltest-svc", "rhl-stop", key).returncode == 0
    if tunnel:
        assert port_closed(port, timeout=10)  # the tunnel's guarded `rhl-pid-alive --wait` returned


def test_naked_commands_are_refused_through_the_guard(guarded: SSHD) -> None:
    refused = guarded.run("rhltest-svc", "kill", "-1", "1")
    assert refused.returncode != 0 and "rhl-guard: rejected" in refused.stderr
    shell = guarded.run("rhltest-svc", "bash", "-lc", "'id'")
    assert shell.returncode != 0 and "rhl-guard: rejected" in shell.stderr
