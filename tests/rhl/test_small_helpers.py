"""rhl-pid-alive, rhl-verify-port, rhl-handshake: answers and usage errors never mix."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from conftest import RhlEnv
from http_support import http_server as serve


def test_pid_alive(rhl: RhlEnv) -> None:
    assert rhl.run("rhl-pid-alive", str(os.getpid())).returncode == 0
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert rhl.run("rhl-pid-alive", str(proc.pid)).returncode == 1


def test_pid_alive_treats_a_zombie_as_dead(rhl: RhlEnv) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        import time

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            stat = open(f"/proc/{proc.pid}/stat").read()
            if stat[stat.rindex(")") + 2] == "Z":
                break
            time.sleep(0.01)
        assert rhl.run("rhl-pid-alive", str(proc.pid)).returncode == 1
    finally:
        proc.wait()


@pytest.mark.parametrize("arg", ["0", "-5", "true", "abc", "99999999999999999999999", "1.5", ""])
def test_pid_alive_usage_errors_exit_64(rhl: RhlEnv, arg: str) -> None:
    result = rhl.run("rhl-pid-alive", "--", arg)
    assert (result.returncode, result.stderr) == (64, "rhl-pid-alive: PID must be a positive integer\n")


def test_pid_alive_missing_argument(rhl: RhlEnv) -> None:
    assert rhl.run("rhl-pid-alive").returncode == 64


@pytest.fixture
def http_server() -> Iterator[int]:
    redirects = {"/redirect": "/ok", "/away": "http://192.0.2.1:9/ok"}

    def answer(path: str) -> tuple[int, dict[str, str]]:
        if path in redirects:
            return 302, {"Location": redirects[path]}
        return (200 if path == "/ok" else 404), {}

    with serve(answer) as port:
        yield port


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_verify_port(rhl: RhlEnv, http_server: int) -> None:
    assert rhl.run("rhl-verify-port", "127.0.0.1", str(http_server)).returncode == 0
    assert rhl.run("rhl-verify-port", "localhost", str(http_server)).returncode == 0
    port = _closed_port()
    result = rhl.run("rhl-verify-port", "127.0.0.1", str(port), "--attempts", "2")
    assert result.returncode == 1
    assert result.stderr.startswith(f"rhl-verify-port: could not connect to 127.0.0.1:{port}: ")
    for argv, message in [
        (("bad_host!", "80"), "rhl-verify-port: invalid host\n"),
        (("h", "x"), "rhl-verify-port: port must be an integer\n"),
        (("h", "0"), "rhl-verify-port: port must be in [1, 65535]\n"),
        (("h", "70000"), "rhl-verify-port: port must be in [1, 65535]\n"),
        (("h",), "rhl-verify-port: Missing argument 'PORT'.\n"),
    ]:
        result = rhl.run("rhl-verify-port", *argv)
        assert (result.returncode, result.stderr) == (1, message)


def test_handshake(rhl: RhlEnv, http_server: int) -> None:
    base = f"http://127.0.0.1:{http_server}"
    assert rhl.run("rhl-handshake", f"{base}/ok").returncode == 0
    assert rhl.run("rhl-handshake", f"{base}/redirect").returncode == 0
    away = rhl.run("rhl-handshake", f"{base}/away")  # never becomes a probe of another machine
    assert (away.returncode, away.stderr) == (
        2,
        "rhl-handshake: HTTP Error 302: redirect to another host refused: http://192.0.2.1:9/ok\n",
    )
    missing = rhl.run("rhl-handshake", f"{base}/missing")
    assert (missing.returncode, missing.stderr) == (2, "rhl-handshake: HTTP Error 404: Not Found\n")
    refused = rhl.run("rhl-handshake", f"http://127.0.0.1:{_closed_port()}/")
    assert refused.returncode == 1 and "Connection refused" in refused.stderr
    for url in ("ftp://x/", "nothing", "http:///path"):
        result = rhl.run("rhl-handshake", url)
        assert (result.returncode, result.stderr) == (
            64,
            "rhl-handshake: URL must use http or https and include a host\n",
        )
    assert rhl.run("rhl-handshake").returncode == 64


def test_handshake_timeout_is_an_error_not_a_traceback(rhl: RhlEnv) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        result = rhl.run("rhl-handshake", f"http://127.0.0.1:{port}/", "--timeout", "0.3")
    assert result.returncode == 1
    assert "timed out" in result.stderr and "Traceback" not in result.stderr
