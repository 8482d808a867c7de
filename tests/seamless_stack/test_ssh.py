"""The topology of the debugging seed with real Seamless: a ``type: local`` cluster reached over
the real sshd as the non-root ``svc`` account with ``tunnel: true``; hashserver and
seamless-database run on the far side (as svc, in svc's home), the client reaches them through
SSH tunnels that our launcher opened. Then our commands over SSH: ``ps --server``, ``logs``,
``stop``, ``rm``, ``clear``, and a cold re-execution.
"""

from __future__ import annotations

import json
import pathlib
import pwd
import time

from sshd_support import SSHD

from .conftest import timed
from .stack_support import Stack, cmdline, wait_gone

P = Stack.PROJECT
R = "remote"
PERSISTENT = ("database", "hashserver")


def _uid(pid: int) -> int:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for pid {pid}")


def _far_side(stack: Stack, sshd: SSHD) -> dict[str, dict[str, object]]:
    """The far side's state files (svc's private home), by service."""
    server = sshd.home("svc") / ".remote-http-launcher" / "server"
    found = {}
    for service in PERSISTENT:
        found[service] = json.loads((server / f"{service}-{R}-rw-{P}.json").read_text())
    return found


def test_real_seamless_through_ssh_tunnels(stack: Stack, sshd_isolated: SSHD) -> None:
    stack.over_ssh(sshd_isolated, R)
    svc = pwd.getpwnam("svc").pw_uid

    cold = stack.job()
    timed("ssh: cold run (launch over SSH + tunnels)", cold.seconds)
    assert [run.pid for run in stack.executions()] == [cold.pid]
    far = _far_side(stack, sshd_isolated)
    pids = {service: int(str(far[service]["pid"])) for service in PERSISTENT}
    for service, pid in pids.items():
        assert _uid(pid) == svc, f"{service} must run as svc on the far side"
        connection = json.loads((stack.state / "client" / f"{service}-{R}-rw-{P}.json").read_text())
        assert connection["tunneled-port"] == far[service]["port"], connection
        assert connection["port"] != far[service]["port"], "the client talks to the tunnel's local port"
    buffers = sshd_isolated.home("svc") / "buffers" / P
    assert any(buffers.iterdir()), "the results are stored on the far side"

    warm = stack.job()
    timed("ssh: warm run (served from the far side's cache)", warm.seconds)
    assert len(stack.executions()) == 1, "the warm run must be served from the cache"
    assert {
        service: int(str(_far_side(stack, sshd_isolated)[service]["pid"])) for service in PERSISTENT
    } == pids

    began = time.monotonic()
    rows = stack.rows("--server", "--persistent", "--project", P, "--cluster", R)
    assert {s: (rows[s]["process"], rows[s]["persistent"]) for s in PERSISTENT} == {
        s: ("running", "populated") for s in PERSISTENT
    }, rows
    logs = stack.ok("logs", "--service", "hashserver", "--cluster", R, "--tail", "20").stdout
    assert logs.strip(), "the far side's hashserver log, read over SSH"
    stop = stack.ok("stop", "--cluster", R, "--project", P)
    assert stop.stdout.splitlines() == [f"database-{R}-rw-{P}: stopped", f"hashserver-{R}-rw-{P}: stopped"]
    for service, pid in pids.items():
        assert wait_gone(pid, 15), f"{service} (pid {pid}) still alive: {cmdline(pid)}"
    stack.ok("rm", "--cluster", R, "--project", P)
    assert stack.ok("ps", "--server", "--json", "--cluster", R).stdout == ""
    for service in PERSISTENT:
        cleared = stack.ok("clear", "--service", service, "--project", P)
        assert cleared.stdout.startswith("removed "), cleared
    rows = stack.rows("--server", "--persistent", "--project", P, "--cluster", R)
    assert all(rows[s]["persistent"] in ("empty", "absent") for s in PERSISTENT), rows
    timed("ssh: ps, logs, stop, rm, clear x2, ps over SSH", time.monotonic() - began)

    rerun = stack.job()
    timed("ssh: cold re-run (relaunch over SSH)", rerun.seconds)
    assert [run.pid for run in stack.executions()] == [cold.pid, rerun.pid], "must execute again"
    fresh = {service: int(str(_far_side(stack, sshd_isolated)[service]["pid"])) for service in PERSISTENT}
    assert all(fresh[s] != pids[s] and _uid(fresh[s]) == svc for s in PERSISTENT), (pids, fresh)
