"""Issue 17.2: ``seamless-service-ps`` for operators (supervisorctl, pm2, docker compose users).

``-l`` adds PID, UPTIME and EXIT (why a service is gone, from the server's exit record: a
crash, a stop, an idle exit, a SIGKILL each read differently, not just ``stale``); ``-q``
prints keys; ``--status`` takes every PROCESS state; colours only on a terminal and never
with ``NO_COLOR``; ``--watch`` redraws when a service changes, without a keypress, and
Ctrl-C ends it with exit 0. The services are rhl-example-service instances launched under
hashserver keys (the client reads the identity from the key), and real hashservers.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from project_support import Project, free_port_range
from pty_support import PtyRun

from conftest import _kill_leftovers, wait_gone
from sshd_support import SSHD


def key(project: str) -> str:
    return f"hashserver-here-rw-{project}"


@pytest.fixture
def project(tmp_path: pathlib.Path) -> Iterator[Project]:
    found = Project(tmp_path)
    tools = tmp_path / "tools.yaml"
    tools.write_text('example:\n  command_template: "rhl-example-service --status-file {status_file}"\n')
    found.env["RHL_TOOLS_YAML"] = str(tools)
    yield found
    _kill_leftovers(found.state / "server")


def state_file(project: Project, name: str) -> pathlib.Path:
    return project.state / "server" / f"{key(name)}.json"


def launch(project: Project, name: str, *args: str, port: int | None = None) -> None:
    """rhl-example-service under ``hashserver-here-rw-<name>``, on one known port."""
    port = port or free_port_range(2)[0]
    result = project.run(
        "rhl-launch-service", "--key", key(name), "--workdir", str(project.tmp / "work" / name), "--",
        "rhl-example-service", "--status-file", str(state_file(project, name)),
        "--port-range", str(port), str(port), *args,
    )  # fmt: skip
    assert result.returncode == 0, result


def wait_state(project: Project, name: str, ready: Any, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    data: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            data = json.loads(state_file(project, name).read_text())
        except (OSError, ValueError):
            data = {}
        if data and ready(data):
            return data
        time.sleep(0.05)
    raise AssertionError(f"{name}: state not reached within {timeout}s: {data}")


def running(data: dict[str, Any]) -> bool:
    return data.get("status") == "running"


def has_exit(data: dict[str, Any]) -> bool:
    return isinstance(data.get("exit"), dict)


def test_exit_column_tells_a_crash_a_stop_an_idle_exit_and_a_kill_apart(project: Project) -> None:
    ports = {name: free_port_range(2)[0] for name in ("crashed", "exited", "idle", "old", "stopped")}
    launch(project, "crashed", port=ports["crashed"])
    launch(project, "exited", "--crash-after", "0.3", port=ports["exited"])
    launch(project, "idle", "--timeout", "0.5", port=ports["idle"])
    launch(project, "stopped", port=ports["stopped"])
    os.kill(wait_state(project, "crashed", running)["pid"], signal.SIGKILL)
    wait_state(project, "stopped", running)
    stopped = project.ok("seamless-service-stop", "--service", "hashserver", "--project", "stopped")
    assert stopped.stdout == f"{key('stopped')}: stopped\n"
    # A service of remote-http-launcher 0.4.5 (no supervisor, so no record): its exit is inferred.
    state_file(project, "old").write_text(
        json.dumps({"status": "running", "pid": 999999999, "port": ports["old"], "uid": os.getuid()})
    )
    for name in ("crashed", "exited", "idle", "stopped"):
        wait_state(project, name, has_exit)

    listed = project.ok("seamless-service-ps", "--server", "-l", "--status", "stale")
    assert listed.stderr == ""
    p = ports
    assert listed.stdout == (
        "SERVICE    PROJECT STAGE PROCESS PID UPTIME EXIT               PORT  PERSISTENT SIZE\n"
        f"hashserver crashed -     stale   -   -      killed SIGKILL     {p['crashed']} -          -\n"
        f"hashserver exited  -     stale   -   -      exited 1           {p['exited']} -          -\n"
        f"hashserver idle    -     stale   -   -      idle exit          {p['idle']} -          -\n"
        f"hashserver old     -     stale   -   -      unknown (inferred) {p['old']} -          -\n"
        f"hashserver stopped -     stale   -   -      stopped            {p['stopped']} -          -\n"
    )
    # The default table is the seeds' (seamless-config 0.3.2's columns): unchanged.
    plain = project.ok("seamless-service-ps", "--server", "--status", "stale")
    assert plain.stdout.splitlines()[0].split() == [
        "SERVICE", "PROJECT", "STAGE", "PROCESS", "PORT", "PERSISTENT", "SIZE",
    ]  # fmt: skip
    # JSON: the record itself, the recorded PID, no uptime once gone; every row names its schema.
    rows = {r["key"]: r for r in project.ok("seamless-service-ps", "--server", "--json").json_lines()}
    assert {r["schema"] for r in rows.values()} == {"seamless-service-ps-row/1"}
    assert rows[key("crashed")]["exit"]["reason"] == "killed"
    assert rows[key("crashed")]["exit"]["signal"] == 9
    assert rows[key("old")]["exit"] == {
        "reason": None, "code": None, "signal": None, "at": None, "inferred": True,
    }  # fmt: skip
    assert rows[key("old")]["pid"] == 999999999
    assert all(r["uptime"] is None for r in rows.values())


def test_pid_and_uptime_of_a_running_service(project: Project) -> None:
    launch(project, "live")
    data = wait_state(project, "live", running)
    time.sleep(1.1)  # so the uptime is at least 1 s (the launch's own clock is the reference)
    (row,) = project.ok("seamless-service-ps", "--server", "--json").json_lines()
    assert (row["key"], row["pid"], row["launched_at"]) == (key("live"), data["pid"], data["launched_at"])
    assert row["exit"] is None
    assert 1 <= row["uptime"] <= int(time.time() - data["launched_at"]) + 1
    header, line = project.ok("seamless-service-ps", "--server", "-l").stdout.splitlines()
    assert header.split() == [
        "SERVICE", "PROJECT", "STAGE", "PROCESS", "PID", "UPTIME", "EXIT", "PORT", "PERSISTENT", "SIZE",
    ]  # fmt: skip
    assert re.fullmatch(rf"hashserver live +- +running {data['pid']} +\d+s +- +{data['port']} +- +-", line)
    assert project.ok("seamless-service-ps", "--server", "-q").stdout == f"{key('live')}\n"
    wide = project.ok("seamless-service-ps", "--server", "--wide", "-l").stdout.splitlines()[0].split()
    assert wide[6:10] == ["PROCESS", "PID", "UPTIME", "EXIT"]


def test_status_accepts_every_state(project: Project) -> None:
    launch(project, "live")
    wait_state(project, "live", running)
    state_file(project, "bad").write_text("{")
    data = project.local_buffers / "kept"
    data.mkdir(parents=True)
    (data / ".HASHSERVER_PREFIX").write_text("")
    (data / ("a" * 64)).write_bytes(b"x")

    def keys(*args: str) -> list[str]:
        result = project.ok("seamless-service-ps", "--server", *args)
        return result.stdout.splitlines()

    assert keys("--status", "running", "-q") == [key("live")]
    assert keys("--status", "corrupt", "-q") == [key("bad")]
    assert keys("--status", "stale", "-q") == []
    assert keys("--status", "untracked", "-q") == []
    assert keys("--status", "client", "-q") == []
    assert keys("--status", "unreachable", "-q") == []
    # Data without a process (found by the persistent walk, which this filter implies).
    absent = project.ok("seamless-service-ps", "--server", "--status", "absent", "--json").json_lines()
    assert [
        (r["project"], r["process"], r["persistent"]) for r in absent if r["service"] == "hashserver"
    ] == [("kept", "absent", "populated")]
    assert {r["process"] for r in absent} == {"absent"}
    bad = project.run("seamless-service-ps", "--status", "gone")
    assert bad.returncode == 2 and "'gone' is not one of" in bad.stderr
    for flags in (("--json", "-q"), ("--watch", "-q")):
        both = project.run("seamless-service-ps", *flags)
        assert (both.returncode, both.stderr) == (
            2, "seamless-service-ps: --quiet excludes --json and --watch\n",
        )  # fmt: skip


def test_colours_on_a_terminal_only_and_never_with_no_color(project: Project) -> None:
    launch(project, "live")
    wait_state(project, "live", running)
    on_tty = PtyRun("seamless-service-ps", "--server", env=project.env, cwd=project.dir)
    assert on_tty.finish() == 0
    assert "\x1b[32mrunning\x1b[0m" in on_tty.text
    no_color = PtyRun(
        "seamless-service-ps", "--server", env={**project.env, "NO_COLOR": "1"}, cwd=project.dir
    )
    assert no_color.finish() == 0
    assert "running" in no_color.text and "\x1b[" not in no_color.text
    piped = project.ok("seamless-service-ps", "--server")
    assert "running" in piped.stdout and "\x1b[" not in piped.stdout


def test_watch_redraws_on_a_stop_from_elsewhere_and_ctrl_c_exits_0(project: Project) -> None:
    launch(project, "live")
    wait_state(project, "live", running)
    watching = PtyRun("seamless-service-ps", "--server", "-l", "--watch", env=project.env, cwd=project.dir)
    try:
        watching.wait_for("running")
        seen = len(watching.output)
        started = time.monotonic()
        stopped = project.ok("rhl-stop", key("live"))
        assert stopped.stdout == f"{key('live')}: stopped\n"
        # No keypress: the table is redrawn by itself, with the exit reason.
        watching.wait_for("stale", timeout=20)
        assert "stopped" in watching.output[seen:].decode()
        assert time.monotonic() - started < 10
        watching.interrupt()
        assert watching.finish(timeout=20) == 0
    finally:
        if watching.proc.poll() is None:
            watching.proc.kill()
    assert "Traceback" not in watching.text and "(updated " in watching.text


def test_watch_json_prints_one_listing_document_per_change_and_ctrl_c_exits_0(project: Project) -> None:
    """``--watch --json`` (an agent's way to follow services): one line per change, each a
    whole ``seamless-service-ps/1`` document (the schema of ``--json-schema``), never a screen
    control sequence, also on a terminal. A listing equal to the last one printed is not
    printed again."""
    import jsonschema

    from seamless_config_services import schemas

    launch(project, "live")
    wait_state(project, "live", running)
    validator = jsonschema.Draft202012Validator(schemas.load("seamless-service-ps"))
    env = {**project.env, **SLOW_WATCH}
    watching = PtyRun("seamless-service-ps", "--server", "--watch", "--json", env=env, cwd=project.dir)
    try:
        watching.wait_until(lambda w: w.text.count("\n") >= 1, "the first document")
        project.ok("rhl-stop", key("live"))
        watching.wait_until(lambda w: w.text.count("\n") >= 2, "the document after the stop", timeout=20)
        watching.interrupt()
        assert watching.finish(timeout=20) == 0
    finally:
        if watching.proc.poll() is None:
            watching.proc.kill()
    assert "\x1b[" not in watching.text and "Traceback" not in watching.text
    documents = [
        json.loads(line) for line in watching.text.replace("\r\n", "\n").splitlines() if line.strip()
    ]
    assert len(documents) == 2, documents
    for document in documents:
        validator.validate(document)
        assert (document["schema"], document["view"], document["exit_code"]) == (
            "seamless-service-ps/1",
            "server",
            0,
        )
    assert [[(r["key"], r["process"]) for r in d["rows"]] for d in documents] == [
        [(key("live"), "running")],
        [(key("live"), "stale")],
    ]


#: ``--watch`` with the periodic listing and the fallback poll both a minute apart: only a file
#: event (inotify) can redraw the table within a second.
SLOW_WATCH = {"SEAMLESS_SERVICE_PS_WATCH_REFRESH": "60", "SEAMLESS_SERVICE_PS_WATCH_POLL": "60"}


def test_watch_is_woken_by_each_state_change_not_by_a_poll(project: Project) -> None:
    """The local --watch is event-driven: with SLOW_WATCH each change below is on the screen
    within 1 s (the poll would take a minute). The first launch (``server/`` did not exist when
    the watch began: its parent was watched until then), the state file deleted (the service
    still holds its service lock: ``untracked``), the service killed (nothing but the close of
    its service lock file tells; its supervisor has no state file to record the exit in)."""
    assert not (project.state / "server").exists()
    env = {**project.env, **SLOW_WATCH, "NO_COLOR": "1"}
    watching = PtyRun("seamless-service-ps", "--server", "-l", "--watch", env=env, cwd=project.dir)
    try:
        watching.wait_until(lambda w: w.screen.startswith("SERVICE "), "the empty table")
        assert "hashserver" not in watching.screen
        launch(project, "live")
        pid = wait_state(project, "live", running)["pid"]
        took = watching.wait_until(lambda w: f" running {pid} " in w.screen, "the launch")
        assert took < 1, took
        state_file(project, "live").unlink()
        took = watching.wait_until(lambda w: f" untracked {pid} " in w.screen, "the deleted state file")
        assert took < 1, took
        os.kill(pid, signal.SIGKILL)
        took = watching.wait_until(lambda w: "hashserver" not in w.screen, "the killed service")
        assert took < 1, took
        assert watching.screen.startswith("SERVICE ") and watching.screen.count("\n") == 2  # header, blank
        watching.interrupt()
        assert watching.finish(timeout=20) == 0
    finally:
        if watching.proc.poll() is None:
            watching.proc.kill()
    assert "Traceback" not in watching.text


def test_watch_settings_in_the_environment_are_checked(project: Project) -> None:
    name = "SEAMLESS_SERVICE_PS_WATCH_REFRESH"
    bad = project.run("seamless-service-ps", "--server", "--watch", env={**project.env, name: "soon"})
    assert (bad.returncode, bad.stdout, bad.stderr) == (
        2, "", f"seamless-service-ps: {name}: expected a number of seconds > 0, not 'soon'\n",
    )  # fmt: skip


def test_stop_progress_on_a_terminal_names_each_signal(project: Project) -> None:
    """A service that ignores SIGINT and SIGTERM: rhl-stop escalates to SIGKILL (10 s); on a
    terminal the client says which signal the escalation is at (rhl-stop reports only at the
    end, so the client follows its fixed schedule); EXIT then says it took a kill."""
    launch(project, "stubborn", "--ignore-signals")
    data = wait_state(project, "stubborn", running)
    stopping = PtyRun(
        "seamless-service-stop", "--service", "hashserver", "--project", "stubborn",
        env=project.env, cwd=project.dir,
    )  # fmt: skip
    stopping.wait_for(f"stopping {key('stubborn')} on localhost: SIGINT sent, waiting up to 5 s")
    stopping.wait_for("not gone after SIGINT: SIGTERM sent, waiting up to 5 s more", timeout=15)
    # (rhl-stop's SIGKILL at 10 s ends it at once: the outcome line follows right away.)
    assert stopping.finish() == 0
    assert f"{key('stubborn')}: kill required" in stopping.text
    assert wait_gone(data["pid"])
    wait_state(project, "stubborn", has_exit)
    (line,) = project.ok("seamless-service-ps", "--server", "-l").stdout.splitlines()[1:]
    assert re.fullmatch(r"hashserver stubborn - +stale +- +- +stopped \(SIGKILL\) +\d+ +- +-", line), line


def test_no_progress_noise_off_a_terminal(project: Project) -> None:
    launch(project, "quiet")
    wait_state(project, "quiet", running)
    stopped = project.run("seamless-service-stop", "--service", "hashserver", "--project", "quiet")
    assert (stopped.returncode, stopped.stdout, stopped.stderr) == (0, f"{key('quiet')}: stopped\n", "")


def test_watch_of_a_remote_cluster_polls_over_ssh(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> None:
    """The remote view: one listing every 2 s over the shared SSH master; a stop made from
    another process appears by itself; Ctrl-C exits 0. A real hashserver on the test sshd."""
    project = Project(tmp_path, sshd_isolated)
    project.start("hashserver")
    watching = PtyRun("seamless-service-ps", "--server", "-l", "--watch", env=project.env, cwd=project.dir)
    try:
        watching.wait_for("running", timeout=60)
        project.ok("seamless-service-stop", "--service", "hashserver")
        started = time.monotonic()
        watching.wait_for("stale", timeout=30)
        assert time.monotonic() - started < 15
        assert "stopped" in watching.text.rpartition("\x1b[2J")[2]  # the latest drawing
        watching.interrupt()
        assert watching.finish(timeout=20) == 0
    finally:
        if watching.proc.poll() is None:
            watching.proc.kill()


@pytest.mark.parametrize(
    ("record", "cell"),
    [
        ({"reason": "stopped", "code": 0, "signal": None, "inferred": False}, "stopped"),
        ({"reason": "stopped", "code": None, "signal": 2, "inferred": False}, "stopped"),
        ({"reason": "stopped", "code": None, "signal": 9, "inferred": False}, "stopped (SIGKILL)"),
        ({"reason": "exited", "code": 3, "signal": None, "inferred": False}, "exited 3"),
        ({"reason": "killed", "code": None, "signal": 15, "inferred": False}, "killed SIGTERM"),
        ({"reason": "killed", "code": None, "signal": 99, "inferred": False}, "killed signal 99"),
        ({"reason": "idle", "code": 0, "signal": None, "inferred": False}, "idle exit"),
        ({"reason": None, "code": None, "signal": None, "at": None, "inferred": True}, "unknown (inferred)"),
        ({"reason": "killed", "code": None, "signal": 9, "inferred": True}, "killed SIGKILL (inferred)"),
        (None, None),
    ],
)
def test_exit_cell(record: dict[str, Any] | None, cell: str | None) -> None:
    from seamless_config_services.rows import exit_cell

    assert exit_cell({"exit": record}) == cell


@pytest.mark.parametrize(
    ("seconds", "cell"),
    [
        (0, "0s"),
        (59, "59s"),
        (60, "1m00s"),
        (3599, "59m59s"),
        (3600, "1h00m"),
        (90061, "1d01h"),
        (None, None),
    ],
)
def test_uptime_cell(seconds: int | None, cell: str | None) -> None:
    from seamless_config_services.rows import uptime_cell

    assert uptime_cell(seconds) == cell


@pytest.mark.timeout(60)  # bounds the blocking readline()s below
@pytest.mark.parametrize("inotify", ["1", "0"], ids=["inotify", "poll"])
def test_watch_off_a_terminal_prints_each_changed_table_plainly(project: Project, inotify: str) -> None:
    """Also the fallback: without inotify (SEAMLESS_SERVICE_PS_WATCH_INOTIFY=0, as where the
    platform has none) the bounded poll redraws the same way."""
    import subprocess

    from conftest import find_command

    launch(project, "live")
    wait_state(project, "live", running)
    proc = subprocess.Popen(
        [find_command("seamless-service-ps"), "--server", "--watch"],
        cwd=project.dir,
        env={**project.env, "SEAMLESS_SERVICE_PS_WATCH_INOTIFY": inotify},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        header = proc.stdout.readline()
        assert header.split() == ["SERVICE", "PROJECT", "STAGE", "PROCESS", "PORT", "PERSISTENT", "SIZE"]
        assert proc.stdout.readline().split()[:4] == ["hashserver", "live", "-", "running"]
        project.ok("rhl-stop", key("live"))
        assert proc.stdout.readline() == "\n"  # the next table follows a blank line
        assert proc.stdout.readline() == header
        assert proc.stdout.readline().split()[:4] == ["hashserver", "live", "-", "stale"]
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        assert (proc.returncode, out, err) == (0, "", "")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
