"""``seamless-service-ps --watch``: redraw a table whenever the services' state changes.

A live view must show a change at once without costing anything while nothing changes.

* **Local hosts** (the client view, a local cluster): the state is the files of this
  machine's state directories: ``server/*.json`` and ``client/*.json`` (written atomically:
  a rename into place), and ``server/.locks/*.service``, the service locks (a service whose
  state file is gone is still listed as ``untracked`` while it holds its lock; when its last
  process ends, the kernel closes the lock file, and that close is the only trace of its
  death). On Linux they are watched with **inotify** (``ctypes`` on libc, no dependency):
  the loop blocks in ``select`` until an event or the next periodic refresh, so a change is
  redrawn within about :data:`SETTLE` s plus one listing and an idle watch never wakes up in
  between. Events of other files (a service's ``.log``, the ``.tmp`` of an atomic write,
  the per-key ``.lock``) are read and dropped. A directory that does not exist yet (no
  service was ever launched here) is waited for on its nearest existing ancestor.
  Elsewhere (not Linux) or when inotify cannot be used (no such libc symbols, the per-user
  inotify instance or watch limit reached) a **bounded poll** replaces it: the same files
  are ``stat``ed every :data:`POLL` s.
* **Every** :data:`REFRESH` s the table is listed anyway, for what no file shows: a process
  that dies without its supervisor writing an exit record (a service of remote-http-launcher
  0.4.5, a ``kill -9`` of the supervisor too), UPTIME moving, persistent data.
* **Remote hosts**: no file event crosses SSH, so one listing every :data:`REFRESH` s over the
  shared SSH master (one round trip per host, as a plain ``ps``).

The environment can tune it (for slow file systems, and for tests that must tell the event
path from the poll): :data:`ENV_REFRESH`, :data:`ENV_POLL` (seconds, a number > 0) and
:data:`ENV_INOTIFY` (``0``: use the poll even where inotify works).

Drawing: on a terminal the screen is cleared and the table drawn at the top with
``(updated HH:MM:SS; Ctrl-C to quit)`` under it; off one, each changed table follows a blank
line. A table equal to the one shown is not drawn again. Ctrl-C ends the watch with exit 0.
"""

from __future__ import annotations

import errno
import math
import os
import select
import sys
import time

from .errors import UsageError

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, Protocol, TextIO

    class Changes(Protocol):
        """What tells the loop that the local state may have changed."""

        def wait(self, timeout: float) -> bool:
            """Block up to ``timeout`` s; True as soon as a relevant change was seen."""

        def close(self) -> None: ...


#: The longest a table goes without a fresh listing (local and remote), in seconds.
REFRESH = 2.0
#: Without inotify: how often the local state files are ``stat``ed, in seconds.
POLL = 0.25
#: After the first event, how long further events are gathered into the same redraw (an
#: atomic write is several events; a stop touches the state file and the lock), in seconds.
SETTLE = 0.03

ENV_REFRESH = "SEAMLESS_SERVICE_PS_WATCH_REFRESH"
ENV_POLL = "SEAMLESS_SERVICE_PS_WATCH_POLL"
ENV_INOTIFY = "SEAMLESS_SERVICE_PS_WATCH_INOTIFY"

#: File names whose changes are state changes (state and connection files; service locks).
RELEVANT_SUFFIXES = (".json", ".service")

# <sys/inotify.h>
IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_ISDIR = 0x40000000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC
#: A state directory. No IN_MODIFY: state files are renamed into place (IN_MOVED_TO) or, by
#: older writers, closed after writing (IN_CLOSE_WRITE); leaving it out keeps a chatty
#: service's log (``server/<key>.log``, held open) from waking the watch on every line. Our
#: own listing only reads (IN_OPEN/IN_ACCESS/IN_CLOSE_NOWRITE, not asked for): no feedback.
DIRECTORY_MASK = (
    IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB
    | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR
)  # fmt: skip
#: The nearest existing ancestor of a state directory that does not exist yet.
ANCESTOR_MASK = IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR
#: Events that always count: the queue overflowed, or a watched directory went away.
ALWAYS = IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF
_HEADER = 16  # struct inotify_event: int wd; uint32 mask, cookie, len; char name[len]


def seconds(name: str, default: float) -> float:
    """An interval from the environment variable ``name`` (else ``default``); a bad value is a
    usage error, not a silent default: the person who set it wants to know."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise UsageError(f"{name}: expected a number of seconds > 0, not {raw!r}")
    return value


def state_directories() -> list[str]:
    """The local directories whose files make up what ``ps`` lists."""
    from remote_http_launcher import paths

    server = paths.server_dir()
    return [server, paths.client_dir(), os.path.join(server, ".locks")]


def local_changes(directories: Iterable[str]) -> Changes:
    """inotify where it works, else the bounded poll (see the module docstring)."""
    directories = list(directories)
    if sys.platform.startswith("linux") and os.environ.get(ENV_INOTIFY, "1") != "0":
        try:
            return Inotify(directories)
        except OSError:
            pass
    return Poll(directories, seconds(ENV_POLL, POLL))


def watch(listing: Callable[[], str], *, remote: bool, out: TextIO | None = None, redraw: bool = True) -> int:
    """Show ``listing()`` (the whole text: table and problem lines) and show it again whenever
    it changes, until Ctrl-C; returns the exit code (0).

    ``remote``: some host is reached over SSH, so only the periodic listing can see changes.
    ``redraw`` False (``--json``): each changed text is written as it is, one after the other,
    also on a terminal (no screen clearing, no footer)."""
    stream = out if out is not None else sys.stdout
    tty = redraw and stream.isatty()
    refresh = seconds(ENV_REFRESH, REFRESH)
    changes = None if remote else local_changes(state_directories())
    shown: str | None = None
    try:
        while True:
            listed = time.monotonic()
            text = listing()
            if text != shown:
                if tty:
                    stamp = time.strftime("%H:%M:%S")
                    stream.write(f"\x1b[H\x1b[2J{text}\n(updated {stamp}; Ctrl-C to quit)")
                elif redraw:
                    stream.write(("\n" if shown is not None else "") + text)
                else:
                    stream.write(text)
                stream.flush()
                shown = text
            left = refresh - (time.monotonic() - listed)
            if changes is None:
                time.sleep(max(left, 0.0))
                continue
            try:
                changes.wait(max(left, 0.0))
            except OSError:  # inotify failed mid-way (e.g. the watch limit): poll from now on
                changes.close()
                changes = Poll(state_directories(), seconds(ENV_POLL, POLL))
    except KeyboardInterrupt:
        if tty:
            stream.write("\n")
            stream.flush()
        return 0
    finally:
        if changes is not None:
            changes.close()


class Inotify:
    """inotify on the state directories, through libc (``ctypes``; Linux only).

    Raises OSError when inotify cannot be set up, so that the caller falls back to
    :class:`Poll`."""

    def __init__(self, directories: list[str]) -> None:
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            init1 = libc.inotify_init1
            self._add = libc.inotify_add_watch
            self._rm = libc.inotify_rm_watch
        except (OSError, AttributeError) as exc:
            raise OSError(errno.ENOSYS, f"no inotify in libc: {exc}") from None
        init1.argtypes = [ctypes.c_int]
        init1.restype = ctypes.c_int
        self._add.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        self._add.restype = ctypes.c_int
        self._rm.argtypes = [ctypes.c_int, ctypes.c_int]
        self._rm.restype = ctypes.c_int
        self._errno = ctypes.get_errno
        self.directories = [os.path.abspath(d) for d in directories]
        #: watch descriptor -> None (a state directory: file names decide) or the child names
        #: that lead from this ancestor to a state directory not created yet.
        self._watches: dict[int, frozenset[str] | None] = {}
        self.fd = init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            code = self._errno()
            raise OSError(code, f"inotify_init1: {os.strerror(code)}")
        try:
            self.arm()
        except OSError:
            self.close()
            raise

    def arm(self) -> None:
        """Watch every state directory, or the nearest existing ancestor of a missing one;
        drop watches no longer needed. Called before each listing that follows an event, so
        a directory created meanwhile is watched before its files are read."""
        watches: dict[int, frozenset[str] | None] = {}
        for directory in self.directories:
            child, path = directory, directory
            while True:
                mask = DIRECTORY_MASK if path in self.directories else ANCESTOR_MASK
                try:
                    wd = self._watch(path, mask)
                except (FileNotFoundError, NotADirectoryError):
                    parent = os.path.dirname(path)
                    if parent == path:
                        break
                    child, path = path, parent
                    continue
                if path in self.directories:  # e.g. server/ exists, server/.locks/ not yet
                    watches[wd] = None
                else:
                    names = watches.get(wd, frozenset())
                    if names is not None:
                        watches[wd] = names | {os.path.basename(child)}
                break
        for wd in set(self._watches) - set(watches):
            self._rm(self.fd, wd)  # fails harmlessly for a directory already gone (IN_IGNORED)
        self._watches = watches

    def _watch(self, path: str, mask: int) -> int:
        wd = self._add(self.fd, os.fsencode(path), mask)
        if wd < 0:
            code = self._errno()
            raise OSError(code, f"inotify_add_watch {path}: {os.strerror(code)}", path)
        return int(wd)

    def _relevant(self, raw: bytes) -> bool:
        """Does this batch of events hold a state change (or a reason to look again)?"""
        found = False
        offset = 0
        while offset + _HEADER <= len(raw):
            wd = int.from_bytes(raw[offset : offset + 4], sys.byteorder, signed=True)
            mask = int.from_bytes(raw[offset + 4 : offset + 8], sys.byteorder)
            size = int.from_bytes(raw[offset + 12 : offset + 16], sys.byteorder)
            name = raw[offset + _HEADER : offset + _HEADER + size].rstrip(b"\0").decode(errors="replace")
            offset += _HEADER + size
            if mask & ALWAYS:
                found = True
                continue
            names = self._watches.get(wd)
            if names is None:
                found = found or name.endswith(RELEVANT_SUFFIXES) or bool(mask & IN_ISDIR)
            else:
                found = found or name in names
        return found

    def _drain(self) -> bytes:
        chunks = []
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return False
            # Gather the rest of a burst into one redraw; this also caps how often unrelated
            # events (a log file closed, a .tmp renamed) can wake us.
            time.sleep(SETTLE)
            if self._relevant(self._drain()):
                self.arm()
                return True

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Poll:
    """The fallback: ``stat`` the state directories' files every ``interval`` s."""

    def __init__(self, directories: list[str], interval: float) -> None:
        self.directories = directories
        self.interval = interval
        self.signature = signature(directories)

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(self.interval, left))
            current = signature(self.directories)
            if current != self.signature:
                self.signature = current
                return True

    def close(self) -> None:
        pass


def signature(directories: Iterable[str]) -> tuple[Any, ...]:
    """What changes when a local service's state changes: every file of the state
    directories, by name, inode, size and mtime."""
    found: list[Any] = []
    for directory in directories:
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    found.append((directory, entry.name, info.st_ino, info.st_size, info.st_mtime_ns))
        except OSError:
            found.append((directory, None))
    return tuple(sorted(found, key=repr))
