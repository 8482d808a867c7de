"""One remote round trip per host per command, counted from the real sshd's log.

sshd (LogLevel VERBOSE) logs ``Starting session: command for USER from ...`` once per
remote command, whether it rides a ControlMaster or opens a connection of its own: the
number of such lines a seamless-service-* command adds is the number of round trips it made
to that account's host. All calls that one command needs on one host go in one ``rhl-batch``
invocation; a server without ``rhl-batch`` (remote-http-launcher 0.4.5) gets one call per
helper instead. And a dead host costs its connect timeout and one ``unreachable`` row, and
delays no other host.
"""

from __future__ import annotations

import json
import pathlib
import re
import socket
import time
from collections.abc import Iterator

import pytest
from project_support import Project, table

from conftest import wait_gone
from http_support import http_server as serve
from sshd_support import SSHD

HS = "hashserver-remote-rw-myproj"
DB = "database-remote-rw-myproj"
GUARD_OPTIONS = 'command="{guard} --clear-policy seamless",restrict,port-forwarding,permitopen="127.0.0.1:*"'


def sessions(sshd: SSHD, user: str = "svc") -> int:
    """How many remote commands sshd has started for ``user`` so far."""
    # "command for svc from ..." or, under rhl-guard, "forced-command (key-option) '...' for svc".
    pattern = re.compile(rf"Starting session: (command|forced-command .*) for {user} from ")
    return sum(1 for line in sshd.log.read_text(errors="replace").splitlines() if pattern.search(line))


def round_trips(project: Project, *args: str, expect_rc: int = 0) -> int:
    """Run one command and return how many remote commands it made (sshd's count)."""
    assert project.sshd is not None
    before = sessions(project.sshd)
    result = project.run(*args)
    assert result.returncode == expect_rc, (args, result)
    # sshd writes its log line before the command runs; the command has ended: it is there.
    return sessions(project.sshd) - before


@pytest.fixture(params=["plain", "guarded"])
def project(request: pytest.FixtureRequest, sshd_isolated: SSHD, tmp_path: pathlib.Path) -> Iterator[Project]:
    if request.param == "guarded":
        sshd_isolated.set_key_options("svc", GUARD_OPTIONS.format(guard=sshd_isolated.svc_venv / "rhl-guard"))
    project = Project(tmp_path, sshd_isolated)
    project.guarded = request.param == "guarded"
    project.start("hashserver")
    project.start("database")
    project.start("hashserver", "--stage", "fing")
    yield project


def test_one_round_trip_per_command(project: Project) -> None:
    # ps of the hosts: state rows (and, for the cluster view, persistent data): one batch.
    assert round_trips(project, "seamless-service-ps", "--server") == 1
    assert round_trips(project, "seamless-service-ps", "--server", "--persistent") == 1
    assert round_trips(project, "seamless-service-ps", "--cluster", "remote") == 1
    assert round_trips(project, "seamless-service-ps", "--all-clusters", "--persistent", "--json") == 1
    # The client view of the project's data: the data-directory walks, one batch.
    assert round_trips(project, "seamless-service-ps", "--persistent") == 1
    # Acting on one service: its key is known from the configuration, one call.
    assert round_trips(project, "seamless-service-stop", "--service", "database") == 1
    assert round_trips(project, "seamless-service-rm", "--service", "database") == 1
    # Acting on a cluster's services: the keys are only known from the host's state, so one
    # batch holds rhl-ps and rhl-stop --meta-cluster (which selects them by their meta
    # itself): one round.
    assert round_trips(project, "seamless-service-stop", "--cluster", "remote", "--stage", "fing") == 1
    # clear: rhl-clear checks that no running service uses the directory by itself: one call.
    assert round_trips(project, "seamless-service-clear", "--service", "hashserver", "--stage", "fing") == 1
    # Refused (the hashserver runs there): rhl-clear names every service in the way itself.
    assert round_trips(project, "seamless-service-clear", "--service", "hashserver", expect_rc=1) == 1
    rows = table(project.ok("seamless-service-ps", "--server").stdout)
    assert sorted((r[0], r[2], r[3]) for r in rows[1:]) == [
        ("hashserver", "-", "running"),
        ("hashserver", "fing", "stale"),
    ]
    # Removing a cluster's (stopped) services: one batch too.
    assert round_trips(project, "seamless-service-rm", "--cluster", "remote", "--stage", "fing") == 1
    rows = table(project.ok("seamless-service-ps", "--server").stdout)
    assert [(r[0], r[2], r[3]) for r in rows[1:]] == [("hashserver", "-", "running")]


def test_doctor_round_trips(project: Project) -> None:
    """The doctor of running services known from the configuration: one batch per host holds
    the session record, rhl-ps, the log tails and data walks, and the port check, handshake
    and runtime of each configured key in their key forms (``rhl-verify-port --key``,
    ``rhl-handshake --key``, ``rhl-inspect --runtime KEY``: the helper reads the port from the
    state itself). One round trip, and the report is the full one (port and handshake
    checked, runtime compared)."""
    assert round_trips(project, "seamless-service-doctor", "--service", "database", expect_rc=0) == 1
    assert round_trips(project, "seamless-service-doctor", "--service", "hashserver", "--stage", "fing") == 1
    document = json.loads(project.ok("seamless-service-doctor", "--service", "database", "--json").stdout)
    (state,) = [c for c in document["checks"] if c["id"] == "services"]
    running = [f for f in state["findings"] if f["subject"] == DB]
    assert [f["verdict"] for f in running] == ["ok"], running
    assert (
        "port " in running[0]["message"]
        and "accepts connections and answers its handshake" in (running[0]["message"])
    ), running[0]
    prefix = "ssh rhltest-svc 'PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH "
    commands = [e["command"] for e in running[0]["evidence"]]
    assert commands[1:] == [
        f"{prefix}rhl-verify-port --key {DB}'",
        f"{prefix}rhl-handshake --key {DB} --path /healthcheck'",
    ], commands
    assert [e["exit_code"] for e in running[0]["evidence"]] == [0, 0, 0]
    (runtime,) = [f for f in state["findings"] if f["subject"] == f"{DB} (runtime)"]
    assert runtime["evidence"][0]["command"] == f"{prefix}rhl-inspect --runtime {DB}'"


def test_doctor_of_instances_only_the_rows_reveal_is_one_round(project: Project) -> None:
    """Without --stage the doctor checks every stage's instance found on the host: the
    ``fing`` hashserver is only known from the host's rows, so the first batch carries
    ``rhl-batch --each`` templates (the configured key left out) that the host expands for
    every state file whose meta names the selection: its port, handshake, runtime and log
    tail ride in the same round trip, each answered as the call naming its key, and its data
    directory's row comes from the project directory's stage walk. One round, and the report
    is the full one for both instances."""
    count = round_trips(project, "seamless-service-doctor", "--service", "hashserver", expect_rc=0)
    assert count == 1, count
    fing = f"{HS}--STAGE-fing"
    document = json.loads(project.ok("seamless-service-doctor", "--service", "hashserver", "--json").stdout)
    checks = {c["id"]: c for c in document["checks"]}
    prefix = "ssh rhltest-svc 'PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH "
    for key in (HS, fing):
        (running,) = [f for f in checks["services"]["findings"] if f["subject"] == key]
        assert running["verdict"] == "ok", running
        assert (
            f"port {project.server_state(key)['port']} accepts connections and answers its handshake"
            in (running["message"])
        ), running
        assert [(e["command"], e["exit_code"]) for e in running["evidence"][1:]] == [
            (f"{prefix}rhl-verify-port --key {key}'", 0),
            (f"{prefix}rhl-handshake --key {key} --path /healthcheck'", 0),
        ], running["evidence"]
        (runtime,) = [f for f in checks["services"]["findings"] if f["subject"] == f"{key} (runtime)"]
        assert runtime["verdict"] == "ok" and runtime["message"].startswith("runs "), runtime
        assert runtime["evidence"][0]["command"] == f"{prefix}rhl-inspect --runtime {key}'", runtime
        (log,) = [f for f in checks["logs"]["findings"] if f["subject"] == key]
        assert (log["verdict"], log["message"]) == ("ok", "no error in the last 200 lines"), log
        (data,) = [f for f in checks["false-pass"]["findings"] if f["subject"] == key]
        assert data["verdict"] == "ok" and data["evidence"][0]["exit_code"] == 0, data
    assert document["selection"]["keys"] == [HS, fing]


def test_a_failed_answer_of_a_revealed_instance_is_its_answer_not_a_second_round(project: Project) -> None:
    """The ``fing`` instance is only known from the rows, and its log file is gone: the line
    the host expanded for it (``rhl-logs KEY --tail 200``) fails there, and that failure is the
    answer the report gives, in the same round trip; it is not asked again."""
    fing = f"{HS}--STAGE-fing"
    (project.remote_home / ".remote-http-launcher" / "server" / f"{fing}.log").unlink()
    count = round_trips(project, "seamless-service-doctor", "--service", "hashserver", expect_rc=1)
    assert count == 1, count
    document = json.loads(project.run("seamless-service-doctor", "--service", "hashserver", "--json").stdout)
    (log,) = [f for f in {c["id"]: c for c in document["checks"]}["logs"]["findings"] if f["subject"] == fing]
    assert log["verdict"] != "ok", log
    prefix = "ssh rhltest-svc 'PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH "
    assert [(e["command"], e["exit_code"]) for e in log["evidence"]] == [
        (f"{prefix}rhl-logs {fing} --tail 200'", 1)
    ], log


def test_doctor_of_an_ro_instance_of_the_stage_is_one_round(project: Project) -> None:
    """With --stage, the other instances of that stage (an ``ro`` hashserver on the same
    directory) are only known from the rows too: the templates name them as well."""
    project.start("hashserver", "--mode", "ro", "--stage", "fing")
    ro = "hashserver-remote-ro-myproj--STAGE-fing"
    count = round_trips(project, "seamless-service-doctor", "--service", "hashserver", "--stage", "fing")
    assert count == 1, count
    document = json.loads(
        project.ok("seamless-service-doctor", "--service", "hashserver", "--stage", "fing", "--json").stdout
    )
    checks = {c["id"]: c for c in document["checks"]}
    assert document["selection"]["keys"] == [f"{HS}--STAGE-fing", ro]
    prefix = "ssh rhltest-svc 'PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH "
    (running,) = [f for f in checks["services"]["findings"] if f["subject"] == ro]
    assert running["verdict"] == "ok" and "answers its handshake" in running["message"], running
    assert [e["command"] for e in running["evidence"][1:]] == [
        f"{prefix}rhl-verify-port --key {ro}'",
        f"{prefix}rhl-handshake --key {ro} --path /healthcheck'",
    ]
    assert [f["subject"] for f in checks["logs"]["findings"]] == [f"{HS}--STAGE-fing", ro]


def test_a_0_4_5_server_gets_the_revealed_instances_checked_one_call_per_helper(
    sshd_isolated: SSHD, tmp_path: pathlib.Path, reference_bin: pathlib.Path
) -> None:
    """No rhl-batch there: the templates are not sent; the other stage's instance is still
    checked, with the calls 0.4.5 has (HOST PORT, URL), one call per helper."""
    project = Project(tmp_path, sshd_isolated)
    project.start("hashserver")
    project.start("hashserver", "--stage", "fing")
    sshd_isolated.set_key_options("svc", None, path=f"{reference_bin}:/usr/local/bin:/usr/bin:/bin")
    extra, log = _logging_ssh(sshd_isolated, tmp_path)
    env = dict(project.env, **extra, RHL_CONTROL_DIR=str(tmp_path / "cm"))
    result = project.run("seamless-service-doctor", "--service", "hashserver", "--json", env=env)
    document = json.loads(result.stdout)
    fing = f"{HS}--STAGE-fing"
    (check,) = [c for c in document["checks"] if c["id"] == "services"]
    (found,) = [f for f in check["findings"] if f["subject"] == fing]
    port = project.server_state(fing)["port"]
    assert f"port {port} accepts connections and answers its handshake" in found["message"], found
    sent = log.read_text()
    assert sent.count(" rhl-batch ") == 1 and "--each" in sent, sent  # tried once, never again
    assert f"rhl-verify-port 127.0.0.1 {port}" in sent and f"rhl-logs {fing} --tail 200" in sent, sent


def test_doctor_of_services_that_do_not_run_is_one_round(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> None:
    """Nothing runs: no port, handshake or runtime to ask; the log tails and data walks of the
    resolved services rode in the first batch. One round trip."""
    project = Project(tmp_path, sshd_isolated)
    project.start("hashserver")
    project.ok("seamless-service-stop", "--service", "hashserver")
    assert round_trips(project, "seamless-service-doctor", "--service", "hashserver", expect_rc=1) == 1
    document = json.loads(project.run("seamless-service-doctor", "--service", "hashserver", "--json").stdout)
    (logs,) = [c for c in document["checks"] if c["id"] == "logs"]
    assert [f["subject"] for f in logs["findings"]] == [HS]
    assert round_trips(project, "seamless-service-doctor", "--service", "database", expect_rc=0) == 1


def _blackhole() -> socket.socket:
    """A listening socket that never answers: ssh connects, then waits for a banner that
    never comes, until its connect timeout (what a hung or firewalled host looks like)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def test_dead_host_costs_its_connect_timeout_and_one_row(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> None:
    project = Project(tmp_path, sshd_isolated)
    project.start("hashserver")
    with _blackhole() as hole:
        # An ssh wrapper whose config knows one more alias, ahead of the fixture's `Host *`.
        config = tmp_path / "ssh_config"
        config.write_text(
            f"Host rhltest-dead\n  HostName 127.0.0.1\n  Port {hole.getsockname()[1]}\n  User svc\n"
            + sshd_isolated.ssh_config.read_text()
        )
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        (bin_dir / "ssh").write_text(f'#!/bin/sh\nexec /usr/bin/ssh -F {config} "$@"\n')
        (bin_dir / "ssh").chmod(0o755)
        dead = dict(project.remote_cluster(), frontends=[dict(project.remote_cluster()["frontends"][0])])
        dead["frontends"][0]["ssh_hostname"] = "rhltest-dead"
        project.clusters["dead"] = dead
        project.write_clusters()
        env = dict(project.env, PATH=f"{bin_dir}:{project.env['PATH']}", RHL_SSH_CONNECT_TIMEOUT="3")

        def ps(*extra: str) -> tuple[float, str, int]:
            start = time.monotonic()
            result = project.run("seamless-service-ps", *extra, env=env)
            return time.monotonic() - start, result.stdout, result.returncode

        alive_time, _out, rc = ps("--cluster", "remote")
        assert rc == 0
        took, out, rc = ps("--all-clusters", "--persistent", "--json")
        assert rc == 255, out
        rows = [json.loads(line) for line in out.splitlines()]
        unreachable = [r for r in rows if r["process"] == "unreachable"]
        assert [(r["cluster"], r["host"]) for r in unreachable] == [("dead", "rhltest-dead")], rows
        assert [r["key"] for r in rows if r["process"] == "running"] == [HS]
        # The dead host's 3 s connect timeout, side by side with the live host: not more.
        assert took < alive_time + 3 + 2.0, (took, alive_time)


def _logging_ssh(sshd: SSHD, tmp_path: pathlib.Path) -> tuple[dict[str, str], pathlib.Path]:
    """PATH with an ssh that records the remote command text (its last word) of every call."""
    log = tmp_path / "sent.log"
    bin_dir = tmp_path / "logbin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text(
        '#!/bin/sh\nfor last; do :; done\nprintf "%s\\n" "$last" >> ' + str(log) + "\n"
        f'exec {sshd.bin_dir / "ssh"} "$@"\n'
    )
    (bin_dir / "ssh").chmod(0o755)
    return {"PATH": f"{bin_dir}:{sshd.env()['PATH']}"}, log


def _helpers_sent(log: pathlib.Path) -> list[str]:
    """The helper of each remote command (the word after the PATH prepend)."""
    from remote_http_launcher.transport import PATH_PREPEND

    lines = log.read_text().splitlines() if log.exists() else []
    return [line[len(PATH_PREPEND) + 1 :].split(" ", 1)[0] for line in lines if line.startswith(PATH_PREPEND)]


def _ps_server_persistent(sshd: SSHD, tmp_path: pathlib.Path) -> list[str]:
    """``ps --server --persistent --json`` of a project whose buffer directory holds data:
    checks the hashserver row says ``populated`` and returns the helpers ssh carried."""
    from test_doctor import remote_file

    project = Project(tmp_path, sshd)
    remote_file(project, "buffers/myproj/.HASHSERVER_PREFIX", "1")
    remote_file(project, "buffers/myproj/ab/ab12", "project buffer")
    extra, log = _logging_ssh(sshd, tmp_path)
    result = project.run(
        "seamless-service-ps", "--server", "--persistent", "--json", env=dict(project.env, **extra)
    )
    assert result.returncode == 0, result
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["service"], r["project"], r["persistent"]) for r in rows if r["service"] == "hashserver"] == [
        ("hashserver", "myproj", "populated")
    ]
    return _helpers_sent(log)


def test_one_batch_per_host_on_our_server(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> None:
    assert _ps_server_persistent(sshd_isolated, tmp_path) == ["rhl-batch"]


def test_a_0_4_5_server_gets_one_call_per_helper(
    sshd_isolated: SSHD, tmp_path: pathlib.Path, reference_bin: pathlib.Path
) -> None:
    """remote-http-launcher 0.4.5 has no rhl-batch: the first batch fails (127), and every
    later call of the command goes one helper at a time, without trying a batch again."""
    sshd_isolated.set_key_options("svc", None, path=f"{reference_bin}:/usr/local/bin:/usr/bin:/bin")
    sent = _ps_server_persistent(sshd_isolated, tmp_path)
    assert sent[0] == "rhl-batch" and sent.count("rhl-batch") == 1, sent
    assert sent[1:].count("rhl-ps") == 1 and "rhl-ps-persistent" in sent[1:], sent


def _legacy_state(project: Project, key: str) -> None:
    """A state file without meta, as remote-http-launcher 0.4.5 wrote them (its process gone)."""
    from test_doctor import remote_file

    state = {"status": "running", "pid": 999999, "port": 1, "workdir": str(project.remote_home / "legacy")}
    remote_file(project, f".remote-http-launcher/server/{key}.json", json.dumps(state))


def test_a_state_file_without_meta_is_still_selected_by_its_key(
    sshd_isolated: SSHD, tmp_path: pathlib.Path
) -> None:
    """rhl-stop --meta-cluster picks only state files whose meta names service and cluster;
    the client's own rule also parses keys: such a key costs one more call, naming it."""
    project = Project(tmp_path, sshd_isolated)
    project.start("hashserver")
    legacy = "hashserver-remote-rw-legacy"
    _legacy_state(project, legacy)
    assert project.sshd is not None
    before = sessions(project.sshd)
    stopped = project.run("seamless-service-stop", "--cluster", "remote")
    assert stopped.returncode == 0, stopped
    assert sorted(stopped.stdout.splitlines()) == [f"{legacy}: already gone", f"{HS}: stopped"]
    assert sessions(project.sshd) - before == 2
    # The other project's legacy service is not of this selection: one round.
    before = sessions(project.sshd)
    removed = project.run("seamless-service-rm", "--cluster", "remote", "--project", "myproj")
    assert removed.returncode == 0, removed
    assert removed.stdout.splitlines() == [
        f"removed {project.remote_home}/.remote-http-launcher/server/{HS}.json",
        f"removed {project.state}/client/{HS}.json",
    ]
    assert sessions(project.sshd) - before == 1
    assert (project.remote_home / ".remote-http-launcher" / "server" / f"{legacy}.json").exists()


def test_clear_names_every_service_in_its_way_in_one_round(project: Project) -> None:
    project.start("hashserver", "--mode", "ro")  # the same directory as the rw instance
    assert project.sshd is not None
    before = sessions(project.sshd)
    refused = project.run("seamless-service-clear", "--service", "hashserver")
    assert sessions(project.sshd) - before == 1
    assert (refused.returncode, refused.stdout) == (1, ""), refused
    ro = "hashserver-remote-ro-myproj"
    assert refused.stderr == (
        f"seamless-service-clear: ~/buffers/myproj is in use by running service(s) {ro}, {HS}: "
        "stop them first (seamless-service-stop), or pass --force\n"
    )


def test_a_0_4_5_server_stops_and_removes_a_cluster_one_call_per_helper(
    sshd_isolated: SSHD, tmp_path: pathlib.Path, reference_bin: pathlib.Path
) -> None:
    """No rhl-batch there: rhl-ps alone, then rhl-stop/rhl-rm naming the keys (the --meta-*
    call is never sent to a host that cannot run it)."""
    project = Project(tmp_path, sshd_isolated)
    project.start("hashserver")
    pid = project.server_state(HS)["pid"]
    sshd_isolated.set_key_options("svc", None, path=f"{reference_bin}:/usr/local/bin:/usr/bin:/bin")
    extra, log = _logging_ssh(sshd_isolated, tmp_path)
    # A master connection of its own: the start's (still up) has the old PATH.
    env = dict(project.env, **extra, RHL_CONTROL_DIR=str(tmp_path / "cm"))
    stopped = project.run("seamless-service-stop", "--cluster", "remote", env=env)
    assert (stopped.returncode, stopped.stdout) == (0, f"{HS}: stopped\n"), stopped
    assert _helpers_sent(log) == ["rhl-batch", "rhl-ps", "rhl-stop"]
    # "stopped": gone (a zombie its supervisor has not reaped yet is gone too).
    assert wait_gone(pid, timeout=10), pid
    log.unlink()
    removed = project.run("seamless-service-rm", "--cluster", "remote", env=env)
    assert removed.returncode == 0, removed
    assert (
        f"removed {project.remote_home}/.remote-http-launcher/server/{HS}.json" in removed.stdout.splitlines()
    )
    assert _helpers_sent(log) == ["rhl-batch", "rhl-ps", "rhl-rm"]
    alone = [line for line in log.read_text().splitlines() if " rhl-batch " not in line]
    assert len(alone) == 2 and not any("--meta-" in line for line in alone), alone


@pytest.fixture
def not_found_server() -> Iterator[int]:
    """An HTTP server on this machine (the test frontend's too) that answers 404 to all."""
    with serve(lambda _path: (404, {})) as port:
        yield port


@pytest.mark.parametrize("guarded", [False, True], ids=["plain", "guarded"])
def test_doctor_finds_a_dead_port_and_a_failed_handshake_in_one_round(
    sshd_isolated: SSHD, tmp_path: pathlib.Path, not_found_server: int, guarded: bool
) -> None:
    """The key forms ride the first batch and answer what the HOST PORT / URL forms did: a
    running service (its PID alive) whose recorded port does not answer, then one whose port
    answers but not its handshake, is a problem, found in one round trip."""
    from test_doctor import remote_file

    if guarded:
        sshd_isolated.set_key_options("svc", GUARD_OPTIONS.format(guard=sshd_isolated.svc_venv / "rhl-guard"))
    project = Project(tmp_path, sshd_isolated)
    project.start("database")
    state = project.server_state(DB)
    path = f".remote-http-launcher/server/{DB}.json"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = int(sock.getsockname()[1])
    prefix = "ssh rhltest-svc 'PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH "
    expected = [
        (
            closed,
            f"port {closed} does not accept connections",
            1,
            f"rhl-verify-port: could not connect to 127.0.0.1:{closed}: ",
        ),
        (
            not_found_server,
            f"port {not_found_server} accepts connections but the handshake failed: "
            "rhl-handshake: HTTP Error 404: Not Found",
            2,
            "rhl-handshake: HTTP Error 404: Not Found",
        ),
    ]
    try:
        for port, message, rc, output in expected:
            remote_file(project, path, json.dumps({**state, "port": port, "network_interface": "127.0.0.1"}))
            assert round_trips(project, "seamless-service-doctor", "--service", "database", expect_rc=2) == 1
            document = json.loads(
                project.run("seamless-service-doctor", "--service", "database", "--json").stdout
            )
            (check,) = [c for c in document["checks"] if c["id"] == "services"]
            (finding,) = [f for f in check["findings"] if f["subject"] == DB]
            assert finding["verdict"] == "problem" and message in finding["message"], finding
            last = finding["evidence"][-1]
            helper = "rhl-verify-port --key" if rc == 1 else "rhl-handshake --key"
            assert last["command"].startswith(f"{prefix}{helper} {DB}"), last
            assert (last["exit_code"], last["excerpt"].startswith(output)) == (rc, True), last
    finally:
        remote_file(project, path, json.dumps(state))
