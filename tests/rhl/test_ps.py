"""rhl-ps: statuses that tell the truth, corrupt rows instead of aborts, exact output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from conftest import RhlEnv


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)


def test_empty_directory_prints_header_only(rhl: RhlEnv) -> None:
    result = rhl.run("rhl-ps")
    assert (result.returncode, result.stdout, result.stderr) == (0, "KEY STATUS PORT\n", "")
    assert rhl.run("rhl-ps", "--json").stdout == ""
    assert rhl.run("rhl-ps", "--client").stdout == "KEY SSH-HOST HOST PORT\n"


def test_running_service_row_and_table(rhl: RhlEnv) -> None:
    data = rhl.launch("svc-a")
    result = rhl.run("rhl-ps")
    port = str(data["port"])
    assert result.stdout.splitlines() == [
        "KEY   STATUS  " + "PORT".ljust(len(port)),
        "svc-a running " + port,
    ]
    (row,) = rhl.run("rhl-ps", "--json").json_lines()
    assert row["key"] == "svc-a"
    assert row["status"] == row["json_status"] == "running"
    assert row["live"] is True
    assert row["meta"] == {}
    assert row["pid"] == data["pid"] and row["port"] == data["port"]


def test_status_table_for_every_stored_state(rhl: RhlEnv) -> None:
    live = _sleeper()
    try:
        time.sleep(0.05)
        uid = os.getuid()
        rhl.write_server("a-running-live", {"status": "running", "pid": live.pid, "uid": uid, "port": 1})
        rhl.write_server("b-running-dead", {"status": "running", "pid": 4_000_000, "port": 2})
        rhl.write_server("c-starting-dead", {"status": "starting", "pid": 4_000_001})
        rhl.write_server("d-starting-nopid", {"status": "starting"})
        rhl.write_server("e-failed", {"status": "failed", "pid": live.pid})
        rhl.write_server("f-stale", {"status": "stale", "pid": 4_000_002})
        rhl.write_server("g-nostatus", {"pid": live.pid})
        rhl.write_server("h-dryrun", {"dry_run": True, "command": "x"})
        rhl.write_server("i-running-nopid", {"status": "running", "port": 3})
        rhl.write_server("j-pid-one", {"status": "running", "pid": 1})
        rhl.write_server("k-empty-status", {"status": "", "pid": live.pid})
        rows = {r["key"]: r for r in rhl.run("rhl-ps", "--json").json_lines()}
    finally:
        live.kill()
        live.wait()
    assert {k: (r["status"], r["live"]) for k, r in rows.items()} == {
        "a-running-live": ("running", True),
        "b-running-dead": ("stale", False),
        "c-starting-dead": ("stale", False),
        "d-starting-nopid": ("starting", None),
        "e-failed": ("failed", None),
        "f-stale": ("stale", None),
        "g-nostatus": ("failed", None),
        "h-dryrun": ("failed", None),
        "i-running-nopid": ("stale", None),
        "j-pid-one": ("stale", None),
        "k-empty-status": ("failed", None),
    }


def test_reused_pid_is_stale(rhl: RhlEnv) -> None:
    """A state file whose PID now belongs to an unrelated process is stale, not running."""
    unrelated = _sleeper()
    try:
        # Identity recorded for another process start time: the PID was reused.
        rhl.write_server(
            "reused", {"status": "running", "pid": unrelated.pid, "pid_start_time": 1, "port": 5}
        )
        # A legacy file (no start time) written long before the process started.
        legacy = rhl.write_server("legacy", {"status": "running", "pid": unrelated.pid, "port": 6})
        os.utime(legacy, (time.time() - 3600, time.time() - 3600))
        rows = {r["key"]: r for r in rhl.run("rhl-ps", "--json").json_lines()}
    finally:
        unrelated.kill()
        unrelated.wait()
    assert rows["reused"]["status"] == "stale"
    assert "another process" in rows["reused"]["stale_reason"]
    assert rows["legacy"]["status"] == "stale"
    assert "started after its state file" in rows["legacy"]["stale_reason"]


def test_corrupt_files_become_rows_and_others_still_show(rhl: RhlEnv) -> None:
    rhl.write_server("good", {"status": "failed"})
    rhl.write_server("truncated", None, raw='{"status": "runn')
    rhl.write_server("empty", None, raw="")
    rhl.write_server("array", None, raw="[1, 2]")
    result = rhl.run("rhl-ps")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "KEY       STATUS  PORT",
        "array     corrupt -   ",
        "empty     corrupt -   ",
        "good      failed  -   ",
        "truncated corrupt -   ",
    ]
    rows = {r["key"]: r for r in rhl.run("rhl-ps", "--json").json_lines()}
    assert rows["empty"]["error"].endswith("empty or truncated file")
    assert rows["array"]["error"].startswith("state file must contain a JSON object")
    # Reading never modifies or deletes the corrupt files.
    assert (rhl.server / "truncated.json").read_text() == '{"status": "runn'


def test_filters_and_key_mode(rhl: RhlEnv) -> None:
    rhl.write_server("x1", {"status": "failed"})
    rhl.write_server("x2", {"status": "stale"})
    assert rhl.run("rhl-ps", "--status", "stale", "--key").stdout == "x2\n"
    assert rhl.run("rhl-ps", "--key").stdout == "x1\nx2\n"
    rhl.write_client("c1", {"hostname": "h1", "port": 1, "ssh_hostname": "gw"})
    rhl.write_client("c2", {"hostname": "localhost", "port": 2, "tunneled-host": "gw2"})
    assert rhl.run("rhl-ps", "--client", "--host", "gw2", "--key").stdout == "c2\n"
    rows = rhl.run("rhl-ps", "--client", "--json").json_lines()
    assert [(r["key"], r["host"], r["ssh_host"], r["port"]) for r in rows] == [
        ("c1", "h1", "gw", 1),
        ("c2", "localhost", "gw2", 2),
    ]


def test_ndjson_format_is_sorted_with_default_separators(rhl: RhlEnv) -> None:
    rhl.write_server("k", {"status": "failed", "zeta": 1, "alpha": [1, 2]})
    line = rhl.run("rhl-ps", "--json").stdout
    assert line == json.dumps(json.loads(line), sort_keys=True) + "\n"
    assert ", " in line and ": " in line


def test_usage_errors(rhl: RhlEnv) -> None:
    for argv, message in [
        (("--host", "h"), "rhl-ps: --host requires --client\n"),
        (("--key", "--json"), "rhl-ps: --key and --json are mutually exclusive\n"),
        (("--status",), "rhl-ps: Option '--status' requires an argument.\n"),
    ]:
        result = rhl.run("rhl-ps", *argv)
        assert (result.returncode, result.stdout, result.stderr) == (1, "", message)
    result = rhl.run("rhl-ps", "--bogus")
    assert result.returncode == 1
    assert result.stderr.startswith("rhl-ps: No such option")
    assert "Traceback" not in result.stderr
