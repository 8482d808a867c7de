"""remote_http_launcher.transport, the one SSH transport, against the real test sshd:
words arrive exactly as given (quoted once), one master connection serves many calls, a dead
host answers 255 within its connect timeout, and run_many keeps its concurrency bound."""

from __future__ import annotations

import pathlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


@pytest.fixture
def dead_host_config(sshd: SSHD, tmp_path: pathlib.Path) -> Iterator[pathlib.Path]:
    """An ssh_config with the test sshd's hosts and ``dead``: a port that accepts TCP and
    never answers (what a hung or firewalled host looks like), open while the test runs."""
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(8)
        config = tmp_path / "ssh_config"
        config.write_text(
            f"Host dead\n  HostName 127.0.0.1\n  Port {hole.getsockname()[1]}\n" + sshd.ssh_config.read_text()
        )
        yield config


def test_dead_host_answers_255_within_its_connect_timeout(
    sshd: SSHD, tmp_path: pathlib.Path, dead_host_config: pathlib.Path
) -> None:
    wrapper = tmp_path / "ssh"
    wrapper.write_text(f'#!/bin/sh\nexec /usr/bin/ssh -F {dead_host_config} "$@"\n')
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


def test_a_head_start_to_a_dead_host_is_its_calls_answer(
    sshd: SSHD, tmp_path: pathlib.Path, dead_host_config: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """head_start() starts the hosts without a master at once; a call to a host whose head
    start failed answers with that failure (255, ssh's message) instead of connecting a
    second time: one ssh start for the dead host, counted by the wrapper. A host whose
    master listens gets no head start."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    starts = tmp_path / "starts"
    wrapper = f'#!/bin/sh\necho "$*" >> {starts}\nexec /usr/bin/ssh -F {dead_host_config} "$@"\n'
    (bin_dir / "ssh").write_text(wrapper)
    (bin_dir / "ssh").chmod(0o755)
    control = sshd.dir / "cm-head"
    control.mkdir(mode=0o700, exist_ok=True)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv(transport.ENV_CONTROL_DIR, str(control))
    monkeypatch.setenv(transport.ENV_CONNECT_TIMEOUT, "1")
    monkeypatch.setattr(transport, "_transports", {})
    try:
        assert transport.transport("rhltest-svc").run(["true"]).rc == 0  # its master now listens
        assert transport.transport("rhltest-svc").master_listening()
        before = starts.read_text().count("\n")
        transport.head_start(["dead", "rhltest-svc", "dead"])
        done = transport.transport("dead").run(["rhl-ps", "--json"])
        lines = starts.read_text().splitlines()[before:]
    finally:
        transport.transport("rhltest-svc").close()
    assert done.rc == transport.SSH_FAILED
    assert "timed out" in done.error_line(), done.error_line()
    assert len(lines) == 1 and lines[0].endswith("-n -N -f dead"), lines


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
    assert "ControlPath=/nonexistent-dir/m-somehost" in argv and "ControlMaster=auto" in argv
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


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12))
def test_quoting_is_shlex_quote(word: str) -> None:
    """Words are quoted as shlex.quote does; shlex (and re) are imported only when needed."""
    import shlex

    assert transport.quote_word(word) == shlex.quote(word)
