"""The real Seamless client stack from PyPI, with our packages installed over it, for the tests.

Why: our users do not run ``rhl-example-service``, they run Seamless. seamless-remote and
seamless-config call ``remote_http_launcher.run(conf)`` to bring up hashserver, seamless-database
and seamless-jobserver, then speak HTTP to them; only the real stack shows that a cold run
executes, a warm run is served from the cache, and the seeds' false-pass protocol with our
``seamless-service-*`` commands really forces a re-execution.

The venv (``$RHL_TEST_CACHE/venvs/seamless-<hash>``, default under ``/var/tmp/rhltest``) is
built from Debian's ``/usr/bin/python3`` the way ``docs/services/install.md`` tells a user to:

1. ``pip install -r requirements.txt -c constraints.txt``: the client stack at exact versions;
   seamless-config 0.3.2 pulls in the reference remote-http-launcher 0.4.5 and installs its own
   ``seamless-service-*`` scripts;
2. ``pip install <checkout>/packages/remote-http-launcher <checkout>/packages/seamless-config-services``:
   ours over the reference (the same command as the install page).

What the venv looked like before and after step 2 is kept in its marker file
(``.rhltest-ok``, JSON), so the install-story test can check the build that every stack test
used. The hash covers the Python version, both pin files and the sources of both of our
packages: a source change means a new venv (about 30 s with a warm pip cache). Builds run under
a file lock, so concurrent test sessions share them; stack venvs unused for two hours are pruned
(each is about 300 MB).

``Stack`` is one test's world: a private ``HOME`` holding ``~/.seamless/clusters.yaml`` (local
cluster ``here``: hashserver, seamless-database and a jobserver on 127.0.0.1, each on a free
port range) and the launcher's state (``~/.remote-http-launcher``), a project directory with
``seamless.yaml`` / ``seamless.profile.yaml`` and a client script ``job.py`` whose one
``@direct`` transformation appends a line to a side-effect file each time it really executes:
its pid, its parent's pid and its parent's command line (which shows where it ran).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pathlib
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PACKAGES = (ROOT / "packages" / "remote-http-launcher", ROOT / "packages" / "seamless-config-services")
REQUIREMENTS = HERE / "requirements.txt"
CONSTRAINTS = HERE / "constraints.txt"
SYSTEM_PYTHON = "/usr/bin/python3"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
MARKER = ".rhltest-ok"
MAX_AGE = 2 * 3600  # each is about 300 MB; a source change builds a new one
#: The seamless-service-* scripts that seamless-config 0.3.2 installs (ours replace them).
REFERENCE_SCRIPTS = ("clear", "inspect", "logs", "ps", "resolve", "rm", "stop")


class StackError(RuntimeError):
    """The stack venv could not be built; the message quotes the failing command."""


def cache_root() -> pathlib.Path:
    return pathlib.Path(os.environ.get("RHL_TEST_CACHE", "/var/tmp/rhltest"))


def run(argv: Sequence[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command with a bound; a failure or a timeout is a StackError quoting its output."""
    try:
        proc = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kwargs
        )
    except subprocess.TimeoutExpired as exc:
        raise StackError(f"{shlex.join(argv)} did not finish within {timeout:.0f}s") from exc
    if proc.returncode != 0:
        raise StackError(
            f"{shlex.join(argv)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        )
    return proc


@contextlib.contextmanager
def _locked(path: pathlib.Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def source_hash() -> str:
    """Hash of what goes into our two wheels (a change means a new stack venv)."""
    digest = hashlib.sha256()
    for package in PACKAGES:
        files = [package / "pyproject.toml", package / "README.md"]
        for sub in ("src", "scripts"):
            if (package / sub).is_dir():
                files += [
                    p
                    for p in (package / sub).rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
                ]
        for path in sorted(files):
            if path.exists():
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def stack_tag() -> str:
    version = run([SYSTEM_PYTHON, "-c", "import sys; print(sys.version)"], timeout=30).stdout.strip()
    pins = REQUIREMENTS.read_text() + CONSTRAINTS.read_text()
    return hashlib.sha256(json.dumps([version, pins, source_hash()]).encode()).hexdigest()[:16]


def install_command(pip: str | pathlib.Path) -> list[str]:
    """The documented install of ours over a client venv (docs/services/install.md)."""
    return [str(pip), "install", "-q", "--disable-pip-version-check", *(str(p) for p in PACKAGES)]


def describe_commands(venv: pathlib.Path) -> dict[str, Any]:
    """Which distribution each seamless-service-* script runs, and the launcher's version."""
    scripts = {}
    for name in REFERENCE_SCRIPTS:
        path = venv / "bin" / f"seamless-service-{name}"
        text = path.read_text() if path.exists() else ""
        if "seamless_config_services" in text:
            scripts[name] = "seamless-config-services"
        elif "seamless_config." in text:
            scripts[name] = "seamless-config"
        else:
            scripts[name] = "missing" if not text else "unknown"
    code = (
        "import importlib.metadata as m, json\n"
        "names = ['remote-http-launcher', 'seamless-config', 'seamless-config-services']\n"
        "found = {}\n"
        "for n in names:\n"
        "    try: found[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: found[n] = None\n"
        "print(json.dumps(found))\n"
    )
    versions = json.loads(run([str(venv / "bin" / "python"), "-c", code], timeout=60).stdout)
    return {"scripts": scripts, "versions": versions}


@dataclass
class StackVenv:
    path: pathlib.Path
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def bin(self) -> pathlib.Path:
        return self.path / "bin"


def ensure_stack_venv() -> StackVenv:
    """The stack venv for the current pins and sources, built once under a lock."""
    root = cache_root()
    (root / "venvs").mkdir(parents=True, exist_ok=True)
    for path in (root, root / "venvs"):
        os.chmod(path, 0o755)
    venv = root / "venvs" / f"seamless-{stack_tag()}"
    marker = venv / MARKER
    if not marker.exists():
        with _locked(root / ".seamless-stack.lock"):
            if not marker.exists():
                _build(venv)
                _prune(root, keep=venv)
    os.utime(marker)  # in use: keeps another session from pruning it
    # What makes conda (the tests' stand-in, tests/fakeconda) call a directory an environment:
    # the batch tests activate this venv as the Dask queue's conda environment, by path.
    (venv / "conda-meta").mkdir(exist_ok=True)
    return StackVenv(venv, json.loads(marker.read_text()))


def _build(venv: pathlib.Path) -> None:
    began = time.monotonic()
    shutil.rmtree(venv, ignore_errors=True)
    run([SYSTEM_PYTHON, "-m", "venv", str(venv)], timeout=120)
    pip = venv / "bin" / "pip"
    run(
        [
            str(pip),
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
            str(REQUIREMENTS),
            "-c",
            str(CONSTRAINTS),
        ],
        timeout=900,
    )
    stack_seconds = time.monotonic() - began
    before = describe_commands(venv)
    run(install_command(pip), timeout=600)
    after = describe_commands(venv)
    for path in [venv, *venv.rglob("*")]:  # readable by the svc account too
        if path.is_dir() and not path.is_symlink():
            os.chmod(path, path.stat().st_mode | 0o755)
    record = {
        "before": before,
        "after": after,
        "install": install_command("pip"),
        "stack_seconds": round(stack_seconds, 1),
        "total_seconds": round(time.monotonic() - began, 1),
    }
    (venv / MARKER).write_text(json.dumps(record, indent=2) + "\n")


def _prune(root: pathlib.Path, keep: pathlib.Path) -> None:
    now = time.time()
    for venv in (root / "venvs").glob("seamless-*"):
        if venv == keep or not venv.is_dir():
            continue
        try:
            age = now - (venv / MARKER).stat().st_mtime
        except FileNotFoundError:
            age = now - venv.stat().st_mtime  # an interrupted build
        if age > MAX_AGE:
            shutil.rmtree(venv, ignore_errors=True)


# --------------------------------------------------------------------------- one test's world


def free_port_range(size: int = 20) -> tuple[int, int]:
    """A range of ports that are free now (the services pick inside it)."""
    for _ in range(200):
        start = random.randrange(20000, 60000 - size)
        ok = True
        for port in (start, start + size // 2, start + size - 1):
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return start, start + size - 1
    raise RuntimeError("no free port range")


JOB = '''\
"""A Seamless client: one @direct transformation that leaves a trace each time it executes."""
import json
import os
import sys

import seamless_config

# seamless-config 0.3.2's init(workdir=...) ignores its argument: set the workdir first.
seamless_config.set_workdir(os.path.dirname(os.path.abspath(__file__)))
seamless_config.init()

import seamless
from seamless_transformer import direct


@direct
def add(a, b, log):
    import os

    with open(f"/proc/{os.getppid()}/cmdline", "rb") as handle:
        parent = handle.read().replace(b"\\0", b" ").decode().strip()
    job = os.environ.get("SLURM_JOB_ID") or os.environ.get("OAR_JOB_ID") or "-"
    with open(log, "a") as handle:
        handle.write(f"{os.getpid()}\\t{os.getppid()}\\t{job}\\t{parent}\\n")
    return a + b


result = add(int(sys.argv[1]), 2, sys.argv[2])
print(json.dumps({"result": result, "pid": os.getpid()}))
sys.stdout.flush()
seamless.close()
'''


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


@dataclass
class Execution:
    pid: int
    ppid: int
    job: str  # the batch job it ran in (SLURM_JOB_ID / OAR_JOB_ID), "-" outside one
    parent: str


@dataclass
class JobRun:
    result: int
    pid: int
    seconds: float
    stderr: str


class Stack:
    """A private HOME, cluster file, project and client script on the stack venv."""

    CLUSTER = "here"
    PROJECT = "myproj"

    def __init__(self, tmp: pathlib.Path, venv: StackVenv) -> None:
        self.tmp = tmp
        self.venv = venv
        self.home = tmp / "home"
        self.dir = tmp / self.PROJECT
        self.buffers = tmp / "buffers"
        self.dbdir = tmp / "dbdir"
        self.side = tmp / "executions.log"
        for path in (self.home / ".seamless", self.dir):
            path.mkdir(parents=True, exist_ok=True)
        hs, db, js = free_port_range(), free_port_range(), free_port_range()
        self.clusters: dict[str, Any] = {
            "local_cluster": self.CLUSTER,
            self.CLUSTER: {
                "type": "local",
                "workers": 1,
                "frontends": [
                    {
                        "hashserver": {
                            "bufferdir": str(self.buffers),
                            "network_interface": "127.0.0.1",
                            "port_start": hs[0],
                            "port_end": hs[1],
                        },
                        "database": {
                            "database_dir": str(self.dbdir),
                            "network_interface": "127.0.0.1",
                            "port_start": db[0],
                            "port_end": db[1],
                        },
                        "jobserver": {
                            "conda": None,
                            "network_interface": "127.0.0.1",
                            "port_start": js[0],
                            "port_end": js[1],
                        },
                    }
                ],
            },
        }
        self.write_clusters()
        self.write_project()
        (self.dir / "job.py").write_text(JOB)
        # An activated venv: its bin first on PATH (the launcher starts services by bare name).
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("REMOTE_HTTP_LAUNCHER_DIR", "SEAMLESS_CACHE", "PYTHONPATH", "VIRTUAL_ENV")
            and not key.startswith(("RHL_", "SEAMLESS_CONFIG_SERVICES", "SEAMLESS_SERVICES"))
        }
        self.env.update(
            HOME=str(self.home),
            PATH=f"{venv.bin}{os.pathsep}{SYSTEM_PATH}",
            VIRTUAL_ENV=str(venv.path),
            DASK_TEMPORARY_DIRECTORY=str(tmp / "dask"),
            PYTHONDONTWRITEBYTECODE="1",
        )

    @property
    def state(self) -> pathlib.Path:
        return self.home / ".remote-http-launcher"

    def write_project(
        self, execution: str = "process", remote: str | None = None, cluster: str | None = None
    ) -> None:
        commands: list[Any] = [{"project": self.PROJECT}, {"execution": execution}]
        if remote is not None:
            commands.append({"remote": remote})
        (self.dir / "seamless.yaml").write_text(yaml.safe_dump(commands))
        profile = [{"cluster": cluster or self.CLUSTER}]
        (self.dir / "seamless.profile.yaml").write_text(yaml.safe_dump(profile))

    def over_ssh(self, sshd: Any, name: str = "remote", **cluster: Any) -> dict[str, Any]:
        """Add and select a cluster (``type: local``, ``tunnel: true`` unless ``cluster`` says
        otherwise) whose frontend is the test sshd's svc account: hashserver and database run
        on the far side (their commands and our helpers from this stack venv, on svc's PATH),
        the client reaches them over SSH (through tunnels with ``tunnel: true``). ``sshd`` is a
        ``sshd_support.SSHD`` (the ``sshd_isolated`` fixture). Returns the cluster entry."""
        sshd.set_key_options("svc", None, path=f"{self.venv.bin}:{SYSTEM_PATH}")
        hs, db = free_port_range(), free_port_range()
        self.clusters[name] = {
            "type": "local",
            "tunnel": True,
            **cluster,
            "frontends": [
                {
                    "hostname": "127.0.0.1",
                    "ssh_hostname": "rhltest-svc",
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
        self.write_clusters()
        self.write_project(cluster=name)
        # The ssh wrapper (test sshd's ssh_config and known_hosts) first on PATH.
        self.env["PATH"] = f"{sshd.bin_dir}{os.pathsep}{self.env['PATH']}"
        self.env["RHL_CONTROL_DIR"] = str(sshd.dir / "cm")
        entry: dict[str, Any] = self.clusters[name]
        return entry

    def write_clusters(self) -> None:
        (self.home / ".seamless" / "clusters.yaml").write_text(yaml.safe_dump(self.clusters))

    @property
    def frontend(self) -> dict[str, Any]:
        frontend: dict[str, Any] = self.clusters[self.CLUSTER]["frontends"][0]
        return frontend

    # -- the client ----------------------------------------------------------------------------
    def python(
        self, *argv: str, timeout: float = 180, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the stack venv's python in the project directory (bounded)."""
        return subprocess.run(
            [str(self.venv.bin / "python"), *argv],
            cwd=self.dir,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def job(self, a: int = 40, timeout: float = 60) -> JobRun:
        """Run the client script once (a real Seamless run); its result must be a + 2. A run
        that hangs fails within ``timeout`` (inside pytest's own limit) with what it printed."""
        began = time.monotonic()
        try:
            proc = self.python(str(self.dir / "job.py"), str(a), str(self.side), timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            printed = [_text(exc.stdout), _text(exc.stderr)]
            what = f"job.py did not finish within {timeout:g} s:\n"
            raise AssertionError(what + "".join(printed)) from None
        seconds = time.monotonic() - began
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        assert proc.returncode == 0 and lines, (
            f"job.py failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
        )
        data = json.loads(lines[-1])
        assert data["result"] == a + 2, data
        return JobRun(int(data["result"]), int(data["pid"]), seconds, proc.stderr)

    def executions(self) -> list[Execution]:
        """One entry per real execution of the transformation, oldest first."""
        if not self.side.exists():
            return []
        found = []
        for line in self.side.read_text().splitlines():
            pid, ppid, job, parent = line.split("\t", 3)
            found.append(Execution(int(pid), int(ppid), job, parent))
        return found

    # -- our commands --------------------------------------------------------------------------
    def cmd(self, name: str, *args: str, timeout: float = 120) -> Result:
        """Run the installed ``seamless-service-<name>`` of the stack venv in the project dir."""
        proc = subprocess.run(
            [str(self.venv.bin / f"seamless-service-{name}"), *args],
            cwd=self.dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def ok(self, name: str, *args: str, timeout: float = 120) -> Result:
        result = self.cmd(name, *args, timeout=timeout)
        assert result.returncode == 0, f"seamless-service-{name} {shlex.join(args)}: {result}"
        return result

    def server_state(self, service: str) -> dict[str, Any]:
        """``seamless-service-inspect --service S``: the server state JSON."""
        data: dict[str, Any] = json.loads(self.ok("inspect", "--service", service).stdout)
        return data

    def server_pid(self, service: str) -> int:
        """The pid that ``seamless-service-inspect --service S`` reports for a running service."""
        data = self.server_state(service)
        assert data["status"] == "running", data
        return int(data["pid"])

    def rows(self, *args: str) -> dict[str, dict[str, Any]]:
        """``seamless-service-ps --json ARGS`` rows by service name."""
        return {row["service"]: row for row in self.ok("ps", "--json", *args).json_lines()}

    # -- hygiene -------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop whatever the test left running: our stop first, then the recorded groups."""
        for cluster in [name for name in self.clusters if name != "local_cluster"]:
            with contextlib.suppress(Exception):
                self.cmd("stop", "--cluster", cluster, timeout=60)
        for path in (self.state / "server").glob("*.json"):
            try:
                data = json.loads(path.read_text())
                pid = int(data["pid"])
            except (ValueError, KeyError, TypeError, OSError):
                continue
            if pid > 1 and str(self.home) in cmdline(pid):  # still the process we started
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL) if os.getpgid(pid) == pid else os.kill(pid, signal.SIGKILL)


def cmdline(pid: int) -> str:
    """The command line of a live process, '' if it is gone (zombies count as gone)."""
    try:
        raw = pathlib.Path(f"/proc/{pid}/stat").read_bytes()
        if raw[raw.rindex(b")") + 2 :].split()[0] in (b"Z", b"X"):
            return ""
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except (OSError, ValueError):
        return ""


def wait_gone(pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    delay = 0.02
    while time.monotonic() < deadline:
        if not cmdline(pid):
            return True
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)
    return not cmdline(pid)


def main() -> int:
    """Build (or find) the stack venv and print its path: the nox session runs this before
    pytest, so that a first build (minutes with a cold pip cache) is bounded by its own
    timeouts, not by a test's."""
    began = time.monotonic()
    try:
        venv = ensure_stack_venv()
    except StackError as exc:
        print(f"stack_support: {exc}", file=sys.stderr)
        return 1
    print(f"stack venv: {venv.path} ({time.monotonic() - began:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")
