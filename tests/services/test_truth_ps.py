"""``seamless-service-ps`` tells the truth (issue 14 points 1-3), with a real hashserver and
seamless-database on the local cluster:

* markers are not data: a buffer directory holding only ``.HASHSERVER_PREFIX`` and empty
  ``STAGE-*`` directories is ``empty``, size 0, in the client view, the server view, their
  JSON and ``rhl-ps-persistent`` alike; a ``STAGE-*`` directory is its stage's row;
* the client view lists every connection file of this machine, with what is known;
* ``--status`` drops rows, it never relabels one.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from project_support import Project, put_buffer, table

from conftest import _kill_leftovers, find_command, wait_gone

HEADER = ["SERVICE", "PROJECT", "STAGE", "PROCESS", "PORT", "PERSISTENT", "SIZE"]
HS = "hashserver-here-rw-myproj"
DB = "database-here-rw-myproj"


@pytest.fixture
def project(tmp_path: pathlib.Path) -> Iterator[Project]:
    found = Project(tmp_path)  # the profile selects the local cluster 'here'
    yield found
    _kill_leftovers(found.state / "server")


def rows_of(project: Project, *argv: str) -> list[dict[str, Any]]:
    result = project.ok("seamless-service-ps", *argv, "--json")
    assert result.stderr == "", result
    return result.json_lines()


def persistent_of(
    rows: list[dict[str, Any]], service: str, stage: str | None = None
) -> list[tuple[Any, ...]]:
    return [
        (row["process"], row["persistent"], row["size"])
        for row in rows
        if row["service"] == service and row["project"] == "myproj" and row["stage"] == stage
    ]


def test_markers_and_stage_directories_are_not_data(project: Project) -> None:
    hs = project.start("hashserver")
    data = project.local_buffers / "myproj"
    assert sorted(os.listdir(data)) == [".HASHSERVER_PREFIX"]  # written by the hashserver itself
    (data / "STAGE-a").mkdir()
    (data / "STAGE-b").mkdir()
    (data / "STAGE-b" / ".HASHSERVER_PREFIX").write_bytes((data / ".HASHSERVER_PREFIX").read_bytes())

    client = rows_of(project, "--persistent", "--project", "myproj")
    server = rows_of(project, "--server", "--persistent")
    server_project = rows_of(project, "--server", "--persistent", "--project", "myproj")
    for view in (client, server, server_project):
        assert persistent_of(view, "hashserver") == [
            ("client" if view is client else "running", "empty", 0)
        ], view
    # A stage directory is its stage's row (the server view walks the stages), never the project's.
    assert persistent_of(server, "hashserver", "b") == [("absent", "empty", 0)]
    tables = [
        table(project.ok("seamless-service-ps", "--persistent").stdout),
        table(project.ok("seamless-service-ps", "--server", "--persistent").stdout),
    ]
    assert tables[0][1] == ["hashserver", "myproj", "-", "client", str(hs["port"]), "empty", "0", "B"]
    assert ["hashserver", "myproj", "-", "running", str(hs["port"]), "empty", "0", "B"] in tables[1]
    raw = subprocess.run(
        [find_command("rhl-ps-persistent"), str(data), "--json", "--size"],
        capture_output=True,
        text=True,
        timeout=60,
        env=project.env,
    )
    assert raw.returncode == 0, raw
    assert [(r["state"], r["size"]) for r in map(json.loads, raw.stdout.splitlines())] == [("empty", 0)]

    # Data in a stage stays the stage's; data in the project makes the project populated,
    # with the same size in every view.
    (data / "STAGE-a" / "buffer").write_bytes(b"x" * 1000)
    client = rows_of(project, "--persistent", "--project", "myproj")
    server = rows_of(project, "--server", "--persistent")
    assert persistent_of(client, "hashserver") == [("client", "empty", 0)]
    assert persistent_of(server, "hashserver") == [("running", "empty", 0)]
    put_buffer(hs["port"], b"cached result")
    client = rows_of(project, "--persistent", "--project", "myproj")
    server = rows_of(project, "--server", "--persistent")
    [(_, state, size)] = persistent_of(client, "hashserver")
    assert (state, size) == ("populated", len(b"cached result"))
    assert persistent_of(server, "hashserver") == [("running", state, size)]


def write_connection(project: Project, key: str, **fields: Any) -> None:
    client = project.state / "client"
    client.mkdir(parents=True, exist_ok=True)
    (client / f"{key}.json").write_text(json.dumps({"key": key, **fields}))


def test_the_client_view_lists_every_connection_file(project: Project) -> None:
    hs = project.start("hashserver")
    # A service whose server side is on another machine (its cluster no longer configured here).
    write_connection(
        project,
        "database-gone-rw-myproj",
        hostname="10.9.8.7",
        port=6001,
        meta={"service": "database", "cluster": "gone", "mode": "rw", "project": "myproj"},
    )
    # A file written by seamless-config 0.3.2's launcher (no meta: the key says what it is).
    write_connection(project, "hashserver-here-ro-legacy--STAGE-s1", hostname="localhost", port=6002)
    # A file of another launcher (no Seamless identity at all), and one marked stale.
    write_connection(project, "someone-elses-service", hostname="box.example", port=6003)
    write_connection(
        project,
        "hashserver-gone-rw-old",
        hostname="10.9.8.7",
        port=6004,
        status="stale",
        meta={"service": "hashserver", "cluster": "gone", "mode": "rw", "project": "old"},
    )
    rows = table(project.ok("seamless-service-ps").stdout)
    assert rows == [
        HEADER,
        ["database", "myproj", "-", "client", "6001", "-", "-"],
        ["hashserver", "old", "-", "stale", "6004", "-", "-"],
        ["hashserver:ro", "legacy", "s1", "client", "6002", "-", "-"],
        ["hashserver", "myproj", "-", "client", str(hs["port"]), "-", "-"],
        ["-", "-", "-", "client", "6003", "-", "-"],
    ]
    wide = {row[-1]: row for row in table(project.ok("seamless-service-ps", "--wide").stdout)[1:]}
    assert wide["database-gone-rw-myproj"][0] == "gone" and wide["database-gone-rw-myproj"][10] == "10.9.8.7"
    assert wide["someone-elses-service"][10] == "box.example"
    by_key = {row["key"]: row for row in rows_of(project)}
    assert set(by_key) == {
        HS,
        "database-gone-rw-myproj",
        "hashserver-here-ro-legacy--STAGE-s1",
        "someone-elses-service",
        "hashserver-gone-rw-old",
    }
    assert (by_key["someone-elses-service"]["service"], by_key["someone-elses-service"]["port"]) == (
        None,
        6003,
    )
    # Filters still apply: an identity filter leaves out what has no identity.
    only = rows_of(project, "--client", "--cluster", "gone")
    assert sorted(row["key"] for row in only) == ["database-gone-rw-myproj", "hashserver-gone-rw-old"]
    assert [row["key"] for row in rows_of(project, "--status", "stale")] == ["hashserver-gone-rw-old"]


def test_status_filters_never_relabel(project: Project) -> None:
    hs = project.start("hashserver")
    db = project.start("database")
    put_buffer(hs["port"], b"kept")
    old = project.start("hashserver", "--stage", "old")
    project.ok("seamless-service-stop", "--service", "hashserver", "--stage", "old")

    everything = rows_of(project, "--server", "--persistent")
    assert persistent_of(everything, "hashserver") == [("running", "populated", 4)]
    assert [r["process"] for r in everything if r["service"] == "database" and r["stage"] is None] == [
        "running"
    ]
    assert persistent_of(everything, "hashserver", "old") == [("stale", "empty", 0)]

    stale = rows_of(project, "--server", "--persistent", "--status", "stale")
    assert [(r["key"], r["process"], r["persistent"], r["size"]) for r in stale] == [
        (f"{HS}--STAGE-old", "stale", "empty", 0)
    ]
    assert table(
        project.ok("seamless-service-ps", "--server", "--persistent", "--status", "stale").stdout
    ) == [
        HEADER,
        ["hashserver", "myproj", "old", "stale", str(old["port"]), "empty", "0", "B"],
    ]
    running = rows_of(project, "--server", "--persistent", "--status", "running")
    assert sorted((r["key"], r["process"], r["persistent"]) for r in running) == [
        (DB, "running", "populated"),
        (HS, "running", "populated"),
    ]
    assert {r["port"] for r in running} == {hs["port"], db["port"]}
    # The client view, the same: its rows keep their state and their data.
    client = rows_of(project, "--persistent", "--status", "client")
    assert sorted((r["key"], r["process"], r["persistent"]) for r in client) == [
        (DB, "client", "populated"),
        (HS, "client", "populated"),
    ]
    assert rows_of(project, "--persistent", "--status", "stale") == [
        row for row in rows_of(project, "--persistent") if row["process"] == "stale"
    ]
    assert all(row["process"] != "absent" for row in rows_of(project, "--persistent", "--status", "stale"))


def test_the_exit_record_reaches_the_json_rows(project: Project) -> None:
    """rhl-ps's ``exit`` field (why a service is gone) is carried into ``seamless-service-ps
    --json`` rows; the table keeps its columns."""
    project.start("hashserver")
    killed = project.start("hashserver", "--stage", "k")
    running = {row["key"]: row for row in rows_of(project, "--server")}
    assert running[HS]["exit"] is None and running[HS]["process"] == "running"
    project.ok("seamless-service-stop", "--service", "hashserver")
    pid = project.server_state(f"{HS}--STAGE-k", remote=False)["pid"]
    os.kill(pid, signal.SIGKILL)  # a signal we did not send through rhl-stop
    assert wait_gone(pid)
    by_key: dict[str, dict[str, Any]] = {}
    for _ in range(100):  # the launch supervisor records the exit as it reaps the service
        by_key = {row["key"]: row for row in rows_of(project, "--server")}
        if (by_key[f"{HS}--STAGE-k"]["exit"] or {}).get("reason") == "killed":
            break
        time.sleep(0.1)
    stopped, gone = by_key[HS], by_key[f"{HS}--STAGE-k"]
    assert (stopped["process"], stopped["exit"]["reason"], stopped["exit"]["inferred"]) == (
        "stale",
        "stopped",
        False,
    )
    assert (gone["process"], gone["exit"]["reason"], gone["exit"]["signal"]) == ("stale", "killed", 9)
    assert table(project.ok("seamless-service-ps", "--server").stdout)[0] == HEADER
    # The client view has no exit record (a connection file has none); the field is there, null.
    assert {row["key"]: row["exit"] for row in rows_of(project)} == {HS: None, f"{HS}--STAGE-k": None}
    assert killed["port"] == gone["port"]


def test_a_corrupt_row_says_why_in_json(project: Project) -> None:
    """An unreadable state or connection file is a 'corrupt' row, and its JSON says why (the
    helper's reason), in the client view and the server view alike."""
    for side in ("client", "server"):
        (project.state / side).mkdir(parents=True, exist_ok=True)
        (project.state / side / f"{HS}.json").write_text("{not json")
    why = "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    for argv, side in ((["--client"], "client"), (["--server"], "server")):
        (row,) = [r for r in rows_of(project, *argv) if r["key"] == HS]
        assert row["process"] == "corrupt"
        assert row["error"] == f"malformed JSON in {project.state / side / HS}.json: {why}"
    healthy = [r for r in rows_of(project, "--server") if r["process"] != "corrupt"]
    assert all("error" not in r for r in healthy)
