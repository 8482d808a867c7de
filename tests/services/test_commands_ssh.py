"""Every seamless-service-* command against a real remote frontend: the test sshd's ``svc``
account, reached through an ssh config alias, running the real hashserver and
seamless-database from PyPI. Assertions are on exact output, exit codes, files and processes.
"""

from __future__ import annotations

import json
import pathlib

import pytest
from project_support import (
    Project,
    get_status,
    put_buffer,
    recall_transformation,
    remember_transformation,
    table,
)

from conftest import pid_exists, wait_gone
from sshd_support import SSHD

GUARD_OPTIONS = 'command="{guard} --clear-policy seamless",restrict,port-forwarding,permitopen="127.0.0.1:*"'
HS = "hashserver-remote-rw-myproj"
DB = "database-remote-rw-myproj"


@pytest.fixture(params=["plain", "guarded"])
def project(request: pytest.FixtureRequest, sshd_isolated: SSHD, tmp_path: pathlib.Path) -> Project:
    if request.param == "guarded":
        sshd_isolated.set_key_options("svc", GUARD_OPTIONS.format(guard=sshd_isolated.svc_venv / "rhl-guard"))
    project = Project(tmp_path, sshd_isolated)
    project.guarded = request.param == "guarded"
    return project


def test_resolve_is_the_key_the_commands_use(project: Project) -> None:
    result = project.ok(
        "seamless-service-resolve",
        "--service",
        "hashserver",
        "--cluster",
        "remote",
        "--project",
        "myproj",
        "--stage",
        "fing",
    )
    data = result.json_lines()[0]
    assert data == {
        "cluster": "remote",
        "key": "hashserver-remote-rw-myproj--STAGE-fing",
        "log_path": "~/.remote-http-launcher/server/hashserver-remote-rw-myproj--STAGE-fing.log",
        "mode": "rw",
        "project": "myproj",
        "queue": None,
        "service": "hashserver",
        "ssh_hostname": "rhltest-svc",
        "stage": "fing",
        "subproject": None,
        "substage": None,
        "workdir": "~/buffers/myproj/STAGE-fing",
    }
    assert result.stdout.count("\n") == 1


def test_lifecycle_of_every_command(project: Project) -> None:
    hs = project.start("hashserver")
    db = project.start("database")
    fing = project.start("hashserver", "--stage", "fing")
    ro = project.start("hashserver", "--mode", "ro")
    assert {hs["key"], db["key"], fing["key"], ro["key"]} == {
        HS,
        DB,
        f"{HS}--STAGE-fing",
        "hashserver-remote-ro-myproj",
    }
    put_buffer(hs["port"], b"some data")

    # ps --server: the cluster from the profile; one row per service, none merged.
    rows = table(project.ok("seamless-service-ps", "--server").stdout)
    assert rows[0] == ["SERVICE", "PROJECT", "STAGE", "PROCESS", "PORT", "PERSISTENT", "SIZE"]
    assert sorted(rows[1:]) == sorted(
        [
            ["database", "myproj", "-", "running", str(db["port"]), "-", "-"],
            ["hashserver", "myproj", "-", "running", str(hs["port"]), "-", "-"],
            ["hashserver", "myproj", "fing", "running", str(fing["port"]), "-", "-"],
            ["hashserver:ro", "myproj", "-", "running", str(ro["port"]), "-", "-"],
        ]
    )
    # The cluster view adds persistent data.
    rows = table(project.ok("seamless-service-ps", "--cluster", "remote").stdout)
    by_service = {(r[0], r[2]): r for r in rows[1:]}
    assert by_service[("hashserver", "-")][5] == "populated"
    assert by_service[("hashserver", "fing")][5] == "empty"
    assert by_service[("database", "-")][5] == "populated"

    # --json: all identity fields, raw sizes.
    json_rows = project.ok(
        "seamless-service-ps", "--cluster", "remote", "--json", "--service", "database"
    ).json_lines()
    assert len(json_rows) == 1
    row = json_rows[0]
    assert (row["key"], row["process"], row["port"], row["persistent"], row["mode"]) == (
        DB,
        "running",
        db["port"],
        "populated",
        "rw",
    )
    assert isinstance(row["size"], int) and row["size"] > 0

    # inspect: the server JSON, with the meta block.
    text = project.ok("seamless-service-inspect", "--service", "hashserver").stdout
    state = json.loads(text)
    assert state["meta"] == {
        "service": "hashserver",
        "cluster": "remote",
        "mode": "rw",
        "project": "myproj",
        "subproject": None,
        "stage": None,
        "substage": None,
        "queue": None,
    }
    assert state["status"] == "running" and state["port"] == hs["port"]
    assert text.startswith("{\n  ")

    # logs: what the hashserver wrote.
    log = project.ok("seamless-service-logs", "--service", "hashserver").stdout
    assert log == (project.remote_home / ".remote-http-launcher" / "server" / f"{HS}.log").read_text()
    tail = project.ok("seamless-service-logs", "--service", "hashserver", "--tail", "1").stdout
    assert tail == log.splitlines(keepends=True)[-1]

    # clear refuses a running service, and services without persistent data.
    refused = project.run("seamless-service-clear", "--service", "hashserver")
    assert refused.returncode == 1
    assert "in use by running service(s)" in refused.stderr and HS in refused.stderr
    assert refused.stderr.count("\n") == 1
    refused = project.run("seamless-service-clear", "--service", "jobserver")
    assert refused.returncode == 2
    assert refused.stderr == (
        "seamless-service-clear: jobserver keeps no persistent data (it runs in /tmp); nothing to clear "
        "(clearable services: hashserver, database)\n"
    )

    # stop one service: its process is gone, both state files say stale.
    pid = project.server_state(HS)["pid"]
    stopped = project.ok("seamless-service-stop", "--service", "hashserver")
    assert stopped.stdout == f"{HS}: stopped\n"
    assert wait_gone(pid)
    assert project.server_state(HS)["status"] == "stale"
    assert project.client_state(HS)["status"] == "stale"
    rows = table(project.ok("seamless-service-ps", "--server", "--status", "stale").stdout)
    assert rows[1:] == [["hashserver", "myproj", "-", "stale", str(hs["port"]), "-", "-"]]

    # rm: both sides; the log stays readable.
    removed = project.ok("seamless-service-rm", "--service", "hashserver")
    assert sorted(removed.stdout.splitlines()) == sorted(
        [
            f"removed {project.remote_home}/.remote-http-launcher/server/{HS}.json",
            f"removed {project.state}/client/{HS}.json",
        ]
    )
    log_file = project.remote_home / ".remote-http-launcher" / "server" / f"{HS}.log"
    after = project.ok("seamless-service-logs", "--service", "hashserver").stdout
    assert after == log_file.read_text() and after.startswith(log) and "Shutting down" in after

    # clear: the buffer is gone, the marker stays.
    buffers = project.remote_home / "buffers" / "myproj"
    cleared = project.run("seamless-service-clear", "--service", "hashserver")
    assert cleared.returncode == 1
    # The ro instance shares the directory; the running stage keeps its data apart (issue 14.9).
    assert "in use by running service(s) hashserver-remote-ro-myproj: stop" in cleared.stderr
    project.ok("seamless-service-stop", "--service", "hashserver", "--mode", "ro")
    project.ok("seamless-service-stop", "--service", "hashserver", "--stage", "fing")
    cleared = project.ok("seamless-service-clear", "--service", "hashserver")
    assert cleared.stdout.startswith("removed ") and cleared.stdout.rstrip().endswith(f"from {buffers}")
    assert sorted(p.name for p in buffers.iterdir()) == [".HASHSERVER_PREFIX", "STAGE-fing"]

    # restart: a new process on the database, old log kept as .log.1.
    old = project.server_state(DB)["pid"]
    restarted = project.ok("seamless-service-restart", "--service", "database", timeout=180)
    assert restarted.stdout.splitlines()[0] == f"{DB}: stopped"
    assert restarted.stdout.splitlines()[-1].startswith(f"{DB}: running at 127.0.0.1:")
    assert not pid_exists(old) or wait_gone(old)
    new = project.server_state(DB)
    assert new["status"] == "running" and new["pid"] != old

    # cluster-wide stop and rm.
    stopped = project.ok("seamless-service-stop", "--cluster", "remote")
    assert stopped.stdout.splitlines() == [
        f"{DB}: stopped",
        "hashserver-remote-ro-myproj: already gone",
        f"{HS}--STAGE-fing: already gone",
    ]
    project.ok("seamless-service-rm", "--cluster", "remote")
    assert (
        project.ok("seamless-service-ps", "--server").stdout
        == "SERVICE PROJECT STAGE PROCESS PORT PERSISTENT SIZE\n"
    )
    assert project.ok("seamless-service-ps").stdout == "SERVICE PROJECT STAGE PROCESS PORT PERSISTENT SIZE\n"


def test_false_pass_protocol(project: Project) -> None:
    """The seeds' protocol: ps --persistent shows cached data, stop/rm/clear make it empty,
    and the services come back on a cold cache."""
    hs = project.start("hashserver")
    db = project.start("database")
    checksum = put_buffer(hs["port"], b"cached result")
    assert get_status(hs["port"], checksum) == 200
    transformation = "ab" * 32
    remember_transformation(db["port"], transformation, checksum)
    assert recall_transformation(db["port"], transformation) == checksum

    ps = ["seamless-service-ps", "--server", "--persistent", "--project", "myproj", "--cluster", "remote"]
    rows = table(project.ok(*ps).stdout)
    assert [(r[0], r[3], r[5]) for r in rows[1:]] == [
        ("database", "running", "populated"),
        ("hashserver", "running", "populated"),
    ]

    project.ok("seamless-service-stop", "--cluster", "remote")
    project.ok("seamless-service-rm", "--cluster", "remote")
    rows = table(project.ok(*ps).stdout)
    assert [(r[0], r[3], r[5]) for r in rows[1:]] == [
        ("hashserver", "absent", "populated"),
        ("database", "absent", "populated"),
    ]

    project.ok("seamless-service-clear", "--service", "hashserver", "--project", "myproj")
    project.ok("seamless-service-clear", "--service", "database", "--project", "myproj")
    rows = table(project.ok(*ps).stdout)
    expected = [("hashserver", "absent", "empty"), ("database", "absent", "empty")]
    if project.guarded:
        # rhl-guard's 'seamless' policy reports only directories with a Seamless marker; a
        # cleared database directory has none left (seamless.db was the marker), so the guard
        # does not show it at all: no cached data either way.
        expected = expected[:1]
    assert [(r[0], r[3], r[5]) for r in rows[1:]] == expected

    hs = project.start("hashserver")
    db = project.start("database")
    assert get_status(hs["port"], checksum) == 404
    assert recall_transformation(db["port"], transformation) is None
    rows = table(project.ok(*ps).stdout)
    # A fresh seamless.db exists again (so the database directory is 'populated'), but empty of results.
    assert [(r[0], r[3], r[5]) for r in rows[1:]] == [
        ("database", "running", "populated"),
        ("hashserver", "running", "empty"),
    ]


def test_stop_closes_the_tunnel(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> None:
    """A cluster with ``tunnel: true``: the service is reached through a local port; stopping
    it marks the connection file stale and ends the tunnel the launcher started."""
    project = Project(tmp_path, sshd_isolated)
    project.clusters["remote"]["tunnel"] = True
    project.write_clusters()
    hs = project.start("hashserver")
    connection = project.client_state(HS)
    remote_port = project.server_state(HS)["port"]
    assert (connection["hostname"], connection["tunneled-port"], hs["port"]) == (
        "localhost",
        remote_port,
        connection["port"],
    )
    assert get_status(connection["port"], "healthcheck") == 200
    record = json.loads((project.state / "client" / ".tunnels" / f"{HS}.json").read_text())
    monitor = record["monitor_pid"]
    assert pid_exists(monitor)
    assert project.ok("seamless-service-stop", "--service", "hashserver").stdout == f"{HS}: stopped\n"
    assert wait_gone(monitor)
    assert project.client_state(HS)["status"] == "stale"
    assert not (project.state / "client" / ".tunnels" / f"{HS}.json").exists()
