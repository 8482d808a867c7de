"""rhl-rm: removes state files, never logs, never orphans a running service."""

from __future__ import annotations

import os
import signal

from conftest import RhlEnv, pid_exists


def test_rm_both_sides_by_default_and_logs_survive(rhl: RhlEnv) -> None:
    rhl.launch("k")
    assert rhl.run("rhl-stop", "k").returncode == 0
    rhl.write_client("k", {"hostname": "h", "port": 1})
    result = rhl.run("rhl-rm", "k")
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"removed {rhl.client}/k.json\nremoved {rhl.server}/k.json\n",
        "",
    )
    assert (rhl.server / "k.log").exists()
    assert rhl.run("rhl-logs", "k").returncode == 0


def test_rm_one_side_and_not_found(rhl: RhlEnv) -> None:
    rhl.write_client("c", {"hostname": "h", "port": 1})
    rhl.write_server("c", {"status": "stale"})
    assert rhl.run("rhl-rm", "c", "--server").stdout == f"removed {rhl.server}/c.json\n"
    assert (rhl.client / "c.json").exists()
    assert rhl.run("rhl-rm", "--client", "c", "nothing").stdout == (
        f"removed {rhl.client}/c.json\nnothing: not found\n"
    )


def test_rm_refuses_to_orphan_a_running_service(rhl: RhlEnv) -> None:
    data = rhl.launch("live")
    result = rhl.run("rhl-rm", "live", "--server")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"rhl-rm: live: not removed: service is running (pid {data['pid']}); stop it first or pass --force\n"
    )
    assert (rhl.server / "live.json").exists()
    forced = rhl.run("rhl-rm", "live", "--server", "--force")
    assert forced.stdout == f"removed {rhl.server}/live.json\n"
    assert pid_exists(data["pid"])  # rm never signals
    os.killpg(data["pid"], signal.SIGKILL)  # its state is gone: the fixture cannot find it any more


def test_rm_of_stale_state_with_dead_pid_works(rhl: RhlEnv) -> None:
    rhl.write_server("dead", {"status": "running", "pid": 4_100_000})
    assert rhl.run("rhl-rm", "dead").stdout == f"removed {rhl.server}/dead.json\n"


def test_rm_rejects_bad_keys_and_unknown_flags(rhl: RhlEnv) -> None:
    rhl.write_server("ok", {"status": "stale"})
    result = rhl.run("rhl-rm", "ok", "../ok")
    assert result.returncode == 1 and "invalid key '../ok'" in result.stderr
    assert (rhl.server / "ok.json").exists()
    result = rhl.run("rhl-rm", "ok", "--everything")
    assert result.returncode == 1 and result.stderr.startswith("rhl-rm: No such option '--everything'")
    assert (rhl.server / "ok.json").exists()
