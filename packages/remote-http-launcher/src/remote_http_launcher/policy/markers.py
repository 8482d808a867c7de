"""The marker policies (``seamless``, ``marker:NAME``) and the ``permissive`` policy.

A marker policy allows clearing or reporting a directory only when the directory itself holds
one of the marker files, as a regular file (a symbolic link named like a marker does not
count, so a marker cannot be borrowed from elsewhere). Walking and workdirs get the always-on
rules only: that is what lets ``rhl-ps-persistent --level 2 <bufferdir>`` walk a bufferdir
root (which holds no marker) and report the marked project/stage directories below it, which
0.4.5's guard refused.

A directory a service will *write* into (``write``: a hashserver's buffer directory, the
directory of a ``seamless.db``) must not exist yet, be empty, or already hold a marker: a
service writes the marker itself (hashserver its ``.HASHSERVER_PREFIX``, the database its
``seamless.db``), so letting one write into any directory would let a client mark, and then
clear, a directory of the user's files.
"""

from __future__ import annotations

import os

from .base import PathPolicy, PathRequest, PolicyConfigError, PolicyViolation

#: Files that identify a Seamless data directory: a database directory holds seamless.db,
#: a hashserver buffer directory .HASHSERVER_PREFIX.
SEAMLESS_MARKERS = ("seamless.db", ".HASHSERVER_PREFIX")
_MARKED_KINDS = frozenset(["clear", "report"])


def is_simple_filename(name: str) -> bool:
    return bool(name) and "/" not in name and name not in (".", "..") and "\0" not in name


class MarkerPolicy(PathPolicy):
    """Clear or report a directory only if it directly holds one of ``markers`` (regular file)."""

    name = "marker"

    def __init__(self, markers: tuple[str, ...], spec: str) -> None:
        self.markers = markers
        self.spec = spec

    def check(self, request: PathRequest) -> None:
        if request.kind == "write":
            self._check_write(request)
            return
        if request.kind not in _MARKED_KINDS:
            return
        for marker in self.markers:
            if request.has_regular_file(marker):
                return
        raise PolicyViolation(
            f"path does not contain required marker file ({', '.join(self.markers)}): {request.raw}"
        )

    def _check_write(self, request: PathRequest) -> None:
        """New, empty, or already marked: what a service may make into a marked directory."""
        if not os.path.lexists(request.path):
            return
        if not os.path.isdir(request.path):
            raise PolicyViolation(f"a service would write into a path that is not a directory: {request.raw}")
        if any(request.has_regular_file(marker) for marker in self.markers):
            return
        try:
            with os.scandir(request.path) as entries:
                empty = next(entries, None) is None
        except OSError:
            empty = False
        if not empty:
            raise PolicyViolation(
                "a service would write into a directory that holds files but no marker file "
                f"({', '.join(self.markers)}): {request.raw}"
            )


class PermissivePolicy(PathPolicy):
    """Nothing beyond the always-on rules (``--permissive-paths``)."""

    name = "permissive"
    spec = "permissive"

    def check(self, request: PathRequest) -> None:
        return None


def seamless_factory(argument: str | None) -> MarkerPolicy:
    if argument is not None:
        raise PolicyConfigError("the seamless policy takes no argument")
    return MarkerPolicy(SEAMLESS_MARKERS, "seamless")


def marker_factory(argument: str | None) -> MarkerPolicy:
    if argument is None or not is_simple_filename(argument):
        raise PolicyConfigError("--clear-policy marker:NAME requires a simple marker filename")
    return MarkerPolicy((argument,), f"marker:{argument}")


def permissive_factory(argument: str | None) -> PermissivePolicy:
    if argument is not None:
        raise PolicyConfigError("the permissive policy takes no argument")
    return PermissivePolicy()
