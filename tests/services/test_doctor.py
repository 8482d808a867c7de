"""seamless-service-doctor against a real remote frontend (the test sshd's ``svc`` account).

Every failure of the seeds' debugging guide is staged on purpose (helpers missing, helpers
only in a conda base, a dependency's TypeError, a port in use, stale state, cached data with
no process, leftover tunnels) and the report is checked as an agent reads it: the ``--json``
document (validated against its published schema), the verdict and advice of the finding,
and the exit code. ``--fix`` must remove exactly what it announced, and nothing else.
"""

from __future__ import annotations

import json
import os
import pathlib
import pwd
import signal
import socket
import subprocess
import time
from typing import Any

import jsonschema
import pytest
from project_support import Project, put_buffer

from conftest import Result, pid_exists, wait_gone
from sshd_support import SSHD, SYSTEM_PATH

HS = "hashserver-remote-rw-myproj"
DB = "database-remote-rw-myproj"
GUARD = 'command="{guard}{policy}",restrict,port-forwarding,permitopen="127.0.0.1:*"'
SCHEMA_FILE = (
    pathlib.Path(__file__).resolve().parents[2]
    / "packages/seamless-config-services/src/seamless_config_services/doctor/report.schema.json"
)
VALIDATOR = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))
CHECKS = ["configuration", "reachability", "services", "logs", "false-pass", "leftovers"]


def doctor(project: Project, *args: str, timeout: float = 120) -> tuple[Result, dict[str, Any]]:
    result = project.run("seamless-service-doctor", "--json", *args, timeout=timeout)
    assert result.stderr == "", result.stderr
    document = json.loads(result.stdout)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]
    assert errors == [], errors
    assert [c["id"] for c in document["checks"]] == CHECKS
    assert (
        result.returncode
        == document["exit_code"]
        == {"ok": 0, "warning": 1, "problem": 2}[document["verdict"]]
    )
    return result, document


def check(document: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(c for c in document["checks"] if c["id"] == check_id)


def finding(document: dict[str, Any], check_id: str, subject: str) -> dict[str, Any]:
    found = [f for f in check(document, check_id)["findings"] if f["subject"] == subject]
    assert len(found) == 1, (subject, check(document, check_id))
    return found[0]


def verdicts(document: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["verdict"] for c in document["checks"]}


def remote_file(project: Project, relative: str, content: str, mode: int = 0o644) -> pathlib.Path:
    """A file in the svc account's (private) remote home, owned by svc."""
    entry = pwd.getpwnam(project.user)
    path = project.remote_home / relative
    created = []
    parent = path.parent
    while not parent.exists():
        created.append(parent)
        parent = parent.parent
    path.parent.mkdir(parents=True, exist_ok=True)
    for directory in created:
        os.chown(directory, entry.pw_uid, entry.pw_gid)
    path.write_text(content)
    path.chmod(mode)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    return path


def wait_listening(port: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    delay = 0.01
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
    return False


@pytest.fixture
def project(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> Project:
    return Project(tmp_path, sshd_isolated)


# -- all ok -----------------------------------------------------------------------------------


@pytest.mark.parametrize("guarded", [False, True], ids=["plain", "guarded"])
def test_all_ok(sshd_isolated: SSHD, tmp_path: pathlib.Path, guarded: bool) -> None:
    if guarded:
        guard = sshd_isolated.svc_venv / "rhl-guard"
        sshd_isolated.set_key_options("svc", GUARD.format(guard=guard, policy=" --clear-policy seamless"))
    project = Project(tmp_path, sshd_isolated)
    hs = project.start("hashserver")
    db = project.start("database")
    result, document = doctor(project)
    assert (result.returncode, document["verdict"]) == (0, "ok"), json.dumps(document, indent=1)
    assert document["selection"]["keys"] == [HS, DB]
    host = finding(document, "reachability", "rhltest-svc")
    assert host["details"]["guard"] is guarded
    if guarded:
        assert "rhl-guard is installed" in host["message"]
        assert "its path policy allows the selection's data directories" in host["message"]
    else:
        assert "no rhl-guard" in host["message"] and host["details"]["path"] == "default"
    for key, port in ((HS, hs["port"]), (DB, db["port"])):
        service = finding(document, "services", key)
        assert service["verdict"] == "ok"
        assert f"port {port} accepts connections and answers its handshake" in service["message"]
        assert "start time checked" in service["message"]
        assert finding(document, "logs", key)["verdict"] == "ok"
    assert finding(document, "false-pass", HS)["message"] == "empty: a cold cache"
    assert check(document, "leftovers")["findings"] == []
    # The text report says the same.
    text = project.run("seamless-service-doctor")
    assert text.returncode == 0 and text.stderr == ""
    assert text.stdout.splitlines()[-1] == "Verdict: OK (exit 0)"
    assert "2. Service state: OK" in text.stdout


# -- 1. reachability --------------------------------------------------------------------------


def test_helpers_missing_on_the_server(project: Project) -> None:
    assert project.sshd is not None
    project.sshd.set_key_options("svc", None, path=SYSTEM_PATH)  # no remote-http-launcher anywhere
    result, document = doctor(project)
    assert result.returncode == 2
    host = finding(document, "reachability", "rhltest-svc")
    assert host["verdict"] == "problem" and host["details"]["helpers"] == "missing"
    assert host["message"].startswith("rhl-ps is not installed on rhltest-svc (not found even with")
    assert host["next_step"].startswith("pip install remote-http-launcher on rhltest-svc")
    assert "do not patch client code" in host["next_step"]
    assert host["evidence"][-1]["command"] == (
        "ssh rhltest-svc 'PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH rhl-ps --json'"
    )
    assert verdicts(document)["services"] == "skipped"
    text = project.run("seamless-service-doctor")
    assert text.returncode == 2
    assert "1. Hosts and helpers (reachability): PROBLEM" in text.stdout
    assert "next: pip install remote-http-launcher on rhltest-svc" in text.stdout


def test_helpers_only_with_the_path_prepend(project: Project) -> None:
    """remote-http-launcher in a conda base (~/miniforge3/bin) and nowhere on the default PATH."""
    assert project.sshd is not None
    venv = project.sshd.svc_venv
    for helper in sorted(p.name for p in venv.iterdir() if p.name.startswith("rhl-")):
        remote_file(project, f"miniforge3/bin/{helper}", f'#!/bin/sh\nexec {venv / helper} "$@"\n', 0o755)
    project.sshd.set_key_options("svc", None, path=SYSTEM_PATH)
    result, document = doctor(project)
    assert (result.returncode, document["verdict"]) == (0, "ok"), json.dumps(document, indent=1)
    host = finding(document, "reachability", "rhltest-svc")
    assert host["details"]["path"] == "prepend-only"
    assert "only with the PATH prepend (a conda base install)" in host["message"]
    assert host["evidence"][-1]["command"] == "ssh rhltest-svc 'rhl-ps --version'"
    assert host["evidence"][-1]["exit_code"] == 127


def test_unreachable_host_and_guard_without_policy(project: Project) -> None:
    assert project.sshd is not None
    project.sshd.set_key_options("svc", GUARD.format(guard=project.sshd.svc_venv / "rhl-guard", policy=""))
    result, document = doctor(project)
    assert result.returncode == 2
    host = finding(document, "reachability", "rhltest-svc")
    assert host["verdict"] == "problem" and host["details"]["guard"] is True
    assert "it has NO path policy" in host["message"]
    assert "--data-roots FILE" in host["next_step"]

    project.clusters["remote"]["frontends"][0]["ssh_hostname"] = "ghost@nowhere.invalid"
    project.write_clusters()
    result, document = doctor(project)
    assert result.returncode == 2
    host = finding(document, "reachability", "ghost@nowhere.invalid")
    assert host["message"].startswith("cannot reach ghost@nowhere.invalid over SSH")
    assert "ssh_hostname" in host["next_step"]
    assert [verdicts(document)[c] for c in ("services", "logs", "false-pass")] == ["skipped"] * 3


# -- 2./3. service state and logs -------------------------------------------------------------

FAKE_TYPEERROR = """#!/usr/bin/python3
# A hashserver whose web framework dropped a parameter (as Starlette did with FileResponse.method).
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("directory")
parser.add_argument("--status-file")
parser.add_argument("--timeout", type=float)
parser.add_argument("--writable", action="store_true")
parser.add_argument("--port-range", nargs=2, type=int)
parser.add_argument("--host")
args = parser.parse_args()


class FileResponse:
    def __init__(self, path, status_code=200, headers=None, media_type=None):
        self.path = path


print(f"serving {args.directory}", flush=True)
FileResponse(args.directory, method="GET")
"""

FAKE_BIND = """#!/usr/bin/python3
# A hashserver that binds the first port of its range, as uvicorn does with a fixed port.
import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument("directory")
parser.add_argument("--status-file")
parser.add_argument("--timeout", type=float)
parser.add_argument("--writable", action="store_true")
parser.add_argument("--port-range", nargs=2, type=int)
parser.add_argument("--host")
args = parser.parse_args()
server = socket.socket()
server.bind((args.host or "127.0.0.1", args.port_range[0]))
"""


def fake_hashserver(project: Project, script: str) -> None:
    assert project.sshd is not None
    remote_file(project, "fakebin/hashserver", script, 0o755)
    path = f"{project.remote_home / 'fakebin'}:{project.sshd.default_path('svc')}"
    project.sshd.set_key_options("svc", None, path=path)


def test_service_crashed_with_a_typeerror_from_a_dependency(project: Project) -> None:
    fake_hashserver(project, FAKE_TYPEERROR)
    started = project.run("seamless-service-start", "--service", "hashserver", timeout=180)
    assert started.returncode == 1
    result, document = doctor(project, "--service", "hashserver")
    assert result.returncode == 2
    assert document["selection"]["keys"] == [HS]
    service = finding(document, "services", HS)
    assert (service["verdict"], service["message"]) == ("problem", "failed to start")
    assert service["next_step"].startswith("read its log (check 3)")
    log = finding(document, "logs", HS)
    assert log["verdict"] == "problem"
    classification = log["details"]["classification"]
    assert classification["id"] == "dependency-api-change"
    assert (
        classification["error"]
        == "TypeError: FileResponse.__init__() got an unexpected keyword argument 'method'"
    )
    assert classification["fix_in"] == "the server repository: hashserver (not the client, not the test)"
    assert log["evidence"][0]["command"] == (
        "seamless-service-logs --service hashserver --cluster remote --project myproj --tail 200"
    )
    assert log["evidence"][0]["excerpt"].startswith("Traceback (most recent call last):")
    assert "reinstall it in the frontend's environment" in log["next_step"]


def test_port_already_in_use(project: Project) -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        section = project.clusters["remote"]["frontends"][0]["hashserver"]
        section["port_start"] = section["port_end"] = port
        project.write_clusters()
        fake_hashserver(project, FAKE_BIND)
        assert project.run("seamless-service-start", "--service", "hashserver", timeout=180).returncode == 1
        result, document = doctor(project, "--service", "hashserver")
    finally:
        holder.close()
    assert result.returncode == 2
    log = finding(document, "logs", HS)
    classification = log["details"]["classification"]
    assert classification["id"] == "address-in-use"
    assert classification["error"] == "OSError: [Errno 98] Address already in use"
    assert "a previous instance" in classification["cause"]
    assert "seamless-service-stop" in log["next_step"]


def test_stale_state_files(project: Project) -> None:
    """A crashed service (its PID gone while the state says running) is a problem; a stopped
    one is a warning; the stop left a stale connection file, which --fix removes, and only it."""
    project.start("hashserver")
    project.start("database")
    crashed = project.server_state(DB)["pid"]
    os.kill(crashed, signal.SIGKILL)  # the database this test started dies without a stop
    assert wait_gone(crashed)
    project.ok("seamless-service-stop", "--service", "hashserver")
    result, document = doctor(project)
    assert result.returncode == 2
    dead = finding(document, "services", DB)
    assert dead["verdict"] == "problem"
    # The launch supervisor saw the kill and recorded it (the exit record, issue 14.4).
    assert dead["message"] == "stale: it was killed by signal 9 (SIGKILL), not by us"
    assert dead["details"]["exit"]["reason"] == "killed" and dead["details"]["exit"]["signal"] == 9
    assert dead["next_step"] == (
        "read its log first (check 3; an out-of-memory kill leaves no line there: see the host's "
        "kernel log), then seamless-service-rm --service database --cluster remote "
        "--project myproj; the next run launches it afresh"
    )
    assert finding(document, "logs", DB)["verdict"] == "problem"  # no known error: read it all
    stopped = finding(document, "services", HS)
    assert stopped["verdict"] == "warning"
    assert stopped["message"] == "stale: stopped, its state file is kept for post-mortem"
    assert finding(document, "logs", HS)["verdict"] == "ok"  # a clean stop logs no error
    leftover = finding(document, "leftovers", HS)
    client_file = project.state / "client" / f"{HS}.json"
    assert leftover["message"] == (
        f"stale connection file {client_file}: seamless-service-stop marked it stale; "
        "its service is stale on the server"
    )
    assert leftover["fix"]["action"] == "remove-client-file" and leftover["fix"]["done"] is None
    # The crashed database's connection file points at a dead service too.
    assert finding(document, "leftovers", DB)["fix"]["path"] == str(project.state / "client" / f"{DB}.json")

    text = project.run("seamless-service-doctor", "--fix")
    assert text.returncode == 2  # the crash is still there: --fix does not touch server state
    plan = text.stdout.index("--fix: 2 safe cleanup(s):")
    assert (
        text.stdout.index(f"   - remove the stale connection file {client_file}   (rhl-rm --client {HS})")
        > plan
    )
    assert text.stdout.index(f"   done: remove the stale connection file {client_file}") > plan
    assert sorted(p.name for p in (project.state / "client").glob("*.json")) == []
    assert (project.remote_home / ".remote-http-launcher" / "server" / f"{HS}.json").exists()
    assert (project.remote_home / ".remote-http-launcher" / "server" / f"{DB}.log").exists()
    _, after = doctor(project)
    assert check(after, "leftovers")["findings"] == []


# -- 4. false-pass risk -----------------------------------------------------------------------


def test_populated_buffer_directory_with_no_process(project: Project) -> None:
    hs = project.start("hashserver")
    put_buffer(hs["port"], b"a result cached by an earlier run")
    project.ok("seamless-service-stop", "--service", "hashserver")
    project.ok("seamless-service-rm", "--service", "hashserver")
    result, document = doctor(project)
    assert result.returncode == 1, json.dumps(document, indent=1)
    assert verdicts(document) == {
        "configuration": "ok",
        "reachability": "ok",
        "services": "ok",
        "logs": "ok",
        "false-pass": "warning",
        "leftovers": "ok",
    }
    data = finding(document, "false-pass", HS)
    assert data["details"]["state"] == "populated"
    assert data["details"]["path"] == str(project.remote_home / "buffers" / "myproj")
    assert "while no process runs: the next start serves these cached results" in data["message"]
    assert data["next_step"] == (
        "for a true cold-cache run stop the services, clear both caches (seamless-service-clear "
        "--service hashserver --cluster remote --project myproj; seamless-service-clear --service "
        "database --cluster remote --project myproj), restart and re-run: only a pass on a cold "
        "cache is meaningful"
    )
    assert finding(document, "false-pass", DB)["details"]["state"] == "absent"
    # Following the advice gives a cold cache and exit 0.
    project.ok("seamless-service-clear", "--service", "hashserver")
    result, document = doctor(project)
    assert result.returncode == 0
    assert finding(document, "false-pass", HS)["message"] == "empty: a cold cache"


# -- 5. local leftovers -----------------------------------------------------------------------


def test_leftover_tunnels_and_fix(project: Project) -> None:
    """A tunnel whose connection file was removed by hand (rhl-rm --client), a tunnel record of
    a monitor that is long gone, and an ssh forward the launcher did not start: --fix ends the
    first, removes the second, leaves the third alone and never stops the service."""
    project.clusters["remote"]["tunnel"] = True
    project.write_clusters()
    project.start("hashserver")
    project.start("database")
    tunnels = project.state / "client" / ".tunnels"
    monitor = json.loads((tunnels / f"{HS}.json").read_text())["monitor_pid"]
    removed = subprocess.run(
        ["rhl-rm", "--client", HS], env=project.env, capture_output=True, text=True, timeout=60
    )
    assert removed.returncode == 0, removed.stderr
    # The database's tunnel ends with its service; leave a record behind that names a dead PID.
    db_pid, remote_port = project.server_state(DB)["pid"], project.server_state(DB)["port"]
    db_monitor = json.loads((tunnels / f"{DB}.json").read_text())["monitor_pid"]
    project.ok("seamless-service-stop", "--service", "database")
    assert wait_gone(db_pid) and wait_gone(db_monitor)
    gone = subprocess.Popen(["true"])
    gone.wait()
    (tunnels / f"{DB}.json").write_text(
        json.dumps({"key": DB, "monitor_pid": gone.pid, "monitor_start_time": 1})
    )
    # Someone's own ssh forward to the stopped database's port.
    assert project.sshd is not None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        local_port = probe.getsockname()[1]
    forward = f"{local_port}:127.0.0.1:{remote_port}"
    foreign = subprocess.Popen(
        project.sshd.ssh_argv("rhltest-svc", "-N", "-o", "ExitOnForwardFailure=yes", "-L", forward),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_listening(local_port), "the foreign ssh forward did not come up"
        result, document = doctor(project)
        assert result.returncode == 1, json.dumps(document, indent=1)
        tunnel = finding(document, "leftovers", HS)
        assert tunnel["message"].startswith(f"leftover SSH tunnel: monitor PID {monitor} (ssh PID ")
        assert tunnel["message"].endswith("no connection file uses it")
        assert tunnel["fix"]["action"] == "end-tunnel" and tunnel["fix"]["pid"] == monitor
        found = {
            f["details"]["kind"]: f for f in check(document, "leftovers")["findings"] if f["subject"] == DB
        }
        assert found["tunnel-record"]["fix"]["action"] == "remove-tunnel-record"
        assert found["foreign-tunnel"]["details"]["pid"] == foreign.pid
        assert found["foreign-tunnel"]["fix"] is None
        assert f"kill {foreign.pid}" in found["foreign-tunnel"]["next_step"]

        result, fixed = doctor(project, "--fix")
        assert result.returncode == 1  # the foreign tunnel is still reported
        assert sorted((f["action"], f["done"]) for f in fixed["fixes"]) == [
            ("end-tunnel", True),
            ("remove-client-file", True),
            ("remove-tunnel-record", True),
        ]
        assert wait_gone(monitor)
        assert sorted(p.name for p in tunnels.glob("*.json")) == []
        assert pid_exists(foreign.pid)
        assert project.server_state(HS)["status"] == "running" and pid_exists(project.server_state(HS)["pid"])
        assert {f["details"]["kind"] for f in check(fixed, "leftovers")["findings"] if f["fix"] is None} == {
            "foreign-tunnel"
        }
    finally:
        foreign.kill()
        foreign.wait()
    _, after = doctor(project)
    assert check(after, "leftovers")["findings"] == []


def test_the_schema_is_valid_versioned_and_documented() -> None:
    from seamless_config_services.doctor.model import SCHEMA

    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema"] == {"const": SCHEMA} and SCHEMA == "seamless-service-doctor/1"
    docs = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "reference" / "json.md").read_text()
    assert "## `seamless-service-doctor --json` report" in docs
    assert "seamless_config_services/doctor/report.schema.json" in docs


# -- configuration and usage ------------------------------------------------------------------


def test_configuration_and_usage_errors(tmp_path: pathlib.Path) -> None:
    project = Project(tmp_path)
    result, document = doctor(project, "--cluster", "nosuch")
    assert result.returncode == 2
    problem = finding(document, "configuration", "configuration")
    assert problem["message"] == "unknown cluster 'nosuch' (known: here)"
    assert [c["verdict"] for c in document["checks"][1:]] == ["skipped"] * 5
    for args in (["--mode", "xx"], ["--bogus"]):
        usage = project.run("seamless-service-doctor", *args)
        assert usage.returncode == 64 and usage.stdout == ""
        assert usage.stderr.splitlines()[-1].startswith("Error: ")


def test_local_cluster(tmp_path: pathlib.Path) -> None:
    project = Project(tmp_path)  # the profile selects the local cluster: no SSH at all
    project.start("hashserver")
    result, document = doctor(project)
    assert result.returncode == 0, json.dumps(document, indent=1)
    assert finding(document, "reachability", "localhost")["message"].startswith(
        "local cluster: the helpers run in this process"
    )
    assert finding(document, "services", "hashserver-here-rw-myproj")["verdict"] == "ok"
    project.ok("seamless-service-stop", "--service", "hashserver")
