"""The one SSH transport: every ``ssh`` that remote-http-launcher and seamless-config-services
run is built here.

Why one module: the launcher's executor, the client's dispatch, the doctor's probes, the
tunnels and the launcher's pre-connect used to build their own ``ssh`` command lines and
shared only constants; their options drifted apart. Here each host gets:

* one OpenSSH master connection (``ControlMaster=auto``) under a private control directory,
  kept ``CONTROL_PERSIST`` seconds after its last use, so the launcher and the
  ``seamless-service-*`` commands share logins and a second call to a host costs
  milliseconds;
* ``BatchMode=yes`` and a connect timeout: a dead host or a missing key is an error within
  the timeout, never a hang or a password prompt;
* the seeds' ``PATH`` prepend, so that helpers installed in a conda base environment are
  found (and ``rhl-guard``, which reads the same text, strips it the same way);
* quoting done once (:func:`remote_command`).

Only argv (quoted once into one line of shell words) and bytes cross this line. The module
imports nothing beyond the standard library at import time: the tunnel monitor and the
launcher's fast path import it.
"""

from __future__ import annotations

import _thread
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable, Sequence
    from typing import IO, Any

#: Prepended to every remote helper call (the seeds' client-side PATH contract).
PATH_PREPEND = "PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH"
#: Seconds for the TCP connect and the SSH handshake; ``RHL_SSH_CONNECT_TIMEOUT`` overrides.
CONNECT_TIMEOUT = 10.0
ENV_CONNECT_TIMEOUT = "RHL_SSH_CONNECT_TIMEOUT"
#: How long an idle master connection stays up after the last call (seconds).
CONTROL_PERSIST = 60
#: Overrides where ControlMaster sockets live (tests put them next to their private sshd).
ENV_CONTROL_DIR = "RHL_CONTROL_DIR"
#: How many ``ssh`` processes :func:`run_many` keeps in flight: each costs a few MB and a
#: few ms of CPU to start; 16 keeps a 2-core client responsive while 64 hosts answer in
#: four round trips (64/16) at worst, each wave waiting on the network, not the CPU.
MAX_PARALLEL = 16
#: The exit status ssh uses for its own failures (cannot connect, authenticate, ...).
SSH_FAILED = 255


#: What ``shlex.quote`` leaves unquoted (its ``[^\w@%+=:,./-]`` test, ASCII ``\w``).
_SAFE_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")
#: Characters of a host name used as is in a control socket's name.
_PLAIN_HOST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_@")


class TransportError(Exception):
    """An SSH call that did not complete (timed out, or ssh could not be started)."""


class Completed:
    """What one remote command returned: exit status and raw output."""

    __slots__ = ("rc", "stderr", "stdout")

    def __init__(self, rc: int, stdout: bytes, stderr: bytes) -> None:
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self) -> str:
        return f"Completed(rc={self.rc}, stdout={self.stdout[:60]!r}, stderr={self.stderr[:60]!r})"

    def error_line(self) -> str:
        """The last non-empty stderr line (ssh's reason for a 255), else the exit status."""
        lines = [line.strip() for line in self.stderr.decode(errors="replace").splitlines() if line.strip()]
        return lines[-1] if lines else f"exit code {self.rc}"


def default_connect_timeout() -> float:
    """``RHL_SSH_CONNECT_TIMEOUT`` (seconds, > 0) when set and valid, else :data:`CONNECT_TIMEOUT`."""
    raw = os.environ.get(ENV_CONNECT_TIMEOUT)
    if raw:
        try:
            value = float(raw)
        except ValueError:
            return CONNECT_TIMEOUT
        if 0 < value < 1e6:
            return value
    return CONNECT_TIMEOUT


def control_directory() -> str:
    """A private directory for ControlMaster sockets (short path: sockets are limited to 108
    bytes). Refuses a directory that another user could reach into."""
    import warnings

    directory = os.environ.get(ENV_CONTROL_DIR)
    if not directory:
        import platformdirs

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            directory = platformdirs.user_runtime_dir("rhl")
    parent = os.path.dirname(directory)
    os.makedirs(parent, mode=0o700, exist_ok=True)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    for path in (parent, directory):
        st = os.lstat(path)
        if st.st_uid != os.getuid() or (st.st_mode & 0o077 and path == directory):
            raise TransportError(f"refusing to use {path} for SSH control sockets: not private to this user")
    return directory


def _quote(word: str) -> str:
    """``shlex.quote``, importing shlex (and with it ``re`` and ``enum``) only for a word that
    needs quoting: helper names, options and keys never do."""
    if word and all(c in _SAFE_WORD for c in word):
        return word
    import shlex

    return shlex.quote(word)


def quote_word(word: str, *, expand_home: bool = False) -> str:
    """One shell word. With ``expand_home``, a leading ``~/`` stays unquoted so that the
    remote shell expands it to the remote home (helpers of remote-http-launcher 0.4.5 do not
    expand ``~`` themselves; rhl-guard, which runs no shell, expands it itself)."""
    if expand_home and word.startswith("~/") and len(word) > 2:
        return "~/" + _quote(word[2:])
    return _quote(word)


def command_line(argv: Sequence[str], *, expand_home: bool = False) -> str:
    """``argv`` as one line of shell words (no PATH prepend): what ``rhl-batch`` takes per
    inner command, and what a person would type."""
    return " ".join(quote_word(word, expand_home=expand_home) for word in argv)


def remote_command(argv: Sequence[str], *, expand_home: bool = False) -> str:
    """The text the remote shell (or rhl-guard, as ``SSH_ORIGINAL_COMMAND``) gets for a
    helper call: the PATH prepend, then every word quoted once."""
    return f"{PATH_PREPEND} {command_line(argv, expand_home=expand_home)}"


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


class Transport:
    """``ssh`` to one host over its master connection.

    ``run`` takes either an argv (a helper call: quoted once, PATH prepended) or a string
    (sent as is: the doctor's raw probes). Thread-safe: calls to one host may run side by
    side; the first one becomes the master (if two first calls race, the loser uses a
    connection of its own for that one call).
    """

    def __init__(
        self,
        host: str,
        *,
        control_dir: str | None = None,
        connect_timeout: float | None = None,
        ssh: str = "ssh",
    ) -> None:
        self.host = host
        self.ssh = ssh
        self.connect_timeout = connect_timeout if connect_timeout is not None else default_connect_timeout()
        self._control_dir = control_dir
        self._control_path: str | None = None

    def __repr__(self) -> str:
        return f"Transport({self.host!r})"

    # -- options ---------------------------------------------------------------------------
    def base_options(self) -> list[str]:
        return ["-o", "BatchMode=yes", "-o", f"ConnectTimeout={max(1, round(self.connect_timeout))}"]

    def control_path(self) -> str:
        """``<control dir>/m-<host>`` (a plain host name of at most 40 characters) or
        ``m-<its sha256, 40 digits>``: a name we can compute, so :func:`head_start` can tell by
        one ``stat`` whether a master listens (OpenSSH's ``%C`` hashes the resolved name, port and
        user, which only ``ssh -G`` knows). No longer than ``%C`` (sockets: 108 bytes)."""
        if self._control_path is None:
            name = self.host
            if not (0 < len(name) <= 40 and name[0] != "." and all(c in _PLAIN_HOST for c in name)):
                import hashlib

                name = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:40]
            self._control_path = os.path.join(self._control_dir or control_directory(), f"m-{name}")
        return self._control_path

    def master_listening(self) -> bool:
        """Whether this host's master socket exists (a master that died uncleanly leaves one:
        ssh then connects by itself, so a wrong True costs nothing but the head start)."""
        try:
            import stat as _stat

            return _stat.S_ISSOCK(os.stat(self.control_path()).st_mode)
        except OSError:
            return False

    def mux_options(self) -> list[str]:
        return [
            "-o", f"ControlPath={self.control_path()}",
            "-o", "ControlMaster=auto",
            "-o", f"ControlPersist={CONTROL_PERSIST}",
        ]  # fmt: skip

    def text(self, command: str | Sequence[str], *, expand_home: bool = False) -> str:
        """The remote command text for ``command`` (see the class docstring)."""
        if isinstance(command, str):
            return command
        return remote_command(command, expand_home=expand_home)

    def argv(
        self, command: str | Sequence[str], *, expand_home: bool = False, stdin: bool = False
    ) -> list[str]:
        """The full local ``ssh`` argv for one call over the master connection."""
        return [
            self.ssh,
            *self.base_options(),
            *self.mux_options(),
            *([] if stdin else ["-n"]),
            self.host,
            self.text(command, expand_home=expand_home),
        ]

    def forward_argv(self, forwards: Sequence[str], command: str | Sequence[str] | None = None) -> list[str]:
        """``ssh -L ...`` for a tunnel: its own connection (a ControlMaster would take the
        forwards over and let this ssh exit at once), failing when a forward cannot be set
        up, and noticing a dead peer within 45 s. ``command`` None: ``-N``."""
        argv = [
            self.ssh,
            *self.base_options(),
            "-o", "ControlMaster=no",
            "-o", "ControlPath=none",
            "-o", "ExitOnForwardFailure=yes",
            "-o", "ServerAliveInterval=15",
            "-o", "ServerAliveCountMax=3",
            "-n",
        ]  # fmt: skip
        for spec in forwards:
            argv += ["-L", spec]
        if command is None:
            return [*argv, "-N", self.host]
        return [*argv, self.host, self.text(command)]

    # -- calls -----------------------------------------------------------------------------
    def popen(
        self,
        command: str | Sequence[str],
        *,
        expand_home: bool = False,
        stdout: int | IO[Any] | None = -1,
        stderr: int | IO[Any] | None = -1,
        text: bool = False,
    ) -> subprocess.Popen[Any]:
        """Start one call and return the process (streaming callers read its pipes; -1 is
        ``subprocess.PIPE``, not imported for the default)."""
        import subprocess

        await_master(self.host, self.connect_timeout * 3)
        try:
            return subprocess.Popen(
                self.argv(command, expand_home=expand_home),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                close_fds=True,
                text=text,
                errors="replace" if text else None,
            )
        except OSError as exc:
            raise TransportError(f"cannot run {self.ssh}: {exc.strerror or exc}") from None

    def run(
        self,
        command: str | Sequence[str],
        *,
        input: bytes | None = None,
        timeout: float | None = None,
        expand_home: bool = False,
    ) -> Completed:
        """Run one call to completion. ``timeout``: kill ssh and raise :class:`TransportError`.

        If a head start to this host (:func:`head_start`) is under way, it is awaited first;
        if it failed, its result is this call's (ssh's 255 and its message), without a second
        connect timeout."""
        import subprocess

        failed = await_master(self.host, self.connect_timeout * 3)
        if failed is not None:
            return failed
        try:
            proc = subprocess.Popen(
                self.argv(command, expand_home=expand_home, stdin=input is not None),
                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                close_fds=True,
            )
        except OSError as exc:
            raise TransportError(f"cannot run {self.ssh}: {exc.strerror or exc}") from None
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise TransportError(f"{self.host} did not answer within {timeout:g} s") from None
        return Completed(proc.returncode, out, err)

    def preconnect(self, stderr: int | None = None) -> subprocess.Popen[bytes] | None:
        """Start the master connection in the background (``ssh -N -f``) and return the
        process that authenticates (it exits once the master runs); None if ssh cannot start.
        ``stderr``: a descriptor for ssh's messages (default: discarded). OpenSSH's
        ``ControlMaster=auto`` lets a later call find the master once it listens."""
        import subprocess

        argv = [self.ssh, *self.base_options(), *self.mux_options(), "-n", "-N", "-f", self.host]
        try:
            return subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL if stderr is None else stderr,
                close_fds=True,
            )
        except OSError:
            return None

    def close(self) -> None:
        """Ask the master connection to exit now (best effort; it would after ControlPersist)."""
        import subprocess

        try:
            subprocess.run(
                [self.ssh, "-o", f"ControlPath={self.control_path()}", "-O", "exit", self.host],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired, TransportError):
            pass


_transports: dict[tuple[str, str | None], Transport] = {}
_transports_lock = _thread.allocate_lock()  # threading's lock, without importing threading


#: Master connections started ahead of time, by host (:func:`start_master`,
#: :func:`head_start`), with the descriptor of their stderr (None: discarded), until a call
#: to the host takes them (:func:`await_master`).
_HEAD_STARTS: dict[str, tuple[subprocess.Popen[bytes], int | None, float]] = {}
_HEAD_STARTS_LOCK = _thread.allocate_lock()


def _stderr_file(directory: str) -> int | None:
    """An anonymous file for a head start's messages (a pipe could SIGPIPE the master that
    keeps it after ``-f``), or None where ``O_TMPFILE`` is missing."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag:
        return None
    try:
        return os.open(directory, flag | os.O_RDWR | os.O_CLOEXEC, 0o600)
    except OSError:
        return None


def start_master(host: str, *, keep_messages: bool = False) -> None:
    """Start ``host``'s master connection now, in the background, while the caller does other
    work (the launcher parses its configuration; a fan-out starts the hosts that are not
    connected, :func:`head_start`); a wrong guess costs one idle connection. With
    ``keep_messages``, a failure's messages become the next call's (:func:`await_master`)."""
    import time

    started = time.monotonic()
    try:
        link = transport(host)
        errors = _stderr_file(os.path.dirname(link.control_path())) if keep_messages else None
        proc = link.preconnect(errors)
    except (TransportError, OSError):  # only a head start: the call connects by itself
        return
    if proc is None:
        if errors is not None:
            os.close(errors)
        return
    with _HEAD_STARTS_LOCK:
        _HEAD_STARTS[host] = (proc, errors, started)


def head_start(hosts: Sequence[str]) -> None:
    """Start, all at once, the master connections of those ``hosts`` that have none: a fan-out
    bounded to :data:`MAX_PARALLEL` calls would otherwise reach a dead host only when a slot
    frees, and add its whole connect timeout to the command. Here every login (and every
    connect timeout) runs from the start, side by side; a connected host costs one ``stat``."""
    for host in dict.fromkeys(hosts):
        if host in _HEAD_STARTS:
            continue
        try:
            if transport(host).master_listening():
                continue
        except TransportError:
            continue
        start_master(host, keep_messages=True)


def await_master(host: str, timeout: float) -> Completed | None:
    """Let a head start to ``host`` finish authenticating, so the next call rides its master
    instead of opening a second connection (nothing to do without one). Returns what the
    call should report instead of connecting again when the head start ran into its connect
    timeout (exit 255 after that long, with ssh's messages when they were kept), else None:
    a quick failure (refused, a full sshd's MaxStartups) is cheap to try once more."""
    with _HEAD_STARTS_LOCK:
        started = _HEAD_STARTS.pop(host, None)
    if started is None:
        return None
    import subprocess
    import time

    proc, errors, since = started
    try:
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None
        if rc != SSH_FAILED or errors is None:
            return None
        if time.monotonic() - since < transport(host).connect_timeout * 0.9:
            return None
        os.lseek(errors, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(errors, 65536):
            chunks.append(chunk)
        return Completed(rc, b"", b"".join(chunks))
    finally:
        if errors is not None:
            os.close(errors)


def transport(host: str, *, control_dir: str | None = None) -> Transport:
    """The process-wide :class:`Transport` of ``host`` (one control path lookup per host)."""
    with _transports_lock:
        found = _transports.get((host, control_dir))
        if found is None:
            found = _transports[(host, control_dir)] = Transport(host, control_dir=control_dir)
        return found


def run_many(
    calls: Sequence[Callable[[], Any]],
    *,
    max_parallel: int = MAX_PARALLEL,
) -> list[Any]:
    """Run ``calls`` (zero-argument callables, typically one host's whole round each) side by
    side, at most ``max_parallel`` at a time; their results (or the exception each raised) in
    order. A call that waits for a dead host holds one slot for its connect timeout and
    delays no other host beyond that slot."""
    results: list[Any] = [None] * len(calls)
    if not calls:
        return results

    def one(index: int) -> None:
        try:
            results[index] = calls[index]()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller, in order
            results[index] = exc

    if len(calls) == 1:
        one(0)
        return results
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(
        max_workers=max(1, min(max_parallel, len(calls))), thread_name_prefix="rhl-ssh"
    ) as pool:
        list(pool.map(one, range(len(calls))))
    return results
