"""Reading service logs: whole, the last N lines (read from the end), or followed."""

from __future__ import annotations

import os
import stat as _stat
import time

from . import paths
from .errors import RhlError

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from collections.abc import Callable

_BLOCK = 1 << 16


def _open_regular(path: str) -> int:
    """Open ``path`` for reading without blocking (a FIFO named like a log would otherwise
    hang the reader until a writer comes) and refuse anything but a regular file."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    if not _stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise RhlError(f"not a regular file: {path}")
    return fd


def open_log(key: str, *, previous: bool = False) -> tuple[int, str]:
    path = paths.log_path(key) + (".1" if previous else "")
    try:
        return _open_regular(path), path
    except FileNotFoundError:
        what = "no previous log file" if previous else "no log file"
        raise RhlError(f"{what} for {key!r}") from None
    except OSError as exc:
        raise RhlError(f"could not open {path}: {exc.strerror}") from None


#: Bytes of one line that ``--tail`` prints; the rest of a longer line is replaced by
#: :data:`TRUNCATED` (so the memory needed is bounded by N lines times this, whatever the
#: lines' length).
LINE_CAP = 1 << 16
#: What replaces the cut part of a line longer than the cap (``%d``: bytes not shown).
TRUNCATED = b" [rhl-logs: line truncated, %d more bytes]"
#: What starts the earliest line when a ``max_scan`` limit stopped before its start.
START_NOT_READ = b"[rhl-logs: start of line not read] "
#: Blocks read while scanning backwards for line ends (large: the scan only searches them).
_SCAN_BLOCK = 1 << 20


class _BackwardScanner:
    """Finds line endings backwards from a position, one cached block at a time: a block is
    searched, never accumulated, so memory stays one block whatever the lines' length, and
    many short lines cost one read per block, not one per line."""

    def __init__(self, fd: int, floor: int) -> None:
        self.fd = fd
        self.floor = floor
        self.start = self.stop = 0
        self.block = b""

    def previous_break(self, position: int) -> tuple[int, int] | None:
        """``(start, length)`` of the last line ending (``\n``, ``\r\n`` or ``\r``) that
        ends at or before ``position``, not searching below ``floor``; None if there is none."""
        while position > self.floor:
            if not self.start < position <= self.stop:
                start = max(self.floor, position - _SCAN_BLOCK)
                self.block = os.pread(self.fd, position - start, start)
                self.start, self.stop = start, start + len(self.block)
                if not self.block:
                    return None
            limit = position - self.start
            index = max(self.block.rfind(b"\n", 0, limit), self.block.rfind(b"\r", 0, limit))
            if index >= 0:
                absolute = self.start + index
                if self.block[index : index + 1] == b"\n" and absolute > 0:
                    before = (
                        self.block[index - 1 : index] if index > 0 else os.pread(self.fd, 1, absolute - 1)
                    )
                    if before == b"\r":
                        return absolute - 1, 2
                return absolute, 1
            position = self.start
        return None


def _ending_length(fd: int, end: int) -> int:
    """Length of the line ending that the data up to ``end`` finishes with (0 if none)."""
    tail = os.pread(fd, 2, max(0, end - 2)) if end else b""
    if tail.endswith(b"\r\n"):
        return 2
    return 1 if tail[-1:] in (b"\n", b"\r") else 0


def tail_lines(
    fd: int, lines: int, *, line_cap: int = LINE_CAP, max_scan: int | None = None
) -> tuple[list[bytes], int]:
    """The last ``lines`` lines of the file (endings ``\n``, ``\r\n`` or ``\r`` kept) and the
    offset they end at (where a follower continues: not the size *now*, which may already
    include lines appended since).

    Reads backwards: first the line starts are found by searching blocks for line endings
    (nothing kept), then at most ``line_cap`` bytes of each line are read; a longer line is
    cut there and :data:`TRUNCATED` says how many bytes were left out. Memory is bounded by
    ``lines * line_cap``, however long a line is. ``max_scan`` (the doctor's bounded tail)
    also bounds the bytes searched: the earliest line then starts where the search stopped,
    marked with :data:`START_NOT_READ`.
    """
    end = os.fstat(fd).st_size
    if lines <= 0 or end == 0:
        return [], end
    floor = 0 if max_scan is None else max(0, end - max_scan)
    # spans[i] = (start, content end, end with ending) of the lines, last line first.
    spans: list[tuple[int, int, int]] = []
    line_end = end
    content_end = end - _ending_length(fd, end)
    cut_short = False
    scanner = _BackwardScanner(fd, floor)
    while len(spans) < lines:
        found = scanner.previous_break(content_end)
        if found is None:
            start = floor
            cut_short = floor > 0
            spans.append((start, content_end, line_end))
            break
        break_start, break_length = found
        spans.append((break_start + break_length, content_end, line_end))
        line_end = break_start + break_length
        content_end = break_start
    out: list[bytes] = []
    for index, (start, stop, finish) in enumerate(reversed(spans)):
        length = stop - start
        shown = os.pread(fd, min(length, line_cap), start) if length > 0 else b""
        if length > line_cap:
            shown += TRUNCATED % (length - line_cap)
        if index == 0 and cut_short:
            shown = START_NOT_READ + shown
        ending = os.pread(fd, finish - stop, stop) if finish > stop else b""
        out.append(shown + ending)
    return out, end


def tail_bytes(fd: int, lines: int, *, line_cap: int = LINE_CAP) -> tuple[bytes, int]:
    """:func:`tail_lines` joined (what ``rhl-logs --tail N`` prints) and the end offset."""
    found, end = tail_lines(fd, lines, line_cap=line_cap)
    return b"".join(found), end


def tail_file(path: str, lines: int, *, line_cap: int = LINE_CAP, max_scan: int | None = None) -> list[bytes]:
    """The bounded tail of the file at ``path`` (see :func:`tail_lines`), for callers that
    have a path rather than a key (the doctor). Opened without blocking, so a FIFO named like
    a log cannot hang the caller: a non-regular file raises :class:`RhlError`;
    a missing one :class:`FileNotFoundError`."""
    fd = _open_regular(path)
    try:
        return tail_lines(fd, lines, line_cap=line_cap, max_scan=max_scan)[0]
    finally:
        os.close(fd)


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
    """Print what is appended to the log until interrupted; reopen it when it is replaced.

    When the log is replaced (a restart moves it to ``.log.1``), the old file is read to its
    end first, as ``tail -F`` does: the old run's last lines (written while it was stopped,
    after our last read) are printed before the new run's."""
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
            while st.st_ino != inode and (chunk := os.pread(fd, _BLOCK, offset)):
                write(chunk)
                offset += len(chunk)
            os.close(fd)
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            inode, offset = os.fstat(fd).st_ino, 0
