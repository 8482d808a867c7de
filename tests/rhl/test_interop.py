"""Interoperability with remote-http-launcher 0.4.5 (the reference), in both directions.

* A service started by the reference's ``rhl-launch-service`` is listed, inspected, logged,
  stopped and removed by our helpers.
* A service started by our ``rhl-launch-service`` (which records extra identity fields) is
  read, stopped and removed by the reference's helpers.
* Client connection files in the format the reference launcher writes are listed alike.
* Meta blocks and extra fields survive a stop; ``rhl-ps-persistent`` rows agree.

Each service is ``rhl-example-service``; the reference runs it from our venv's bin (on the
``rhl`` fixture's PATH) and reads the same ``RHL_TOOLS_YAML`` whitelist.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import os
import pathlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import Result, RhlEnv, group_pids, pid_exists, wait_gone

SEAMLESS_META = {
    "service": "hashserver",
    "cluster": "local",
    "mode": "rw",
    "project": "proj",
    "subproject": None,
    "stage": "st-1",
    "substage": None,
    "queue": None,
}
PARAMETERS = {"layout": "prefix", "nested": {"list": [1, 2.5, None, "ü"]}}


# --------------------------------------------------------------------------------------------
# Orphan reaping. Both launchers leave the service behind as an orphan; on a normal system init
# reaps it when it exits. Where PID 1 does not reap (some containers and sandboxes) an exited
# service stays a zombie, which the reference's kill(pid, 0) probe counts as alive: its rhl-stop
# would then escalate to "kill required" and its rhl-ps would show "running". Making this test
# process a child subreaper, and reaping zombies of *other sessions* only (services run in their
# own session; the helpers we run with subprocess share ours and are waited for by subprocess),
# gives every run the behaviour of a normal system.
# --------------------------------------------------------------------------------------------

PR_SET_CHILD_SUBREAPER = 36


def _reap_orphans_once() -> None:
    me, my_sid = os.getpid(), os.getsid(0)
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            raw = pathlib.Path(f"/proc/{name}/stat").read_bytes()
        except OSError:
            continue
        fields = raw[raw.rindex(b")") + 2 :].split()
        if fields[0] == b"Z" and int(fields[1]) == me and int(fields[3]) != my_sid:
            try:
                os.waitpid(int(name), os.WNOHANG)
            except ChildProcessError:
                pass


@pytest.fixture(scope="module", autouse=True)
def reap_orphans() -> Iterator[None]:
    libc = ctypes.CDLL(None, use_errno=True)
    enabled = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(0.01):
            _reap_orphans_once()

    thread = threading.Thread(target=loop, name="reap-orphans", daemon=True)
    if enabled:
        thread.start()
    try:
        yield
    finally:
        if enabled:
            libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
            stop.set()
            thread.join(timeout=5)
            _reap_orphans_once()


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def ref(reference_bin: pathlib.Path, name: str) -> str:
    path = reference_bin / name
    assert path.exists(), f"reference command {name} missing in {reference_bin}"
    return str(path)


def ref_launch(
    rhl: RhlEnv,
    reference_bin: pathlib.Path,
    key: str,
    *service_args: str,
    meta: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    network_interface: str | None = None,
    timeout: float = 30,
) -> dict[str, Any]:
    """Launch rhl-example-service under ``key`` with the reference's rhl-launch-service."""
    options = ["--key", key, "--workdir", str(rhl.tmp / "work" / key)]
    if meta is not None:
        options += ["--meta", json.dumps(meta)]
    if parameters is not None:
        options += ["--parameters", json.dumps(parameters)]
    if network_interface is not None:
        options += ["--network-interface", network_interface]
    result = rhl.run(
        ref(reference_bin, "rhl-launch-service"),
        *options,
        "--",
        "rhl-example-service",
        "--status-file",
        str(rhl.server / f"{key}.json"),
        *service_args,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    return rhl.wait_status(key, "running", timeout=timeout)


def our_launch(
    rhl: RhlEnv,
    key: str,
    *service_args: str,
    meta: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    network_interface: str | None = None,
) -> dict[str, Any]:
    """Launch rhl-example-service under ``key`` with our rhl-launch-service."""
    options = ["--key", key, "--workdir", str(rhl.tmp / "work" / key)]
    if meta is not None:
        options += ["--meta", json.dumps(meta)]
    if parameters is not None:
        options += ["--parameters", json.dumps(parameters)]
    if network_interface is not None:
        options += ["--network-interface", network_interface]
    result = rhl.run(
        "rhl-launch-service",
        *options,
        "--",
        "rhl-example-service",
        "--status-file",
        str(rhl.server / f"{key}.json"),
        *service_args,
    )
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert line["key"] == key and line["launched"] is True
    data = rhl.wait_status(key, "running")
    assert data["pid"] == line["pid"]
    return data


def table(headers: tuple[str, ...], *rows: tuple[Any, ...]) -> str:
    """The helpers' table format: cells left-justified to the column width, one space apart."""
    cells = [list(headers)] + [["-" if v is None or v == "" else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "".join(" ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + "\n" for row in cells)


def ok(result: Result) -> Result:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert result.stderr == ""
    return result


def rewrite_server(rhl: RhlEnv, key: str, extra: dict[str, Any]) -> dict[str, Any]:
    """Add fields the way a service does (compact JSON, temp file + rename); return the new data."""
    data = {**rhl.read_server(key), **extra}
    tmp = rhl.server / f"{key}.json.tmp"
    tmp.write_text(json.dumps(data))
    os.replace(tmp, rhl.server / f"{key}.json")
    return data


@pytest.fixture
def cleanup(rhl: RhlEnv) -> Iterator[list[str]]:
    """Keys to stop (with our rhl-stop) at the end if the test left them running."""
    keys: list[str] = []
    yield keys
    for key in keys:
        try:
            data = rhl.read_server(key)
        except (FileNotFoundError, ValueError):
            continue
        pid = data.get("pid")
        if isinstance(pid, int) and pid_exists(pid):
            rhl.run("rhl-stop", "--sigint-grace", "2", "--sigterm-grace", "2", key)
            wait_gone(pid, timeout=10)


# --------------------------------------------------------------------------------------------
# 1. Reference launch -> our helpers
# --------------------------------------------------------------------------------------------


@pytest.mark.reference
def test_our_ps_lists_a_reference_launched_service(
    rhl: RhlEnv, reference_bin: pathlib.Path, cleanup: list[str]
) -> None:
    cleanup.append("refsvc")
    data = ref_launch(rhl, reference_bin, "refsvc", meta=SEAMLESS_META)
    # The reference's own fields, rewritten by the service with port and status.
    assert set(data) == {"workdir", "log", "command", "uid", "pid", "status", "meta", "port"}
    assert data["log"] == str(rhl.server / "refsvc.log")
    assert pid_exists(data["pid"])

    listing = ok(rhl.run("rhl-ps"))
    assert listing.stdout == table(("KEY", "STATUS", "PORT"), ("refsvc", "running", data["port"]))

    (row,) = ok(rhl.run("rhl-ps", "--json")).json_lines()
    assert row["key"] == "refsvc"
    assert row["status"] == "running"
    assert row["json_status"] == "running"
    assert row["live"] is True
    assert row["port"] == data["port"]
    assert row["pid"] == data["pid"]
    assert row["meta"] == SEAMLESS_META
    assert {k: row[k] for k in data} == data  # every field of the file is in the row

    assert ok(rhl.run("rhl-ps", "--status", "running", "--key")).stdout == "refsvc\n"
    # The reference agrees on the row (same file, same process).
    (ref_row,) = ok(rhl.run(ref(reference_bin, "rhl-ps"), "--json")).json_lines()
    fields = ("key", "status", "json_status", "live", "port", "pid", "workdir", "log", "meta")
    assert {k: row[k] for k in fields} == {k: ref_row[k] for k in fields}

    result = ok(rhl.run("rhl-stop", "refsvc"))
    assert result.stdout == "refsvc: stopped\n"


@pytest.mark.reference
def test_our_inspect_and_logs_read_a_reference_launched_service(
    rhl: RhlEnv, reference_bin: pathlib.Path, cleanup: list[str]
) -> None:
    cleanup.append("refsvc")
    data = ref_launch(rhl, reference_bin, "refsvc")
    path = rhl.server / "refsvc.json"

    inspected = ok(rhl.run("rhl-inspect", "refsvc"))
    assert inspected.stdout == json.dumps(data, indent=2, sort_keys=True) + "\n"
    assert inspected.stdout == ok(rhl.run(ref(reference_bin, "rhl-inspect"), "refsvc")).stdout

    with_mtime = json.loads(ok(rhl.run("rhl-inspect", "refsvc", "--with-mtime")).stdout)
    assert with_mtime == {"mtime": path.stat().st_mtime, "data": data}

    log = (rhl.server / "refsvc.log").read_bytes().decode()
    assert f"rhl-example-service: starting (pid {data['pid']})\n" in log
    assert f"rhl-example-service: listening on 127.0.0.1:{data['port']}\n" in log
    logs = ok(rhl.run("rhl-logs", "refsvc"))
    assert logs.stdout == log
    assert logs.stdout == ok(rhl.run(ref(reference_bin, "rhl-logs"), "refsvc")).stdout
    last = ok(rhl.run("rhl-logs", "refsvc", "--tail", "1")).stdout
    assert last == f"rhl-example-service: listening on 127.0.0.1:{data['port']}\n"

    assert ok(rhl.run("rhl-stop", "refsvc")).stdout == "refsvc: stopped\n"


@pytest.mark.reference
def test_our_stop_and_rm_handle_a_reference_launched_service(
    rhl: RhlEnv, reference_bin: pathlib.Path, cleanup: list[str]
) -> None:
    cleanup.append("refsvc")
    data = ref_launch(rhl, reference_bin, "refsvc", "--children", "2")
    pid = data["pid"]
    members = group_pids(pid)  # the reference starts a new session: pgid == pid
    assert pid in members and len(members) == 3

    result = rhl.run("rhl-stop", "refsvc")
    assert (result.returncode, result.stdout, result.stderr) == (0, "refsvc: stopped\n", "")
    # rhl-stop returns once the whole group is gone: the service and its workers.
    assert [p for p in members if pid_exists(p)] == []
    after = rhl.read_server("refsvc")
    assert after["status"] == "stale"
    assert after["exit"]["reason"] == "stopped"  # our stop records why it is gone (issue 14.4)
    assert {k: v for k, v in after.items() if k not in ("status", "stopped_at", "exit")} == {
        k: v for k, v in data.items() if k != "status"
    }

    assert ok(rhl.run("rhl-ps")).stdout == table(("KEY", "STATUS", "PORT"), ("refsvc", "stale", data["port"]))
    (row,) = ok(rhl.run("rhl-ps", "--json")).json_lines()
    assert (row["status"], row["json_status"], row["pid"]) == ("stale", "stale", pid)
    (ref_row,) = ok(rhl.run(ref(reference_bin, "rhl-ps"), "--json")).json_lines()
    assert (ref_row["status"], ref_row["live"]) == ("stale", False)

    log_before = (rhl.server / "refsvc.log").read_bytes()
    removed = rhl.run("rhl-rm", "refsvc")
    assert (removed.returncode, removed.stdout, removed.stderr) == (
        0,
        f"removed {rhl.server / 'refsvc.json'}\n",
        "",
    )
    assert not (rhl.server / "refsvc.json").exists()
    assert (rhl.server / "refsvc.log").read_bytes() == log_before
    assert ok(rhl.run("rhl-logs", "refsvc")).stdout == log_before.decode()
    assert ok(rhl.run("rhl-ps")).stdout == "KEY STATUS PORT\n"
    assert ok(rhl.run(ref(reference_bin, "rhl-ps"), "--key")).stdout == ""


# --------------------------------------------------------------------------------------------
# 2. Our launch -> reference helpers
# --------------------------------------------------------------------------------------------


@pytest.mark.reference
def test_reference_ps_inspect_and_logs_read_our_service(
    rhl: RhlEnv, reference_bin: pathlib.Path, cleanup: list[str]
) -> None:
    cleanup.append("oursvc")
    data = our_launch(rhl, "oursvc", meta=SEAMLESS_META)
    # Our extra identity fields are in the file next to the reference's.
    assert {"pid_start_time", "boot_id", "pgid", "launched_at"} <= set(data)

    (row,) = ok(rhl.run(ref(reference_bin, "rhl-ps"), "--json")).json_lines()
    assert row["key"] == "oursvc"
    assert (row["status"], row["json_status"], row["live"]) == ("running", "running", True)
    assert (row["port"], row["pid"]) == (data["port"], data["pid"])
    assert row["meta"] == SEAMLESS_META
    assert ok(rhl.run(ref(reference_bin, "rhl-ps"))).stdout == table(
        ("KEY", "STATUS", "PORT"), ("oursvc", "running", data["port"])
    )
    (our_row,) = ok(rhl.run("rhl-ps", "--json")).json_lines()
    fields = ("key", "status", "json_status", "live", "port", "pid", "workdir", "log", "meta")
    assert {k: our_row[k] for k in fields} == {k: row[k] for k in fields}

    inspected = ok(rhl.run(ref(reference_bin, "rhl-inspect"), "oursvc"))
    assert json.loads(inspected.stdout) == data
    assert inspected.stdout == ok(rhl.run("rhl-inspect", "oursvc")).stdout
    ref_mtime = json.loads(ok(rhl.run(ref(reference_bin, "rhl-inspect"), "oursvc", "--with-mtime")).stdout)
    assert ref_mtime["data"] == data

    log = (rhl.server / "oursvc.log").read_bytes().decode()
    assert f"listening on 127.0.0.1:{data['port']}" in log
    assert ok(rhl.run(ref(reference_bin, "rhl-logs"), "oursvc")).stdout == log

    assert ok(rhl.run("rhl-stop", "oursvc")).stdout == "oursvc: stopped\n"


@pytest.mark.reference
def test_reference_stop_and_rm_handle_our_service(
    rhl: RhlEnv, reference_bin: pathlib.Path, cleanup: list[str]
) -> None:
    cleanup.append("oursvc")
    data = our_launch(rhl, "oursvc")
    pid = data["pid"]

    result = rhl.run(ref(reference_bin, "rhl-stop"), "oursvc")
    assert (result.returncode, result.stdout, result.stderr) == (0, "oursvc: stopped\n", "")
    assert wait_gone(pid, timeout=5)
    deadline = time.monotonic() + 10
    while "exit" not in rhl.read_server("oursvc") and time.monotonic() < deadline:
        time.sleep(0.02)
    after = rhl.read_server("oursvc")
    # Our identity fields are kept by the reference; our supervisor recorded the exit (14.4).
    assert {k: v for k, v in after.items() if k != "exit"} == {**data, "status": "stale"}
    assert after["exit"]["reason"] in ("exited", "killed") and after["exit"]["inferred"] is False

    assert ok(rhl.run("rhl-ps")).stdout == table(("KEY", "STATUS", "PORT"), ("oursvc", "stale", data["port"]))
    (row,) = ok(rhl.run("rhl-ps", "--json")).json_lines()
    assert (row["key"], row["status"], row["json_status"], row["port"]) == (
        "oursvc",
        "stale",
        "stale",
        data["port"],
    )
    assert ok(rhl.run("rhl-ps", "--status", "stale", "--key")).stdout == "oursvc\n"
    # Our rhl-stop on the already-stopped service: nothing to signal, still stale.
    assert ok(rhl.run("rhl-stop", "oursvc")).stdout == "oursvc: already gone\n"

    log_before = (rhl.server / "oursvc.log").read_bytes()
    removed = rhl.run(ref(reference_bin, "rhl-rm"), "oursvc")
    assert (removed.returncode, removed.stdout, removed.stderr) == (
        0,
        f"removed {rhl.server / 'oursvc.json'}\n",
        "",
    )
    assert not (rhl.server / "oursvc.json").exists()
    assert (rhl.server / "oursvc.log").read_bytes() == log_before
    assert ok(rhl.run("rhl-ps", "--json")).stdout == ""
    assert ok(rhl.run("rhl-logs", "oursvc")).stdout == log_before.decode()


@pytest.mark.reference
def test_crashed_service_is_stale_for_both(
    rhl: RhlEnv, reference_bin: pathlib.Path, cleanup: list[str]
) -> None:
    """A 'running' file whose process died: both listings derive 'stale'; the reference's file
    is untouched, ours carries the exit record of our supervisor."""
    cleanup += ["ours", "theirs"]
    ours = our_launch(rhl, "ours", "--crash-after", "0.1")
    theirs = ref_launch(rhl, reference_bin, "theirs", "--crash-after", "0.1")
    assert wait_gone(ours["pid"]) and wait_gone(theirs["pid"])
    deadline = time.monotonic() + 10
    while "exit" not in rhl.read_server("ours") and time.monotonic() < deadline:
        time.sleep(0.02)
    for ps, probed in (("rhl-ps", None), (ref(reference_bin, "rhl-ps"), False)):
        rows = ok(rhl.run(ps, "--json")).json_lines()
        assert [(r["key"], r["status"], r["json_status"], r["live"]) for r in rows] == [
            ("ours", "stale", "stale", probed),  # our supervisor recorded the exit (issue 14.4)
            ("theirs", "stale", "running", False),
        ]
    assert (rhl.read_server("ours")["status"], rhl.read_server("ours")["exit"]["code"]) == ("stale", 1)
    assert rhl.read_server("theirs")["status"] == "running"


# --------------------------------------------------------------------------------------------
# 3. Client connection files (written by the reference launcher, §3.2)
# --------------------------------------------------------------------------------------------

CLIENT_FILES: dict[str, dict[str, Any]] = {
    # Direct mode, local cluster: hostname from the server's network_interface.
    "hashserver-local-rw-proj": {
        "hostname": "localhost",
        "port": 5813,
        "parameters": {"layout": "prefix"},
        "meta": {**SEAMLESS_META, "cluster": "local"},
    },
    # Direct mode, hostname and ssh_hostname differ; an extra *_port copied.
    "jobserver-hpc-rw-proj": {
        "hostname": "node17.hpc.example.org",
        "port": 5533,
        "dashboard_port": 8787,
        "ssh_hostname": "hpc-login",
        "meta": {**SEAMLESS_META, "cluster": "hpc"},
    },
    # Tunnel mode: local forwarded ports, remote ports under tunneled-*.
    "daskserver-hpc-rw-proj": {
        "hostname": "localhost",
        "port": 41003,
        "tunneled-host": "hpc-login",
        "tunneled-port": 60001,
        "tunneled-network-interface": "0.0.0.0",
        "dashboard_port": 41004,
        "tunneled-dashboard_port": 60002,
        "parameters": {"workers": 4},
        "meta": {**SEAMLESS_META, "cluster": "hpc"},
    },
    # A launcher config without meta; direct mode, no ssh_hostname.
    "plain": {"hostname": "127.0.0.1", "port": 8000},
}


def write_launcher_client_file(rhl: RhlEnv, key: str, data: dict[str, Any]) -> pathlib.Path:
    """Write a client file as the reference launcher does: compact JSON, 0600, tmp + rename."""
    rhl.client.mkdir(parents=True, exist_ok=True)
    tmp = rhl.client / f"{key}.tmp"
    tmp.write_text(json.dumps(data))
    tmp.chmod(0o600)
    os.replace(tmp, rhl.client / f"{key}.json")
    return rhl.client / f"{key}.json"


@pytest.mark.reference
def test_client_files_are_listed_alike_and_removed_by_our_rm(
    rhl: RhlEnv, reference_bin: pathlib.Path
) -> None:
    for key, data in CLIENT_FILES.items():
        write_launcher_client_file(rhl, key, data)
    # A server file with one of the keys: rhl-rm --client must leave it alone.
    rhl.write_server("plain", {"status": "stale", "pid": 999999999, "port": 8000})

    ours = ok(rhl.run("rhl-ps", "--client", "--json")).json_lines()
    theirs = ok(rhl.run(ref(reference_bin, "rhl-ps"), "--client", "--json")).json_lines()
    fields = ("key", "host", "ssh_host", "port", "meta")
    assert [{k: r[k] for k in fields} for r in ours] == [{k: r[k] for k in fields} for r in theirs]
    assert [{k: r[k] for k in fields} for r in ours] == [
        {
            "key": "daskserver-hpc-rw-proj",
            "host": "localhost",
            "ssh_host": "hpc-login",
            "port": 41003,
            "meta": {**SEAMLESS_META, "cluster": "hpc"},
        },
        {
            "key": "hashserver-local-rw-proj",
            "host": "localhost",
            "ssh_host": "localhost",
            "port": 5813,
            "meta": {**SEAMLESS_META, "cluster": "local"},
        },
        {
            "key": "jobserver-hpc-rw-proj",
            "host": "node17.hpc.example.org",
            "ssh_host": "hpc-login",
            "port": 5533,
            "meta": {**SEAMLESS_META, "cluster": "hpc"},
        },
        {"key": "plain", "host": "127.0.0.1", "ssh_host": "127.0.0.1", "port": 8000, "meta": {}},
    ]
    # Every field of each file is carried in both rows; no row invents a status.
    assert ours == theirs
    assert all("status" not in r for r in ours)

    for args in (("--client",), ("--client", "--host", "hpc-login"), ("--client", "--host", "localhost")):
        assert ok(rhl.run("rhl-ps", *args)).stdout == ok(rhl.run(ref(reference_bin, "rhl-ps"), *args)).stdout
        assert (
            ok(rhl.run("rhl-ps", *args, "--key")).stdout
            == ok(rhl.run(ref(reference_bin, "rhl-ps"), *args, "--key")).stdout
        )
    assert ok(rhl.run("rhl-ps", "--client", "--host", "hpc-login", "--key")).stdout == (
        "daskserver-hpc-rw-proj\njobserver-hpc-rw-proj\n"
    )

    result = rhl.run("rhl-rm", "--client", "daskserver-hpc-rw-proj", "plain", "nosuchkey")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        f"removed {rhl.client / 'daskserver-hpc-rw-proj.json'}\n"
        f"removed {rhl.client / 'plain.json'}\n"
        "nosuchkey: not found\n"
    )
    assert sorted(p.name for p in rhl.client.glob("*.json")) == [
        "hashserver-local-rw-proj.json",
        "jobserver-hpc-rw-proj.json",
    ]
    assert (rhl.server / "plain.json").exists()
    assert ok(rhl.run(ref(reference_bin, "rhl-ps"), "--client", "--key")).stdout == (
        "hashserver-local-rw-proj\njobserver-hpc-rw-proj\n"
    )


# --------------------------------------------------------------------------------------------
# 4. Meta blocks and extra fields survive our stop
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("launcher", [pytest.param("reference", marks=pytest.mark.reference), "ours"])
def test_meta_and_extra_fields_survive_our_stop(
    rhl: RhlEnv, request: pytest.FixtureRequest, cleanup: list[str], launcher: str
) -> None:
    cleanup.append("svc")
    if launcher == "reference":
        reference_bin = request.getfixturevalue("reference_bin")
        ref_launch(
            rhl,
            reference_bin,
            "svc",
            meta=SEAMLESS_META,
            parameters=PARAMETERS,
            network_interface="127.0.0.1",
        )
    else:
        our_launch(rhl, "svc", meta=SEAMLESS_META, parameters=PARAMETERS, network_interface="127.0.0.1")
    # What a Seamless service adds to its status file: extra ports and fields of its own.
    before = rewrite_server(
        rhl,
        "svc",
        {"dashboard_port": 8787, "dashboard-port": 8788, "custom": {"a": [1, {"b": None}], "ü": "✓"}},
    )
    assert before["meta"] == SEAMLESS_META and before["parameters"] == PARAMETERS
    assert before["network_interface"] == "127.0.0.1"

    result = rhl.run("rhl-stop", "svc")
    assert (result.returncode, result.stdout, result.stderr) == (0, "svc: stopped\n", "")
    assert not pid_exists(before["pid"])
    after = rhl.read_server("svc")
    assert after["status"] == "stale"
    # Nothing else changed; the only fields our stop adds are its timestamp and the exit record.
    assert set(after) - set(before) <= {"stopped_at", "exit"}
    assert after["exit"]["reason"] == "stopped"
    assert {k: v for k, v in after.items() if k not in ("status", "stopped_at", "exit")} == {
        k: v for k, v in before.items() if k != "status"
    }

    (row,) = ok(rhl.run("rhl-ps", "--json")).json_lines()
    assert (row["status"], row["meta"], row["parameters"], row["dashboard_port"]) == (
        "stale",
        SEAMLESS_META,
        PARAMETERS,
        8787,
    )
    assert json.loads(ok(rhl.run("rhl-inspect", "svc")).stdout) == after
    if launcher == "reference":
        ref_ps = ref(request.getfixturevalue("reference_bin"), "rhl-ps")
        (ref_row,) = ok(rhl.run(ref_ps, "--json")).json_lines()
        assert (ref_row["status"], ref_row["meta"], ref_row["dashboard_port"], ref_row["custom"]) == (
            "stale",
            SEAMLESS_META,
            8787,
            before["custom"],
        )


# --------------------------------------------------------------------------------------------
# 5. rhl-ps-persistent rows agree
# --------------------------------------------------------------------------------------------


def _touch(path: pathlib.Path, content: bytes = b"x", mtime: float | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


@pytest.fixture
def data_tree(tmp_path: pathlib.Path) -> pathlib.Path:
    """A buffer-dir root as Seamless lays it out: projects / stages, markers, databases."""
    root = tmp_path / "data"
    old = time.time() - 3 * 86400 + 0.5
    # Hashserver buckets with the marker.
    _touch(root / "proj-a" / ".HASHSERVER_PREFIX", b"")
    _touch(root / "proj-a" / "st-1" / ".HASHSERVER_PREFIX", b"")
    _touch(root / "proj-a" / "st-1" / "ab" / "abcdef", b"buffer" * 10, mtime=old)
    _touch(root / "proj-a" / "st-2" / ".HASHSERVER_PREFIX", b"")  # marker only: empty
    _touch(root / "proj-a" / "no-marker" / "file", b"data")
    (root / "proj-a" / "empty").mkdir(parents=True)
    (root / "proj-b").mkdir()  # empty project
    _touch(root / ".hidden" / ".HASHSERVER_PREFIX", b"")  # dot-directories are walked too
    _touch(root / ".hidden" / "x", b"1")
    # Database directories.
    _touch(root / "db" / "seamless.db", b"\0" * 123, mtime=old)
    _touch(root / "db" / "st-1" / "seamless.db", b"")
    _touch(root / "db" / "st-2" / "other", b"zz")
    _touch(root / "db" / "st-1" / "deeper" / "seamless.db", b"too deep for --level 2")
    # A symlinked directory (followed) and a plain file at the top (not a directory: skipped).
    (root / "link-to-a").symlink_to(root / "proj-a", target_is_directory=True)
    _touch(root / "README", b"hi")
    return root


PERSISTENT_OPTIONS = [
    pytest.param([], id="plain"),
    pytest.param(["--marker", ".HASHSERVER_PREFIX"], id="hashserver-marker"),
    pytest.param(["--file", "seamless.db", "--marker", "seamless.db"], id="database"),
    pytest.param(["--file", "seamless.db"], id="file-only"),
]


#: A local time zone that is not UTC (POSIX form, needs no tzdata): ``modified`` is local time.
PERSISTENT_TZ = {"TZ": "IST-5:30"}


def _persistent_rows(rhl: RhlEnv, command: str, options: list[str], *roots: str) -> list[dict[str, Any]]:
    result = rhl.run(command, "--json", "--level", "2", *options, *roots, env=PERSISTENT_TZ)
    assert (result.returncode, result.stderr) == (0, ""), result
    return result.json_lines()


def _by_design(theirs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """0.4.5's rows as we answer them by design (docs/reference/rhl-ps-persistent.md): a
    symlinked sub-directory is one ``symlink`` row and is not walked; a directory holding
    nothing but the marker ``.HASHSERVER_PREFIX`` is empty (markers are not data). No root
    given in these tests is a symbolic link."""
    rows = []
    for row in theirs:
        path = row["path"]
        if any(os.path.islink(parent) for parent in pathlib.PurePath(path).parents):
            continue
        if os.path.islink(path):
            row = {**row, "state": "symlink", "size": None, "modified": None}
        elif row["state"] == "populated" and os.listdir(path) == [".HASHSERVER_PREFIX"]:
            row = {**row, "state": "empty", "modified": None}
        rows.append(row)
    return rows


def _assert_same_rows(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> None:
    theirs = _by_design(theirs)
    assert [(r["path"], r["state"], r["size"]) for r in ours] == [
        (r["path"], r["state"], r["size"]) for r in theirs
    ]
    for mine, other in zip(ours, theirs, strict=True):
        if other["modified"] is None:
            assert mine["modified"] is None, mine
        else:
            assert mine["modified"] is not None, mine
            assert mine["modified"][:19] == other["modified"][:19], (mine, other)


@pytest.mark.reference
@pytest.mark.parametrize("options", PERSISTENT_OPTIONS)
def test_ps_persistent_rows_match_reference(
    rhl: RhlEnv, reference_bin: pathlib.Path, data_tree: pathlib.Path, options: list[str]
) -> None:
    ours = _persistent_rows(rhl, "rhl-ps-persistent", options, str(data_tree))
    theirs = _persistent_rows(rhl, ref(reference_bin, "rhl-ps-persistent"), options, str(data_tree))
    assert any(r["state"] == "populated" for r in ours), "vacuous comparison"
    _assert_same_rows(ours, theirs)


@pytest.mark.reference
def test_ps_persistent_database_rows_in_detail(
    rhl: RhlEnv, reference_bin: pathlib.Path, data_tree: pathlib.Path
) -> None:
    options = ["--file", "seamless.db", "--marker", "seamless.db"]
    ours = _persistent_rows(rhl, "rhl-ps-persistent", options, str(data_tree))
    theirs = _persistent_rows(rhl, ref(reference_bin, "rhl-ps-persistent"), options, str(data_tree))
    _assert_same_rows(ours, theirs)
    ist = dt.timezone(dt.timedelta(hours=5, minutes=30))
    db_mtime = dt.datetime.fromtimestamp((data_tree / "db" / "seamless.db").stat().st_mtime, ist)
    assert [(r["path"], r["state"], r["size"]) for r in ours] == [
        (str(data_tree / "db"), "populated", 123),
        (str(data_tree / "db" / "st-1"), "populated", 0),
    ]
    assert theirs[0]["modified"] == db_mtime.replace(tzinfo=None).isoformat(timespec="seconds")
    assert ours[0]["modified"] == db_mtime.isoformat(timespec="seconds")  # local time, with its offset


@pytest.mark.reference
@pytest.mark.parametrize("options", PERSISTENT_OPTIONS)
def test_ps_persistent_absent_empty_and_several_roots(
    rhl: RhlEnv,
    reference_bin: pathlib.Path,
    tmp_path: pathlib.Path,
    data_tree: pathlib.Path,
    options: list[str],
) -> None:
    empty = tmp_path / "empty-root"
    empty.mkdir()
    roots = [str(tmp_path / "absent"), str(empty), str(data_tree / "proj-a"), str(data_tree / "db") + "/"]
    ours = _persistent_rows(rhl, "rhl-ps-persistent", options, *roots)
    theirs = _persistent_rows(rhl, ref(reference_bin, "rhl-ps-persistent"), options, *roots)
    _assert_same_rows(ours, theirs)
    assert ours[0] == {"path": str(tmp_path / "absent"), "state": "absent", "size": None, "modified": None}


@pytest.mark.reference
def test_ps_persistent_dangling_symlink_root_is_absent(
    rhl: RhlEnv, reference_bin: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    """A buffer root symlinked to a scratch area that is gone (wiped, not mounted)."""
    root = tmp_path / "buffers"
    root.symlink_to(tmp_path / "scratch-gone", target_is_directory=True)
    absent = [{"path": str(root), "state": "absent", "size": None, "modified": None}]
    theirs = _persistent_rows(rhl, ref(reference_bin, "rhl-ps-persistent"), [], str(root))
    assert theirs == absent
    level0 = ok(rhl.run("rhl-ps-persistent", "--json", str(root), env=PERSISTENT_TZ)).json_lines()
    assert level0 == absent
    assert _persistent_rows(rhl, "rhl-ps-persistent", [], str(root)) == absent
