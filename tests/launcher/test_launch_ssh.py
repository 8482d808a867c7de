"""The launcher over a real OpenSSH sshd on 127.0.0.1, as root and as the non-root ``svc``.

Real ``hashserver`` on the remote side, real tunnels, real multiplexing; plus the failure
paths (unreachable host, helpers missing) and both directions of compatibility with
remote-http-launcher 0.4.5.
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import time
import urllib.request
from typing import Any

import pytest

from conftest import Result, find_command
from sshd_support import SSHD

HASHSERVER = "hashserver --status-file {status_file} --host {network_interface} --timeout 600 {workdir}"


class Client:
    """The client side of one test: its own state dir and the ssh wrapper on PATH."""

    def __init__(self, sshd: SSHD, tmp: pathlib.Path, launcher_bin: str | None = None) -> None:
        self.sshd = sshd
        self.tmp = tmp
        self.base = tmp / "client-state"
        self.env = sshd.env(
            extra_path=[launcher_bin or str(pathlib.Path(find_command("remote-http-launcher")).parent)],
            REMOTE_HTTP_LAUNCHER_DIR=str(self.base),
            RHL_CONTROL_DIR=str(sshd.dir / "cm"),
        )
        self.env.pop("RHL_TOOLS_YAML", None)
        self.launcher_bin = launcher_bin

    def config(self, name: str, user: str, **fields: Any) -> pathlib.Path:
        config = {
            "workdir": str(self.sshd.home(user) / "buffers" / name),
            "key": f"{name}",
            "hostname": "127.0.0.1",
            "ssh_hostname": f"rhltest-{user}",
            "network_interface": "127.0.0.1",
            "command": HASHSERVER,
            "handshake": "healthcheck",
            **fields,
        }
        path = self.tmp / f"{name}.yaml"
        path.write_text(json.dumps(config))
        return path

    def launch(self, config: pathlib.Path, *args: str, timeout: float = 120) -> Result:
        launcher = os.path.join(self.launcher_bin, "remote-http-launcher") if self.launcher_bin else None
        argv = [launcher or find_command("remote-http-launcher"), str(config), *args]
        if self.launcher_bin is None:
            argv.append("--json")
        else:
            argv += ["--connection-dir", str(self.base / "client")]
        proc = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=timeout)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def client_file(self, key: str) -> dict[str, Any]:
        return dict(json.loads((self.base / "client" / f"{key}.json").read_text()))


def healthcheck(host: str, port: int) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"http://{host}:{port}/healthcheck", timeout=10) as response:
        return int(response.status)


def remote_state(sshd: SSHD, user: str, key: str) -> dict[str, Any]:
    path = sshd.home(user) / ".remote-http-launcher" / "server" / f"{key}.json"
    return dict(json.loads(path.read_text()))


def port_closed(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
        except OSError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("user", ["svc", "root"])
def test_launch_reuse_and_reconnect_over_ssh(sshd_isolated: SSHD, tmp_path: pathlib.Path, user: str) -> None:
    client = Client(sshd_isolated, tmp_path)
    config = client.config(f"hashserver-{user}", user)
    result = client.launch(config)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload == {"hostname": "127.0.0.1", "port": payload["port"], "ssh_hostname": f"rhltest-{user}"}
    assert healthcheck("127.0.0.1", payload["port"]) == 200
    assert f"connect: SSHExecutor[rhltest-{user}]" in result.stderr and "done: launched" in result.stderr
    server = remote_state(sshd_isolated, user, f"hashserver-{user}")
    assert server["status"] == "running" and server["port"] == payload["port"]
    # remote helpers see the service too
    listed = sshd_isolated.run(f"rhltest-{user}", "rhl-ps", "--json")
    assert [row["key"] for row in listed.json_lines()] == [f"hashserver-{user}"]
    again = client.launch(config)
    assert again.returncode == 0 and "done: reused-local" in again.stderr and "connect" not in again.stderr
    (client.base / "client" / f"hashserver-{user}.json").unlink()
    again = client.launch(config)
    assert again.returncode == 0 and "done: reused-remote" in again.stderr
    assert json.loads(again.stdout)["port"] == payload["port"]


@pytest.mark.parametrize("user", ["svc", "root"])
def test_tunnel_follows_the_remote_service(sshd_isolated: SSHD, tmp_path: pathlib.Path, user: str) -> None:
    client = Client(sshd_isolated, tmp_path)
    config = client.config("hashserver-tunnel", user, tunnel=True)
    result = client.launch(config)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    server = remote_state(sshd_isolated, user, "hashserver-tunnel")
    assert payload == {
        "hostname": "localhost",
        "port": payload["port"],
        "tunneled-host": f"rhltest-{user}",
        "tunneled-port": server["port"],
        "tunneled-network-interface": "127.0.0.1",
    }
    assert payload["port"] != server["port"]
    assert healthcheck("localhost", payload["port"]) == 200
    record = client.base / "client" / ".tunnels" / "hashserver-tunnel.json"
    assert json.loads(record.read_text())["local_ports"] == {"port": payload["port"]}
    # Reuse keeps the tunnel; stopping the remote service ends it at once (no 20 s poll).
    assert "reused-local" in client.launch(config).stderr
    assert sshd_isolated.run(f"rhltest-{user}", "rhl-stop", "hashserver-tunnel").returncode == 0
    assert port_closed(payload["port"], timeout=10)
    deadline = time.monotonic() + 10
    while record.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not record.exists()
    # The next launch sees the dead tunnel, relaunches, and tunnels again.
    again = client.launch(config)
    assert again.returncode == 0, again.stderr
    assert "local_check: stale" in again.stderr and "done: launched" in again.stderr
    assert healthcheck("localhost", json.loads(again.stdout)["port"]) == 200
    assert sshd_isolated.run(f"rhltest-{user}", "rhl-stop", "hashserver-tunnel").returncode == 0


def test_one_master_connection_per_host(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> None:
    client = Client(sshd_isolated, tmp_path)
    config = client.config("hashserver-mux", "svc")
    assert client.launch(config).returncode == 0
    sockets = [p for p in (sshd_isolated.dir / "cm").iterdir() if p.is_socket()]
    assert len(sockets) == 1
    log = sshd_isolated.dir / "sshd.log"
    before = log.read_text().count("Accepted publickey for svc")
    (client.base / "client" / "hashserver-mux.json").unlink()
    assert client.launch(config).returncode == 0
    assert log.read_text().count("Accepted publickey for svc") == before  # rode the master


def test_unreachable_host_is_one_clear_error(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> None:
    # An ssh that dials a port where nothing listens (the test ssh_config maps every name to 127.0.0.1).
    closed = tmp_path / "closed-bin"
    closed.mkdir()
    (closed / "ssh").write_text(f'#!/bin/sh\nexec /usr/bin/ssh -F {sshd_isolated.ssh_config} -p 1 "$@"\n')
    (closed / "ssh").chmod(0o755)
    client = Client(sshd_isolated, tmp_path)
    client.env["PATH"] = f"{closed}:{client.env['PATH']}"
    config = client.config("nowhere", "svc", ssh_hostname="nosuchhost")
    result = client.launch(config, timeout=60)
    assert result.returncode == 1 and result.stdout == ""
    assert "error: cannot reach nosuchhost over SSH: " in result.stderr
    assert "Connection refused" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_helpers_are_diagnosed(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> None:
    sshd_isolated.set_key_options("svc", None, path="/usr/bin:/bin")
    client = Client(sshd_isolated, tmp_path)
    result = client.launch(client.config("nohelpers", "svc"))
    assert result.returncode == 1
    assert "rhl-launch-service is not installed on rhltest-svc" in result.stderr
    assert "pip install remote-http-launcher" in result.stderr


def test_concurrent_launches_over_ssh_start_one_service(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> None:
    client = Client(sshd_isolated, tmp_path)
    config = client.config("hashserver-race", "svc")
    argv = [find_command("remote-http-launcher"), str(config), "--json"]
    # Four launchers with separate client dirs (as if on four machines) plus two sharing one.
    procs = []
    for index in range(6):
        env = {**client.env, "REMOTE_HTTP_LAUNCHER_DIR": str(tmp_path / f"c{min(index, 4)}")}
        procs.append(
            subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    ports = set()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        ports.add(json.loads(out)["port"])
    assert len(ports) == 1
    log = sshd_isolated.home("svc") / ".remote-http-launcher" / "server" / "hashserver-race.log"
    assert not log.with_name("hashserver-race.log.1").exists()  # launched once: no rotated log


def test_our_launcher_drives_a_server_with_only_0_4_5_helpers(
    sshd_isolated: SSHD, tmp_path: pathlib.Path, reference_bin: pathlib.Path
) -> None:
    sshd_isolated.set_key_options(
        "svc", None, path=f"{reference_bin}:{sshd_isolated.svc_venv}:/usr/local/bin:/usr/bin:/bin"
    )
    client = Client(sshd_isolated, tmp_path)
    config = client.config("hashserver-old", "svc")
    result = client.launch(config, "--log-level", "debug")
    assert result.returncode == 0, result.stderr
    assert "has remote-http-launcher 0.4.5 helpers" in result.stderr
    payload = json.loads(result.stdout)
    assert healthcheck("127.0.0.1", payload["port"]) == 200
    (client.base / "client" / "hashserver-old.json").unlink()
    again = client.launch(config)
    assert again.returncode == 0 and "done: reused-remote" in again.stderr


def test_0_4_5_launcher_drives_a_server_with_our_helpers(
    sshd_isolated: SSHD, tmp_path: pathlib.Path, reference_bin: pathlib.Path
) -> None:
    client = Client(sshd_isolated, tmp_path, launcher_bin=str(reference_bin))
    client.env.pop("REMOTE_HTTP_LAUNCHER_DIR")  # 0.4.5's launcher mis-handles it (spec 2.3)
    config = client.config("hashserver-ref", "svc")
    result = client.launch(config)
    assert result.returncode == 0, result.stderr
    payload = client.client_file("hashserver-ref")
    assert healthcheck("127.0.0.1", payload["port"]) == 200
    server = remote_state(sshd_isolated, "svc", "hashserver-ref")
    assert server["status"] == "running" and "pid_start_time" in server  # launched by our helper


def test_tunnel_reconnects_when_its_connection_drops(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> None:
    client = Client(sshd_isolated, tmp_path)
    config = client.config("hashserver-redial", "svc", tunnel=True)
    result = client.launch(config)
    assert result.returncode == 0, result.stderr
    port = json.loads(result.stdout)["port"]
    record = client.base / "client" / ".tunnels" / "hashserver-redial.json"
    first = json.loads(record.read_text())
    os.kill(first["ssh_pid"], 9)  # the connection drops; the service lives on
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        current = json.loads(record.read_text()) if record.exists() else first
        if current["ssh_pid"] != first["ssh_pid"]:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the tunnel monitor did not reconnect")
    assert current["local_ports"] == {"port": port}  # same local port: the connection file stays valid
    assert healthcheck("localhost", port) == 200
    again = client.launch(config)
    assert again.returncode == 0 and "reused-local" in again.stderr
    assert sshd_isolated.run("rhltest-svc", "rhl-stop", "hashserver-redial").returncode == 0
    assert port_closed(port, timeout=10)
