"""Reading and writing the JSON state files: atomic, locked, tolerant.

* Writes go to a unique temporary file in the same directory, are fsync'ed, then renamed
  over the target, and the directory is fsync'ed: a reader sees the old or the new file,
  never half of one, even after a crash.
* Read-modify-write cycles hold a per-key ``fcntl.lockf`` lock (POSIX record locks work on
  NFS homes, ``flock`` may not). Lock files live in ``<side>/.locks/`` so that listings,
  which glob ``*.json``, never see them.
* Reading never raises for a bad file: the caller gets a :class:`StateRead` that says
  whether the file was missing, corrupt (and why), or a JSON object. Nothing can make a
  read hang or blow the stack: files are opened ``O_NONBLOCK`` and must be regular files
  (a FIFO named ``k.json`` would block ``open()`` forever), and the JSON is parsed strictly
  (no ``NaN``/``Infinity``/out-of-range numbers, nesting too deep is "malformed").
"""

from __future__ import annotations

import errno
import fcntl
import math
import os
import stat

from . import jsontext, paths
from .errors import CorruptState, RhlError

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


_FIRST_READ = 8192
#: How deep caller-supplied JSON we store (``--meta``, ``--parameters``) may nest: far beyond
#: any real use, far below what every reader (the guard runs helpers in-process) can parse.
MAX_STORED_DEPTH = 100


class StateRead:
    """The outcome of reading one state file (a plain class: dataclasses cost start-up time)."""

    __slots__ = ("_mtime", "data", "error", "path")

    def __init__(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        error: str | None = None,
        mtime: float | None = None,
    ) -> None:
        self.path = path
        self.data = data
        self.error = error
        self._mtime = mtime

    @property
    def mtime(self) -> float | None:
        """Modification time, read on first use (most readers never need it)."""
        if self._mtime is None and self.data is not None:
            try:
                self._mtime = os.stat(self.path, follow_symlinks=False).st_mtime
            except OSError:
                return None
        return self._mtime

    @property
    def missing(self) -> bool:
        return self.data is None and self.error is None

    @property
    def corrupt(self) -> bool:
        return self.error is not None

    def require(self) -> dict[str, Any]:
        """The object, or :class:`CorruptState` for a corrupt file (callers check ``missing``)."""
        if self.error is not None:
            raise CorruptState(self.error)
        assert self.data is not None
        return self.data


class JSONTooDeep(ValueError):
    """Nested deeper than a reader can follow (or than we are willing to store)."""


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # a literal like 1e400 reads as inf
        raise ValueError(f"number out of range: {text}")
    return value


_NOT_PLAIN_UTF8_START = frozenset((b"", b"\x00", b"\xef", b"\xfe", b"\xff"))

# One decoder for every state read (json's C scanner, without importing json: jsontext).
_DECODE = jsontext.make_decoder(_finite_float, _refuse_constant)


def loads_strict(raw: bytes | str, *, max_depth: int | None = None) -> Any:
    """Parse standard JSON (RFC 8259) only, never raising anything but :class:`ValueError`.

    Python's ``json`` module reads ``NaN``, ``Infinity`` and ``1e400`` (as inf), which no
    strict JSON reader accepts and which ``json.dumps`` then writes back as bare ``NaN``; and
    it raises :class:`RecursionError` for deeply nested input (``[[[[...``). Here the first
    are a :class:`ValueError` and the last a :class:`JSONTooDeep`. With ``max_depth``, values
    nested deeper than that are refused too: what we store must stay readable by every
    reader, whatever its stack depth (used for caller-supplied ``--meta``/``--parameters``).
    Public: the client package reads its connection files with the same rules.
    """
    if isinstance(raw, bytes):
        # What json.detect_encoding() would say, without its call for the common case: a
        # first byte that is neither NUL nor the start of a BOM, and a second that is not NUL,
        # is UTF-8 (every state file we write starts with "{").
        if raw[:1] not in _NOT_PLAIN_UTF8_START and raw[1:2] != b"\x00":
            raw = raw.decode("utf-8", "surrogatepass")
        else:
            import json

            raw = raw.decode(json.detect_encoding(raw), "surrogatepass")
    try:
        value = _DECODE(raw)
    except RecursionError:
        raise JSONTooDeep("nested too deeply") from None
    if max_depth is not None and json_depth(value) > max_depth:
        raise JSONTooDeep(f"nested deeper than {max_depth} levels")
    return value


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0, ``[]`` is 1), without recursion."""
    depth = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        depth = max(depth, level)
        stack.extend((child, level) for child in children if isinstance(child, (dict, list)))
    return depth


def parse_state_bytes(path: str, raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The object in ``raw`` (read from ``path``), or why it is not one."""
    try:
        value = loads_strict(raw)
    except ValueError as exc:  # also UnicodeDecodeError and JSONTooDeep
        reason = "empty or truncated file" if not raw.strip() else str(exc)
        return None, f"malformed JSON in {path}: {reason}"
    if not isinstance(value, dict):
        return None, f"state file must contain a JSON object: {path}"
    return value, None


class NotRegularFile(OSError):
    """The path names a FIFO, a directory, a device or a socket: never read from it."""


def open_regular(path: str, *, follow_symlinks: bool = False, dir_fd: int | None = None) -> int:
    """A read-only descriptor of ``path``, guaranteed to be a regular file.

    Opened with ``O_NONBLOCK``, so a FIFO (or a device) named like a state or configuration
    file cannot block us in ``open()``; then ``fstat`` on the descriptor (no race with a
    rename) must say regular file, else :class:`NotRegularFile` (``errno`` EINVAL, message
    ``not a regular file: <path>``). Without ``follow_symlinks`` a symbolic link fails with
    ``ELOOP``. Other failures are the ``OSError`` of ``open()`` (``FileNotFoundError`` ...).
    For regular files ``O_NONBLOCK`` changes nothing. With ``dir_fd`` (a descriptor of the
    directory ``path`` is in), the file's name is opened relative to it: listing thousands of
    state files then spares the kernel walking the same directory path once per file.
    """
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | (0 if follow_symlinks else os.O_NOFOLLOW)
    if dir_fd is None:
        fd = os.open(path, flags)
    else:
        fd = os.open(path.rpartition("/")[2], flags, dir_fd=dir_fd)
    try:
        mode = os.fstat(fd).st_mode
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotRegularFile(errno.EINVAL, f"not a regular file: {path}", path)
    return fd


def read_fd(fd: int) -> bytes:
    """Everything left in ``fd`` (a regular file)."""
    # State files are small: one modest read (a large buffer costs more to allocate than
    # the whole read); a short read of a regular file means end of file.
    raw = os.read(fd, _FIRST_READ)
    if len(raw) == _FIRST_READ:
        chunks = [raw]
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        raw = b"".join(chunks)
    return raw


def read_regular_bytes(path: str, *, follow_symlinks: bool = False, dir_fd: int | None = None) -> bytes:
    """The content of the regular file ``path``; never blocks on a FIFO or a device.

    Raises :class:`NotRegularFile` for anything but a regular file, ``FileNotFoundError``
    when missing, ``OSError`` (``ELOOP``) for a symbolic link unless ``follow_symlinks``.
    Public: for configuration files (``clusters.yaml``) and the client package's readers.
    """
    fd = open_regular(path, follow_symlinks=follow_symlinks, dir_fd=dir_fd)
    try:
        return read_fd(fd)
    finally:
        os.close(fd)


def read_state(path: str, *, dir_fd: int | None = None) -> StateRead:
    """Read one state file without raising for missing, malformed or hostile content.

    Corrupt (with the reason) for a symbolic link, a FIFO or other non-regular file, an
    unreadable file, malformed or non-standard JSON (NaN, 1e400, nesting too deep for the
    parser), or JSON that is not an object. Public: the client package reads connection
    files with it. ``dir_fd``: as for :func:`open_regular`.
    """
    try:
        raw = read_regular_bytes(path, dir_fd=dir_fd)
    except FileNotFoundError:
        return StateRead(path)
    except NotRegularFile as exc:
        return StateRead(path, error=exc.strerror)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return StateRead(path, error=f"state file is a symbolic link, refusing to follow: {path}")
        return StateRead(path, error=f"could not read {path}: {exc.strerror}")
    data, error = parse_state_bytes(path, raw)
    return StateRead(path, data=data, error=error)


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def dump_state(data: dict[str, Any]) -> bytes:
    """Indented, sorted, strict JSON (``allow_nan=False``: a NaN never reaches a file); the
    text of ``json.dumps(data, indent=2, sort_keys=True, allow_nan=False)``, without importing
    json (``re``, ``enum``: milliseconds of every cold launch, which writes the state first)."""
    return (jsontext.dumps_indented(data) + "\n").encode()


def write_atomic(path: str, content: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``content`` atomically (unique temp file, fsync, rename)."""
    directory = os.path.dirname(path)
    paths.ensure_private_dir(directory)
    base = os.path.basename(path)
    stem = base[:-5] if base.endswith(".json") else base
    for _attempt in range(100):
        tmp = os.path.join(directory, f".{stem}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, mode)
        except FileExistsError:
            continue
        break
    else:  # pragma: no cover - 100 collisions of 48 random bits
        raise OSError(errno.EEXIST, "could not create a temporary file", directory)
    try:
        view = memoryview(content)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def write_state(path: str, data: dict[str, Any]) -> None:
    write_atomic(path, dump_state(data))


class file_lock:
    """An exclusive POSIX lock on ``path`` (created 0600 in a private directory), released when
    the block ends or the process dies. With ``timeout`` the wait is bounded (short backoff)
    and ends in :class:`RhlError` with ``busy_message``; without it, it blocks."""

    def __init__(self, path: str, timeout: float | None = None, busy_message: str = "") -> None:
        self.path = path
        self.timeout = timeout
        self.busy_message = busy_message
        self.fd = -1

    def __enter__(self) -> None:
        paths.ensure_private_dir(os.path.dirname(self.path))
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            if self.timeout is None:
                fcntl.lockf(self.fd, fcntl.LOCK_EX)
            else:
                self._wait()
        except BaseException:
            os.close(self.fd)
            raise

    def _wait(self) -> None:
        import time

        assert self.timeout is not None
        deadline = time.monotonic() + self.timeout
        delay = 0.002
        while True:
            try:
                fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError:
                if time.monotonic() >= deadline:
                    raise RhlError(self.busy_message or f"{self.path} is locked") from None
                time.sleep(delay)
                delay = min(delay * 1.5, 0.05)

    def __exit__(self, *_exc: object) -> None:
        os.close(self.fd)  # closing releases the POSIX lock


def lock_path(directory: str, key: str, suffix: str) -> str:
    """``<directory>/.locks/<key><suffix>``: where the locks of one side live."""
    return os.path.join(directory, ".locks", paths.validate_key(key) + suffix)


def key_lock(key: str, *, client: bool = False) -> file_lock:
    """The exclusive per-key lock of one side (server or client) for a read-modify-write."""
    return file_lock(lock_path(paths.side_dir(client), key, ".lock"))


def update_state_unlocked(
    path: str, change: Callable[[dict[str, Any]], dict[str, Any] | None]
) -> dict[str, Any] | None:
    """Read-modify-write of ``path`` for a caller that already holds the key lock."""
    current = read_state(path)
    if current.missing:
        return None
    new = change(dict(current.require()))
    if new is not None:
        write_state(path, new)
    return new


def update_state(
    key: str, change: Callable[[dict[str, Any]], dict[str, Any] | None], *, client: bool = False
) -> dict[str, Any] | None:
    """Read, change and rewrite one state file under its key lock.

    ``change`` receives the current object and returns the new one (or ``None`` to leave the
    file untouched). A missing file yields ``None``; a corrupt one raises :class:`CorruptState`.
    """
    with key_lock(key, client=client):
        return update_state_unlocked(paths.state_path(key, client=client), change)


def list_keys(directory: str) -> list[str]:
    """Keys of the ``*.json`` files in ``directory``, sorted by file name; none if it is missing."""
    try:
        with os.scandir(directory) as entries:
            names = [e.name for e in entries if e.name.endswith(".json") and not e.name.startswith(".")]
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        return []
    names.sort()
    return [name[:-5] for name in names]


def remove_file(path: str) -> bool:
    """Unlink ``path``; False if it did not exist."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True
