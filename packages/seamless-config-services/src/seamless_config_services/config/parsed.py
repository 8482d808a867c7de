"""The parsed-YAML cache: a configuration file's text -> the value PyYAML made of it.

Every ``seamless-service-*`` command reads the cluster files and the command files on the
upward search; parsing them is cheap, but importing PyYAML to do it costs more than the rest
of a ``resolve``. So the value of each document is kept in one entry per configuration file
(:mod:`..diskcache`, which says where and how safely), keyed by the file's path and checked
against its whole **text** (which is read anyway, with the safe reader): the same text
always parses to the same value, so an entry can never be stale, whatever the clock, the
file system's time granularity or an editor that keeps the mtime does. A document that does
not parse is never stored: its error is reported every time, by the parser.
"""

from __future__ import annotations

import os

from .. import diskcache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Bumped when the parser's rules change (a new version of this package also invalidates).
CACHE_VERSION = 1
MISSING = diskcache.MISSING


def _path_and_key(file: str, text: str) -> tuple[str, tuple[Any, ...]]:
    from .._version import __version__

    absolute = os.path.abspath(file)
    path = diskcache.entry_path("yaml", absolute.encode("utf-8", "surrogateescape"))
    return path, (CACHE_VERSION, __version__, absolute, text)


def lookup(file: str, text: str) -> Any:
    """The cached value of the document ``text`` of ``file``, or :data:`MISSING`."""
    return diskcache.read(*_path_and_key(file, text))


def store(file: str, text: str, value: Any) -> None:
    """Keep ``value`` for the document ``text`` of ``file``."""
    diskcache.write(*_path_and_key(file, text), value)
