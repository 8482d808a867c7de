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
    # Acting on a cluster's services: which keys is only known from the host's rows, so
    # rhl-ps first, then rhl-stop: two rounds by nature.
    assert round_trips(project, "seamless-service-stop", "--cluster", "remote", "--stage", "fing") == 2
    # clear: rhl-clear checks that no running service uses the directory by itself: one call.
    assert round_trips(project, "seamless-service-clear", "--service", "hashserver", "--stage", "fing") == 1
    # Refused (the hashserver runs there): then rhl-ps names every service in the way.
    assert round_trips(project, "seamless-service-clear", "--service", "hashserver", expect_rc=1) == 2
    rows = table(project.ok("seamless-service-ps", "--server").stdout)
    assert sorted((r[0], r[2], r[3]) for r in rows[1:]) == [
        ("hashserver", "-", "running"),
        ("hashserver", "fing", "stale"),
    ]


def test_doctor_round_trips(project: Project) -> None:
    """The doctor: the guard probe (a shell comment, which no batch can carry), one batch of
    rhl-ps, and one batch of everything it then knows to ask (ports, handshakes, log tails,
    persistent walks); a host without a guard adds the PATH probe (no prepend)."""
    count = round_trips(project, "seamless-service-doctor", "--service", "hashserver", expect_rc=0)
    assert count <= (3 if project.guarded else 4), count


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


def test_one_batch_per_host_on_our_server(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> None:
    from test_doctor import remote_file

    project = Project(tmp_path, sshd_isolated)
    remote_file(project, "buffers/myproj/.HASHSERVER_PREFIX", "1")
    remote_file(project, "buffers/myproj/ab/ab12", "project buffer")
    extra, log = _logging_ssh(sshd_isolated, tmp_path)
    result = project.run(
        "seamless-service-ps", "--server", "--persistent", "--json", env=dict(project.env, **extra)
    )
    assert result.returncode == 0, result
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["service"], r["project"], r["persistent"]) for r in rows if r["service"] == "hashserver"] == [
        ("hashserver", "myproj", "populated")
    ]
    assert _helpers_sent(log) == ["rhl-batch"]


def test_a_0_4_5_server_gets_one_call_per_helper(
    sshd_isolated: SSHD, tmp_path: pathlib.Path, reference_bin: pathlib.Path
) -> None:
    """remote-http-launcher 0.4.5 has no rhl-batch: the first batch fails (127), and every
    later call of the command goes one helper at a time, without trying a batch again."""
    from test_doctor import remote_file

    project = Project(tmp_path, sshd_isolated)
    sshd_isolated.set_key_options("svc", None, path=f"{reference_bin}:/usr/local/bin:/usr/bin:/bin")
    remote_file(project, "buffers/myproj/.HASHSERVER_PREFIX", "1")
    remote_file(project, "buffers/myproj/ab/ab12", "project buffer")
    extra, log = _logging_ssh(sshd_isolated, tmp_path)
    result = project.run(
        "seamless-service-ps", "--server", "--persistent", "--json", env=dict(project.env, **extra)
    )
    assert result.returncode == 0, result
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["service"], r["project"], r["persistent"]) for r in rows if r["service"] == "hashserver"] == [
        ("hashserver", "myproj", "populated")
    ]
    sent = _helpers_sent(log)
    assert sent[0] == "rhl-batch" and sent.count("rhl-batch") == 1, sent
    assert sent[1:].count("rhl-ps") == 1 and "rhl-ps-persistent" in sent[1:], sent
