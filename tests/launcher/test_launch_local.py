"""The launcher on this machine: launch, reuse, failures, races, recovery, dry run, errors.

Every test drives the installed ``remote-http-launcher`` command (or the Python API) against
real services: ``rhl-example-service`` (the status-file protocol with failure switches) and
the real ``hashserver`` and ``seamless-database`` from PyPI.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import stat
import subprocess
import time
import urllib.request

import pytest

from conftest import RhlEnv, find_command, group_pids, pid_exists, wait_gone


def write_config(rhl: RhlEnv, name: str, key: str, *service_args: str, **fields: object) -> pathlib.Path:
    config = {
        "workdir": str(rhl.tmp / "work" / key.replace("{", "").replace("}", "")),
        "key": key,
        "command": " ".join(["rhl-example-service --status-file {status_file}", *service_args]),
        **fields,
    }
    path = rhl.tmp / f"{name}.yaml"
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


def launcher(rhl: RhlEnv, *args: str, timeout: float = 90) -> tuple[int, str, str]:
    result = rhl.run("remote-http-launcher", *args, timeout=timeout)
    return result.returncode, result.stdout, result.stderr


def get(url: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:
        return int(response.status)


def test_fresh_launch_writes_private_client_file_after_handshake(rhl: RhlEnv) -> None:
    config = write_config(rhl, "c", "svc1", handshake="/")
    rc, out, err = launcher(rhl, str(config), "--json")
    assert rc == 0, err
    payload = json.loads(out)
    assert payload == {"hostname": "localhost", "port": payload["port"]}
    client_file = rhl.client / "svc1.json"
    assert json.loads(client_file.read_text()) == payload
    assert stat.S_IMODE(client_file.stat().st_mode) == 0o600
    server = rhl.read_server("svc1")
    assert server["status"] == "running" and server["port"] == payload["port"]
    assert "done: launched" in err
    assert get(f"http://localhost:{payload['port']}/") == 200


def test_reuse_local_then_remote_then_stale(rhl: RhlEnv) -> None:
    config = write_config(rhl, "c", "svc2", handshake="/")
    assert launcher(rhl, str(config))[0] == 0
    pid = rhl.read_server("svc2")["pid"]
    rc, _out, err = launcher(rhl, str(config))
    assert rc == 0 and "done: reused-local" in err and "connect" not in err
    (rhl.client / "svc2.json").unlink()
    rc, _out, err = launcher(rhl, str(config))
    assert rc == 0 and "done: reused-remote" in err
    assert rhl.read_server("svc2")["pid"] == pid
    # A client file marked stale (seamless-service-stop does this) is not reused.
    data = json.loads((rhl.client / "svc2.json").read_text())
    rhl.write_client("svc2", {**data, "status": "stale"})
    rc, _out, err = launcher(rhl, str(config))
    assert rc == 0 and "local_check: stale" in err and "done: reused-remote" in err


def test_stopped_service_is_relaunched(rhl: RhlEnv) -> None:
    config = write_config(rhl, "c", "svc3", handshake="/")
    assert launcher(rhl, str(config))[0] == 0
    old = rhl.read_server("svc3")["pid"]
    assert rhl.run("rhl-stop", "svc3").returncode == 0
    rc, _out, err = launcher(rhl, str(config))
    assert rc == 0, err
    assert "local_check: stale" in err and "done: launched" in err
    new = rhl.read_server("svc3")
    assert new["pid"] != old and new["status"] == "running"
    assert (rhl.server / "svc3.log.1").exists()  # the previous log is kept


def test_without_handshake_any_http_answer_counts(rhl: RhlEnv) -> None:
    config = write_config(rhl, "c", "svc4")
    rc, out, err = launcher(rhl, str(config), "--json")
    assert rc == 0, err
    assert get(f"http://localhost:{json.loads(out)['port']}/") == 200
    rc, _out, err = launcher(rhl, str(config))
    assert rc == 0 and "reused-local" in err


@pytest.mark.parametrize(
    ("switch", "reason"),
    [
        ("--fail", "the service reported that it failed"),
        ("--exit-before-ready", "the service exited with code 3 before it was ready"),
    ],
)
def test_failed_start_is_reported_with_log_and_no_client_file(rhl: RhlEnv, switch: str, reason: str) -> None:
    config = write_config(rhl, "c", "bad", switch, handshake="/")
    started = time.monotonic()
    rc, out, err = launcher(rhl, str(config))
    assert time.monotonic() - started < 10  # seen at once, not after 10 s of silence
    assert rc == 1 and out == ""
    assert f"error: service bad did not become ready on localhost: {reason}" in err
    assert "last lines of the service log:" in err and "rhl-example-service: starting" in err
    assert not (rhl.client / "bad.json").exists()
    server = rhl.read_server("bad")
    assert server["status"] == "failed" and server["failure"] == reason
    assert not pid_exists(server["pid"])


def test_hanging_start_is_stopped_with_its_children(rhl: RhlEnv) -> None:
    config = write_config(rhl, "c", "hang", "--hang", "--children", "2", handshake="/")
    rc, _out, err = launcher(rhl, str(config), "--idle-timeout", "1")
    assert rc == 1
    assert "no progress (state file and log unchanged) for 1 s" in err
    server = rhl.read_server("hang")
    assert server["status"] == "failed"
    assert wait_gone(server["pid"]) and group_pids(server["pgid"]) == []


def test_service_that_crashes_after_ready_is_relaunched_next_time(rhl: RhlEnv) -> None:
    config = write_config(rhl, "c", "crash", "--crash-after", "0.3", handshake="/")
    assert launcher(rhl, str(config))[0] == 0
    first = rhl.read_server("crash")["pid"]
    assert wait_gone(first)
    rc, _out, err = launcher(rhl, str(config))
    assert rc == 0, err
    assert "local_check: stale" in err and "done: launched" in err


def test_concurrent_launches_start_one_service(rhl: RhlEnv) -> None:
    config = write_config(rhl, "c", "race", "--ready-delay", "0.5", handshake="/")
    command = [find_command("remote-http-launcher"), str(config), "--json"]
    procs = [
        subprocess.Popen(command, env=rhl.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    answers = []
    for proc in procs:
        out, err = proc.communicate(timeout=90)
        assert proc.returncode == 0, err
        answers.append(json.loads(out))
    assert len({a["port"] for a in answers}) == 1
    server = rhl.read_server("race")
    assert server["port"] == answers[0]["port"]
    launched = [
        line for line in (rhl.server / "race.log").read_text().splitlines() if "starting (pid" in line
    ]
    assert len(launched) == 1 and not (rhl.server / "race.log.1").exists()


def test_launcher_killed_mid_launch_then_relaunch_recovers(rhl: RhlEnv) -> None:
    config = write_config(rhl, "c", "killed", "--ready-delay", "2", handshake="/")
    proc = subprocess.Popen(
        [find_command("remote-http-launcher"), str(config)],
        env=rhl.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    rhl.wait_status("killed", "starting", timeout=30)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    rc, out, err = launcher(rhl, str(config), "--json")
    assert rc == 0, err
    server = rhl.read_server("killed")
    assert server["status"] == "running" and json.loads(out)["port"] == server["port"]
    starts = [
        line for line in (rhl.server / "killed.log").read_text().splitlines() if "starting (pid" in line
    ]
    assert len(starts) == 1  # the service started by the killed launcher was adopted, not duplicated


def test_dry_run_prints_command_and_touches_nothing(rhl: RhlEnv) -> None:
    config = write_config(rhl, "c", "dry", "--port-range", "7000", "7010")
    rc, out, err = launcher(rhl, str(config), "--dry-run")
    assert rc == 0, err
    assert out == f"rhl-example-service --status-file {rhl.server / 'dry.json'} --port-range 7000 7010\n"
    assert not rhl.server.exists() and not rhl.client.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("workdir: [1]\nkey: k\ncommand: x\n", "workdir"),
        ("- a list\n", "mapping"),
        ("workdir: /tmp/x\nkey: 'bad key'\ncommand: x\n", "key"),
        ("workdir: /tmp/x\nkey: k\ncommand: x\ntunnel: true\n", "tunnel"),
        ("workdir: /tmp/x\nkey: '{x.__class__}'\ncommand: x\nx: 1\n", "key"),
    ],
)
def test_invalid_config_is_one_line_exit_2(rhl: RhlEnv, content: str, message: str) -> None:
    path = rhl.tmp / "bad.yaml"
    path.write_text(content)
    rc, out, err = launcher(rhl, str(path))
    assert rc == 2 and out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"remote-http-launcher: invalid configuration {path}: ") and message in err


def test_missing_config_file_is_one_line_exit_2(rhl: RhlEnv) -> None:
    rc, _out, err = launcher(rhl, str(rhl.tmp / "nope.yaml"))
    assert rc == 2 and len(err.splitlines()) == 1 and "nope.yaml" in err


def test_python_api_run_and_key(rhl: RhlEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in rhl.env.items():
        monkeypatch.setenv(name, value)
    from remote_http_launcher import Configuration, LauncherError, run

    config = json.loads(
        write_config(rhl, "c", "api-{x}", x="one", handshake="/", workdir=str(rhl.tmp / "w")).read_text()
    )
    assert Configuration.from_mapping(config).key == "api-one"
    payload = run(config, connection_dir=str(rhl.tmp / "conn"))
    assert payload["hostname"] == "localhost" and isinstance(payload["port"], int)
    assert json.loads((rhl.tmp / "conn" / "api-one.json").read_text()) == payload
    bad = {**config, "key": "api-bad", "command": "rhl-example-service --status-file {status_file} --fail"}
    with pytest.raises(LauncherError, match="did not become ready"):
        run(bad, connection_dir=str(rhl.tmp / "conn"))
    assert isinstance(LauncherError("x"), RuntimeError)


def test_real_hashserver_and_database(rhl: RhlEnv) -> None:
    hashserver = write_config(
        rhl, "hs", "hashserver-local-rw-p", handshake="healthcheck", network_interface="127.0.0.1"
    )
    data = json.loads(hashserver.read_text())
    data["command"] = (
        "hashserver --status-file {status_file} --host 127.0.0.1 --timeout 600 {workdir} --writable"
    )
    hashserver.write_text(json.dumps(data))
    database = rhl.tmp / "db.yaml"
    database.write_text(
        json.dumps(
            {
                "workdir": str(rhl.tmp / "db"),
                "key": "database-local-rw-p",
                "network_interface": "127.0.0.1",
                "command": "seamless-database --status-file {status_file} --host 127.0.0.1 --timeout 600 "
                "--writable {workdir}/seamless.db",
                "handshake": "healthcheck",
            }
        )
    )
    tools = rhl.tmp / "tools-real.yaml"
    tools.write_text(
        'hashserver:\n  command_template: "hashserver {x}"\n'
        'database:\n  command_template: "seamless-database {x}"\n'
    )
    for config in (hashserver, database):
        result = rhl.run("remote-http-launcher", str(config), "--json", env={"RHL_TOOLS_YAML": str(tools)})
        assert result.returncode == 0, result.stderr
        payload = json.loads(result.stdout)
        assert payload["hostname"] == "127.0.0.1"
        assert get(f"http://127.0.0.1:{payload['port']}/healthcheck") == 200
    assert (rhl.tmp / "db" / "seamless.db").exists()


def test_terminal_shows_a_live_progress_line(rhl: RhlEnv) -> None:
    """On a terminal: one line rewritten in place, naming the phase and the time waited."""
    import pty

    config = write_config(rhl, "c", "tty", "--ready-delay", "1.0", handshake="/")
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [find_command("remote-http-launcher"), str(config)],
        env=rhl.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the launcher closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(60) == 0
    screen = b"".join(chunks).decode()
    assert "\r\x1b[K  tty: wait (" in screen  # the live line, redrawn in place
    assert screen.rstrip().endswith(")") and "  tty: launched (" in screen
    assert "wait_for_start" not in screen  # no log lines on a terminal at the basic level


def test_unusable_connection_dir_is_one_clear_error(rhl: RhlEnv) -> None:
    config = write_config(rhl, "c", "nodir", handshake="/")
    blocker = rhl.tmp / "a-file"
    blocker.write_text("")
    rc, out, err = launcher(rhl, str(config), "--connection-dir", str(blocker / "sub"))
    assert rc == 1 and out == ""
    assert err.splitlines()[-1].endswith(
        f"error: cannot use connection directory {blocker / 'sub'}: Not a directory"
    )
    assert "Traceback" not in err and not rhl.server.exists()  # refused before anything was launched


def test_await_options_without_await_are_a_usage_error(rhl: RhlEnv) -> None:
    result = rhl.run(
        "rhl-launch-service", "--key", "k", "--workdir", str(rhl.tmp / "w"), "--handshake", "/", "--",
        "rhl-example-service", "--status-file", str(rhl.server / "k.json"),
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (
        2,
        "rhl-launch-service: --handshake, --handshake-port-name, --timeout and --progress need --await\n",
    )
    assert not (rhl.server / "k.json").exists()
