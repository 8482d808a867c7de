"""Shared fixtures: an isolated state directory, the installed commands, real services.

Tests drive the installed commands (the nox session puts them on PATH) as a user would, and
every service a test starts is stopped at the end, whatever the test did.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from sshd_support import SSHD, ensure_reference_venv, start_sshd

ROOT = pathlib.Path(__file__).resolve().parent.parent


def find_command(name: str) -> str:
    """The installed command ``name`` next to the running interpreter (the nox session's bin)."""
    candidate = pathlib.Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed in this environment")
    return found


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    def __post_init__(self) -> None:
        # Every command's output a test sees is checked, also where the test parses stdout
        # itself (json.loads(result.stdout)): whatever parses as JSON is validated.
        validate_output(self.stdout)

    def json_lines(self) -> list[dict[str, Any]]:
        """Every stdout line as JSON, each validated (:func:`validate_documents`)."""
        lines = [json.loads(line) for line in self.stdout.splitlines() if line.strip()]
        for line in lines:
            validate_documents(line)
        return lines

    def json(self) -> Any:
        """Stdout as one JSON document (``inspect``'s indented state, the doctor's report),
        validated (:func:`validate_documents`)."""
        return validate_documents(json.loads(self.stdout))


#: The mark of one of our documents in a command's stdout (``json.dumps`` spacing).
_OUR_SCHEMA = '"schema": "seamless-service-'


def validate_output(stdout: str) -> None:
    """Validate the documents in a command's stdout: the whole of it as one JSON document
    (``inspect``, the doctor's indented report), else each line that is JSON (NDJSON). Text
    that is not JSON is left alone."""
    if _OUR_SCHEMA not in stdout:
        return
    try:
        validate_documents(json.loads(stdout))
        return
    except ValueError:
        pass
    for line in stdout.splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue
        validate_documents(data)


def validate_documents(data: Any) -> Any:
    """Every object in ``data`` whose ``schema`` field names one of the shipped
    ``seamless-service-*`` schemas (``"seamless-service-stop/1"``) must be valid against that
    schema (as ``--json-schema`` prints it), so that every test reading our JSON checks it.
    A ``schema`` naming our schema at a version the package does not ship fails too. Returns
    ``data``."""
    if isinstance(data, list):
        for item in data:
            validate_documents(item)
    elif isinstance(data, dict):
        tag = data.get("schema")
        name = tag.partition("/")[0] if isinstance(tag, str) else ""
        if name.startswith("seamless-service-"):
            import jsonschema

            from seamless_config_services import schemas

            assert name in schemas.FILES, f"unknown schema {tag!r}"
            shipped = schemas.schema_id(name)
            assert tag == shipped, f"{tag!r}: the package ships {shipped}"
            jsonschema.Draft202012Validator(schemas.load(name)).validate(data)
            return data  # nested documents are checked by the enclosing schema's $refs
        for value in data.values():
            validate_documents(value)
    return data


@dataclass
class RhlEnv:
    """An isolated REMOTE_HTTP_LAUNCHER_DIR plus helpers to run commands in it."""

    base: pathlib.Path
    env: dict[str, str]
    tmp: pathlib.Path

    @property
    def server(self) -> pathlib.Path:
        return self.base / "server"

    @property
    def client(self) -> pathlib.Path:
        return self.base / "client"

    def run(
        self,
        *argv: str,
        input: str | None = None,
        timeout: float = 60,
        env: dict[str, str] | None = None,
    ) -> Result:
        command = [find_command(argv[0]) if not os.path.isabs(argv[0]) else argv[0], *argv[1:]]
        full_env = {**self.env, **(env or {})}
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            input=input,
            timeout=timeout,
            env=full_env,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def example_config(self, key: str, command_tail: str = "", **fields: Any) -> pathlib.Path:
        """A launcher config file (JSON, which is YAML) for ``rhl-example-service`` under
        ``key``: its own workdir, handshake ``/``, ``command_tail`` after the status file
        argument, and ``fields`` added or replaced."""
        config = {
            "workdir": str(self.tmp / "work" / key),
            "key": key,
            "command": f"rhl-example-service --status-file {{status_file}} {command_tail}".strip(),
            "handshake": "/",
            **fields,
        }
        path = self.tmp / f"{key}.yaml"
        path.write_text(json.dumps(config))
        return path

    def write_server(self, key: str, data: Any, raw: str | None = None) -> pathlib.Path:
        self.server.mkdir(parents=True, exist_ok=True)
        path = self.server / f"{key}.json"
        path.write_text(raw if raw is not None else json.dumps(data))
        return path

    def write_client(self, key: str, data: Any) -> pathlib.Path:
        self.client.mkdir(parents=True, exist_ok=True)
        path = self.client / f"{key}.json"
        path.write_text(json.dumps(data))
        return path

    def read_server(self, key: str) -> dict[str, Any]:
        return json.loads((self.server / f"{key}.json").read_text())

    def launch(
        self, key: str, *service_args: str, wait: str | None = "running", timeout: float = 30
    ) -> dict[str, Any]:
        """Launch rhl-example-service under ``key`` through rhl-launch-service."""
        workdir = self.tmp / "work" / key
        status_file = str(self.server / f"{key}.json")
        result = self.run(
            "rhl-launch-service",
            "--key",
            key,
            "--workdir",
            str(workdir),
            "--",
            "rhl-example-service",
            "--status-file",
            status_file,
            *service_args,
        )
        assert result.returncode == 0, result.stderr
        if wait is None:
            return json.loads(result.stdout)
        return self.wait_status(key, wait, timeout=timeout)

    def wait_status(self, key: str, status: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        data: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                data = self.read_server(key)
            except (FileNotFoundError, ValueError):
                data = {}
            if data.get("status") == status:
                return data
            time.sleep(0.02)
        raise AssertionError(f"{key} did not reach {status!r} within {timeout}s: {data}")


def pid_exists(pid: int) -> bool:
    """True if ``pid`` names a live, non-zombie process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read()
    except (FileNotFoundError, ProcessLookupError):  # a process that just ended may give ESRCH
        return False
    return raw[raw.rindex(b")") + 2 :].split()[0] not in (b"Z", b"X")


def wait_gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_exists(pid):
            return True
        time.sleep(0.02)
    return False


def group_pids(pgid: int) -> list[int]:
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                raw = pathlib.Path(f"/proc/{name}/stat").read_bytes()
            except OSError:
                continue
            fields = raw[raw.rindex(b")") + 2 :].split()
            if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
                pids.append(int(name))
    return pids


def _kill_leftovers(server: pathlib.Path) -> None:
    """Kill the process groups of every service a test left behind (test hygiene only)."""
    for path in server.glob("*.json"):
        try:
            if not path.is_file() or path.is_symlink():  # a test's FIFO must not block the cleanup
                continue
            data = json.loads(path.read_text())
            pid = int(data["pid"])
        except (ValueError, KeyError, TypeError, OSError, RecursionError):
            continue
        if pid <= 1 or data.get("test_foreign"):
            continue
        for sig in (signal.SIGKILL,):
            try:
                if os.getpgid(pid) == pid:
                    os.killpg(pid, sig)
                else:
                    os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass


@pytest.fixture
def rhl(tmp_path: pathlib.Path) -> Iterator[RhlEnv]:
    base = tmp_path / "rhl"
    tools = tmp_path / "tools.yaml"
    tools.write_text(
        'example:\n  command_template: "rhl-example-service --status-file {status_file}"\n'
        'hashserver:\n  command_template: "hashserver --status-file {status_file}"\n'
    )
    env = dict(os.environ)
    env["REMOTE_HTTP_LAUNCHER_DIR"] = str(base)
    env["RHL_TOOLS_YAML"] = str(tools)
    env["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("RHL_DEBUG", None)
    handle = RhlEnv(base=base, env=env, tmp=tmp_path)
    yield handle
    _kill_leftovers(base / "server")


@pytest.fixture(scope="session")
def reference_bin() -> pathlib.Path:
    """bin/ of a side venv with remote-http-launcher 0.4.5 from PyPI (built once, shared with
    the benchmarks; readable by the svc account for the SSH interop tests)."""
    configured = os.environ.get("RHL_REFERENCE_BIN")
    if configured:
        return pathlib.Path(configured)
    return ensure_reference_venv()


@pytest.fixture(scope="session")
def sshd() -> Iterator[SSHD]:
    """A real OpenSSH sshd on 127.0.0.1 with root and svc accounts (see tests/sshd_support.py)."""
    if os.getuid() != 0:
        pytest.skip("the sshd fixture needs root (it starts sshd and uses the svc account)")
    server = start_sshd()
    yield server
    server.close()


@pytest.fixture
def sshd_isolated(sshd: SSHD) -> Iterator[SSHD]:
    """``sshd`` with fresh private remote homes for this test; services started under them
    are stopped (rhl-stop) and the homes removed afterwards, key lines restored."""
    with sshd.isolated() as server:
        yield server
