"""rhl-pid-alive --wait: blocks until the process is gone (exit 1), or exits 0 at --timeout or
when its caller goes away; locally, through both parsers, and over a real SSH connection."""

from __future__ import annotations

import os
import pathlib
import pwd
import subprocess
import time
from typing import Any

import pytest

from conftest import RhlEnv, find_command, pid_exists, wait_gone
from remote_http_launcher import process
from sshd_support import SSHD


def _sleeper(seconds: float = 60, **kwargs: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sleep", str(seconds)], stdin=subprocess.DEVNULL, **kwargs)


def _waiter(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [find_command("rhl-pid-alive"), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_wait_on_a_dead_pid_answers_at_once(rhl: RhlEnv) -> None:
    proc = _sleeper(0)
    proc.wait()
    started = time.monotonic()
    result = rhl.run("rhl-pid-alive", "--wait", str(proc.pid))
    assert (result.returncode, result.stdout, result.stderr) == (1, "", "")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("argv", [["--wait", "{pid}"], ["{pid}", "--wait"]])
def test_wait_returns_1_as_soon_as_the_process_exits(rhl: RhlEnv, argv: list[str]) -> None:
    target = _sleeper()
    try:
        waiter = _waiter(*[a.format(pid=target.pid) for a in argv], env=rhl.env)
        # The waiter must still be waiting while the target lives.
        with pytest.raises(subprocess.TimeoutExpired):
            waiter.wait(timeout=0.3)
        target.kill()
        killed = time.monotonic()
        target.wait()
        out, err = waiter.communicate(timeout=10)
        assert (waiter.returncode, out, err) == (1, "", "")
        assert time.monotonic() - killed < 1.0
    finally:
        target.kill()
        target.wait()


def test_a_zombie_ends_the_wait(rhl: RhlEnv) -> None:
    """PID 1 here does not reap; an exited, unreaped child must count as gone."""
    target = _sleeper(0.3)
    try:
        waiter = _waiter("--wait", str(target.pid), env=rhl.env)
        out, err = waiter.communicate(timeout=10)
        assert (waiter.returncode, out, err) == (1, "", "")
        assert pathlib.Path(f"/proc/{target.pid}").exists()  # still a zombie: we have not reaped it
        assert not pid_exists(target.pid)
    finally:
        target.wait()


def test_timeout_while_alive_exits_0(rhl: RhlEnv) -> None:
    target = _sleeper()
    try:
        started = time.monotonic()
        result = rhl.run("rhl-pid-alive", str(target.pid), "--wait", "--timeout", "0.3")
        elapsed = time.monotonic() - started
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
        assert 0.3 <= elapsed < 5
        assert rhl.run("rhl-pid-alive", str(target.pid), "--wait", "--timeout=0").returncode == 0
    finally:
        target.kill()
        target.wait()


def test_waiter_ends_when_its_reader_goes_away(rhl: RhlEnv) -> None:
    """Over SSH, the waiter's stdout is the connection: when it closes, the waiter goes too."""
    target = _sleeper()
    try:
        waiter = _waiter("--wait", str(target.pid), env=rhl.env)
        with pytest.raises(subprocess.TimeoutExpired):
            waiter.wait(timeout=0.2)
        assert waiter.stdout is not None
        waiter.stdout.close()
        assert waiter.wait(timeout=10) == 0
        assert pid_exists(target.pid)
    finally:
        target.kill()
        target.wait()


@pytest.mark.parametrize(
    "argv,message",
    [
        (["{pid}", "--timeout", "1"], "--timeout requires --wait"),
        (["{pid}", "--wait", "--timeout", "-1"], None),
        (["{pid}", "--wait", "--timeout", "soon"], None),
        (
            ["{pid}", "--wait", "--timeout", "nan"],
            "Invalid value for '--timeout': 'nan' is not a finite number.",
        ),
        (["{pid}", "--wait", "--timeout"], None),
        (["--wait"], None),
        (["0", "--wait"], "PID must be a positive integer"),
    ],
)
def test_wait_usage_errors_exit_64(rhl: RhlEnv, argv: list[str], message: str | None) -> None:
    result = rhl.run("rhl-pid-alive", *[a.format(pid=os.getpid()) for a in argv])
    assert result.returncode == 64, result
    assert result.stdout == ""
    assert result.stderr.startswith("rhl-pid-alive: ") and result.stderr.count("\n") == 1
    if message is not None:
        assert result.stderr == f"rhl-pid-alive: {message}\n"


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "polling"])
def test_wait_exit_core(monkeypatch: pytest.MonkeyPatch, pidfd: bool) -> None:
    """Both strategies: the pidfd one and the /proc polling fallback for kernels without it."""
    if not pidfd:
        monkeypatch.delattr(os, "pidfd_open", raising=False)
    target = _sleeper()
    try:
        assert process.wait_exit(target.pid, timeout=0.1) == process.TIMED_OUT
        target.kill()
        started = time.monotonic()
        assert process.wait_exit(target.pid, timeout=10) == process.EXITED
        assert time.monotonic() - started < 1.0
    finally:
        target.kill()
        target.wait()
    assert process.wait_exit(target.pid, timeout=10) == process.EXITED


def _waiters_of(pid: int, uid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            words = pathlib.Path(f"/proc/{name}/cmdline").read_bytes().split(b"\0")
            owner = os.stat(f"/proc/{name}").st_uid
        except OSError:
            continue
        if owner == uid and b"--wait" in words and str(pid).encode() in words and pid_exists(int(name)):
            found.append(int(name))
    return found


def test_wait_over_ssh_follows_the_remote_process(sshd_isolated: SSHD) -> None:
    svc = pwd.getpwnam("svc")
    target = _sleeper(user=svc.pw_uid, group=svc.pw_gid, extra_groups=[], cwd="/")
    try:
        tunnel_like = subprocess.Popen(
            sshd_isolated.ssh_argv("rhltest-svc", "rhl-pid-alive", "--wait", str(target.pid)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while not _waiters_of(target.pid, svc.pw_uid):
            assert tunnel_like.poll() is None, tunnel_like.communicate()
            assert time.monotonic() < deadline, "the remote waiter never started"
            time.sleep(0.02)
        target.kill()
        target.wait()
        assert tunnel_like.wait(timeout=10) == 1
    finally:
        target.kill()
        target.wait()


def test_remote_waiter_ends_with_its_ssh_connection(sshd_isolated: SSHD) -> None:
    svc = pwd.getpwnam("svc")
    target = _sleeper(user=svc.pw_uid, group=svc.pw_gid, extra_groups=[], cwd="/")
    try:
        client = subprocess.Popen(
            sshd_isolated.ssh_argv("rhltest-svc", "rhl-pid-alive", "--wait", str(target.pid)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while not (waiters := _waiters_of(target.pid, svc.pw_uid)):
            assert client.poll() is None, client.communicate()
            assert time.monotonic() < deadline, "the remote waiter never started"
            time.sleep(0.02)
        client.kill()  # the tunnel goes away (ssh killed), the service stays
        client.wait()
        assert all(wait_gone(pid, timeout=10) for pid in waiters)
        assert pid_exists(target.pid)
    finally:
        target.kill()
        target.wait()
