"""rhl-stop: verified identity, whole process groups, escalation that ends when the group is gone."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from conftest import RhlEnv, group_pids, pid_exists


def test_stop_kills_service_and_its_workers_and_keeps_state(rhl: RhlEnv) -> None:
    data = rhl.launch("svc", "--children", "3")
    pgid = data["pid"]
    members = group_pids(pgid)
    assert len(members) == 4  # the service and its three workers
    result = rhl.run("rhl-stop", "svc")
    assert (result.returncode, result.stdout, result.stderr) == (0, "svc: stopped\n", "")
    assert [pid for pid in members if pid_exists(pid)] == []
    after = rhl.read_server("svc")
    assert after["status"] == "stale"
    assert after["port"] == data["port"] and after["pid"] == data["pid"]
    assert isinstance(after["stopped_at"], float)
    assert (rhl.server / "svc.log").exists()
    assert rhl.run("rhl-ps", "--key", "--status", "stale").stdout == "svc\n"


def test_service_ignoring_sigint_and_sigterm_gets_sigkill(rhl: RhlEnv) -> None:
    data = rhl.launch("stubborn", "--ignore-signals", "--children", "1")
    members = group_pids(data["pid"])
    result = rhl.run("rhl-stop", "stubborn", "--sigint-grace", "0.2", "--sigterm-grace", "0.2")
    assert (result.returncode, result.stdout) == (0, "stubborn: kill required\n")
    assert [pid for pid in members if pid_exists(pid)] == []
    assert rhl.read_server("stubborn")["status"] == "stale"


def test_reused_pid_is_never_signalled(rhl: RhlEnv) -> None:
    """The state file names a live, unrelated process (other start time): it must survive."""
    unrelated = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    try:
        rhl.write_server(
            "victim",
            {
                "status": "running",
                "pid": unrelated.pid,
                "pid_start_time": 12345,
                "uid": os.getuid(),
                "port": 1,
            },
        )
        result = rhl.run("rhl-stop", "victim")
        assert result.returncode == 0
        assert result.stdout == (
            f"victim: already gone (PID {unrelated.pid} now belongs to another process; not signalled)\n"
        )
        time.sleep(0.2)
        assert unrelated.poll() is None, "the unrelated process was signalled"
        assert rhl.read_server("victim")["status"] == "stale"
    finally:
        unrelated.kill()
        unrelated.wait()


def test_legacy_file_older_than_the_process_is_not_signalled(rhl: RhlEnv) -> None:
    unrelated = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    try:
        path = rhl.write_server("legacy", {"status": "running", "pid": unrelated.pid, "port": 1})
        os.utime(path, (time.time() - 600, time.time() - 600))
        result = rhl.run("rhl-stop", "legacy")
        assert result.returncode == 0
        assert "not signalled" in result.stdout
        time.sleep(0.2)
        assert unrelated.poll() is None
    finally:
        unrelated.kill()
        unrelated.wait()


def test_pid_zero_one_negative_and_junk_are_refused_but_others_still_stop(rhl: RhlEnv) -> None:
    data = rhl.launch("good")
    rhl.write_server("zero", {"status": "running", "pid": 0})
    rhl.write_server("one", {"status": "running", "pid": 1})
    rhl.write_server("neg", {"status": "running", "pid": -1})
    rhl.write_server("junk", {"status": "running", "pid": True})
    rhl.write_server("broken", None, raw="{not json")
    result = rhl.run("rhl-stop", "zero", "one", "neg", "junk", "broken", "good", "missing")
    assert result.returncode == 1
    # Issue 14.8: every key's outcome on stdout (data), failures explained on stderr.
    assert result.stdout.splitlines() == [
        "zero: invalid PID",
        "one: invalid PID",
        "neg: invalid PID",
        "junk: invalid PID",
        "broken: corrupt state",
        "good: stopped",
        "missing: missing state",
    ]
    assert result.stderr.splitlines() == [
        "rhl-stop: zero: invalid PID (refusing PID 0)",
        "rhl-stop: one: invalid PID (refusing PID 1)",
        "rhl-stop: neg: invalid PID (refusing PID -1)",
        "rhl-stop: junk: invalid PID (no valid PID recorded)",
        f"rhl-stop: broken: corrupt state (malformed JSON in {rhl.server}/broken.json: "
        "Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
    ]
    assert not pid_exists(data["pid"])
    assert rhl.read_server("zero")["status"] == "running"  # refused keys are left untouched
    assert (rhl.server / "broken.json").read_text() == "{not json"


def test_foreign_uid_is_refused(rhl: RhlEnv) -> None:
    if os.getuid() != 0:
        import pytest

        pytest.skip("needs root to start a process of another user")
    other = subprocess.Popen(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-c",
            "import time; time.sleep(60)",
        ],
        start_new_session=True,
    )
    try:
        time.sleep(0.2)
        rhl.write_server("foreign", {"status": "running", "pid": other.pid, "port": 1, "test_foreign": True})
        result = rhl.run("rhl-stop", "foreign")
        assert result.returncode == 1
        assert result.stdout == "foreign: permission denied\n"
        assert result.stderr == (
            f"rhl-stop: foreign: permission denied (PID {other.pid} belongs to uid 65534; not signalled)\n"
        )
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_stop_returns_as_soon_as_the_service_is_gone(rhl: RhlEnv) -> None:
    """Behaviour, not timing: with a 30 s grace the command still ends long before it."""
    rhl.launch("quick")
    started = time.monotonic()
    result = rhl.run("rhl-stop", "quick", "--sigint-grace", "30", "--sigterm-grace", "30")
    assert result.stdout == "quick: stopped\n"
    assert time.monotonic() - started < 20


def test_several_keys_at_once_and_repeated_stop(rhl: RhlEnv) -> None:
    a = rhl.launch("a")
    b = rhl.launch("b")
    result = rhl.run("rhl-stop", "a", "b")
    assert result.stdout == "a: stopped\nb: stopped\n"
    assert not pid_exists(a["pid"]) and not pid_exists(b["pid"])
    again = rhl.run("rhl-stop", "a")
    assert (again.returncode, again.stdout) == (0, "a: already gone\n")


def test_invalid_keys_are_rejected_before_anything_is_signalled(rhl: RhlEnv) -> None:
    data = rhl.launch("alive")
    for bad in ("../x", "a/b", ".hidden", "", "x" * 201, "sp ace"):
        result = rhl.run("rhl-stop", "alive", "--", bad)
        assert result.returncode == 1, bad
        assert result.stderr.startswith("rhl-stop: Invalid value for 'KEY...': invalid key"), result.stderr
        assert pid_exists(data["pid"])
    result = rhl.run("rhl-stop", "--", "-rf")
    assert result.returncode == 1 and "invalid key '-rf'" in result.stderr
    assert rhl.run("rhl-stop").stderr == "rhl-stop: Missing argument 'KEY...'.\n"
