"""Persistent data directories: report absent / empty / populated, and clear them safely.

Reporting uses ``os.scandir`` (no extra ``stat`` per entry to tell directories apart) and
stops at the first entry that makes a directory populated, unless sizes were asked for.

Clearing removes the direct children of a validated directory, at any depth below them,
without ever following a symbolic link: every level is opened relative to its parent's file
descriptor with ``O_NOFOLLOW``, so a symlink swapped in during the walk cannot lead outside.
Direct children that are regular files whose names start with ``.`` are kept: they are
markers such as ``.HASHSERVER_PREFIX`` that identify the directory (and that a marker-based
guard policy needs). Everything else goes, dot-directories and ``seamless.db`` included, so
the cache is really cold.
"""

from __future__ import annotations

import datetime as _dt
import os
import stat as _stat

from . import paths, process, state
from .errors import RhlError

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _iso(mtime: float) -> str:
    return _dt.datetime.fromtimestamp(mtime).astimezone().isoformat(timespec="seconds")


def tree_size(path: str) -> int:
    """Apparent size in bytes of everything below ``path`` (symlinks not followed)."""
    total = 0
    stack = [path]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        else:
                            total += entry.stat(follow_symlinks=False).st_size
                    except OSError:
                        continue
        except OSError:
            continue
    return total


def directory_row(path: str, *, filename: str | None, marker: str | None, size: bool) -> dict[str, Any]:
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
        with os.scandir(path) as entries:
            populated = any(entry.name != marker for entry in entries)
    except OSError as exc:
        raise RhlError(f"could not read {path}: {exc.strerror}") from None
    if not populated:
        row["state"] = "empty"
        if size:
            row["size"] = 0
        return row
    row.update(state="populated", modified=_iso(st.st_mtime))
    if size:
        row["size"] = tree_size(path)
    return row


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
    try:
        with os.scandir(root) as entries:
            children = [e.path for e in entries if e.is_dir()]
        children.sort()
    except OSError as exc:
        raise RhlError(f"could not read {root}: {exc.strerror}") from None
    for child in children:
        if accept is None or accept(child, "walk"):
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


def _is_regular_file(dir_fd: int, name: str) -> bool:
    try:
        return _stat.S_ISREG(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def services_using(path: str) -> list[tuple[str, int]]:
    """Live services (key, pid) whose workdir is ``path``, inside it, or contains it."""
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
        holds = resolved == path or resolved.startswith(path + "/")
        within = path.startswith(resolved + "/") and resolved not in paths.NEVER_CLEAR
        if not (holds or within):
            continue
        live = process.check_state_process(read.data, read)
        if live.alive and live.pid is not None:
            users.append((key, live.pid))
    return users


def clear(
    raw_path: str, *, force: bool = False, verify: Callable[[int, str], None] | None = None
) -> ClearResult:
    """Remove the direct children of a validated data directory (see the module docstring).

    ``verify(fd, path)`` (rhl-guard's policy) is called on the opened directory before
    anything is removed, and may raise to refuse it.
    """
    path = paths.validate_data_dir(raw_path, destructive=True)
    if not force:
        users = services_using(path)
        if users:
            key, pid = users[0]
            raise RhlError(
                f"refusing to clear {path}: service {key!r} (pid {pid}) is running there; "
                "stop it first, or pass --force"
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
            if name.startswith(".") and not is_dir and _is_regular_file(fd, name):
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
