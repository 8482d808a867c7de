"""The path-policy interface and the always-on rules every policy sits behind.

A path reaches a policy only as a :class:`PathRequest` whose ``path`` is already ``~``-expanded,
absolute and symlink-resolved, and which passed the always-on rules in :func:`evaluate`. The
policy then only has to answer "is this use of this directory allowed", by returning or by
raising :class:`PolicyViolation` with a one-line reason.
"""

from __future__ import annotations

import os
import stat as _stat

from ..paths import NEVER_CLEAR, SYSTEM_ROOTS

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from collections.abc import Callable

    #: A factory receives the text after ``NAME:`` in ``--policy NAME:ARG`` (None without one).
    PolicyFactory = Callable[[str | None], "PathPolicy"]

#: The uses of a path, from the most to the least dangerous:
#:
#: * ``clear``: ``rhl-clear`` will delete the directory's contents;
#: * ``workdir``: ``rhl-launch-service`` will create the directory and run a service in it;
#: * ``walk``: ``rhl-ps-persistent`` will look into it (a root it was given, or a
#:   sub-directory it descends into) without necessarily reporting it;
#: * ``report``: ``rhl-ps-persistent`` will print a row (state, size, mtime) for it;
#: * ``write``: a service that ``rhl-launch-service`` starts will write into this directory
#:   (its data directory, or the directory of a file it writes): an argument of the service
#:   command, checked by the guard (see :mod:`.service_args`). Services also read their
#:   read-only directories (hashserver ``--extra-dirs``): those are checked as ``walk``.
KINDS = ("clear", "workdir", "walk", "report", "write")
#: Uses that refuse a shared tree itself (``/tmp``, ``/home``, ...): emptying it, or letting
#: a service put its data (and its marker file) straight into it.
_SHARED_REFUSED = frozenset(["clear", "write"])


class PolicyViolation(Exception):
    """A path use the policy refuses; ``reason`` is one line for the user and the audit log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PolicyConfigError(Exception):
    """A policy that cannot be set up (unknown name, bad argument, unreadable file)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PathRequest:
    """One use of one path, as a policy sees it.

    ``raw`` is the text the client sent; ``path`` its absolute, symlink-resolved form (the
    directory that would really be used); ``kind`` one of :data:`KINDS`; ``helper`` the
    helper's name. ``dir_fd`` is set when the helper has already opened the directory (at
    use time, for ``clear``): checks inside the directory (marker files) should then be made
    relative to it, so that what is checked is what is used.
    """

    __slots__ = ("dir_fd", "helper", "kind", "path", "raw")

    def __init__(self, raw: str, path: str, kind: str, helper: str, dir_fd: int | None = None) -> None:
        self.raw = raw
        self.path = path
        self.kind = kind
        self.helper = helper
        self.dir_fd = dir_fd

    def __repr__(self) -> str:
        return (
            f"PathRequest(raw={self.raw!r}, path={self.path!r}, kind={self.kind!r}, helper={self.helper!r})"
        )

    def has_regular_file(self, name: str) -> bool:
        """True if ``name`` is a regular file directly in the directory (never following a link)."""
        try:
            if self.dir_fd is not None:
                st = os.stat(name, dir_fd=self.dir_fd, follow_symlinks=False)
            else:
                st = os.lstat(os.path.join(self.path, name))
        except (OSError, ValueError):
            return False
        return _stat.S_ISREG(st.st_mode)


class PathPolicy:
    """Base class of every path policy. Subclasses override :meth:`check`.

    ``spec`` is how the policy was selected (``data-roots:/etc/rhl/roots``, ``seamless``,
    ``NAME:ARG``); the registry sets it, and rhl-guard hands it to the helpers so that they
    can rebuild and re-apply the same policy at use time.
    """

    name = "abstract"
    spec = ""

    def check(self, request: PathRequest) -> None:
        """Return if ``request`` is allowed; raise :class:`PolicyViolation` otherwise."""
        raise NotImplementedError

    def describe(self) -> str:
        """One line for ``rhl-guard --dry-run`` and the audit log."""
        return self.spec or self.name


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _dot_segment(path: str) -> bool:
    return any(segment.startswith(".") for segment in path.split("/"))


def resolve(raw: str) -> tuple[str, str]:
    """``(expanded, resolved)`` for a client path; :class:`PolicyViolation` if not absolute."""
    if "\0" in raw:
        raise PolicyViolation(f"path must not contain NUL: {raw!r}")
    expanded = os.path.expanduser(raw)
    if not os.path.isabs(expanded):
        raise PolicyViolation(f"path must be absolute after ~ expansion: {raw}")
    return expanded, os.path.realpath(expanded)


def evaluate(
    policy: PathPolicy,
    raw: str,
    kind: str,
    helper: str,
    *,
    dir_fd: int | None = None,
    resolved: str | None = None,
) -> str:
    """Apply the always-on rules, then ``policy``; return the resolved path.

    The always-on rules (first failure wins), on the expanded and on the resolved path:
    absolute after ``~`` expansion; no segment starting with ``.`` (``.``, ``..``, ``.ssh``);
    neither ``$HOME`` nor an ancestor of it; not a system root (``paths.SYSTEM_ROOTS``); and,
    for ``clear`` and ``write``, not a shared tree such as ``/tmp`` (``paths.NEVER_CLEAR``). ``resolved``
    may be given by a caller that knows where an opened directory really is.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown path kind {kind!r}")
    expanded, real = resolve(raw)
    if resolved is not None:
        real = resolved
    if _dot_segment(expanded) or _dot_segment(real):
        raise PolicyViolation(f"path must not contain dot-prefixed segments: {raw}")
    normalized = os.path.normpath(expanded)
    home = os.path.realpath(os.path.expanduser("~"))
    for candidate in (normalized, real):
        if _is_within(home, candidate):
            raise PolicyViolation(f"path must not be $HOME or an ancestor of $HOME: {raw}")
    for candidate in (normalized, real):
        if candidate in SYSTEM_ROOTS:
            raise PolicyViolation(f"refusing system-root directory: {raw}")
    if kind in _SHARED_REFUSED and (normalized in NEVER_CLEAR or real in NEVER_CLEAR):
        if kind == "clear":
            raise PolicyViolation(f"refusing to clear a shared directory: {raw}")
        raise PolicyViolation(f"refusing to let a service write into a shared directory: {raw}")
    policy.check(PathRequest(raw, real, kind, helper, dir_fd))
    return real


BUILTIN_SUMMARIES = {
    "data-roots": "data-roots:FILE - paths must lie under a root listed in FILE (per use)",
    "seamless": "clear/report only directories holding seamless.db or .HASHSERVER_PREFIX",
    "marker": "marker:NAME - clear/report only directories holding the file NAME",
    "permissive": "only the always-on rules",
}
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyz")
_NAME_CHARS = _NAME_START | frozenset("0123456789-")


def valid_name(name: str) -> bool:
    return bool(name) and name[0] in _NAME_START and _NAME_CHARS.issuperset(name) and len(name) <= 64
