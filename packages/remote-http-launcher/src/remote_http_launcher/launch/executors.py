"""Where the ``rhl-*`` helpers of a launch run: here, or on an SSH host.

Only argv crosses this line, never shell snippets or Python source. Over SSH every call
goes through one multiplexed connection per host (an OpenSSH ControlMaster under a private
control directory), with ``BatchMode`` and a connect timeout so that an unreachable host
or a missing key is an error, not a hang or a password prompt. Every remote call carries
the seeds' ``PATH`` prepend so that helpers installed in a conda base environment are found.
"""

from __future__ import annotations

import io
import sys

from .. import paths
from .errors import LauncherError

TYPE_CHECKING = False
if TYPE_CHECKING:  # subprocess, threading and the transport: only once a helper runs as a process
    import subprocess
    from collections.abc import Callable

    from ..transport import Transport

    LineCallback = Callable[[str], None]

#: Names of the one SSH transport (:mod:`remote_http_launcher.transport`) re-exported here,
#: imported on first use: a local launch runs its helper in-process and never needs them.
_TRANSPORT_NAMES = frozenset(["CONNECT_TIMEOUT", "CONTROL_PERSIST", "ENV_CONTROL_DIR", "PATH_PREPEND"])


def __getattr__(name: str) -> object:
    if name in _TRANSPORT_NAMES:
        from .. import transport

        return getattr(transport, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Upper bound for one helper call (the await helper has its own, shorter, timeouts).
CALL_TIMEOUT = 900.0


class HelperResult:
    """What one helper call returned."""

    def __init__(self, rc: int, stdout: str, stderr: str, *, timed_out: bool = False) -> None:
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        #: The call was killed at its timeout.
        self.timed_out = timed_out

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
    import threading

    assert proc.stderr is not None and proc.stdout is not None
    stdout_pipe = proc.stdout
    chunks: list[str] = []

    def drain() -> None:
        while chunk := stdout_pipe.read(1 << 16):
            chunks.append(chunk)

    reader = threading.Thread(target=drain, name="rhl-helper-stdout", daemon=True)
    reader.start()
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        proc.kill()

    killer = threading.Timer(timeout, expire)
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
    return HelperResult(rc, "".join(chunks), "".join(err_lines), timed_out=expired.is_set())


class _LineStream(io.StringIO):
    """The stderr of a helper run in this process: ``@rhl-`` progress lines go to ``on_line``
    as they are written (the live line keeps moving), everything else is kept."""

    def __init__(self, on_line: LineCallback | None) -> None:
        super().__init__()
        self._on_line = on_line
        self._partial = ""
        self._kept: list[str] = []

    def write(self, text: str) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            if self._on_line is not None and line.startswith("@rhl-"):
                self._on_line(line)
            else:
                self._kept.append(line + "\n")
        return len(text)

    def kept(self) -> str:
        return "".join(self._kept) + self._partial


#: Helpers a :class:`LocalExecutor` made with ``in_process=True`` runs in this very process,
#: through the one runner (:func:`remote_http_launcher.commands.invoke`): a second interpreter
#: would cost more than the whole check of a running service. ``rhl-launch-service`` forks its
#: supervisor from here (it closes every descriptor but the service lock and imports nothing).
IN_PROCESS = frozenset(["rhl-launch-service"])


class LocalExecutor(Executor):
    """Helpers of this very installation, as subprocesses of ``sys.executable``; with
    ``in_process`` the launch helper runs in this process instead.

    Only the launcher's command line asks for that: it is a small process that exits once the
    service answers. A long-lived caller of the Python API (Seamless itself) must not be the
    parent image of a supervisor that lives as long as the service.
    """

    name = "LocalExecutor"

    def __init__(self, *, in_process: bool = False) -> None:
        self.in_process = in_process

    def call(
        self,
        helper: str,
        args: list[str],
        *,
        on_line: LineCallback | None = None,
        timeout: float = CALL_TIMEOUT,
    ) -> HelperResult:
        if self.in_process and helper in IN_PROCESS:
            from ..commands import invoke

            out = io.StringIO()
            err = _LineStream(on_line)
            rc = invoke(helper, args, stdout=out, stderr=err)
            if rc == 130:  # ^C reached the helper's body: the launcher was interrupted
                raise KeyboardInterrupt
            return HelperResult(rc, out.getvalue(), err.kept())
        import subprocess

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


class SSHExecutor(Executor):
    """Helpers on ``host``, reached through the host's :class:`~remote_http_launcher.transport.Transport`
    (one OpenSSH master connection, shared with the seamless-service-* commands)."""

    remote = True

    def __init__(self, host: str, *, control_dir: str | None = None) -> None:
        self.host = host
        self.name = f"SSHExecutor[{host}]"
        self.control_dir = control_dir
        from ..transport import Transport

        self.transport: Transport = Transport(host, control_dir=control_dir)

    def remote_command(self, helper: str, args: list[str]) -> str:
        return self.transport.text([helper, *args])

    def call(
        self,
        helper: str,
        args: list[str],
        *,
        on_line: LineCallback | None = None,
        timeout: float = CALL_TIMEOUT,
    ) -> HelperResult:
        from ..transport import TransportError

        self._await_preconnect()
        try:
            proc = self.transport.popen([helper, *args], text=True)
        except TransportError as exc:
            raise LauncherError(str(exc)) from None
        result = _pump(proc, on_line, timeout)
        if result.timed_out:
            raise LauncherError(f"{helper} on {self.host} did not answer within {timeout:g} s")
        self._diagnose(helper, result)
        return result

    def _await_preconnect(self) -> None:
        """Ride a master connection started ahead of time (the launcher's reuse check starts
        one while it parses the configuration) instead of opening a second one."""
        from ..transport import await_master

        await_master(self.host, self.transport.connect_timeout * 3)

    def _diagnose(self, helper: str, result: HelperResult) -> None:
        from ..transport import helpers_missing, helpers_missing_message, unreachable_message

        if result.rc == 255:
            raise HostUnreachable(unreachable_message(self.host, result.last_error_line()))
        if helpers_missing(result.rc, result.stderr):
            raise HelpersMissing(helpers_missing_message(helper, self.host))

    def status_file(self, key: str) -> str:
        # The target's helpers map this default-layout path onto their own layout.
        return f"~/.remote-http-launcher/server/{key}.json"
