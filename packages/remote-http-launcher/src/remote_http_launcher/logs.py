"""Reading service logs: whole, the last N lines (read from the end), or followed."""

from __future__ import annotations

import os
import time

from . import paths
from .errors import RhlError

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from collections.abc import Callable

_BLOCK = 1 << 16


def open_log(key: str, *, previous: bool = False) -> tuple[int, str]:
    path = paths.log_path(key) + (".1" if previous else "")
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC), path
    except FileNotFoundError:
        what = "no previous log file" if previous else "no log file"
        raise RhlError(f"{what} for {key!r}") from None
    except OSError as exc:
        raise RhlError(f"could not open {path}: {exc.strerror}") from None


def tail_bytes(fd: int, lines: int) -> tuple[bytes, int]:
    """The last ``lines`` lines of the file (line ends ``\\n``, ``\\r\\n`` or ``\\r`` kept), and
    the offset they end at (where a follower continues: not the size *now*, which may
    already include lines appended since).

    Reads backwards block by block, so the cost is proportional to what is printed, not to
    the size of the log.
    """
    end = os.fstat(fd).st_size
    if lines <= 0:
        return b"", end
    buffer = b""
    position = end
    while position > 0:
        start = max(0, position - _BLOCK)
        buffer = os.pread(fd, position - start, start) + buffer
        position = start
        # One extra line: the first one in the buffer may be partial (or a split "\r\n").
        if len(buffer.splitlines(keepends=True)) > lines + 1:
            break
    return b"".join(buffer.splitlines(keepends=True)[-lines:]), end


def copy_all(fd: int, write: Callable[[bytes], object]) -> int:
    offset = 0
    while True:
        chunk = os.pread(fd, _BLOCK, offset)
        if not chunk:
            return offset
        write(chunk)
        offset += len(chunk)


def follow(
    fd: int,
    path: str,
    offset: int,
    write: Callable[[bytes], object],
    flush: Callable[[], object],
    poll: float = 0.2,
) -> None:
    """Print what is appended to the log until interrupted; reopen it when it is replaced."""
    inode = os.fstat(fd).st_ino
    while True:
        chunk = os.pread(fd, _BLOCK, offset)
        if chunk:
            write(chunk)
            offset += len(chunk)
            continue
        flush()
        time.sleep(poll)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            continue
        if st.st_ino != inode or st.st_size < offset:
            os.close(fd)
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            inode, offset = os.fstat(fd).st_ino, 0
