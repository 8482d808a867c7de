"""What the launcher tells the user while it works.

Off a terminal (and in log files) every phase is one line, ``<elapsed>s <phase>: <result>``,
as remote-http-launcher 0.4.5 wrote them, so existing log readers keep working. On a
terminal a single live line says which phase the launch is in (connect, conda, launch,
wait, handshake, tunnel) and how long it has been waiting, refreshed ten times a second,
and is replaced by one summary line at the end.

Levels: ``minimal`` (only errors, and a summary when the launch took longer than 1.5 s),
``basic`` (one line per phase, the default) and ``debug`` (also details and every helper
call). ``log_file`` receives basic lines, ``debug_log_file`` debug lines.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import time
from _thread import allocate_lock  # builtin: ``threading`` only for the live line's ticker

TYPE_CHECKING = False
if TYPE_CHECKING:
    import threading
    from typing import IO

LEVELS = ("minimal", "basic", "debug")
MINIMAL_THRESHOLD = 1.5

#: Phase name in log lines -> word on the live line.
LIVE_WORDS = {
    "local_check": "check",
    "connect": "connect",
    "remote_check": "check",
    "remote_validate": "verify",
    "conda_setup": "conda",
    "launch": "launch",
    "wait_for_start": "wait",
    "handshake": "handshake",
    "tunnel_setup": "tunnel",
    "local_validate": "handshake",
}

#: ``@rhl-phase <word>`` events of ``rhl-launch-service --await --progress`` -> phase names.
REMOTE_PHASES = {
    "check": "remote_check",
    "verify": "remote_validate",
    "conda": "conda_setup",
    "launch": "launch",
    "wait": "wait_for_start",
    "handshake": "handshake",
}


#: Mode of every log file the launcher writes (they hold full command lines and ``meta``).
LOG_FILE_MODE = 0o600
#: Mode of the directories the launcher creates for them, and of its own ones it writes into.
LOG_DIR_MODE = 0o700


def _own_roots() -> list[str]:
    """The launcher's own trees: ``~/.remote-http-launcher`` (where seamless-config-services
    puts launcher logs) and the state base directory, if it is somewhere else."""
    from .. import paths

    roots = [os.path.abspath(os.path.expanduser(paths.DEFAULT_BASE_DIR)), paths.base_dir()]
    return list(dict.fromkeys(roots))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _tighten_dir(path: str) -> None:
    """An existing directory of ours (a real directory owned by this user) becomes 0700;
    older versions created them 0755. Anything else is left as it is, and so are ``$HOME``
    and its ancestors whatever ``REMOTE_HTTP_LAUNCHER_DIR`` says."""
    home = os.path.abspath(os.path.expanduser("~"))
    if _inside(home, path):
        return
    st = os.lstat(path)
    if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) != LOG_DIR_MODE:
        os.chmod(path, LOG_DIR_MODE)


def _private_parents(parent: str, root: str | None) -> None:
    """Create the missing levels of ``parent`` with mode 0700; inside ``root`` (one of
    :func:`_own_roots`) also tighten the existing levels from ``root`` down."""
    missing = []
    current = parent
    while not os.path.isdir(current):
        missing.append(current)
        upper = os.path.dirname(current)
        if upper == current:
            break
        current = upper
    for directory in reversed(missing):
        try:
            os.mkdir(directory, LOG_DIR_MODE)
        except FileExistsError:
            pass
    if root is None:
        return
    current = parent
    while _inside(current, root):
        _tighten_dir(current)
        if current == root:
            break
        current = os.path.dirname(current)


def _open_log(path: str | None) -> IO[str] | None:
    """Open a log for writing (truncated), private: mode 0600 in 0700 directories.

    A file that exists already is made 0600 as well (its old content is replaced by ours), if
    it is a regular file of this user. Inside the launcher's own trees a symlink or a
    non-regular file (a FIFO would block the launch) is refused, never followed.
    """
    if not path:
        return None
    path = os.path.abspath(os.path.expanduser(path))
    root = next((root for root in _own_roots() if _inside(path, root)), None)
    _private_parents(os.path.dirname(path), root)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
    if root is not None:
        flags |= os.O_NOFOLLOW | os.O_NONBLOCK
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            pass
        else:
            if not stat.S_ISREG(st.st_mode):
                raise OSError(errno.EINVAL, "not a regular file")
    fd = os.open(path, flags, LOG_FILE_MODE)
    try:
        st = os.fstat(fd)
        regular = stat.S_ISREG(st.st_mode)
        if root is not None:
            if not regular:
                raise OSError(errno.EINVAL, "not a regular file")
            os.set_blocking(fd, True)
        if regular and st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) != LOG_FILE_MODE:
            os.fchmod(fd, LOG_FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return open(fd, "w", buffering=1, encoding="utf-8")


class _Stopped:
    """The stop flag of an observer without a live line (no ticker thread waits on it)."""

    def __init__(self) -> None:
        self.flag = False

    def set(self) -> None:
        self.flag = True

    def is_set(self) -> bool:
        return self.flag

    def wait(self, timeout: float | None = None) -> bool:
        return self.flag


class Observer:
    """Receives the launcher's events and renders them for a terminal, a pipe and log files."""

    def __init__(
        self,
        key: str,
        level: str = "basic",
        log_file: str | None = None,
        debug_log_file: str | None = None,
        stream: IO[str] | None = None,
        live: bool | None = None,
    ) -> None:
        self.key = key
        self.level = level
        #: How the launch ended (``launched``, ``reused-local``, ``reused-remote``), once it has.
        self.outcome: str | None = None
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()
        self.phase_started = self.started
        self.current = "check"
        self.live = (self.stream.isatty() if live is None else live) and level != "debug"
        self.log: IO[str] | None = None
        self.debug_log: IO[str] | None = None
        self._lock = allocate_lock()
        self._ticker: threading.Thread | None = None
        self._stop: threading.Event | _Stopped = _Stopped()
        if self.live:
            import threading

            self._stop = threading.Event()
        self._drawn = False
        self._open_logs(
            log_file if level == "minimal" else None, debug_log_file if level != "debug" else None
        )

    def _open_logs(self, log_file: str | None, debug_log_file: str | None) -> None:
        """Open both logs; one that cannot be opened is a one-line launch error, shown here."""
        from .errors import LauncherError

        for name, path in (("log", log_file), ("debug_log", debug_log_file)):
            try:
                setattr(self, name, _open_log(path))
            except OSError as exc:
                message = f"cannot write log file {path}: {exc.strerror or exc}"
                self.error(message)
                raise LauncherError(message) from None

    # -- rendering ---------------------------------------------------------------------------
    def _elapsed(self) -> str:
        return f"{time.monotonic() - self.started:6.1f}s"

    def _write_line(self, text: str, *, to_stream: bool) -> None:
        with self._lock:
            if to_stream:
                self._clear_live()
                self.stream.write(text + "\n")
                self.stream.flush()
                self._draw_live()

    def _line(self, text: str, *, debug_only: bool = False) -> None:
        stamped = f"{self._elapsed()} {text}"
        for log in (self.log if not debug_only else None, self.debug_log):
            if log is not None:
                log.write(stamped + "\n")
        show = self.level == "debug" or (self.level == "basic" and not debug_only and not self.live)
        if show:
            self._write_line(stamped, to_stream=True)

    def _live_text(self) -> str:
        waited = time.monotonic() - self.phase_started
        total = time.monotonic() - self.started
        return f"  {self.key}: {self.current} ({waited:.1f}s, total {total:.1f}s)"

    def _clear_live(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self._drawn = False

    def _draw_live(self) -> None:
        if not self.live or self._stop.is_set():
            return
        if self.level == "minimal" and time.monotonic() - self.started < MINIMAL_THRESHOLD:
            return
        self.stream.write("\r\x1b[K" + self._live_text())
        self.stream.flush()
        self._drawn = True

    def _tick(self) -> None:
        while not self._stop.wait(0.1):
            with self._lock:
                self._draw_live()

    # -- events ------------------------------------------------------------------------------
    def phase(self, name: str, result: str = "") -> None:
        word = LIVE_WORDS.get(name)
        if word is not None and word != self.current:
            self.current = word
            self.phase_started = time.monotonic()
        self._line(f"{name}: {result}" if result else name)
        if self.live and self._ticker is None:
            import threading

            self._ticker = threading.Thread(target=self._tick, name="rhl-progress", daemon=True)
            self._ticker.start()

    def remote_event(self, line: str) -> None:
        """A ``@rhl-phase <word> [detail]`` line from the await helper."""
        parts = line.split(" ", 2)
        if len(parts) >= 2 and parts[0] == "@rhl-phase":
            self.phase(REMOTE_PHASES.get(parts[1], parts[1]), parts[2] if len(parts) > 2 else "")

    def detail(self, message: str) -> None:
        self._line(f"detail: {message}", debug_only=True)

    def command(self, executor: str, argv: list[str]) -> None:
        self._line(f"command[{executor}]: {' '.join(argv)}", debug_only=True)

    def finish(self, outcome: str) -> None:
        self.outcome = outcome
        self._line(f"done: {outcome}")
        elapsed = time.monotonic() - self.started
        self._stop_live()
        if self.live and (self.level == "basic" or elapsed >= MINIMAL_THRESHOLD):
            self._write_line(f"  {self.key}: {outcome} ({elapsed:.1f}s)", to_stream=True)
        elif self.level == "minimal" and elapsed >= MINIMAL_THRESHOLD and not self.live:
            self._write_line(f"  {self.key}: ready ({elapsed:.1f}s)", to_stream=True)
        self.close()

    def error(self, message: str, log_tail: str = "") -> None:
        self._stop_live()
        stamped = f"{self._elapsed()} error: {message}"
        for log in (self.log, self.debug_log):
            if log is not None:
                log.write(stamped + "\n")
        text = stamped if self.level != "minimal" else f"  {self.key}: error: {message}"
        if self.live:
            text = f"  {self.key}: error: {message}"
        self._write_line(text, to_stream=True)
        if log_tail:
            self._write_line(
                "  last lines of the service log:\n"
                + "".join(f"    | {line}\n" for line in log_tail.rstrip("\n").splitlines()).rstrip("\n"),
                to_stream=True,
            )
        self.close()

    def _stop_live(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(1.0)
        with self._lock:
            self._clear_live()
            self.stream.flush()

    def close(self) -> None:
        self._stop.set()
        for log in (self.log, self.debug_log):
            if log is not None:
                log.close()
        self.log = self.debug_log = None
