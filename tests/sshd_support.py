"""A real OpenSSH server on 127.0.0.1 for the tests, with a root and a non-root ``svc`` account.

Why a real sshd: the launcher and ``rhl-guard`` meet SSH on every path that matters (forced
commands, quoting, multiplexing, tunnels, ``restrict``), and a mock would only confirm what we
already believe. The recipe is ``shared/recipes/real-components.md`` §1-4; this module turns
it into a pytest fixture. Nothing global is touched except ``/run/sshd`` (compiled into sshd),
the ``svc`` account (created if missing, ``usermod -p '*'`` so that sshd does not see it as
locked), and the openssh-server package (installed with apt-get when ``/usr/sbin/sshd`` is
missing; the nox sessions do the same before pytest, with ``tests/batch/batch_support.py ensure ssh``).

Layout (``RHL_TEST_CACHE``, default ``/var/tmp/rhltest``; every level traversable by svc):

* ``keys/`` (0700): the host key and the client key, generated once and reused.
* ``venvs/deps-<hash>/``: a venv from ``/usr/bin/python3`` (svc cannot run the pyenv Python
  under ``/root``, which is mode 0700) with hashserver 1.1.0, aiofiles (hashserver imports it
  without declaring it), seamless-database, hatchling, and our package's dependencies. Built
  once per requirement list.
* ``venvs/rhl-<hash>/``: per hash of ``packages/remote-http-launcher`` (sources, scripts,
  pyproject): a venv without pip in which OUR remote-http-launcher is installed from a freshly
  built wheel (non-editable), seeing the deps venv through a ``.pth`` line, with the deps'
  console scripts (``hashserver``, ``seamless-database`` ...) copied in with their ``#!``
  line pointing at this venv. Cost on a source change: about 1.5 s, instead of 10-15 s for a
  full venv. Each venv is complete when it holds its marker file (``.rhltest-ok``); builds
  run under a file lock, so concurrent test sessions share them. Overlays unused for two
  days are pruned.
* ``sessions/sshd-XXXX/`` (0711), one per test session: ``sshd_config``, ``sshd.pid``,
  ``sshd.log``, ``keys/<user>`` (the authorized_keys files), ``ssh_config``,
  ``known_hosts``, ``bin/ssh`` and ``homes/``. Removed at the end of the session unless
  ``RHL_TEST_KEEP_SSHD=1``.

How the remote side gets its PATH and HOME: through the ``environment="..."`` options of
each authorized_keys line (sshd_config has ``PermitUserEnvironment yes``). Every key line
carries ``environment="HOME=<private home>"`` and ``environment="PATH=<venv>/bin:/usr/local/
bin:/usr/bin:/bin"``. sshd applies these after its defaults, so:

* the helpers, ``hashserver`` and ``seamless-database`` are on PATH for ``ssh HOST CMD`` and
  for forced commands (a ``command=`` may still set its own ``PATH=``, as the recipe does);
* ``~`` on the remote side (bash, Python's ``expanduser``) is a private home per test
  session, or per test with the ``sshd_isolated`` fixture: concurrent test sessions never
  share ``~svc/.remote-http-launcher``, and cleaning up never touches the real homes;
* bash reads the private home's ``.bashrc`` (a copy of ``/etc/skel``), not root's real one,
  which runs ``pyenv init`` (190 ms per command, and it rewrites PATH). A login shell
  (``bash -lc``) still runs ``/etc/profile``, which on Debian resets PATH to the system
  default, as on a real host.

``set_key_options(user, options)`` keeps the two ``environment=`` options in front of the
caller's options (pass ``environment=False`` to drop them, ``path=`` to change the remote
PATH, e.g. to a host with only the 0.4.5 helpers).

The Host aliases ``rhltest-root`` and ``rhltest-svc`` have no ControlMaster (the recipe's
tunnel gotcha); callers that want multiplexing pass their own ``-o ControlPath`` (put it
under ``sshd.dir`` and teardown exits it).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import pathlib
import pwd
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conftest import Result

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "packages" / "remote-http-launcher"
SSHD_BIN = "/usr/sbin/sshd"
SSH = "/usr/bin/ssh"
SYSTEM_PYTHON = "/usr/bin/python3"
USERS = ("root", "svc")
ALIASES = {"rhltest-root": "root", "rhltest-svc": "svc"}
#: Third-party packages the remote side needs besides our package's own dependencies.
REMOTE_EXTRAS = ["hashserver==1.1.0", "aiofiles", "seamless-database", "hatchling"]
MARKER = ".rhltest-ok"
OVERLAY_MAX_AGE = 2 * 24 * 3600
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def cache_root() -> pathlib.Path:
    return pathlib.Path(os.environ.get("RHL_TEST_CACHE", "/var/tmp/rhltest"))


class _Lock:
    """An exclusive fcntl lock on a file: venv builds and key generation are shared between
    concurrent test sessions (several agents run tests at once)."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        self.fd = -1

    def __enter__(self) -> None:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.lockf(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *_exc: object) -> None:
        os.close(self.fd)


def _run(argv: Sequence[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        list(argv), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kwargs
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc


def _mkdir(path: pathlib.Path, mode: int) -> pathlib.Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
    return path


# --------------------------------------------------------------------------- machine setup


def ensure_openssh_server() -> None:
    """Install openssh-server with apt-get if sshd is missing (bounded; we are root)."""
    if os.path.exists(SSHD_BIN):
        return
    if os.getuid() != 0:
        raise RuntimeError(f"{SSHD_BIN} is missing and only root can install openssh-server")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "openssh-server"]
    with _Lock(pathlib.Path("/tmp/.rhltest-apt.lock")):
        if os.path.exists(SSHD_BIN):
            return
        proc = subprocess.run(install, capture_output=True, text=True, timeout=300, env=env)
        if proc.returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, timeout=300, env=env)
            proc = subprocess.run(install, capture_output=True, text=True, timeout=300, env=env)
    if not os.path.exists(SSHD_BIN):
        raise RuntimeError(f"could not install openssh-server:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")


def ensure_svc_account() -> None:
    """The non-root account of the recipe: created if missing, never locked for sshd."""
    try:
        pwd.getpwnam("svc")
    except KeyError:
        _run(["useradd", "-m", "-s", "/bin/bash", "svc"], timeout=30)
    # useradd leaves the password "!", which sshd treats as a locked account when UsePAM=no.
    _run(["usermod", "-p", "*", "svc"], timeout=30)


def ensure_keys(root: pathlib.Path) -> pathlib.Path:
    keys = _mkdir(root / "keys", 0o700)
    with _Lock(root / ".keys.lock"):
        for name, comment in (("host_ed25519", "rhltest-host"), ("client_key", "rhltest-client")):
            if not (keys / name).exists() or not (keys / f"{name}.pub").exists():
                for leftover in (keys / name, keys / f"{name}.pub"):
                    leftover.unlink(missing_ok=True)
                path = str(keys / name)
                _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path], timeout=30)
    return keys


# --------------------------------------------------------------------------- venvs


def _package_requirements() -> list[str]:
    import tomllib

    data = tomllib.loads((PACKAGE / "pyproject.toml").read_text())
    return list(data["project"]["dependencies"])


def _source_hash() -> str:
    """Hash of everything that goes into our wheel; a change means a new overlay venv."""
    digest = hashlib.sha256()
    files = [PACKAGE / "pyproject.toml", PACKAGE / "README.md"]
    for sub in ("src", "scripts"):
        files += [
            p
            for p in (PACKAGE / sub).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
        ]
    for path in sorted(files):
        digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def ensure_deps_venv(root: pathlib.Path) -> pathlib.Path:
    requirements = sorted(set(REMOTE_EXTRAS + _package_requirements()))
    version = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import sys; print(sys.version)"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    tag = hashlib.sha256(json.dumps([version, requirements]).encode()).hexdigest()[:16]
    venv = root / "venvs" / f"deps-{tag}"
    if (venv / MARKER).exists():
        return venv
    with _Lock(root / ".venvs.lock"):
        if (venv / MARKER).exists():
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        _run([SYSTEM_PYTHON, "-m", "venv", str(venv)], timeout=120)
        _run(
            [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", *requirements],
            timeout=600,
        )
        (venv / MARKER).write_text(json.dumps(requirements) + "\n")
    return venv


REFERENCE_VERSION = "0.4.5"


def ensure_reference_venv() -> pathlib.Path:
    """bin/ of a venv with remote-http-launcher 0.4.5 from PyPI, built once from the system
    Python under the shared cache, where the non-root svc account can run it too (a venv under
    a 0700 checkout or temp dir would not do for the SSH interop tests)."""
    root = _mkdir(cache_root(), 0o755)
    _mkdir(root / "venvs", 0o755)
    venv = root / "venvs" / f"reference-rhl-{REFERENCE_VERSION}"
    if not (venv / MARKER).exists():
        with _Lock(root / ".venvs.lock"):
            if not (venv / MARKER).exists():
                shutil.rmtree(venv, ignore_errors=True)
                _run([SYSTEM_PYTHON, "-m", "venv", str(venv)], timeout=120)
                _run(
                    [
                        str(venv / "bin" / "pip"),
                        "install",
                        "-q",
                        "--disable-pip-version-check",
                        f"remote-http-launcher=={REFERENCE_VERSION}",
                    ],
                    timeout=300,
                )
                (venv / MARKER).write_text("ok\n")
    return venv / "bin"


def _site_packages(venv: pathlib.Path) -> pathlib.Path:
    found = sorted((venv / "lib").glob("python3*/site-packages"))
    if not found:
        raise RuntimeError(f"no site-packages in {venv}")
    return found[0]


def ensure_rhl_venv(root: pathlib.Path) -> pathlib.Path:
    """The venv with OUR package (non-editable) for the current source; returns the venv dir."""
    deps = ensure_deps_venv(root)
    venv = root / "venvs" / f"rhl-{_source_hash()}"
    marker = venv / MARKER
    if not marker.exists():
        with _Lock(root / ".venvs.lock"):
            if not marker.exists():
                _build_overlay(deps, venv)
                marker.write_text(str(PACKAGE) + "\n")
                _prune_overlays(root, keep=venv)
    os.utime(marker)  # in use: keeps it from being pruned by another session
    return venv


def _build_overlay(deps: pathlib.Path, venv: pathlib.Path) -> None:
    shutil.rmtree(venv, ignore_errors=True)
    _run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(venv)], timeout=60)
    (_site_packages(venv) / "_rhltest_deps.pth").write_text(f"{_site_packages(deps)}\n")
    pip = [str(deps / "bin" / "pip"), "--disable-pip-version-check"]
    with tempfile.TemporaryDirectory(prefix="rhltest-wheel-") as tmp:
        _run([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp, str(PACKAGE)], timeout=300)
        wheels = sorted(pathlib.Path(tmp).glob("remote_http_launcher-*.whl"))
        if len(wheels) != 1:
            raise RuntimeError(f"expected one wheel, found {wheels}")
        _run(
            [*pip, "--python", str(venv / "bin" / "python"), "install", "-q", "--no-deps", str(wheels[0])],
            timeout=300,
        )
    # The deps' console scripts, re-pointed at this venv's interpreter.
    shebang = f"#!{deps / 'bin' / 'python'}".encode()
    for script in sorted((deps / "bin").iterdir()):
        target = venv / "bin" / script.name
        if target.exists() or script.is_symlink() or not script.is_file():
            continue
        content = script.read_bytes()
        first, _, rest = content.partition(b"\n")
        if first.rstrip() not in (shebang, shebang.replace(b"/python", b"/python3")):
            continue
        target.write_bytes(f"#!{venv / 'bin' / 'python'}\n".encode() + rest)
        target.chmod(0o755)


def _prune_overlays(root: pathlib.Path, keep: pathlib.Path) -> None:
    now = time.time()
    for venv in (root / "venvs").glob("rhl-*"):
        if venv == keep:
            continue
        try:
            age = now - (venv / MARKER).stat().st_mtime
        except FileNotFoundError:
            age = now - venv.stat().st_mtime  # an interrupted build
        if age > OVERLAY_MAX_AGE:
            shutil.rmtree(venv, ignore_errors=True)


# --------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """Run in the sshd child before exec: SIGTERM it if the test process dies (no leftovers)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _is_socket(path: pathlib.Path) -> bool:
    try:
        return stat.S_ISSOCK(path.lstat().st_mode)
    except OSError:
        return False


class SSHD:
    """One private sshd on 127.0.0.1 and everything needed to reach it.

    Attributes: ``port``, ``dir`` (the private session directory), ``ssh_config``,
    ``bin_dir`` (holds the ``ssh`` wrapper; prepend it to PATH), ``svc_venv`` and
    ``root_venv`` (bin dirs with our rhl-* helpers, hashserver and seamless-database, as the
    remote side sees them), ``client_key`` and ``client_public_key``.
    """

    def __init__(self, root: pathlib.Path, venv: pathlib.Path, keys: pathlib.Path) -> None:
        sessions = _mkdir(root / "sessions", 0o755)
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="sshd-", dir=sessions))
        os.chmod(self.dir, 0o711)  # svc's sshd reads its authorized_keys below; nothing else
        self.venv = venv
        self.svc_venv = venv / "bin"
        self.root_venv = venv / "bin"
        self.host_key = keys / "host_ed25519"
        self.client_key = keys / "client_key"
        self.client_public_key = (keys / "client_key.pub").read_text().strip()
        self.keys_dir = _mkdir(self.dir / "keys", 0o755)
        self.bin_dir = _mkdir(self.dir / "bin", 0o755)
        self.homes_dir = _mkdir(self.dir / "homes", 0o711)
        self.ssh_config = self.dir / "ssh_config"
        self.sshd_config = self.dir / "sshd_config"
        self.pid_file = self.dir / "sshd.pid"
        self.log = self.dir / "sshd.log"
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._homes: dict[str, pathlib.Path] = {}
        self._paths: dict[str, str] = {}
        self._generation = 0
        self.new_homes()

    # ------------------------------------------------------------------ configuration

    def _write_configs(self) -> None:
        self.sshd_config.write_text(
            f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {self.host_key}
PidFile {self.pid_file}
AuthorizedKeysFile {self.keys_dir}/%u
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
PermitUserEnvironment yes
AllowTcpForwarding yes
X11Forwarding no
PrintMotd no
PrintLastLog no
MaxStartups 200
MaxSessions 100
LogLevel VERBOSE
Subsystem sftp /usr/lib/openssh/sftp-server
"""
        )
        hosts = "".join(f"Host {alias}\n  User {user}\n" for alias, user in ALIASES.items())
        self.ssh_config.write_text(
            hosts
            + f"""Host *
  HostName 127.0.0.1
  Port {self.port}
  IdentityFile {self.client_key}
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile {self.dir}/known_hosts
  GlobalKnownHostsFile /dev/null
  LogLevel ERROR
  BatchMode yes
  ConnectTimeout 10
"""
        )
        host_public = pathlib.Path(f"{self.host_key}.pub").read_text().split()
        (self.dir / "known_hosts").write_text(f"[127.0.0.1]:{self.port} {host_public[0]} {host_public[1]}\n")
        wrapper = self.bin_dir / "ssh"
        wrapper.write_text(f'#!/bin/sh\nexec {SSH} -F {shlex.quote(str(self.ssh_config))} "$@"\n')
        wrapper.chmod(0o755)

    def home(self, user: str) -> pathlib.Path:
        """The current remote HOME of ``user`` (its ``~``)."""
        return self._homes[user]

    def remote_path(self, user: str) -> str:
        return self._paths[user]

    def new_homes(self) -> dict[str, pathlib.Path]:
        """Give both accounts fresh, empty private homes (a copy of /etc/skel) and plain keys."""
        self._generation += 1
        for user in USERS:
            entry = pwd.getpwnam(user)
            home = self.homes_dir / f"{self._generation}-{user}"
            if os.path.isdir("/etc/skel"):
                shutil.copytree("/etc/skel", home, symlinks=True)
            home.mkdir(exist_ok=True)
            for path in [home, *home.rglob("*")]:
                os.lchown(path, entry.pw_uid, entry.pw_gid)
            os.chmod(home, 0o755)
            self._homes[user] = home
            self._paths[user] = self.default_path(user)
            self.set_key_options(user, None)
        return dict(self._homes)

    def key_line(self, user: str) -> str:
        return (self.keys_dir / user).read_text()

    def set_key_options(
        self, user: str, options: str | None, *, environment: bool = True, path: str | None = None
    ) -> None:
        """Rewrite ``user``'s authorized_keys line with ``options`` (None: the plain key).

        ``options`` is the authorized_keys option string, e.g.
        ``command="...",restrict,port-forwarding,permitopen="127.0.0.1:*"``. Unless
        ``environment`` is False, ``environment="HOME=..."`` and ``environment="PATH=..."``
        come first (``path`` replaces the default remote PATH). sshd reads the file on every
        authentication: the next connection sees the change.
        """
        if path is not None:
            self._paths[user] = path
        parts = []
        if environment:
            parts += [f'environment="HOME={self._homes[user]}"', f'environment="PATH={self._paths[user]}"']
        if options:
            parts.append(options)
        prefix = ",".join(parts)
        line = f"{prefix} {self.client_public_key}\n" if prefix else f"{self.client_public_key}\n"
        target = self.keys_dir / user
        tmp = self.keys_dir / f".{user}.tmp"
        tmp.write_text(line)
        tmp.chmod(0o644)
        os.replace(tmp, target)

    def reset_keys(self) -> None:
        """Every account back to its plain key with the default remote PATH."""
        for user in USERS:
            self._paths[user] = self.default_path(user)
            self.set_key_options(user, None)

    def default_path(self, user: str) -> str:
        return f"{self.svc_venv if user == 'svc' else self.root_venv}:{SYSTEM_PATH}"

    # ------------------------------------------------------------------ running commands

    def env(self, extra_path: str | Sequence[str] | None = None, **extra: str) -> dict[str, str]:
        """os.environ with the ssh wrapper first on PATH, then ``extra_path``, then the rest."""
        if extra_path is None:
            extra_list: list[str] = []
        elif isinstance(extra_path, str):
            extra_list = [extra_path]
        else:
            extra_list = [str(p) for p in extra_path]
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([str(self.bin_dir), *extra_list, env.get("PATH", "")])
        env.update(extra)
        return env

    def ssh_argv(self, alias: str, *words: str) -> list[str]:
        return [str(self.bin_dir / "ssh"), alias, *words]

    def run(self, alias: str, *argv_words: str, timeout: float = 60, input: str | None = None) -> Result:
        """``ssh alias <words>``: ssh joins the words with spaces and the remote shell parses
        them (quote with shlex.join yourself when a word has spaces)."""
        from conftest import Result

        proc = subprocess.run(
            self.ssh_argv(alias, *argv_words),
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    # ------------------------------------------------------------------ life cycle

    def start(self, attempts: int = 5) -> None:
        os.makedirs("/run/sshd", exist_ok=True)
        os.chmod("/run/sshd", 0o755)
        last = ""
        for _attempt in range(attempts):
            self.port = _free_port()
            self._write_configs()
            _run([SSHD_BIN, "-t", "-f", str(self.sshd_config)], timeout=30)
            self.pid_file.unlink(missing_ok=True)
            # -D: sshd stays our child, so we see at once when it cannot bind, and reap it.
            self._proc = subprocess.Popen(
                [SSHD_BIN, "-D", "-f", str(self.sshd_config), "-E", str(self.log)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # the fixture starts it before any test thread exists
            )
            if self._wait_listening(timeout=10):
                if self._wait_usable(timeout=15):
                    return
                last = "sshd started but `ssh rhltest-svc true` failed"
                self.stop_server()
            else:
                last = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
                self.stop_server()
        raise RuntimeError(f"could not start sshd: {last}")

    def _wait_listening(self, timeout: float) -> bool:
        """The pid file appears once the listen socket is bound; an early exit means it was not."""
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        delay = 0.002
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            if self.pid_file.exists() and self.pid_file.read_text().strip():
                return True
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        return False

    def _wait_usable(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        delay = 0.01
        while time.monotonic() < deadline:
            if self.run("rhltest-svc", "true", timeout=15).returncode == 0:
                return True
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
        return False

    def exit_control_masters(self) -> None:
        for path in self.dir.rglob("*"):
            if _is_socket(path):
                subprocess.run(
                    [SSH, "-F", str(self.ssh_config), "-S", str(path), "-O", "exit", "rhltest-svc"],
                    capture_output=True,
                    timeout=10,
                    stdin=subprocess.DEVNULL,
                )

    def stop_server(self) -> None:
        """Stop the listener by its pid file (open sessions end when their clients go)."""
        pid = None
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            pass
        proc, self._proc = self._proc, None
        if proc is not None and pid is None and proc.poll() is None:
            pid = proc.pid
        if pid is not None and (proc is None or pid == proc.pid):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if proc is not None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self.pid_file.unlink(missing_ok=True)

    def stop_services(self, homes: Sequence[tuple[str, pathlib.Path]]) -> None:
        """``rhl-stop`` every key found in these private homes (each a service that a test
        started under them), as the home's user; then remove their launcher state."""
        for user, home in homes:
            server = home / ".remote-http-launcher" / "server"
            keys = sorted(p.stem for p in server.glob("*.json") if not p.name.startswith("."))
            if keys:
                entry = pwd.getpwnam(user)
                subprocess.run(
                    [str(self.svc_venv / "rhl-stop"), *keys],
                    capture_output=True,
                    timeout=60,
                    stdin=subprocess.DEVNULL,
                    user=entry.pw_uid,
                    group=entry.pw_gid,
                    extra_groups=[],
                    env={"HOME": str(home), "PATH": f"{self.svc_venv}:{SYSTEM_PATH}", "LANG": "C.UTF-8"},
                    cwd="/",
                )
            shutil.rmtree(home / ".remote-http-launcher", ignore_errors=True)

    @contextlib.contextmanager
    def isolated(self) -> Iterator[SSHD]:
        """Fresh private homes and plain keys for one test; afterwards the services started
        under them are stopped, the homes removed, and the previous homes and keys restored."""
        saved_homes, saved_paths = dict(self._homes), dict(self._paths)
        homes = self.new_homes()
        try:
            yield self
        finally:
            self._homes, self._paths = saved_homes, saved_paths
            self.exit_control_masters()  # a master carries the old key line's environment
            self.reset_keys()
            self.stop_services(list(homes.items()))
            for home in homes.values():
                shutil.rmtree(home, ignore_errors=True)

    def close(self) -> None:
        try:
            self.reset_keys()
            self.stop_services(list(self._all_homes()))
            self.exit_control_masters()
        finally:
            self.stop_server()
        if not os.environ.get("RHL_TEST_KEEP_SSHD"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def _all_homes(self) -> Iterator[tuple[str, pathlib.Path]]:
        for home in sorted(self.homes_dir.iterdir()):
            user = home.name.split("-", 1)[-1]
            if user in USERS:
                yield user, home


def start_sshd() -> SSHD:
    """Everything for one test session: package, account, keys, venvs, and a running sshd."""
    if sys.platform != "linux":
        raise RuntimeError("the sshd fixture needs Linux")
    ensure_openssh_server()
    ensure_svc_account()
    root = _mkdir(cache_root(), 0o755)
    _mkdir(root / "venvs", 0o755)
    keys = ensure_keys(root)
    venv = ensure_rhl_venv(root)
    server = SSHD(root, venv, keys)
    try:
        server.start()
    except BaseException:
        server.close()
        raise
    return server
