"""Issue 13.13: a crashed leader's process group is still ours to show, to stop and to keep.

``rhl-example-service --children 3``, then ``kill -9`` of the leader: the three workers live
on in the recorded process group. ``rhl-ps`` lists them as ``leftovers``, ``rhl-rm`` refuses
to drop the state while they run, ``rhl-stop`` stops exactly them; a group that is not
verifiably the recorded one is never signalled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest import RhlEnv, group_pids, pid_exists, wait_gone


def _row(rhl: RhlEnv, key: str) -> dict:
    rows = [r for r in rhl.run("rhl-ps", "--json").json_lines() if r["key"] == key]
    assert len(rows) == 1, rows
    return rows[0]


def test_crashed_leader_leftovers_are_listed_kept_and_stopped(rhl: RhlEnv) -> None:
    data = rhl.launch("svc", "--children", "3")
    leader = data["pid"]
    workers = sorted(pid for pid in group_pids(data["pgid"]) if pid != leader)
    assert len(workers) == 3
    try:
        os.kill(leader, signal.SIGKILL)
        assert wait_gone(leader)
        assert all(pid_exists(pid) for pid in workers)

        row = _row(rhl, "svc")
        assert (row["status"], row["leftovers"]) == ("stale", workers)

        removed = rhl.run("rhl-rm", "svc")
        assert removed.returncode == 1
        assert removed.stdout == ""
        assert removed.stderr == (
            "rhl-rm: svc: not removed: its leader is gone but processes of its group still run "
            f"(pids {' '.join(map(str, workers))}); stop it first or pass --force\n"
        )
        assert (rhl.server / "svc.json").exists()

        stopped = rhl.run("rhl-stop", "svc")
        assert (stopped.returncode, stopped.stderr) == (0, "")
        assert stopped.stdout == (
            f"svc: stopped (leader PID {leader} was already gone; stopped leftover PIDs "
            f"{', '.join(map(str, workers))})\n"
        )
        assert all(wait_gone(pid) for pid in workers)
        after = rhl.read_server("svc")
        assert after["status"] == "stale"
        # The leader died on its own: its exit record (written by the supervisor) stays.
        assert (after["exit"]["reason"], after["exit"]["signal"]) == ("killed", 9)
        assert _row(rhl, "svc")["leftovers"] == []

        removed = rhl.run("rhl-rm", "svc")
        assert (removed.returncode, removed.stdout) == (0, f"removed {rhl.server / 'svc.json'}\n")
    finally:
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _orphaned_group() -> tuple[int, int]:
    """A process group of an unrelated program whose leader exited: (pgid, surviving member)."""
    code = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(child.pid, flush=True)\n"
    )
    leader = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert leader.stdout is not None
    member = int(leader.stdout.readline())
    leader.wait()
    return leader.pid, member


def test_a_group_that_is_not_the_recorded_one_is_never_signalled(rhl: RhlEnv) -> None:
    """The recorded leader PID is dead and its number is a live group, but the group's member
    started before the recorded leader (or on another boot): not ours, never signalled."""
    pgid, member = _orphaned_group()
    try:
        stat = open(f"/proc/{member}/stat", "rb").read()
        member_start = int(stat[stat.rindex(b")") + 2 :].split()[19])
        boot = open("/proc/sys/kernel/random/boot_id").read().strip()
        base = {"status": "running", "pid": pgid, "pgid": pgid, "uid": os.getuid(), "port": 1}
        rhl.write_server("older", {**base, "pid_start_time": member_start + 1000, "boot_id": boot})
        rhl.write_server("reboot", {**base, "pid_start_time": member_start - 1, "boot_id": "other-boot"})
        rows = {r["key"]: r for r in rhl.run("rhl-ps", "--json").json_lines()}
        assert (rows["older"]["leftovers"], rows["reboot"]["leftovers"]) == ([], [])
        result = rhl.run("rhl-stop", "older", "reboot")
        assert (result.returncode, result.stdout) == (0, "older: already gone\nreboot: already gone\n")
        time.sleep(0.2)
        assert pid_exists(member), "a process of another group was signalled"
        assert rhl.run("rhl-rm", "older", "reboot").returncode == 0
    finally:
        os.kill(member, signal.SIGKILL)


def test_relaunch_next_to_leftovers_is_refused_or_stops_them_first(rhl: RhlEnv) -> None:
    """No second service next to the workers of a crashed one: a plain launch refuses, the
    launcher's ``--await`` launch stops them (identity-checked) and then starts afresh."""
    data = rhl.launch("svc", "--children", "2")
    leader = data["pid"]
    workers = sorted(pid for pid in group_pids(data["pgid"]) if pid != leader)
    argv = ["--key", "svc", "--workdir", str(rhl.tmp / "work" / "svc")]
    service = ["--", "rhl-example-service", "--status-file", str(rhl.server / "svc.json")]
    try:
        os.kill(leader, signal.SIGKILL)
        assert wait_gone(leader)
        refused = rhl.run("rhl-launch-service", *argv, *service)
        assert (refused.returncode, refused.stdout) == (1, "")
        assert refused.stderr == (
            "rhl-launch-service: svc: not launched: processes of the previous service of this key "
            f"still run (pids {' '.join(map(str, workers))}, process group {leader}); "
            "stop them with 'rhl-stop svc' first\n"
        )
        assert all(pid_exists(pid) for pid in workers)
        launched = rhl.run("rhl-launch-service", *argv, "--await", *service)
        assert launched.returncode == 0, launched.stderr
        assert all(wait_gone(pid) for pid in workers)
        new = rhl.read_server("svc")
        assert new["status"] == "running" and new["pid"] != leader
    finally:
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
