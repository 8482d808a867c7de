"""Real Seamless on a local cluster: hashserver + seamless-database launched through our
``remote_http_launcher.run``; the cache works, and the seeds' false-pass protocol with our
commands really forces a re-execution (and the test of that can fail: see the negative control).

``execution: process`` runs the transformation inside the client process: each execution's
recorded pid is the client's pid (its parent is the ``python job.py`` command's parent).
"""

from __future__ import annotations

import time

from .conftest import timed
from .stack_support import Stack, cmdline, wait_gone

P = Stack.PROJECT
C = Stack.CLUSTER
PERSISTENT = ("database", "hashserver")


def _cold_then_warm(stack: Stack) -> dict[str, int]:
    """A cold run executes once, in the client; a warm run is served from the cache by the same
    service processes. Returns the service pids."""
    cold = stack.job()
    timed("local: cold run (launches hashserver + database)", cold.seconds)
    runs = stack.executions()
    assert len(runs) == 1, runs
    assert runs[0].pid == cold.pid, "execution: process runs the transformation in the client"
    pids = {service: stack.server_pid(service) for service in PERSISTENT}
    for service in PERSISTENT:  # launched by OUR remote_http_launcher.run: 0.4.5 writes neither
        state = stack.server_state(service)
        assert "boot_id" in state and "pid_start_time" in state, state
    warm = stack.job()
    timed("local: warm run (served from cache)", warm.seconds)
    assert len(stack.executions()) == 1, "the warm run must be served from the cache"
    assert {service: stack.server_pid(service) for service in PERSISTENT} == pids, "same services"
    rows = stack.rows("--server", "--persistent", "--project", P, "--cluster", C)
    assert {s: (rows[s]["process"], rows[s]["persistent"]) for s in PERSISTENT} == {
        s: ("running", "populated") for s in PERSISTENT
    }, rows
    return pids


def _stop_and_rm(stack: Stack, pids: dict[str, int]) -> None:
    stop = stack.ok("stop", "--cluster", C, "--project", P)
    assert stop.stdout.splitlines() == [f"database-{C}-rw-{P}: stopped", f"hashserver-{C}-rw-{P}: stopped"]
    for service, pid in pids.items():
        assert wait_gone(pid, 10), f"{service} (pid {pid}) still alive after stop: {cmdline(pid)}"
    stack.ok("rm", "--cluster", C, "--project", P)
    assert stack.ok("ps", "--server", "--json").stdout == "", "rm leaves no server state"


def _clear(stack: Stack) -> None:
    for service in PERSISTENT:
        result = stack.ok("clear", "--service", service, "--project", P)
        assert result.stdout.startswith("removed "), result
    rows = stack.rows("--server", "--persistent", "--project", P, "--cluster", C)
    for service in PERSISTENT:
        assert rows[service]["persistent"] in ("empty", "absent"), rows[service]


def test_false_pass_protocol_forces_a_cold_re_execution(stack: Stack) -> None:
    pids = _cold_then_warm(stack)
    began = time.monotonic()
    _stop_and_rm(stack, pids)
    _clear(stack)
    timed("local: protocol commands (ps, stop, rm, clear x2, ps)", time.monotonic() - began)
    rerun = stack.job()
    timed("local: re-run on a cold cache (relaunch)", rerun.seconds)
    runs = stack.executions()
    assert len(runs) == 2, "after the protocol the transformation must really execute again"
    assert runs[1].pid == rerun.pid
    fresh = {service: stack.server_pid(service) for service in PERSISTENT}
    assert all(fresh[s] != pids[s] for s in PERSISTENT), (pids, fresh)


def test_negative_control_without_the_clears_the_rerun_is_a_false_pass(stack: Stack) -> None:
    """The protocol minus step 3 (no clears): the rerun is served from the cache although the
    services are fresh processes. This is what makes the test above meaningful: it can fail."""
    pids = _cold_then_warm(stack)
    _stop_and_rm(stack, pids)
    rerun = stack.job()
    fresh = {service: stack.server_pid(service) for service in PERSISTENT}
    assert all(fresh[s] != pids[s] for s in PERSISTENT), (pids, fresh)
    assert len(stack.executions()) == 1, (
        "without seamless-service-clear the rerun must NOT execute (served from the cache of "
        "the fresh hashserver/database): a false pass"
    )
    assert rerun.result == 42


def test_stop_each_service_clear_and_rerun_over_stale_state(stack: Stack) -> None:
    """Stop each service by name, no rm: the state files stay (stale); clear both; the next
    run relaunches over the stale state and executes again."""
    pids = _cold_then_warm(stack)
    for service in PERSISTENT:
        result = stack.ok("stop", "--service", service)
        assert result.stdout == f"{service}-{C}-rw-{P}: stopped\n", result
        assert wait_gone(pids[service], 10)
    rows = stack.rows("--server")
    assert {s: rows[s]["process"] for s in PERSISTENT} == {s: "stale" for s in PERSISTENT}, rows
    _clear(stack)
    rerun = stack.job()
    assert len(stack.executions()) == 2, "cleared stale services: the rerun must execute"
    assert stack.executions()[1].pid == rerun.pid
    fresh = {service: stack.server_pid(service) for service in PERSISTENT}
    assert all(fresh[s] != pids[s] for s in PERSISTENT), (pids, fresh)
