"""Issue 13.14: a live service whose state file was deleted is found, reported and not duplicated.

The launch holds a ``flock`` on ``server/.locks/<key>.service`` that the service inherits, so
the lock lives as long as the service. With the state file gone, ``rhl-ps`` lists the key as
``untracked``, a second launch of the key (or of another key on the same workdir) is refused
with one line naming the holder, and ``rhl-stop`` stops it.
"""

from __future__ import annotations

import json
import os

from conftest import RhlEnv, group_pids, pid_exists, wait_gone


def _launch(rhl: RhlEnv, key: str, workdir: str) -> tuple[int, str, str]:
    result = rhl.run(
        "rhl-launch-service",
        "--key",
        key,
        "--workdir",
        workdir,
        "--",
        "rhl-example-service",
        "--status-file",
        str(rhl.server / f"{key}.json"),
    )
    return result.returncode, result.stdout, result.stderr


def test_deleted_state_file_leaves_an_untracked_service_that_blocks_a_duplicate(rhl: RhlEnv) -> None:
    data = rhl.launch("hs")
    pid = data["pid"]
    os.unlink(rhl.server / "hs.json")

    (row,) = rhl.run("rhl-ps", "--json").json_lines()
    assert {k: row[k] for k in ("key", "status", "live", "pid", "workdir", "exit", "leftovers")} == {
        "key": "hs",
        "status": "untracked",
        "live": True,
        "pid": pid,
        "workdir": os.path.realpath(rhl.tmp / "work" / "hs"),
        "exit": None,
        "leftovers": [],
    }
    assert rhl.run("rhl-ps", "--status", "untracked", "--key").stdout == "hs\n"

    code, out, err = _launch(rhl, "hs", str(rhl.tmp / "work" / "hs"))
    assert (code, out) == (1, "")
    assert err == (
        f"rhl-launch-service: hs: not launched: a service of this key is still running (pid {pid}) "
        "but its state file is missing (untracked); stop it with 'rhl-stop hs' first\n"
    )
    assert not (rhl.server / "hs.json").exists()
    assert group_pids(pid) == [pid]  # one service, no second one
    # The launcher's one-call form refuses alike.
    awaited = rhl.run(
        "rhl-launch-service", "--key", "hs", "--workdir", str(rhl.tmp / "work" / "hs"), "--await",
        "--", "rhl-example-service", "--status-file", str(rhl.server / "hs.json"),
    )  # fmt: skip
    assert (awaited.returncode, awaited.stdout, awaited.stderr) == (1, "", err)

    # The same workdir under another key: refused too (a second writer on the same data).
    code, out, err = _launch(rhl, "other", str(rhl.tmp / "work" / "hs"))
    assert (code, out) == (1, "")
    assert err.startswith("rhl-launch-service: other: not launched: workdir ")
    assert f"untracked service hs (pid {pid})" in err and err.count("\n") == 1

    stopped = rhl.run("rhl-stop", "hs")
    assert (stopped.returncode, stopped.stdout) == (
        0,
        f"hs: stopped (untracked PID {pid}: its state file was missing)\n",
    )
    assert wait_gone(pid)
    assert rhl.run("rhl-ps", "--json").stdout == ""

    code, out, err = _launch(rhl, "hs", str(rhl.tmp / "work" / "hs"))
    assert code == 0, err
    assert json.loads(out)["launched"] is True


def test_tracked_services_may_share_a_workdir(rhl: RhlEnv) -> None:
    """A read-only and a writable hashserver of one project share their directory on purpose."""
    shared = str(rhl.tmp / "shared")
    for key in ("ro", "rw"):
        code, _out, err = _launch(rhl, key, shared)
        assert code == 0, err
    ro, rw = rhl.wait_status("ro", "running"), rhl.wait_status("rw", "running")
    assert pid_exists(ro["pid"]) and pid_exists(rw["pid"])
    assert os.listdir(shared) == []  # nothing of ours inside the service's directory
    assert rhl.run("rhl-stop", "ro", "rw").stdout == "ro: stopped\nrw: stopped\n"
