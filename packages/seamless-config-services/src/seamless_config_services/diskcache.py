"""The commands' on-disk cache: one small :mod:`marshal` file per entry, safe to share a
home with.

Entries live under ``$XDG_CACHE_HOME/seamless-config-services/`` (default
``~/.cache/seamless-config-services/``). Two kinds use it: the parsed configuration files
(:mod:`.config.parsed`) and the plans of ``seamless-service-ps`` (:mod:`.plans`). The rules are the
same for both:

* plain data only (:mod:`marshal`: a value it cannot hold is simply not stored); every
  entry starts with the key it was stored for, and is used only when that key is exactly the
  one asked for;
* written to a temporary file and renamed (atomic), in a 0700 directory; read only if it is
  a regular file owned by this user, opened without following a symbolic link and without
  blocking (a FIFO in its place must not make a command wait);
* nothing is written inside :func:`read_only`: ``seamless-service-resolve`` promises no side
  effects (an agent may run it with a read-only home), so it reads what the other commands
  keep and writes none.

A cache that cannot be read or written is not used: the answer is the same, only slower.
"""

from __future__ import annotations

import os
from contextvars import ContextVar

TYPE_CHECKING = False
if TYPE_CHECKING:
    from contextvars import Token
    from types import TracebackType
    from typing import Any

#: What :func:`read` returns when there is no usable entry (``None`` is a value).
MISSING: Any = object()

_writes: ContextVar[bool] = ContextVar("seamless_config_services_cache_writes", default=True)


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "seamless-config-services")


def entry_path(kind: str, name: bytes) -> str:
    """The file of the entry ``name`` (any bytes: hashed into the file name) of ``kind``."""
    import zlib

    return os.path.join(cache_dir(), f"{kind}-{zlib.crc32(name):08x}.marshal")


def read(path: str, key: Any) -> Any:
    """The value stored at ``path`` for exactly ``key``, or :data:`MISSING`."""
    import marshal
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return MISSING
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
            return MISSING
        with os.fdopen(fd, "rb", closefd=False) as handle:
            # Only this user writes here (their own 0700 cache directory, owner checked).
            stored_key, value = marshal.load(handle)  # noqa: S302
    except (OSError, EOFError, ValueError, TypeError):
        return MISSING
    finally:
        os.close(fd)
    return value if stored_key == key else MISSING


def write(path: str, key: Any, value: Any) -> None:
    """Store ``value`` for ``key`` at ``path`` (not inside :func:`read_only`)."""
    if not _writes.get():
        return
    import marshal

    try:
        data = marshal.dumps((key, value))
    except (ValueError, RecursionError):  # dates, or anything else marshal cannot hold
        return
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


class read_only:  # used as a function: ``with read_only():``
    """Within: entries are read but none is written (a command without side effects).
    (A class rather than ``contextlib.contextmanager``: contextlib is not imported for it.)"""

    __slots__ = ("_token",)

    def __init__(self) -> None:
        self._token: Token[bool] | None = None

    def __enter__(self) -> None:
        self._token = _writes.set(False)

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _tb: TracebackType | None
    ) -> None:
        assert self._token is not None
        _writes.reset(self._token)
