"""Host handling: the local cluster runs without SSH, an unreachable host does not hide the
others, every frontend of a cluster is visited, and --all-clusters is best-effort."""

from __future__ import annotations

import json
import pathlib

import pytest
from project_support import Project, table

from conftest import Result, wait_gone
from sshd_support import SSHD

HEADER = ["SERVICE", "PROJECT", "STAGE", "PROCESS", "PORT", "PERSISTENT", "SIZE"]


def test_local_cluster_without_ssh(tmp_path: pathlib.Path) -> None:
    project = Project(tmp_path)  # profile selects the local cluster 'here'
    env_path = project.env["PATH"]
    project.env["PATH"] = "/nonexistent-ssh-free:" + env_path  # no ssh needed; it is not called
    hs = project.start("hashserver")
    key = "hashserver-here-rw-myproj"
    assert hs["key"] == key
    # The client view: this machine's connection file.
    rows = table(project.ok("seamless-service-ps").stdout)
    assert rows == [HEADER, ["hashserver", "myproj", "-", "client", str(hs["port"]), "-", "-"]]
    # The cluster view: the server state here, plus persistent data.
    rows = table(project.ok("seamless-service-ps", "--cluster", "here").stdout)
    assert rows[0] == HEADER
    assert rows[1][:6] == ["hashserver", "myproj", "-", "running", str(hs["port"]), "empty"]
    state = project.server_state(key, remote=False)
    assert state["workdir"] == str(project.local_buffers / "myproj")
    # rm refuses the state of a running service, and then keeps the client side too.
    refused = project.run("seamless-service-rm", "--service", "hashserver")
    assert refused.returncode == 1 and refused.stdout == ""
    assert (project.state / "server" / f"{key}.json").exists() and (
        project.state / "client" / f"{key}.json"
    ).exists()
    assert refused.stderr.splitlines()[-1] == (
        "seamless-service-rm: the client connection file was kept (the server side was not removed)"
    )
    stopped = project.ok("seamless-service-stop", "--service", "hashserver")
    assert stopped.stdout == f"{key}: stopped\n"
    assert wait_gone(state["pid"])
    rows = table(project.ok("seamless-service-ps").stdout)
    assert rows[1][:4] == ["hashserver", "myproj", "-", "stale"]
    removed = project.ok("seamless-service-rm", "--service", "hashserver")
    assert sorted(removed.stdout.splitlines()) == [
        f"removed {project.state}/client/{key}.json",
        f"removed {project.state}/server/{key}.json",
    ]
    cleared = project.ok("seamless-service-clear", "--service", "hashserver")
    assert cleared.stdout.endswith(f"from {project.local_buffers / 'myproj'}\n")
    assert project.ok("seamless-service-ps").stdout == " ".join(HEADER) + "\n"


def test_unreachable_frontend_marks_its_rows_and_the_rest_is_shown(
    sshd_isolated: SSHD, tmp_path: pathlib.Path
) -> None:
    project = Project(tmp_path, sshd_isolated)
    remote = project.clusters["remote"]
    remote["frontends"][0].pop("database")
    # A second frontend that cannot be reached (no such account: ssh exits 255, as for a dead host).
    remote["frontends"].append(
        {
            "hostname": "db.invalid",
            "ssh_hostname": "ghost@nowhere.invalid",
            "database": {"database_dir": "/srv/db"},
        }
    )
    project.clusters["far"] = {
        "frontends": [
            {
                "hostname": "far.invalid",
                "ssh_hostname": "ghost@far.invalid",
                "hashserver": {"bufferdir": "/srv/b"},
            }
        ]
    }
    project.write_clusters()
    hs = project.start("hashserver")

    result = project.run("seamless-service-ps", "--server")
    assert result.returncode == 255
    rows = table(result.stdout)
    assert rows == [
        HEADER,
        ["hashserver", "myproj", "-", "running", str(hs["port"]), "-", "-"],
        ["-", "-", "-", "unreachable", "-", "-", "-"],
    ]
    assert result.stderr.startswith(
        "seamless-service-ps: ghost@nowhere.invalid: cannot reach ghost@nowhere.invalid over SSH"
    )
    assert result.stderr.count("\n") == 1
    wide = table(project.run("seamless-service-ps", "--server", "--wide").stdout)
    assert wide[0] == [
        "CLUSTER",
        "SERVICE",
        "MODE",
        "PROJECT",
        "STAGE",
        "SUBSTAGE",
        "PROCESS",
        "PORT",
        "PERSISTENT",
        "SIZE",
        "HOST",
        "KEY",
    ]
    assert [
        "remote",
        "-",
        "-",
        "-",
        "-",
        "-",
        "unreachable",
        "-",
        "-",
        "-",
        "ghost@nowhere.invalid",
        "-",
    ] in wide

    # --all-clusters: every cluster, a CLUSTER column, the unreachable ones marked.
    result = project.run("seamless-service-ps", "--all-clusters")
    assert result.returncode == 255
    rows = table(result.stdout)
    assert rows[0] == ["CLUSTER", *HEADER]
    assert ["remote", "hashserver", "myproj", "-", "running", str(hs["port"]), "-", "-"] in rows
    assert ["far", "-", "-", "-", "unreachable", "-", "-", "-"] in rows
    assert ["remote", "-", "-", "-", "unreachable", "-", "-", "-"] in rows

    # Per-service commands go to the frontend of that service; the database's is down.
    result = project.run("seamless-service-stop", "--service", "database")
    assert result.returncode == 255
    assert result.stderr.startswith("seamless-service-stop: cannot reach ghost@nowhere.invalid over SSH")
    # Cluster-wide stop is best effort: the reachable frontend's services are stopped, the
    # dead one is reported, and the exit code says something was left undone.
    result = project.run("seamless-service-stop", "--cluster", "remote")
    assert result.returncode == 255
    assert result.stdout == "hashserver-remote-rw-myproj: stopped\n"
    assert result.stderr.startswith("seamless-service-stop: cannot reach ghost@nowhere.invalid over SSH")
    # --client, --server and --all-clusters exclude each other.
    both = project.run("seamless-service-ps", "--server", "--all-clusters")
    assert (both.returncode, both.stderr) == (
        2,
        "seamless-service-ps: --client, --server and --all-clusters are mutually exclusive\n",
    )


def test_every_frontend_is_visited(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> None:
    """A cluster with two frontends (svc and root): ps and cluster-wide stop cover both."""
    project = Project(tmp_path, sshd_isolated)
    second = dict(project.remote_cluster()["frontends"][0])
    second["ssh_hostname"] = "rhltest-root"
    second["hostname"] = "localhost"
    del second["hashserver"]
    project.clusters["remote"]["frontends"][0].pop("database")
    project.clusters["remote"]["frontends"].append(second)
    project.write_clusters()
    hs = project.start("hashserver")
    db = project.start("database")
    assert (
        sshd_isolated.home("root") / ".remote-http-launcher" / "server" / "database-remote-rw-myproj.json"
    ).exists()
    rows = table(project.ok("seamless-service-ps", "--server", "--wide").stdout)
    hosts = {(r[1], r[10]) for r in rows[1:]}
    assert hosts == {("hashserver", "rhltest-svc"), ("database", "rhltest-root")}
    assert {int(r[7]) for r in rows[1:]} == {hs["port"], db["port"]}
    stopped = project.ok("seamless-service-stop", "--cluster", "remote")
    assert sorted(stopped.stdout.splitlines()) == [
        "database-remote-rw-myproj: stopped",
        "hashserver-remote-rw-myproj: stopped",
    ]


def _timeless(result: Result) -> Result:
    """``result`` without the one field that changes between two identical calls: a row's
    ``uptime`` (seconds since launch) ticks while the three calls run."""
    if not result.stdout.startswith("{"):
        return result
    rows = [{k: v for k, v in row.items() if k != "uptime"} for row in result.json_lines()]
    text = "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)
    return Result(result.returncode, text, result.stderr)


def test_cached_configuration_answers_as_the_files(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> None:
    """One path: ps --server and resolve with the caches warm (parsed YAML, ps's plan) answer
    byte for byte as with no cache at all, and any change to a configuration file is seen at
    once."""
    project = Project(tmp_path, sshd_isolated)
    project.start("hashserver")
    project.start("database", "--stage", "s1")
    no_cache = dict(project.env, XDG_CACHE_HOME=str(tmp_path / "empty-cache"))
    commands = [
        ("seamless-service-ps", "--server"),
        ("seamless-service-ps", "--server", "--json"),
        ("seamless-service-ps", "--server", "--wide", "--service", "database"),
        ("seamless-service-ps", "--cluster", "remote", "--status", "running"),
        ("seamless-service-resolve", "--service", "database", "--cluster", "remote", "--project", "myproj"),
    ]
    cache = project.home / ".cache" / "seamless-config-services"
    for argv in commands:
        warm = [_timeless(project.run(*argv)) for _ in range(2)]
        cold = _timeless(project.run(*argv, env=no_cache))
        assert warm[0] == warm[1] == cold, argv
        assert cold.returncode == 0 and cold.stdout
    # One entry per configuration file read: clusters.yaml, seamless.yaml, the profile.
    assert len(list(cache.glob("yaml-*.marshal"))) == 3

    # A change to the configuration is seen by the next call: the profile now selects 'here'.
    project.write_commands([{"project": "myproj"}], [{"cluster": "here"}])
    assert project.run("seamless-service-ps", "--server").stdout == " ".join(HEADER) + "\n"
    # ... and to the cluster files: the resolved workdir follows a new bufferdir.
    project.clusters["remote"]["frontends"][0]["database"]["database_dir"] = "~/elsewhere"
    project.write_clusters()
    moved = project.run(*commands[-1]).json_lines()[0]
    assert moved["workdir"] == "~/elsewhere/myproj"


def test_logs_follow_streams_until_interrupted(tmp_path: pathlib.Path) -> None:
    import signal
    import subprocess
    import time

    from project_support import get_status

    from conftest import find_command

    project = Project(tmp_path)
    hs = project.start("hashserver")
    follow = subprocess.Popen(
        [find_command("seamless-service-logs"), "--service", "hashserver", "--follow"],
        cwd=project.dir,
        env=project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert follow.stdout is not None
        first = follow.stdout.readline()
        assert first  # the log so far
        assert get_status(hs["port"], "healthcheck") == 200
        deadline = time.monotonic() + 30
        line = ""
        while "GET /healthcheck" not in line and time.monotonic() < deadline:
            line = follow.stdout.readline()
        assert "GET /healthcheck" in line
        follow.send_signal(signal.SIGINT)  # Ctrl-C is how following ends: exit 0, like rhl-logs
        assert follow.wait(timeout=30) == 0
    finally:
        follow.kill()
        follow.wait()
    project.ok("seamless-service-stop", "--service", "hashserver")


def test_python_api_returns_plain_rows(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seamless_config_services import api

    project = Project(tmp_path)
    hs = project.start("hashserver")
    for name in ("HOME", "REMOTE_HTTP_LAUNCHER_DIR"):
        monkeypatch.setenv(name, project.env[name])
    monkeypatch.chdir(project.dir)
    rows = api.status(api.Request(cluster="here"), view="server")
    assert [(r["service"], r["key"], r["process"], r["port"]) for r in rows] == [
        ("hashserver", "hashserver-here-rw-myproj", "running", hs["port"])
    ]
    resolved = api.resolve_json(api.Request(service="hashserver", cluster="here", project="myproj"))
    assert resolved["key"] == "hashserver-here-rw-myproj"
    outcome = api.stop(api.Request(service="hashserver"))
    assert (outcome.lines, outcome.exit_code) == (["hashserver-here-rw-myproj: stopped"], 0)


def test_usage_errors_come_before_the_configuration(tmp_path: pathlib.Path) -> None:
    project = Project(tmp_path)
    (project.dir / "seamless.yaml").write_text("- project: 3\n")  # broken, but never read
    for command in ("seamless-service-stop", "seamless-service-rm"):
        result = project.run(command)
        assert (result.returncode, result.stdout, result.stderr) == (
            2,
            "",
            f"{command}: --service or --cluster is required\n",
        )
    broken = project.run("seamless-service-stop", "--service", "hashserver")
    assert (broken.returncode, broken.stderr) == (
        1,
        f"seamless-service-stop: {project.dir}/seamless.yaml: project: expected a string, got 3\n",
    )
