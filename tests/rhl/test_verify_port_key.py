"""``rhl-verify-port --key KEY`` and ``rhl-handshake --key KEY [--path P] [--port-name N]``:
the port check and the handshake of a service as its server state file records it (the
doctor asks them in its first batch, before it has read the state). Through the installed
commands: the answer is exactly the HOST PORT / URL form's; "nothing to check" is exit 3;
usage errors are the helpers' usual ones. Through rhl-guard: tests/guard/test_guard_keyed_network.py."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from conftest import RhlEnv
from http_support import http_server as serve


@pytest.fixture
def http_server() -> Iterator[int]:
    with serve(lambda path: (200 if path in ("/ok", "/ok?a=1&b=x+y") else 404, {})) as port:
        yield port


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_key_form_answers_what_the_host_port_form_answers(rhl: RhlEnv, http_server: int) -> None:
    closed = _closed_port()
    cases = [
        (
            {"status": "running", "port": http_server, "network_interface": "127.0.0.1"},
            ("127.0.0.1", http_server),
        ),
        (
            {"status": "running", "port": http_server, "network_interface": "0.0.0.0"},
            ("127.0.0.1", http_server),
        ),
        ({"status": "starting", "port": http_server}, ("localhost", http_server)),
        ({"status": "running", "port": closed, "network_interface": "127.0.0.1"}, ("127.0.0.1", closed)),
    ]
    for data, (host, port) in cases:
        rhl.write_server("svc", data)
        keyed = rhl.run("rhl-verify-port", "--key", "svc", "--attempts", "1")
        plain = rhl.run("rhl-verify-port", host, str(port), "--attempts", "1")
        assert (keyed.returncode, keyed.stdout, keyed.stderr) == (
            plain.returncode,
            plain.stdout,
            plain.stderr,
        )
    assert keyed.returncode == 1
    assert keyed.stderr.startswith(f"rhl-verify-port: could not connect to 127.0.0.1:{closed}: ")


def test_nothing_to_check_is_exit_3(rhl: RhlEnv) -> None:
    rhl.write_server("stale", {"status": "stale", "port": 5000})
    rhl.write_server("noport", {"status": "running"})
    rhl.write_server("badport", {"status": "running", "port": 70000})
    rhl.write_server("boolport", {"status": "running", "port": True})
    corrupt = rhl.write_server("corrupt", None, raw='{"status":')
    expected = {
        "absent": "no state file for 'absent'",
        "stale": "'stale' has no running service (its state says 'stale')",
        "noport": "the state of 'noport' has no valid 'port'",
        "badport": "the state of 'badport' has no valid 'port'",
        "boolport": "the state of 'boolport' has no valid 'port'",
    }
    for key, message in expected.items():
        for helper in ("rhl-verify-port", "rhl-handshake"):
            result = rhl.run(helper, "--key", key)
            assert (result.returncode, result.stdout, result.stderr) == (3, "", f"{helper}: {message}\n")
    result = rhl.run("rhl-verify-port", "--key", "corrupt")
    assert result.returncode == 3 and result.stdout == ""
    assert result.stderr.startswith(
        f"rhl-verify-port: corrupt state file for 'corrupt': malformed JSON in {corrupt}"
    )
    assert corrupt.read_text() == '{"status":'  # read only


def test_usage_errors(rhl: RhlEnv) -> None:
    for argv, message in [
        (("--key", "k", "127.0.0.1", "80"), "--key and HOST PORT exclude each other"),
        ((), "Missing argument 'HOST'."),
        (("h",), "Missing argument 'PORT'."),
        (("h", "1", "x"), "Got unexpected extra argument (x)."),
    ]:
        result = rhl.run("rhl-verify-port", *argv)
        assert (result.returncode, result.stderr) == (1, f"rhl-verify-port: {message}\n")
    bad_key = rhl.run("rhl-verify-port", "--key", "../x")
    assert bad_key.returncode == 1 and bad_key.stderr.startswith("rhl-verify-port: Invalid value for '--key'")
    for argv, message in [
        (("--key", "k", "http://127.0.0.1/"), "--key and URL exclude each other"),
        (("--path", "/x", "http://127.0.0.1/"), "--path and --port-name need --key"),
        (("--port-name", "p"), "--path and --port-name need --key"),
        ((), "Missing argument 'URL'."),
        (("http://a/", "http://b/"), "Got unexpected extra argument (http://b/)."),
        (
            ("--key", "k", "--path", "ok"),
            "--path must start with '/' and hold only printable ASCII (no spaces, no '#')",
        ),
        (
            ("--key", "k", "--path", "/a b"),
            "--path must start with '/' and hold only printable ASCII (no spaces, no '#')",
        ),
        (
            ("--key", "k", "--path", "/a#b"),
            "--path must start with '/' and hold only printable ASCII (no spaces, no '#')",
        ),
        (("--key", "k", "--port-name", ""), "--port-name must not be empty"),
    ]:
        result = rhl.run("rhl-handshake", *argv)
        assert (result.returncode, result.stderr) == (64, f"rhl-handshake: {message}\n")


def test_the_keyed_handshake_gets_what_the_url_form_gets(rhl: RhlEnv, http_server: int) -> None:
    rhl.write_server(
        "svc", {"status": "running", "port": 1, "dashboard_port": http_server, "network_interface": "0.0.0.0"}
    )
    base = f"http://127.0.0.1:{http_server}"
    for path in ("/ok", "/ok?a=1&b=x+y", "/missing"):
        keyed = rhl.run("rhl-handshake", "--key", "svc", "--path", path, "--port-name", "dashboard_port")
        plain = rhl.run("rhl-handshake", f"{base}{path}")
        assert (keyed.returncode, keyed.stdout, keyed.stderr) == (
            plain.returncode,
            plain.stdout,
            plain.stderr,
        )
    assert (keyed.returncode, keyed.stderr) == (2, "rhl-handshake: HTTP Error 404: Not Found\n")
    rhl.write_server("svc", {"status": "running", "port": http_server})  # localhost, default path /
    keyed = rhl.run("rhl-handshake", "--key", "svc")
    plain = rhl.run("rhl-handshake", f"http://localhost:{http_server}/")
    assert (keyed.returncode, keyed.stderr) == (plain.returncode, plain.stderr) == (2, plain.stderr)
    rhl.write_server("svc", {"status": "running", "port": _closed_port(), "network_interface": "127.0.0.1"})
    refused = rhl.run("rhl-handshake", "--key", "svc", "--path", "/ok")
    assert refused.returncode == 1 and "Connection refused" in refused.stderr
    missing = rhl.run("rhl-handshake", "--key", "svc", "--port-name", "dashboard_port")
    assert (missing.returncode, missing.stderr) == (
        3,
        "rhl-handshake: the state of 'svc' has no valid 'dashboard_port'\n",
    )
