"""Where the ``rhl-*`` helpers of a launch run: here, or on an SSH host.

Only argv crosses this line, never shell snippets or Python source. Over SSH every call
goes through one multiplexed connection per host (an OpenSSH ControlMaster under a private
control directory), with ``BatchMode`` and a connect timeout so that an unreachable host
or a missing key is an error, not a hang or a password prompt. Every remote call carries
the seeds' ``PATH`` prepend so that helpers installed in a conda base environment are found.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable

from .. import paths
from .errors import LauncherError

#: Prepended to every remote helper call (the seeds' client-side PATH contract).
PATH_PREPEND = "PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH"
CONNECT_TIMEOUT = 10
#: How long an idle master connection stays up after the last call (seconds).
CONTROL_PERSIST = 60
#: Upper bound for one helper call (the await helper has its own, shorter, timeouts).
CALL_TIMEOUT = 900.0

LineCallback = Callable[[str], None]


class HelperResult:
    """What one helper call returned."""

    def __init__(self, rc: int, stdout: str, stderr: str) -> None:
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    def last_error_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip() and not line.startswith("@rhl-")]
        return lines[-1].strip() if lines else f"exit code {self.rc}"


class HostUnreachable(LauncherError):
    """SSH could not connect (or authenticate) to the host."""


class HelpersMissing(LauncherError):
    """The target has no ``rhl-*`` helpers on its PATH (even with the conda-base prepend)."""


class Executor:
    """Runs helpers on the target of a launch."""

    name = "Executor"
    remote = False

    def call(
        self,
        helper: str,
        args: list[str],
        *,
        on_line: LineCallback | None = None,
        timeout: float = CALL_TIMEOUT,
    ) -> HelperResult:
        raise NotImplementedError

    def status_file(self, key: str) -> str:
        """The ``{status_file}`` value for the command template."""
        raise NotImplementedError


def _pump(proc: subprocess.Popen[str], on_line: LineCallback | None, timeout: float) -> HelperResult:
    """Read stderr line by line (progress) while a thread drains stdout; kill the call at
    ``timeout``.

    Both pipes are read at the same time: the await helper's answer is one JSON line holding
    the whole state (``meta`` and ``parameters`` included), easily more than a pipe buffer
    (64 KiB). Reading stdout only after stderr's end deadlocked: the helper blocked writing
    its answer, with stderr still open, while we waited for stderr to close.
    """
    assert proc.stderr is not None and proc.stdout is not None
    stdout_pipe = proc.stdout
    chunks: list[str] = []

    def drain() -> None:
        while chunk := stdout_pipe.read(1 << 16):
            chunks.append(chunk)

    reader = threading.Thread(target=drain, name="rhl-helper-stdout", daemon=True)
    reader.start()
    killer = threading.Timer(timeout, proc.kill)
    killer.daemon = True
    killer.start()
    err_lines = []
    try:
        for line in proc.stderr:
            if on_line is not None and line.startswith("@rhl-"):
                on_line(line.rstrip("\n"))
            else:
                err_lines.append(line)
        reader.join()
        rc = proc.wait()
    finally:
        killer.cancel()
    return HelperResult(rc, "".join(chunks), "".join(err_lines))


class LocalExecutor(Executor):
    """Helpers of this very installation, run as subprocesses of ``sys.executable``."""

    name = "LocalExecutor"

    def call(
        self,
        helper: str,
        args: list[str],
        *,
        on_line: LineCallback | None = None,
        timeout: float = CALL_TIMEOUT,
    ) -> HelperResult:
        argv = [sys.executable, "-m", "remote_http_launcher.cli", helper, *args]
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            close_fds=True,
        )
        return _pump(proc, on_line, timeout)

    def status_file(self, key: str) -> str:
        return paths.state_path(key)


#: Overrides where ControlMaster sockets live (tests put them next to their private sshd).
ENV_CONTROL_DIR = "RHL_CONTROL_DIR"


def control_directory() -> str:
    """A private directory for ControlMaster sockets (short path: sockets are limited to 108 bytes)."""
    import warnings

    import platformdirs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        directory = os.environ.get(ENV_CONTROL_DIR) or platformdirs.user_runtime_dir("rhl")
    parent = os.path.dirname(directory)
    os.makedirs(parent, mode=0o700, exist_ok=True)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    for path in (parent, directory):
        st = os.lstat(path)
        if st.st_uid != os.getuid() or (st.st_mode & 0o077 and path == directory):
            raise LauncherError(f"refusing to use {path} for SSH control sockets: not private to this user")
    return directory


def unreachable_message(host: str, error: str) -> str:
    """What an ssh exit status 255 means, and what to check (the launcher and the
    seamless-service-* commands say it the same way)."""
    return (
        f"cannot reach {host} over SSH: {error} (check ssh_hostname in the configuration, "
        f"and that 'ssh {host} true' works without a password)"
    )


def helpers_missing(rc: int, stderr: str) -> bool:
    """The remote shell could not find the helper (exit 127, 'command not found')."""
    return rc == 127 and "not found" in stderr.lower()


def helpers_missing_message(helper: str, host: str) -> str:
    return (
        f"{helper} is not installed on {host} (not found even with "
        "$HOME/miniforge3/bin:$HOME/miniconda3/bin prepended to PATH): run "
        "'pip install remote-http-launcher' there, into the system Python or the conda base env"
    )


class SSHExecutor(Executor):
    """Helpers on ``host``, reached through one OpenSSH master connection."""

    remote = True

    def __init__(self, host: str, *, control_dir: str | None = None) -> None:
        self.host = host
        self.name = f"SSHExecutor[{host}]"
        self.control_dir = control_dir
        self._control_path: str | None = None

    # -- the master connection -------------------------------------------------------------
    def base_options(self) -> list[str]:
        return ["-o", "BatchMode=yes", "-o", f"ConnectTimeout={CONNECT_TIMEOUT}"]

    def control_path(self) -> str:
        if self._control_path is None:
            self._control_path = os.path.join(self.control_dir or control_directory(), "%C")
        return self._control_path

    def mux_options(self) -> list[str]:
        """Share one connection per host: the first call becomes the master (it stays up for
        ControlPersist seconds after the last call), later calls ride it in milliseconds. If
        two first calls race, the loser simply uses a connection of its own."""
        return [
            "-o",
            f"ControlPath={self.control_path()}",
            "-o",
            "ControlMaster=auto",
            "-o",
            f"ControlPersist={CONTROL_PERSIST}",
        ]

    # -- helper calls ------------------------------------------------------------------------
    def remote_command(self, helper: str, args: list[str]) -> str:
        return " ".join([PATH_PREPEND, shlex.quote(helper), *(shlex.quote(a) for a in args)])

    def call(
        self,
        helper: str,
        args: list[str],
        *,
        on_line: LineCallback | None = None,
        timeout: float = CALL_TIMEOUT,
    ) -> HelperResult:
        import sh

        self._await_preconnect()
        err_lines: list[str] = []

        def stderr_line(line: str) -> None:
            if on_line is not None and line.startswith("@rhl-"):
                on_line(line.rstrip("\n"))
            else:
                err_lines.append(line)

        # Our own timer, not sh's _timeout: that one polls and adds ~0.1 s to every call.
        running = sh.Command("ssh")(
            *self.base_options(),
            *self.mux_options(),
            "-n",
            self.host,
            self.remote_command(helper, args),
            _ok_code=list(range(256)),
            _return_cmd=True,
            _bg=True,
            _bg_exc=False,
            _err=stderr_line,
            _tty_out=False,
            _decode_errors="replace",
        )
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            running.kill()

        timer = threading.Timer(timeout, expire)
        timer.daemon = True
        timer.start()
        try:
            done = running.wait()
        except sh.SignalException:
            if expired.is_set():
                raise LauncherError(f"{helper} on {self.host} did not answer within {timeout:g} s") from None
            raise LauncherError(f"ssh to {self.host} was killed while running {helper}") from None
        finally:
            timer.cancel()
        stdout = done.stdout
        text = stdout.decode(errors="replace") if isinstance(stdout, bytes) else str(stdout)
        result = HelperResult(int(done.exit_code), text, "".join(err_lines))
        self._diagnose(helper, result)
        return result

    def _await_preconnect(self) -> None:
        """Let a master connection started ahead of time (see :func:`.fastpath.preconnect`)
        finish authenticating, so this call rides it instead of opening a second one."""
        from . import fastpath

        if fastpath.PRECONNECT is None or fastpath.PRECONNECT[0] != self.host:
            return
        proc = fastpath.PRECONNECT[1]
        fastpath.PRECONNECT = None
        try:
            proc.wait(timeout=CONNECT_TIMEOUT * 3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _diagnose(self, helper: str, result: HelperResult) -> None:
        if result.rc == 255:
            raise HostUnreachable(unreachable_message(self.host, result.last_error_line()))
        if helpers_missing(result.rc, result.stderr):
            raise HelpersMissing(helpers_missing_message(helper, self.host))

    def status_file(self, key: str) -> str:
        # The target's helpers map this default-layout path onto their own layout.
        return f"~/.remote-http-launcher/server/{key}.json"
