"""The service lock: a lock that lives exactly as long as a launched service's process tree.

``rhl-launch-service`` takes an exclusive ``flock`` on ``server/.locks/<key>.service`` and the
service (and its supervisor) inherit the descriptor, so the kernel holds the lock until the
last process holding it ends. Unlike a state file it cannot be deleted away: a service whose
state file was removed is still found (``rhl-ps`` lists it as ``untracked``, ``rhl-stop`` can
stop it) and a second launch of its key, or of another key on the same working directory, is
refused instead of starting a second writer on the same data.

The lock file holds one JSON object, the *owner*: ``key``, ``pid``, ``pid_start_time``,
``boot_id``, ``pgid`` and ``workdir`` (real path) of the service that holds it. Nothing is
ever written inside the service's working directory.

``flock`` (not ``lockf``, which the key locks use) is needed: only ``flock`` locks belong to
the open file description, which ``fork`` and ``exec`` share. Probing takes a shared lock
without waiting: it fails exactly while a holder has the exclusive one.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time

from . import paths

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from typing import Any

SUFFIX = ".service"
#: How long a launch waits for a lock that is being released (a supervisor recording an exit).
RELEASE_WAIT = 1.0


def lock_dir() -> str:
    return os.path.join(paths.server_dir(), ".locks")


def lock_file(key: str) -> str:
    return os.path.join(lock_dir(), paths.validate_key(key) + SUFFIX)


def acquire(key: str, wait: float = RELEASE_WAIT) -> int | None:
    """An inheritable descriptor holding the key's service lock, or None if a live process
    tree holds it (after waiting up to ``wait`` seconds for a release in progress)."""
    paths.ensure_private_dir(lock_dir())
    fd = os.open(lock_file(key), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    deadline = time.monotonic() + wait
    delay = 0.002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                os.close(fd)
                raise
        if time.monotonic() >= deadline:
            os.close(fd)
            return None
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def write_owner(fd: int, owner: dict[str, Any]) -> None:
    """Record who holds the lock (one small write; readers only look while it is held)."""
    from .jsontext import dumps

    raw = dumps(owner).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, raw, 0)


def _parse_owner(raw: bytes) -> dict[str, Any]:
    from .state import loads_strict

    try:
        value = loads_strict(raw[:65536])
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def probe(key: str) -> dict[str, Any] | None:
    """The owner recorded in the key's service lock if a live process holds it, else None
    (``{}`` when it is held but its owner record is unreadable)."""
    try:
        fd = os.open(lock_file(key), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        import stat

        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return None
            return _parse_owner(os.pread(fd, 65536, 0))
        return None  # not held (closing the descriptor releases our probe)
    finally:
        os.close(fd)


def read_owner(key: str) -> dict[str, Any]:
    """The owner record of the key's lock file without probing the lock."""
    try:
        fd = os.open(lock_file(key), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return {}
    try:
        return _parse_owner(os.pread(fd, 65536, 0))
    except OSError:
        return {}
    finally:
        os.close(fd)


def lock_keys() -> list[str]:
    """Keys that have a service lock file (held or not), sorted."""
    try:
        with os.scandir(lock_dir()) as entries:
            names = [e.name[: -len(SUFFIX)] for e in entries if e.name.endswith(SUFFIX)]
    except OSError:
        return []
    names.sort()
    return names


def discard(key: str) -> None:
    """Remove the key's lock file if no process holds it (caller holds the key lock, which
    every ``acquire`` also holds, so no launch can be between open and lock)."""
    path = lock_file(key)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.unlink(path)
    except OSError:
        pass
    finally:
        os.close(fd)


def holders(key: str) -> list[int]:
    """PIDs of our processes that have the key's lock file open (for an error message only:
    it scans /proc/*/fd)."""
    path = lock_file(key)
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{name}/fd"):
                if os.readlink(f"/proc/{name}/fd/{fd}") == path:
                    found.append(int(name))
                    break
        except OSError:
            continue
    return sorted(found)


def real_workdir(workdir: str) -> str:
    return os.path.realpath(os.path.expanduser(workdir))


def workdir_holder(workdir_real: str, own_key: str, state_missing: Any) -> tuple[str, dict[str, Any]] | None:
    """Another key whose live, untracked service (``state_missing(key)``) uses this workdir.

    Several tracked services may share a directory on purpose (a read-only and a writable
    hashserver of one project); an untracked one is a writer nobody can see, so it blocks."""
    for key in lock_keys():
        if key == own_key:
            continue
        owner = read_owner(key)
        if owner.get("workdir") != workdir_real or not state_missing(key):
            continue
        held = probe(key)
        if held is not None:
            return key, held
    return None
