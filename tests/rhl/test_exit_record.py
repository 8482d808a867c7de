"""Issue 14.4: say why a service is gone.

The launch supervisor (the service's parent, outside its process group) records the exit in
the state file: ``killed`` with the signal, ``exited`` with the status, ``idle`` for an exit 0
after the service's own ``--timeout``; ``rhl-stop`` records ``stopped``. ``rhl-ps --json`` and
``rhl-inspect`` show it; without a record a dead service's exit is ``inferred``.
"""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any

from conftest import RhlEnv, group_pids, pid_exists, wait_gone


def _wait_exit(rhl: RhlEnv, key: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    data: dict[str, Any] = {}
    while time.monotonic() < deadline:
        data = rhl.read_server(key)
        if isinstance(data.get("exit"), dict):
            return data
        time.sleep(0.02)
    raise AssertionError(f"no exit record for {key} within {timeout}s: {data}")


def _shown(rhl: RhlEnv, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(rhl-ps --json row, rhl-inspect object) of ``key``."""
    (row,) = [r for r in rhl.run("rhl-ps", "--json").json_lines() if r["key"] == key]
    inspected = rhl.run("rhl-inspect", key)
    assert inspected.returncode == 0, inspected.stderr
    return row, json.loads(inspected.stdout)


def _parent(pid: int) -> list[int]:
    """[the parent PID of ``pid``]: the launch supervisor of a service."""
    stat = open(f"/proc/{pid}/stat", "rb").read()
    return [int(stat[stat.rindex(b")") + 2 :].split()[1])]


def test_kill_9_is_recorded_as_killed(rhl: RhlEnv) -> None:
    data = rhl.launch("svc")
    pid = data["pid"]
    (parent,) = _parent(pid)
    assert parent != 1 and os.getpgid(parent) != data["pgid"]  # the supervisor, outside the group
    assert group_pids(data["pgid"]) == [pid]
    os.kill(pid, signal.SIGKILL)
    after = _wait_exit(rhl, "svc")
    assert after["status"] == "stale"
    record = after["exit"]
    assert {k: record[k] for k in ("reason", "code", "signal", "inferred")} == {
        "reason": "killed",
        "code": None,
        "signal": 9,
        "inferred": False,
    }
    assert isinstance(record["at"], float) and abs(record["at"] - time.time()) < 30
    assert {k: v for k, v in after.items() if k not in ("exit", "status")} == {
        k: v for k, v in data.items() if k != "status"
    }
    row, inspected = _shown(rhl, "svc")
    assert (row["status"], row["exit"]) == ("stale", record)
    assert (inspected["status"], inspected["exit"]) == ("stale", record)
    assert wait_gone(parent), "the supervisor must end once it has recorded the exit"


def test_stop_is_recorded_as_stopped(rhl: RhlEnv) -> None:
    data = rhl.launch("svc")
    (parent,) = _parent(data["pid"])
    result = rhl.run("rhl-stop", "svc")
    assert (result.returncode, result.stdout) == (0, "svc: stopped\n")
    assert wait_gone(parent)
    after = rhl.read_server("svc")
    assert after["status"] == "stale"
    assert (after["exit"]["reason"], after["exit"]["inferred"]) == ("stopped", False)
    # What the supervisor saw is kept: the example service exits 0 on SIGINT.
    assert (after["exit"]["code"], after["exit"]["signal"]) == (0, None)
    row, inspected = _shown(rhl, "svc")
    assert row["exit"] == inspected["exit"] == after["exit"]


def test_non_zero_exit_is_recorded_with_its_status(rhl: RhlEnv) -> None:
    rhl.launch("svc", "--crash-after", "0.2")
    after = _wait_exit(rhl, "svc")
    assert after["status"] == "stale"
    assert {k: after["exit"][k] for k in ("reason", "code", "signal", "inferred")} == {
        "reason": "exited",
        "code": 1,
        "signal": None,
        "inferred": False,
    }
    row, inspected = _shown(rhl, "svc")
    assert row["exit"]["reason"] == inspected["exit"]["reason"] == "exited"


def test_idle_exit_of_the_example_service(rhl: RhlEnv) -> None:
    data = rhl.launch("svc", "--timeout", "0.5")
    assert wait_gone(data["pid"])
    after = _wait_exit(rhl, "svc")
    assert (after["status"], after["exit"]["reason"], after["exit"]["code"]) == ("stale", "idle", 0)
    assert "idle for 0.5 s, exiting" in (rhl.server / "svc.log").read_text()


def test_idle_exit_of_a_real_hashserver(rhl: RhlEnv) -> None:
    buffers = rhl.tmp / "buffers"
    result = rhl.run(
        "rhl-launch-service",
        "--key",
        "hs",
        "--workdir",
        str(buffers),
        "--",
        "hashserver",
        "--status-file",
        str(rhl.server / "hs.json"),
        "--port-range",
        "42100",
        "42199",
        "--timeout",
        "2",
        str(buffers),
    )
    assert result.returncode == 0, result.stderr
    running = rhl.wait_status("hs", "running", timeout=60)
    assert wait_gone(running["pid"], timeout=60)
    after = _wait_exit(rhl, "hs")
    assert (after["status"], after["exit"]["reason"], after["exit"]["code"]) == ("stale", "idle", 0)
    row, inspected = _shown(rhl, "hs")
    assert row["status"] == inspected["status"] == "stale"
    assert row["exit"]["reason"] == inspected["exit"]["reason"] == "idle"


def test_dead_service_without_a_record_shows_an_inferred_exit(rhl: RhlEnv) -> None:
    """A file 0.4.5 launched (no supervisor): the exit is inferred, the file left as it is."""
    rhl.write_server("old", {"status": "running", "pid": 999999999, "port": 1, "uid": os.getuid()})
    inferred = {"reason": None, "code": None, "signal": None, "at": None, "inferred": True}
    row, inspected = _shown(rhl, "old")
    assert (row["status"], row["exit"]) == ("stale", inferred)
    assert inspected["exit"] == inferred and inspected["status"] == "running"
    assert "exit" not in rhl.read_server("old")
    # A live service has no exit at all.
    data = rhl.launch("live")
    row, inspected = _shown(rhl, "live")
    assert row["exit"] is None and "exit" not in inspected
    assert pid_exists(data["pid"])


def test_service_gets_default_signal_dispositions_and_the_lock_only(rhl: RhlEnv) -> None:
    """The service is exec'd with SIGPIPE/SIGXFSZ at their defaults (Python, which the launcher
    is written in, ignores them) and inherits, besides 0, 1, 2, only its service lock. A
    non-Python program shows it: Python services set their own dispositions."""
    tools = rhl.tmp / "sleep-tools.yaml"
    tools.write_text('sleep:\n  command_template: "sleep {seconds}"\n')
    result = rhl.run(
        "rhl-launch-service", "--key", "nap", "--workdir", str(rhl.tmp / "nap"), "--", "sleep", "30",
        env={"RHL_TOOLS_YAML": str(tools)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    pid = json.loads(result.stdout)["pid"]
    try:
        status = open(f"/proc/{pid}/status").read()
        ignored = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigIgn:")), 16)
        assert ignored & (1 << (signal.SIGPIPE - 1) | 1 << (signal.SIGXFSZ - 1)) == 0
        targets = sorted(os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd"))
        log = str(rhl.server / "nap.log")
        assert targets == sorted(["/dev/null", log, log, str(rhl.server / ".locks" / "nap.service")])
    finally:
        os.killpg(pid, signal.SIGKILL)
