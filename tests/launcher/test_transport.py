"""remote_http_launcher.transport, the one SSH transport, against the real test sshd:
words arrive exactly as given (quoted once), one master connection serves many calls, a dead
host answers 255 within its connect timeout, and run_many keeps its concurrency bound."""

from __future__ import annotations

import pathlib
import socket
import threading
import time

from remote_http_launcher import transport
from remote_http_launcher.transport import Transport
from sshd_support import SSHD


def _link(sshd: SSHD, tmp_path: pathlib.Path, host: str = "rhltest-svc", **kwargs: float) -> Transport:
    control = sshd.dir / "cm"  # short: a socket path has at most 108 bytes; teardown exits it
    control.mkdir(mode=0o700, exist_ok=True)
    return Transport(host, control_dir=str(control), ssh=str(sshd.bin_dir / "ssh"), **kwargs)  # type: ignore[arg-type]


def _count(sshd: SSHD, text: str) -> int:
    return sshd.log.read_text(errors="replace").count(text)


def test_words_arrive_exactly_and_one_master_serves_every_call(
    sshd_isolated: SSHD, tmp_path: pathlib.Path
) -> None:
    link = _link(sshd_isolated, tmp_path)
    words = ["a b", "$HOME", "'quoted'", '"dq"', "x;y", "~/not-expanded", "*", ""]
    logins = _count(sshd_isolated, "Accepted publickey for svc")
    try:
        done = link.run(["printf", "%s|", *words])
        assert (done.rc, done.stdout.decode(), done.stderr) == (0, "|".join(words) + "|", b"")
        # The seeds' PATH prepend is in front of every helper call.
        done = link.run(["sh", "-c", 'printf %s "$PATH"'])
        assert done.stdout.decode().startswith(f"{sshd_isolated.home('svc')}/miniforge3/bin:")
        for _ in range(3):
            assert link.run(["true"]).rc == 0
        # Five calls, one login: the rest rode the master connection.
        assert _count(sshd_isolated, "Accepted publickey for svc") - logins == 1
        # A string is sent as is (the doctor's raw probes): no prepend, no quoting.
        assert link.run("echo $((1+2))").stdout == b"3\n"
    finally:
        link.close()


def test_dead_host_answers_255_within_its_connect_timeout(sshd: SSHD, tmp_path: pathlib.Path) -> None:
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(8)
        config = tmp_path / "ssh_config"
        config.write_text(
            f"Host dead\n  HostName 127.0.0.1\n  Port {hole.getsockname()[1]}\n" + sshd.ssh_config.read_text()
        )
        wrapper = tmp_path / "ssh"
        wrapper.write_text(f'#!/bin/sh\nexec /usr/bin/ssh -F {config} "$@"\n')
        wrapper.chmod(0o755)
        control = sshd.dir / "cm"
        control.mkdir(mode=0o700, exist_ok=True)
        link = Transport("dead", control_dir=str(control), ssh=str(wrapper), connect_timeout=1)
        start = time.monotonic()
        done = link.run(["rhl-ps", "--json"])
        took = time.monotonic() - start
    assert done.rc == transport.SSH_FAILED
    assert "timed out" in done.error_line()
    assert took < 1 + 2.0, took


def test_run_many_keeps_its_bound_and_the_order() -> None:
    active = 0
    peak = 0
    lock = threading.Lock()

    def job(index: int) -> int:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.02)  # a stand-in for a round trip; the bound is what is checked
        with lock:
            active -= 1
        if index == 3:
            raise ValueError("host 3 failed")
        return index

    results = transport.run_many([lambda i=i: job(i) for i in range(40)], max_parallel=5)
    assert peak <= 5
    assert [r for r in results if not isinstance(r, ValueError)] == [i for i in range(40) if i != 3]
    assert isinstance(results[3], ValueError)


def test_helper_command_text_is_quoted_once() -> None:
    assert transport.remote_command(["rhl-ps", "--json"]) == f"{transport.PATH_PREPEND} rhl-ps --json"
    assert transport.command_line(["rhl-clear", "~/a b"], expand_home=True) == "rhl-clear ~/'a b'"
    assert transport.command_line(["rhl-clear", "~/a b"]) == "rhl-clear '~/a b'"
    link = Transport("somehost", control_dir="/nonexistent-dir", connect_timeout=7)
    argv = link.argv(["rhl-ps"])
    assert argv[:5] == ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=7"]
    assert "ControlPath=/nonexistent-dir/%C" in argv and "ControlMaster=auto" in argv
    assert argv[-2:] == ["somehost", f"{transport.PATH_PREPEND} rhl-ps"]


def test_every_ssh_goes_through_the_transport() -> None:
    """No module but the transport starts ssh (no `sh` library, no hand-built ssh argv)."""
    import re

    root = pathlib.Path(__file__).resolve().parents[2] / "packages"
    starts_ssh = re.compile(
        r"""\[\s*["']ssh["']|Command\(\s*["']ssh["']|^\s*import sh\b|^\s*from sh\b""", re.M
    )
    offenders = [
        str(path.relative_to(root))
        for path in sorted(root.glob("*/src/**/*.py"))
        if path.name != "transport.py" and starts_ssh.search(path.read_text())
    ]
    assert offenders == []
