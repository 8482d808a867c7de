"""Where the ``rhl-*`` helpers run: in this process for the local cluster, over SSH otherwise.

The only thing that crosses to another host is a helper's argv (shell-quoted, with the
seeds' ``PATH`` prepend) and its output. Every call to one host rides one OpenSSH master
connection (``ControlMaster``, shared with the launcher, so a ``ps`` right after a launch
needs no login at all): the first call to a host runs alone and becomes the master, the
others then run side by side over it. ``BatchMode`` and a connect timeout turn a dead host
or a missing key into an error instead of a hang or a password prompt.

Local calls run the helper's own code in this process (no interpreter start-up), with the
same argument parser the installed ``rhl-*`` scripts use.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading

from remote_http_launcher.launch.executors import (  # the launcher's SSH contract, shared
    CONNECT_TIMEOUT,
    CONTROL_PERSIST,
    PATH_PREPEND,
    control_directory,
    helpers_missing,
    helpers_missing_message,
    unreachable_message,
)

from .errors import HelperFailed, HostUnreachable, ServiceError

TYPE_CHECKING = False  # the commands' fast path imports this module: no typing at run time
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import IO

#: Bound for one helper call; ``logs --follow`` is the only unbounded one.
CALL_TIMEOUT = 120.0

LOCAL = None  # the target of helpers that run on this machine


class Call:
    """One helper invocation: where (``None`` = here), which helper, which arguments."""

    __slots__ = ("args", "helper", "target")

    def __init__(self, target: str | None, helper: str, args: tuple[str, ...]) -> None:
        self.target = target
        self.helper = helper
        self.args = tuple(args)

    def __repr__(self) -> str:
        return f"Call({self.target!r}, {self.helper!r}, {self.args!r})"

    @property
    def where(self) -> str:
        return self.target or "localhost"

    def command_line(self) -> str:
        """What a person would type to run the same thing (shown in errors and reports)."""
        words = shlex.join([self.helper, *self.args])
        if self.target is None:
            return words
        return f"ssh {shlex.quote(self.target)} {shlex.quote(remote_command(self.helper, self.args))}"


class Result:
    """What a helper printed and returned."""

    __slots__ = ("call", "rc", "stderr", "stdout")

    def __init__(self, call: Call, rc: int, stdout: str, stderr: str) -> None:
        self.call = call
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    def json_rows(self) -> list[dict[str, object]]:
        """Parse NDJSON output (``--json`` helpers); a garbled line is a one-line error."""
        import json

        rows = []
        for line in self.stdout.splitlines():
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                raise ServiceError(
                    f"{self.call.helper} on {self.call.where} printed invalid JSON: {line[:80]!r}"
                ) from None
            if isinstance(row, dict):
                rows.append(row)
        return rows

    def error_line(self) -> str:
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else f"exit code {self.rc}"

    def check(self) -> Result:
        """Raise :class:`HelperFailed` (the helper's exit code) unless it succeeded."""
        if self.rc != 0:
            raise HelperFailed(f"{self.call.helper} on {self.call.where}: {self.error_line()}", self.rc)
        return self


def lacks_size_option(outcome: Outcome) -> bool:
    """rhl-ps-persistent of remote-http-launcher 0.4.5 has no ``--size``: ask again without."""
    return isinstance(outcome, Result) and outcome.rc == 2 and "--size" in outcome.stderr


def remote_command(helper: str, args: Sequence[str]) -> str:
    """The remote shell command: PATH prepend, then every word quoted.

    A leading ``~/`` stays unquoted so that the remote shell expands it to the remote home
    (helpers of remote-http-launcher 0.4.5 do not expand ``~`` themselves); rhl-guard,
    which runs no shell, reads the same text and expands ``~`` itself."""
    words = [PATH_PREPEND, shlex.quote(helper)]
    for arg in args:
        if arg.startswith("~/") and len(arg) > 2:
            words.append("~/" + shlex.quote(arg[2:]))
        else:
            words.append(shlex.quote(arg))
    return " ".join(words)


_control_dir: str | None = None


def control_dir() -> str:
    """The launcher's ControlMaster directory: the commands and the launcher share masters."""
    global _control_dir
    if _control_dir is None:
        _control_dir = control_directory()
    return _control_dir


def ssh_argv(target: str, helper: str, args: Sequence[str]) -> list[str]:
    return [
        "ssh",
        "-o", "BatchMode=yes",
        "-o", f"ConnectTimeout={CONNECT_TIMEOUT}",
        "-o", f"ControlPath={os.path.join(control_dir(), '%C')}",
        "-o", "ControlMaster=auto",
        "-o", f"ControlPersist={CONTROL_PERSIST}",
        "-n", target, remote_command(helper, args),
    ]  # fmt: skip


# -- local calls ------------------------------------------------------------------------------

_LOCAL_LOCK = threading.Lock()  # stdout/stderr redirection is process-wide


def _run_local(call: Call, stdout: IO[str] | None) -> Result:
    """Run the helper's body in this process. ``stdout`` given: stream into it (passthrough)."""
    import contextlib
    import importlib
    import io

    from remote_http_launcher.cli import COMMAND_MODULES
    from remote_http_launcher.cli._fastparse import NotFast, parse
    from remote_http_launcher.cli._out import run_reporting
    from remote_http_launcher.cli._specs import SPECS

    spec = SPECS[call.helper]
    try:
        values = parse(spec, list(call.args))
    except NotFast:
        return _run_local_subprocess(call, stdout)
    body = importlib.import_module(f"remote_http_launcher.helpers.{COMMAND_MODULES[call.helper]}").run
    # A text stream with a byte buffer beneath, as a real stdout has: rhl-logs copies bytes.
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", write_through=True)
    err = io.StringIO()
    with _LOCAL_LOCK, contextlib.redirect_stdout(stdout or out), contextlib.redirect_stderr(err):
        rc = run_reporting(call.helper, spec["usage_exit_code"], lambda: body(**values))
    out.flush()
    return Result(call, rc, raw.getvalue().decode("utf-8", errors="replace"), err.getvalue())


def _run_local_subprocess(call: Call, stdout: IO[str] | None) -> Result:
    argv = [sys.executable, "-m", "remote_http_launcher.cli", call.helper, *call.args]
    return _communicate(call, argv, stdout, CALL_TIMEOUT)


# -- remote calls -----------------------------------------------------------------------------


def _communicate(call: Call, argv: list[str], stdout: IO[str] | None, timeout: float | None) -> Result:
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        close_fds=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    if stdout is None:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise ServiceError(f"{call.helper} on {call.where} did not answer within {timeout:g} s") from None
        return Result(call, proc.returncode, out, err)
    # Passthrough: copy output as it comes (logs --follow), collect stderr on the side.
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(proc.stderr or ()), daemon=True)
    reader.start()
    try:
        for line in proc.stdout:
            stdout.write(line)
            stdout.flush()
        proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        raise
    reader.join(timeout=5)
    return Result(call, proc.returncode, "", "".join(errors))


def _run_remote(call: Call, stdout: IO[str] | None, timeout: float | None) -> Result:
    assert call.target is not None
    result = _communicate(call, ssh_argv(call.target, call.helper, call.args), stdout, timeout)
    if result.rc == 255:
        raise HostUnreachable(unreachable_message(call.target, result.error_line()))
    if helpers_missing(result.rc, result.stderr):
        raise HelperFailed(helpers_missing_message(call.helper, call.target), 127)
    return result


# -- the dispatcher ---------------------------------------------------------------------------


def run(call: Call, *, stdout: IO[str] | None = None, timeout: float | None = CALL_TIMEOUT) -> Result:
    """Run one call; with ``stdout``, its output is copied there as it comes."""
    if call.target is None:
        return _run_local(call, stdout)
    return _run_remote(call, stdout, timeout)


if TYPE_CHECKING:
    Outcome = Result | ServiceError


def run_many(calls: Sequence[Call], *, timeout: float = CALL_TIMEOUT) -> list[Outcome]:
    """Run calls concurrently, one SSH master per host; results in the order of ``calls``.

    A host that cannot be reached yields a :class:`HostUnreachable` for each of its calls
    (the others still run): one dead frontend must not hide the rest."""
    outcomes: list[Outcome | None] = [None] * len(calls)
    by_host: dict[str | None, list[int]] = {}
    for index, call in enumerate(calls):
        by_host.setdefault(call.target, []).append(index)

    def one(index: int) -> None:
        try:
            outcomes[index] = run(calls[index], timeout=timeout)
        except ServiceError as exc:
            outcomes[index] = exc

    def host_batch(indexes: list[int]) -> None:
        first, rest = indexes[0], indexes[1:]
        one(first)  # becomes the master connection (or finds it already up)
        if isinstance(outcomes[first], HostUnreachable):
            for index in rest:
                outcomes[index] = outcomes[first]
            return
        if len(rest) <= 1:
            for index in rest:
                one(index)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(8, len(rest))) as pool:
            list(pool.map(one, rest))

    local = by_host.pop(None, [])
    threads = [
        threading.Thread(target=host_batch, args=(indexes,), daemon=True) for indexes in by_host.values()
    ]
    for thread in threads:
        thread.start()
    for index in local:  # in this thread: stdout redirection is process-wide
        one(index)
    for thread in threads:
        thread.join()
    return [o for o in outcomes if o is not None]
