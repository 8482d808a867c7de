"""Any state size works or is refused up front (issue 14 point 11).

``meta`` and ``file_parameters`` travel to ``rhl-launch-service`` as one command-line argument
each, and come back inside the await helper's one-line JSON answer. A launch with blocks of
about 40 kB hung in the handshake phase (the answer filled the stdout pipe while the launcher
read stderr to its end). Now every size the operating system can pass works - locally up to
MAX_ARG_STRLEN - 1 bytes per block, over SSH up to a remote command of 131,050 bytes, with or
without rhl-guard - and anything larger is refused with one line and exit 2 before anything
starts. Every wait is bounded (subprocess timeouts, pytest-timeout).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
from typing import Any

import pytest
from test_launch_ssh import Client, healthcheck, remote_state

from conftest import RhlEnv, pid_exists
from sshd_support import SSHD

pytestmark = pytest.mark.timeout(300)

#: Linux, 4 KiB pages: one argument is at most 131,072 bytes with its NUL.
ARG_MAX_ENTRY = 32 * os.sysconf("SC_PAGESIZE") - 1
#: Over SSH the whole command is one environment string "SSH_ORIGINAL_COMMAND=...".
SSH_COMMAND_MAX = 131072 - 1 - len("SSH_ORIGINAL_COMMAND=")
KEY_OPTIONS = 'command="{guard} --clear-policy seamless",restrict,port-forwarding,permitopen="127.0.0.1:*"'


def block(size: int, letter: str) -> dict[str, Any]:
    """A mapping whose JSON (as json.dumps writes it) is exactly ``size`` bytes."""
    value = {"b": letter * (size - len('{"b": ""}'))}
    assert len(json.dumps(value)) == size
    return value


def write_config(rhl: RhlEnv, key: str, meta_size: int, parameters_size: int) -> pathlib.Path:
    return rhl.example_config(key, meta=block(meta_size, "m"), file_parameters=block(parameters_size, "p"))


@pytest.mark.parametrize(
    ("meta_size", "parameters_size"),
    [(40_000, 40_000), (ARG_MAX_ENTRY, ARG_MAX_ENTRY)],
    ids=["40kB", "largest"],
)
def test_large_blocks_launch_locally(rhl: RhlEnv, meta_size: int, parameters_size: int) -> None:
    key = f"large-{meta_size}"
    config = write_config(rhl, key, meta_size, parameters_size)
    result = rhl.run("remote-http-launcher", str(config), "--json", timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "done: launched" in result.stderr
    payload = json.loads(result.stdout)
    assert len(json.dumps(payload["meta"])) == meta_size
    assert len(json.dumps(payload["parameters"])) == parameters_size
    assert json.loads((rhl.client / f"{key}.json").read_text()) == payload
    server = rhl.read_server(key)
    assert server["status"] == "running" and server["meta"] == payload["meta"]
    assert server["parameters"] == payload["parameters"]
    listed = rhl.run("rhl-ps", "--json")
    assert listed.returncode == 0 and [row["key"] for row in listed.json_lines()] == [key]
    # A second launcher reuses it through the same large answer.
    (rhl.client / f"{key}.json").unlink()
    again = rhl.run("remote-http-launcher", str(config), "--json", timeout=60)
    assert again.returncode == 0 and "done: reused-remote" in again.stderr, again.stderr[-2000:]
    assert json.loads(again.stdout) == payload


def _assert_nothing_started(rhl: RhlEnv, key: str) -> None:
    assert not (rhl.server / f"{key}.json").exists()
    assert not (rhl.server / f"{key}.log").exists()
    assert not (rhl.client / f"{key}.json").exists()
    assert not (rhl.tmp / "work" / key).exists()


@pytest.mark.parametrize("field", ["meta", "file_parameters"])
def test_a_block_one_byte_too_large_is_refused_up_front(rhl: RhlEnv, field: str) -> None:
    key = f"toolarge-{field.replace('_', '-')}"
    sizes = {"meta": 100, "file_parameters": 100, field: ARG_MAX_ENTRY + 1}
    config = write_config(rhl, key, sizes["meta"], sizes["file_parameters"])
    for extra in ([], ["--dry-run"]):
        result = rhl.run("remote-http-launcher", str(config), *extra, timeout=30)
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert result.stderr == (
            f"remote-http-launcher: invalid configuration {config}: {field}: "
            f"{ARG_MAX_ENTRY + 1:,} bytes of JSON; rhl-launch-service receives {field} as one "
            f"command-line argument, of at most {ARG_MAX_ENTRY:,} bytes on this system\n"
        )
    _assert_nothing_started(rhl, key)


def test_python_run_refuses_a_too_large_block_before_anything_starts(rhl: RhlEnv) -> None:
    key = "toolarge-api"
    config = json.loads(write_config(rhl, key, ARG_MAX_ENTRY + 1, 10).read_text())
    script = (
        "import json, sys\n"
        "from remote_http_launcher import run, ConfigError\n"
        "try:\n"
        "    run(json.loads(sys.stdin.read()))\n"
        "except ConfigError as exc:\n"
        "    print(type(exc).__name__, exc.field)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(config),
        env=rhl.env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ConfigError meta\n"
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].endswith(
        f"error: meta: {ARG_MAX_ENTRY + 1:,} bytes of JSON; rhl-launch-service receives meta as "
        f"one command-line argument, of at most {ARG_MAX_ENTRY:,} bytes on this system"
    )
    _assert_nothing_started(rhl, key)


def test_arguments_and_environment_beyond_arg_max_are_refused_up_front(rhl: RhlEnv) -> None:
    """Blocks that fit one argument each, with an environment that leaves no room for them."""
    key = "toolarge-total"
    config = write_config(rhl, key, ARG_MAX_ENTRY, ARG_MAX_ENTRY)
    limit = min(os.sysconf("SC_ARG_MAX"), 6 * 1024 * 1024)
    env_bytes = sum(len(k) + len(v) + 2 for k, v in rhl.env.items())
    filler = limit - 2 * ARG_MAX_ENTRY - env_bytes + 10_000
    chunk = 100_000
    extra = {f"RHL_TEST_FILL_{i}": "f" * chunk for i in range(filler // chunk + 1)}
    result = rhl.run("remote-http-launcher", str(config), env=extra, timeout=30)
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(result.stderr.splitlines()) == 1
    assert re.fullmatch(
        rf"remote-http-launcher: invalid configuration {re.escape(str(config))}: meta: the "
        r"rhl-launch-service call would take [\d,]+ bytes of arguments and environment \(meta "
        rf"{ARG_MAX_ENTRY:,} and file_parameters {ARG_MAX_ENTRY:,} bytes of JSON\); this system "
        rf"passes at most {limit:,} \(ARG_MAX\)\n",
        result.stderr,
    ), result.stderr
    _assert_nothing_started(rhl, key)


# -- over SSH ---------------------------------------------------------------------------------


def _ssh_config(client: Client, key: str, meta: dict[str, Any], parameters: dict[str, Any]) -> pathlib.Path:
    return client.config(key, "svc", meta=meta, file_parameters=parameters)


def _refusal_size(stderr: str) -> int:
    match = re.search(r"would be ([\d,]+) bytes", stderr)
    assert match is not None, stderr
    return int(match.group(1).replace(",", ""))


def _check_running(sshd: SSHD, client: Client, key: str, result: Any, meta: dict[str, Any]) -> None:
    assert result.returncode == 0, result.stderr[-2000:]
    payload = json.loads(result.stdout)
    assert payload["meta"] == meta
    assert healthcheck("127.0.0.1", payload["port"]) == 200
    server = remote_state(sshd, "svc", key)
    assert server["status"] == "running" and server["meta"] == meta
    assert sshd.run("rhltest-svc", "rhl-stop", key).returncode == 0


@pytest.mark.parametrize("guarded", [False, True], ids=["plain", "guarded"])
def test_40kb_blocks_over_ssh(sshd_isolated: SSHD, tmp_path: pathlib.Path, guarded: bool) -> None:
    if guarded:
        sshd_isolated.set_key_options("svc", KEY_OPTIONS.format(guard=sshd_isolated.svc_venv / "rhl-guard"))
    client = Client(sshd_isolated, tmp_path)
    key = f"large-ssh-{'guarded' if guarded else 'plain'}"
    meta, parameters = block(40_000, "m"), block(40_000, "p")
    result = client.launch(_ssh_config(client, key, meta, parameters), timeout=120)
    _check_running(sshd_isolated, client, key, result, meta)
    assert client.client_file(key)["parameters"] == parameters


def test_the_largest_ssh_command_passes_and_one_byte_more_is_refused(
    sshd_isolated: SSHD, tmp_path: pathlib.Path
) -> None:
    """The boundary is found through the refusal's own size report, then really sent (plain
    SSH and through rhl-guard, whose forced command gets it as SSH_ORIGINAL_COMMAND)."""
    client = Client(sshd_isolated, tmp_path)
    key = "boundary"
    parameters = block(20_000, "p")
    probe = 120_000
    refused = client.launch(_ssh_config(client, key, block(probe, "m"), parameters), timeout=60)
    assert refused.returncode == 2, refused.stderr[-2000:]
    meta_size = probe - (_refusal_size(refused.stderr) - SSH_COMMAND_MAX)
    largest = _ssh_config(client, key, block(meta_size, "m"), parameters)

    _check_running(sshd_isolated, client, key, client.launch(largest, timeout=120), block(meta_size, "m"))
    (client.base / "client" / f"{key}.json").unlink()
    sshd_isolated.set_key_options("svc", KEY_OPTIONS.format(guard=sshd_isolated.svc_venv / "rhl-guard"))
    guarded = client.launch(largest, timeout=120)
    _check_running(sshd_isolated, client, key, guarded, block(meta_size, "m"))

    (client.base / "client" / f"{key}.json").unlink()
    state = sshd_isolated.home("svc") / ".remote-http-launcher" / "server" / f"{key}.json"
    before = json.loads(state.read_text())
    one_more = client.launch(_ssh_config(client, key, block(meta_size + 1, "m"), parameters), timeout=60)
    assert one_more.returncode == 2
    assert one_more.stdout == ""
    assert one_more.stderr == (
        f"remote-http-launcher: invalid configuration {tmp_path / (key + '.yaml')}: meta: the "
        f"rhl-launch-service command for rhltest-svc would be {SSH_COMMAND_MAX + 1:,} bytes "
        f"(meta {meta_size + 1:,} and file_parameters 20,000 bytes of JSON); SSH passes it to the "
        f"remote shell as one string of at most {SSH_COMMAND_MAX:,} bytes: make meta and "
        "file_parameters smaller\n"
    )
    assert json.loads(state.read_text()) == before  # nothing was sent
    assert not (client.base / "client" / f"{key}.json").exists()
    assert not pid_exists(int(before["pid"]))
