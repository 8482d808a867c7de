"""A Seamless project on the client, with clusters whose frontend is the test sshd.

``Project`` writes a private client ``HOME`` with ``~/.seamless/clusters.yaml`` (a local
cluster ``here`` and a cluster ``remote`` whose frontend is the ``svc`` account of the test
sshd, reached through its ssh alias), a project directory with ``seamless.yaml`` and
``seamless.profile.yaml``, and runs the installed ``seamless-service-*`` commands there.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any

import yaml

from conftest import Result, find_command
from seamless_stack.stack_support import free_port_range as free_port_range  # re-exported
from sshd_support import SSHD


class Project:
    def __init__(self, tmp: pathlib.Path, sshd: SSHD | None = None, *, user: str = "svc") -> None:
        self.tmp = tmp
        self.sshd = sshd
        self.user = user
        self.guarded = False
        self.home = tmp / "home"
        self.dir = tmp / "myproj"
        self.state = tmp / "client-state"
        self.local_buffers = tmp / "local" / "buffers"
        self.local_db = tmp / "local" / "dbdir"
        for path in (self.home / ".seamless", self.dir, self.state):
            path.mkdir(parents=True, exist_ok=True)
        self.clusters: dict[str, Any] = {"local_cluster": "here", "here": self.local_cluster()}
        if sshd is not None:
            self.clusters["remote"] = self.remote_cluster()
        self.write_clusters()
        self.write_commands([{"project": "myproj"}], [{"cluster": "remote" if sshd else "here"}])
        extra_path = [str(pathlib.Path(find_command("seamless-service-ps")).parent)]
        if sshd is not None:
            self.env = sshd.env(extra_path=extra_path, RHL_CONTROL_DIR=str(sshd.dir / "cm"))
        else:
            self.env = dict(os.environ)
            self.env["PATH"] = os.pathsep.join([*extra_path, self.env.get("PATH", "")])
        self.env.update(HOME=str(self.home), REMOTE_HTTP_LAUNCHER_DIR=str(self.state))
        for name in ("SEAMLESS_CACHE", "SEAMLESS_CONFIG_SERVICES_PLUGINS"):
            self.env.pop(name, None)

    # -- configuration -----------------------------------------------------------------------
    def local_cluster(self) -> dict[str, Any]:
        hs, db = free_port_range(40), free_port_range(40)
        return {
            "type": "local",
            "workers": 1,
            "frontends": [
                {
                    "hashserver": {
                        "bufferdir": str(self.local_buffers),
                        "network_interface": "127.0.0.1",
                        "port_start": hs[0],
                        "port_end": hs[1],
                    },
                    "database": {
                        "database_dir": str(self.local_db),
                        "network_interface": "127.0.0.1",
                        "port_start": db[0],
                        "port_end": db[1],
                    },
                }
            ],
        }

    def remote_cluster(self) -> dict[str, Any]:
        hs, db = free_port_range(40), free_port_range(40)
        return {
            "frontends": [
                {
                    "hostname": "127.0.0.1",
                    "ssh_hostname": f"rhltest-{self.user}",
                    "hashserver": {
                        "bufferdir": "~/buffers",
                        "network_interface": "127.0.0.1",
                        "port_start": hs[0],
                        "port_end": hs[1],
                    },
                    "database": {
                        "database_dir": "~/dbdir",
                        "network_interface": "127.0.0.1",
                        "port_start": db[0],
                        "port_end": db[1],
                    },
                }
            ],
        }

    def write_clusters(self) -> None:
        (self.home / ".seamless" / "clusters.yaml").write_text(yaml.safe_dump(self.clusters))

    def write_commands(self, project: list[Any], profile: list[Any]) -> None:
        (self.dir / "seamless.yaml").write_text(yaml.safe_dump(project))
        (self.dir / "seamless.profile.yaml").write_text(yaml.safe_dump(profile))

    @property
    def remote_home(self) -> pathlib.Path:
        assert self.sshd is not None
        return self.sshd.home(self.user)

    # -- commands ----------------------------------------------------------------------------
    def run(
        self,
        command: str,
        *args: str,
        timeout: float = 120,
        cwd: pathlib.Path | None = None,
        env: dict[str, str] | None = None,
    ) -> Result:
        proc = subprocess.run(
            [find_command(command), *args],
            cwd=cwd or self.dir,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def ok(self, command: str, *args: str, timeout: float = 120) -> Result:
        result = self.run(command, *args, timeout=timeout)
        assert result.returncode == 0, (command, args, result)
        return result

    def start(self, service: str, *args: str) -> dict[str, Any]:
        payload = self.ok(
            "seamless-service-start", "--service", service, "--json", *args, timeout=180
        ).json_lines()[0]
        return dict(payload)

    def server_state(self, key: str, remote: bool = True) -> dict[str, Any]:
        base = self.remote_home / ".remote-http-launcher" if remote else self.state
        return dict(json.loads((base / "server" / f"{key}.json").read_text()))

    def client_state(self, key: str) -> dict[str, Any]:
        return dict(json.loads((self.state / "client" / f"{key}.json").read_text()))


def project_with_connection_files(tmp: pathlib.Path) -> Project:
    """A project on the local cluster ``here`` with two connection files (no service runs):
    the client view of ``ps`` and ``resolve`` without any process or SSH."""
    project = Project(tmp)
    client = project.state / "client"
    client.mkdir(parents=True, exist_ok=True)
    for index, service in enumerate(("hashserver", "database")):
        key = f"{service}-here-rw-myproj"
        meta = {"service": service, "cluster": "here", "mode": "rw", "project": "myproj"}
        connection = {"key": key, "hostname": "127.0.0.1", "port": 6100 + index, "meta": meta}
        (client / f"{key}.json").write_text(json.dumps(connection))
    return project


def put_buffer(port: int, data: bytes) -> str:
    """Store a buffer in a real hashserver; its checksum."""
    checksum = hashlib.sha256(data).hexdigest()  # hashserver 1.1.0 defaults to sha-256
    request = urllib.request.Request(f"http://127.0.0.1:{port}/{checksum}", data=data, method="PUT")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        assert response.status in (200, 201), response.status
    return checksum


def get_status(port: int, path: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/{path}", timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def table(text: str) -> list[list[str]]:
    """A table's lines split into cells (cells hold no spaces)."""
    return [line.split() for line in text.splitlines()]


def database_request(port: int, method: str, body: dict[str, Any]) -> tuple[int, str]:
    """One request to a real seamless-database (its API takes a JSON body, GET included)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, "/", body=json.dumps(body), headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def remember_transformation(port: int, transformation: str, result: str) -> None:
    status, text = database_request(
        port, "PUT", {"type": "transformation", "checksum": transformation, "value": result}
    )
    assert status == 200, (status, text)


def recall_transformation(port: int, transformation: str) -> str | None:
    """The cached result checksum of a transformation, or None on a cold database."""
    status, text = database_request(port, "GET", {"type": "transformation", "checksum": transformation})
    return text.strip() if status == 200 and text.strip() else None


def imported(project: Project, name: str, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the installed command under ``-X importtime``: its result and every module it
    imported after the interpreter's own start-up (``site`` and what it needs are not the
    command's)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", find_command(name), *args],
        cwd=project.dir,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    baseline = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "pass"],
        env=project.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc, modules_of(proc.stderr) - modules_of(baseline.stderr)


def modules_of(stderr: str) -> set[str]:
    """The modules an ``-X importtime`` report names."""
    lines = [line for line in stderr.splitlines() if line.startswith("import time:")]
    modules = {line.rsplit("|", 1)[1].strip() for line in lines}
    modules.discard("imported package")
    return modules
