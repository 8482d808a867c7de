"""``rhl-verify-port --key`` and ``rhl-handshake --key`` through rhl-guard (installed, as sshd
runs it): accepted alone and in a batch with the helper's own answers; the guard refuses what
the helper would refuse (the same ``usage_problem``); and since the host is only in the state
file, the helper refuses at use time a state whose host is not this machine (exit 77)."""

from __future__ import annotations

import json
import pathlib
import shlex
from collections.abc import Iterator

import pytest
from guardkit import EXIT_REJECTED, Tree, run_guard, tree  # noqa: F401

from http_support import http_server as serve


@pytest.fixture
def http_server() -> Iterator[int]:
    with serve(lambda path: (200 if path == "/ok" else 404, {})) as port:
        yield port


def _state(world: Tree, key: str, data: dict[str, object]) -> pathlib.Path:
    server = world.home / ".remote-http-launcher" / "server"
    server.mkdir(parents=True, exist_ok=True)
    path = server / f"{key}.json"
    path.write_text(json.dumps(data))
    return path


POLICY = ("--clear-policy", "seamless")


def test_the_guard_runs_the_key_forms(tree: Tree, http_server: int) -> None:  # noqa: F811
    _state(tree, "svc", {"status": "running", "port": http_server, "network_interface": "0.0.0.0"})
    port = run_guard(tree, "rhl-verify-port --key svc", *POLICY)
    assert (port.returncode, port.stdout, port.stderr, port.audit) == (0, "", "", [])
    ok = run_guard(tree, "rhl-handshake --key svc --path /ok", *POLICY)
    assert (ok.returncode, ok.stderr) == (0, "")
    missing = run_guard(tree, "rhl-handshake --key svc --path /missing", *POLICY)
    assert (missing.returncode, missing.stderr) == (2, "rhl-handshake: HTTP Error 404: Not Found\n")
    absent = run_guard(tree, "rhl-verify-port --key absent", *POLICY)
    assert (absent.returncode, absent.stderr) == (3, "rhl-verify-port: no state file for 'absent'\n")
    lines = [
        "rhl-ps --json",
        "rhl-verify-port --key svc",
        "rhl-handshake --key svc --path /ok",
        "rhl-verify-port --key absent",
    ]
    batch = run_guard(tree, shlex.join(["rhl-batch", *lines]), *POLICY)
    assert batch.returncode == 0, batch.stderr
    records = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [r["rc"] for r in records] == [0, 0, 0, 3]
    assert records[3]["stderr"] == "rhl-verify-port: no state file for 'absent'\n"


def test_the_guard_refuses_a_state_whose_host_is_not_this_machine(tree: Tree) -> None:  # noqa: F811
    """The host is only in the file: the guard cannot see it before the helper runs, so the
    helper checks it at use time (the same check the guard makes of a HOST on the command
    line) and refuses with the guard's exit code; without the guard it just connects."""
    _state(tree, "far", {"status": "running", "port": 80, "network_interface": "192.0.2.77"})
    for command in ("rhl-verify-port --key far", "rhl-handshake --key far --path /"):
        helper = command.split()[0]
        result = run_guard(tree, command, *POLICY)
        assert (result.returncode, result.stdout, result.stderr) == (
            EXIT_REJECTED,
            "",
            f"{helper}: refused by rhl-guard: host is not an address of this machine: 192.0.2.77\n",
        )
    alone = run_guard(tree, "rhl-verify-port 192.0.2.77 80", *POLICY)
    assert alone.returncode == EXIT_REJECTED and "not an address of this machine" in alone.stderr


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (
            "rhl-verify-port --key svc 192.0.2.77 80",
            "rhl-verify-port: --key and HOST PORT exclude each other",
        ),
        ("rhl-verify-port --key svc 127.0.0.1 80", "rhl-verify-port: --key and HOST PORT exclude each other"),
        ("rhl-verify-port", "rhl-verify-port: Missing argument 'HOST'."),
        ("rhl-verify-port --key ../x", "rhl-verify-port: "),
        ("rhl-handshake --key svc http://127.0.0.1/", "rhl-handshake: --key and URL exclude each other"),
        ("rhl-handshake --path /x http://127.0.0.1/", "rhl-handshake: --path and --port-name need --key"),
        ("rhl-handshake", "rhl-handshake: Missing argument 'URL'."),
        (
            "rhl-handshake http://127.0.0.1/ http://192.0.2.77/",
            "rhl-handshake: Got unexpected extra argument",
        ),
    ],
)
def test_the_guard_refuses_what_the_helper_would(tree: Tree, command: str, reason: str) -> None:  # noqa: F811
    result = run_guard(tree, command, *POLICY)
    assert result.returncode == EXIT_REJECTED, result
    assert result.stderr.startswith("rhl-guard: rejected: ") and reason in result.stderr, result.stderr
    in_batch = run_guard(tree, shlex.join(["rhl-batch", "rhl-ps --json", command]), *POLICY)
    assert (in_batch.returncode, in_batch.stdout) == (EXIT_REJECTED, ""), in_batch
