"""Real Seamless sends the transformation to a seamless-jobserver launched through our layer
(``execution: remote``, ``remote: jobserver``; the cluster file's jobserver has ``conda: null``,
which seamless-config 0.3.2 accepts and which means "no activation").

Where it ran: the jobserver executes transformations in worker processes it forks, so each
recorded execution's parent is the jobserver (pid from ``seamless-service-inspect``, command
line ``seamless-jobserver ...``), never the client.
"""

from __future__ import annotations

import time

from .conftest import timed
from .stack_support import Stack, cmdline, wait_gone

P = Stack.PROJECT
C = Stack.CLUSTER
KEY = f"jobserver-{C}-rw-{P}"
CLEAR_REFUSAL = (
    "seamless-service-clear: jobserver keeps no persistent data (it runs in /tmp); "
    "nothing to clear (clearable services: hashserver, database)\n"
)


def _ran_in_jobserver(stack: Stack, client_pid: int) -> int:
    jobserver = stack.server_pid("jobserver")
    last = stack.executions()[-1]
    assert last.pid != client_pid, "execution: remote must not run in the client"
    assert last.ppid == jobserver, f"expected a worker of the jobserver (pid {jobserver}): {last}"
    assert "seamless-jobserver" in last.parent.split()[1], last.parent
    return jobserver


def test_transformation_runs_in_a_jobserver_we_manage(stack: Stack) -> None:
    stack.write_project(execution="remote", remote="jobserver")
    cold = stack.job()
    timed("jobserver: cold run (launches hashserver, database, jobserver)", cold.seconds)
    assert len(stack.executions()) == 1
    jobserver = _ran_in_jobserver(stack, cold.pid)

    began = time.monotonic()
    table = stack.ok("ps", "--server").stdout.splitlines()
    assert table[0].split() == ["SERVICE", "PROJECT", "STAGE", "PROCESS", "PORT", "PERSISTENT", "SIZE"]
    [row] = [line.split() for line in table[1:] if line.startswith("jobserver ")]
    assert row[:4] == ["jobserver", P, "-", "running"] and row[5] == "n/a", table

    logs = stack.ok("logs", "--service", "jobserver", "--tail", "5").stdout
    assert "[jobserver] Completed transformation" in logs, logs

    refused = stack.cmd("clear", "--service", "jobserver")
    assert (refused.returncode, refused.stdout, refused.stderr) == (2, "", CLEAR_REFUSAL)
    assert cmdline(jobserver), "a refused clear touches nothing"

    stop = stack.ok("stop", "--service", "jobserver")
    assert stop.stdout == f"{KEY}: stopped\n"
    assert wait_gone(jobserver, 10), f"jobserver still alive: {cmdline(jobserver)}"
    rows = stack.rows("--server")
    assert rows["jobserver"]["process"] == "stale", rows["jobserver"]
    timed("jobserver: ps, logs, clear refusal, stop", time.monotonic() - began)

    # The false-pass protocol, then the transformation executes again in a new jobserver.
    stack.ok("stop", "--cluster", C, "--project", P)
    stack.ok("rm", "--cluster", C, "--project", P)
    for service in ("hashserver", "database"):
        stack.ok("clear", "--service", service, "--project", P)
    rerun = stack.job()
    timed("jobserver: re-run after the protocol (relaunch)", rerun.seconds)
    assert len(stack.executions()) == 2, "after the clears the transformation must execute again"
    relaunched = _ran_in_jobserver(stack, rerun.pid)
    assert relaunched != jobserver
