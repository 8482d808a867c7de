"""Persistent data directories: report absent / empty / populated, and clear them safely.

Reporting uses ``os.scandir`` (no extra ``stat`` per entry to tell directories apart) and
stops at the first content entry, unless sizes were asked for. Markers are not data: see
:func:`content_scan` for what counts. Symbolic links are reported, never walked.

Clearing removes the direct children of a validated directory, at any depth below them,
without ever following a symbolic link: every level is opened relative to its parent's file
descriptor with ``O_NOFOLLOW``, so a symlink swapped in during the walk cannot lead outside.
Direct children whose names start with ``.`` are kept, whatever they are (0.4.5 kept
dot-directories; its docs say every dot-child is kept): markers such as
``.HASHSERVER_PREFIX`` identify the directory (a marker-based guard policy needs them), and
no Seamless service keeps cache data in a dot-named entry. Everything else goes at any depth,
``seamless.db`` and dot-entries below the top level included, so the cache is really cold.
"""

from __future__ import annotations

import os
import stat as _stat
import time as _time

from . import paths
from .errors import InvalidPath, RhlError

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _iso(mtime: float) -> str:
    """``datetime.fromtimestamp(mtime).astimezone().isoformat(timespec="seconds")``, without
    importing ``datetime`` (1.7 ms, a twentieth of a whole report): local time, to the
    second after rounding to the microsecond as ``datetime`` does, with the UTC offset."""
    seconds = round(mtime * 1_000_000) // 1_000_000
    local = _time.localtime(seconds)
    offset = local.tm_gmtoff
    sign = "+" if offset >= 0 else "-"
    hours, rest = divmod(abs(offset), 3600)
    minutes, secs = divmod(rest, 60)
    zone = f"{sign}{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")
    return _time.strftime("%Y-%m-%dT%H:%M:%S", local) + zone


#: Files that only identify a data directory (hashserver writes ``.HASHSERVER_PREFIX`` at
#: start-up, 2 bytes): never content, so a directory holding only them is a cold cache.
KNOWN_MARKERS = (".HASHSERVER_PREFIX",)
#: A sub-directory holding one of these (as a regular file) is a data directory of its own
#: (a subproject's or a stage's): it is its own row, never part of its parent's content.
DATA_DIR_MARKERS = (".HASHSERVER_PREFIX", "seamless.db")
#: The stage directories of a project (``<root>/<project>/STAGE-<stage>``): their own rows.
STAGE_PREFIX = "STAGE-"


def _holds_regular_file(directory: str, names: tuple[str, ...]) -> bool:
    for name in names:
        try:
            if _stat.S_ISREG(os.lstat(os.path.join(directory, name)).st_mode):
                return True
        except OSError:
            continue
    return False


def content_scan(path: str, *, marker: str | None = None, size: bool = False) -> tuple[bool, int]:
    """``(has content, content size in bytes)`` of the data directory ``path``.

    Content is every non-directory entry below ``path`` (symlinks counted as themselves,
    never followed), except marker files (a regular file named as in :data:`KNOWN_MARKERS`
    or ``marker``), entries named ``STAGE-*`` and everything below a sub-directory that is a
    data directory of its own (it holds a regular file named as in :data:`DATA_DIR_MARKERS`
    or ``marker``). Directories themselves are not content. Without ``size`` the scan stops
    at the first content entry (size then 0). Unreadable sub-directories are skipped; an
    unreadable ``path`` raises :class:`OSError`.
    """
    skip = frozenset((*KNOWN_MARKERS, marker) if marker else KNOWN_MARKERS)
    nested = (*DATA_DIR_MARKERS, marker) if marker and marker not in DATA_DIR_MARKERS else DATA_DIR_MARKERS
    total = 0
    found = False
    stack = [path]
    while stack:
        current = stack.pop()
        try:
            iterator = os.scandir(current)
        except OSError:
            if current == path:
                raise
            continue
        with iterator:  # lazily: without size, the first content entry ends the scan
            for entry in iterator:
                name = entry.name
                if name.startswith(STAGE_PREFIX):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if not _holds_regular_file(entry.path, nested):
                            stack.append(entry.path)
                        continue
                    if name in skip and entry.is_file(follow_symlinks=False):
                        continue
                    found = True
                    if not size:
                        return True, 0
                    total += entry.stat(follow_symlinks=False).st_size
                except OSError:
                    continue
    return found, total


def tree_size(path: str) -> int:
    """Apparent size in bytes of the content below ``path`` (see :func:`content_scan`;
    symlinks are counted as themselves and never followed, markers are not counted)."""
    try:
        return content_scan(path, size=True)[1]
    except OSError:
        return 0


def directory_row(path: str, *, filename: str | None, marker: str | None, size: bool) -> dict[str, Any]:
    """One rhl-ps-persistent row: absent / empty / populated by :func:`content_scan` (or by
    ``filename`` alone), with the content size when ``size``."""
    row: dict[str, Any] = {"path": path, "state": "absent", "size": None, "modified": None}
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return row
    except OSError as exc:
        raise RhlError(f"could not read {path}: {exc.strerror}") from None
    if not _stat.S_ISDIR(st.st_mode):
        raise RhlError(f"not a directory: {path}")
    if filename:
        try:
            fst = os.stat(os.path.join(path, filename))
        except FileNotFoundError:
            row["state"] = "empty"
            return row
        except OSError as exc:
            raise RhlError(f"could not stat {os.path.join(path, filename)}: {exc.strerror}") from None
        row.update(state="populated", size=fst.st_size, modified=_iso(fst.st_mtime))
        return row
    try:
        populated, total = content_scan(path, marker=marker, size=size)
    except OSError as exc:
        raise RhlError(f"could not read {path}: {exc.strerror}") from None
    if not populated:
        row["state"] = "empty"
        if size:
            row["size"] = 0
        return row
    row.update(state="populated", modified=_iso(st.st_mtime))
    if size:
        row["size"] = total
    return row


def symlink_row(path: str) -> dict[str, Any]:
    """The row of a symbolic link met during a walk: reported, never followed."""
    try:
        target: str | None = os.readlink(path)
    except OSError:
        target = None
    return {"path": path, "state": "symlink", "size": None, "modified": None, "target": target}


def walk(
    root: str,
    *,
    level: int,
    filename: str | None = None,
    marker: str | None = None,
    size: bool = False,
    accept: Callable[[str, str], bool] | None = None,
) -> list[dict[str, Any]]:
    """Rows for ``root`` and, ``level`` deep, its sub-directories (sorted, pre-order).

    With ``marker``, only directories holding the marker are reported (an absent root still
    is), but every directory is still descended into. ``accept(path, kind)`` (rhl-guard's
    policy) can veto reporting a directory (kind ``report``) or descending into one (``walk``).
    A sub-directory entry that is a symbolic link to a directory is reported as a
    ``symlink`` row (with ``marker``: only if its target holds the marker) and never
    descended into, so links cannot multiply the walk or lead it outside ``root``; ``root``
    itself is followed (the caller named it).
    """
    rows: list[dict[str, Any]] = []
    exists = os.path.exists(root)  # a dangling symlink is absent, as at level 0
    if (marker is None or not exists or os.path.exists(os.path.join(root, marker))) and (
        accept is None or accept(root, "report")
    ):
        rows.append(directory_row(root, filename=filename, marker=marker, size=size))
    if level <= 0 or not exists:
        return rows
    if not os.path.isdir(root):
        raise RhlError(f"not a directory: {root}")
    children: list[tuple[str, bool]] = []
    try:
        with os.scandir(root) as entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        children.append((entry.path, False))
                    elif entry.is_symlink() and entry.is_dir():
                        children.append((entry.path, True))
                except OSError:
                    continue
        children.sort()
    except OSError as exc:
        raise RhlError(f"could not read {root}: {exc.strerror}") from None
    for child, is_link in children:
        if is_link:
            if (marker is None or _holds_regular_file(child, (marker,))) and (
                accept is None or accept(child, "report")
            ):
                rows.append(symlink_row(child))
        elif accept is None or accept(child, "walk"):
            rows.extend(
                walk(child, level=level - 1, filename=filename, marker=marker, size=size, accept=accept)
            )
    return rows


class ClearResult:
    """What rhl-clear did: how many direct children it removed, what it kept, what failed."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.removed = 0
        self.kept: list[str] = []
        self.errors: list[str] = []


def _remove_tree_at(parent_fd: int, name: str) -> None:
    """Remove directory ``name`` (relative to ``parent_fd``) and all it holds, never following links."""
    fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    try:
        with os.scandir(fd) as entries:
            children = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
        for child, is_dir in children:
            if is_dir:
                _remove_tree_at(fd, child)
            else:
                os.unlink(child, dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=parent_fd)


def _dot_prefixed(path: str) -> bool:
    """True if a segment of ``path`` starts with ``.`` (``.``, ``..``, ``.ssh``): the rule
    rhl-guard applies to every path, here for a direct rhl-clear."""
    return any(segment.startswith(".") for segment in path.split("/"))


def services_using(
    path: str, *, nested: bool = False, removed: Callable[[str], bool] | None = None
) -> list[tuple[str, int]]:
    """Live services (key, pid) whose data a clear of ``path`` would touch: workdir ``path``
    itself; inside it (with ``removed``, the --keep/--only selection: only inside a direct
    child that goes); or containing it, unless ``nested`` (``path`` is a stage's or
    subproject's own directory, which the enclosing service keeps no data in)."""
    from . import process, state  # only a clear asks; a report imports neither

    users = []
    directory = paths.server_dir()
    for key in state.list_keys(directory):
        read = state.read_state(os.path.join(directory, key + ".json"))
        if read.data is None:
            continue
        workdir = read.data.get("workdir")
        if not isinstance(workdir, str):
            continue
        resolved = os.path.realpath(os.path.expanduser(workdir))
        # The service's data is inside what we would clear, or we would clear part of its
        # data (but a workdir that is a shared tree such as /tmp does not own all of it).
        holds = resolved == path
        if resolved.startswith(path + "/"):
            holds = removed is None or removed(resolved[len(path) + 1 :].split("/", 1)[0])
        within = not nested and path.startswith(resolved + "/") and resolved not in paths.NEVER_CLEAR
        if not (holds or within):
            continue
        live = process.check_state_process(read.data, read)
        if live.alive and live.pid is not None:
            users.append((key, live.pid))
    return users


def _selection(keep: tuple[str, ...], only: tuple[str, ...]) -> Callable[[str], bool]:
    """``removed(name)`` for a direct child: dot-names are always kept, ``keep`` globs win
    over ``only`` globs, and with ``only`` nothing else goes."""
    from fnmatch import fnmatchcase

    def removed(name: str) -> bool:
        if name.startswith(".") or any(fnmatchcase(name, glob) for glob in keep):
            return False
        return not only or any(fnmatchcase(name, glob) for glob in only)

    return removed


def clear(
    raw_path: str,
    *,
    force: bool = False,
    verify: Callable[[int, str], None] | None = None,
    keep: tuple[str, ...] = (),
    only: tuple[str, ...] = (),
    nested: bool = False,
) -> ClearResult:
    """Remove the direct children of a validated data directory (see the module docstring).

    ``verify(fd, path)`` (rhl-guard's policy) is called on the opened directory before
    anything is removed, and may raise to refuse it. ``keep``/``only`` (globs on the direct
    children's names) narrow what goes, so that clearing a project's own data keeps its
    stages' directories; ``nested``: a service on an enclosing directory does not block.
    """
    removed = _selection(keep, only)
    path = paths.validate_data_dir(raw_path, destructive=True)
    if not force and (_dot_prefixed(os.path.expanduser(raw_path)) or _dot_prefixed(path)):
        # ~/.ssh, ~/.config, ~/.remote-http-launcher: what rhl-guard refuses always. A
        # cache that really lives below a dot-directory (~/.cache/...) needs --force.
        raise InvalidPath(f"path has a dot-prefixed segment: {raw_path!r} (pass --force to clear it anyway)")
    if not force:
        users = services_using(path, nested=nested, removed=removed if keep or only else None)
        if users:
            key, pid = users[0]
            # Every user is named (the client repeats them without asking rhl-ps again).
            also = ", ".join(f"{k!r} (pid {p})" for k, p in users[1:])
            raise RhlError(
                f"refusing to clear {path}: service {key!r} (pid {pid}) is running there; "
                "stop it first, or pass --force" + (f" (also running there: {also})" if also else "")
            )
    try:
        fd = os.open(path, _DIR_FLAGS)
    except FileNotFoundError:
        raise RhlError(f"path does not exist: {raw_path}") from None
    except NotADirectoryError:
        raise RhlError(f"not a directory: {raw_path}") from None
    except OSError as exc:
        raise RhlError(f"could not open {raw_path}: {exc.strerror}") from None
    result = ClearResult(path)
    try:
        # The path was resolved before opening: make sure we opened what we validated.
        if os.path.realpath(path) != path:
            raise RhlError(f"path changed while being validated: {raw_path}")
        if verify is not None:
            verify(fd, path)
        with os.scandir(fd) as entries:
            children = sorted((e.name, e.is_dir(follow_symlinks=False)) for e in entries)
        for name, is_dir in children:
            # Dot-named children are always kept: markers (.HASHSERVER_PREFIX) and whatever
            # else is dot-named at the top level (0.4.5 kept dot-directories; no Seamless
            # service keeps cache data in a dot-named entry: hashserver's buffers are
            # <2 hex>/<checksum>, the database is seamless.db). So are --keep matches and,
            # with --only, everything that matches none.
            if not removed(name):
                result.kept.append(name)
                continue
            try:
                if is_dir:
                    _remove_tree_at(fd, name)
                else:
                    os.unlink(name, dir_fd=fd)
                result.removed += 1
            except OSError as exc:
                result.errors.append(f"could not remove {os.path.join(path, name)}: {exc.strerror}")
    finally:
        os.close(fd)
    return result
