"""The ``data-roots`` policy: an allow-list of directory trees, read from a file.

File format (one entry per line; blank lines and lines starting with ``#`` ignored)::

    /srv/seamless                 # untagged: any use (the 0.4.5 format)
    ~/buffers                     # ~ is expanded (the guard's own $HOME)
    workdir: /tmp                 # only as a service workdir, never cleared or reported
    read: /srv/shared             # only walked and reported by rhl-ps-persistent
    clear, read: /srv/scratch     # several uses

``clear`` allows ``rhl-clear`` and, since what may be emptied may be looked at, also ``read``;
``read`` allows ``rhl-ps-persistent`` (walk and report), and a service's read-only
directories; ``workdir`` allows ``rhl-launch-service --workdir``. Both ``clear`` and ``workdir``
allow ``write``: a service's data directory (or data file) named in its command line (a
hashserver buffer directory, a ``seamless.db``) must lie in a root a service may write to.
Separating ``workdir`` from ``clear`` fixes a weak point of 0.4.5, where listing ``/tmp`` for
the jobserver's workdir also authorised ``rhl-clear /tmp``.
Every root is stored symlink-resolved; a path is inside a root when its resolved form equals
the root or lies below it.
"""

from __future__ import annotations

import errno
import os

from .base import KINDS, PathPolicy, PathRequest, PolicyConfigError, PolicyViolation, _is_within

#: Use tag -> kinds it allows.
TAGS = {
    "clear": frozenset(["clear", "walk", "report", "write"]),
    "read": frozenset(["walk", "report"]),
    "workdir": frozenset(["workdir", "write"]),
}
ALL_KINDS = frozenset(KINDS)
_READ_LIMIT = 1 << 20


def _os_reason(exc: OSError) -> str:
    # Worded without strerror on purpose: 0.4.5's client takes "no such file or directory" in
    # a helper's stderr to mean "helpers not installed" and falls back to shell commands.
    if exc.errno == errno.ENOENT:
        return "the file does not exist"
    if exc.errno == errno.EACCES:
        return "permission denied"
    if exc.errno == errno.EISDIR:
        return "it is a directory"
    return exc.strerror or type(exc).__name__


def parse_roots(text: str) -> list[tuple[str, frozenset[str]]]:
    """``[(resolved root, allowed kinds)]`` from the file's text; :class:`PolicyConfigError` if bad."""
    roots: list[tuple[str, frozenset[str]]] = []
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        kinds = ALL_KINDS
        if entry[0] not in "/~" and ":" in entry:
            head, _, rest = entry.partition(":")
            kinds = frozenset()
            for tag in (t.strip() for t in head.split(",")):
                if tag not in TAGS:
                    raise PolicyConfigError(
                        f"--data-roots line {number}: unknown use {tag!r} (expected clear, read or workdir)"
                    )
                kinds = kinds | TAGS[tag]
            entry = rest.strip()
        expanded = os.path.expanduser(entry)
        if not os.path.isabs(expanded):
            raise PolicyConfigError(
                f"--data-roots entry on line {number} is not absolute after ~ expansion: {entry!r}"
            )
        roots.append((os.path.realpath(expanded), kinds))
    if not roots:
        raise PolicyConfigError("--data-roots file does not contain any usable roots")
    return roots


class DataRootsPolicy(PathPolicy):
    """Allow a use of a path when it lies inside a root listed for that use."""

    name = "data-roots"

    def __init__(self, file: str) -> None:
        self.file = os.path.abspath(os.path.expanduser(file))
        try:
            with open(self.file, encoding="utf-8") as handle:
                text = handle.read(_READ_LIMIT)
        except OSError as exc:
            raise PolicyConfigError(f"could not read --data-roots file '{file}': {_os_reason(exc)}") from None
        except UnicodeDecodeError:
            raise PolicyConfigError(f"could not read --data-roots file '{file}': not UTF-8 text") from None
        self.roots = parse_roots(text)
        self.spec = f"data-roots:{self.file}"

    def check(self, request: PathRequest) -> None:
        for root, kinds in self.roots:
            if request.kind in kinds and _is_within(request.path, root):
                return
        raise PolicyViolation(f"path is outside configured --data-roots ({request.kind}): {request.raw}")


def factory(argument: str | None) -> DataRootsPolicy:
    if not argument:
        raise PolicyConfigError("--data-roots requires a path")
    return DataRootsPolicy(argument)
