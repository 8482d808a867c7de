"""The plan cache of ``seamless-service-ps``: which hosts to ask, and what the rows need.

A server-side ``ps`` (``--server``, ``--cluster``, ``--all-clusters``) asks the hosts for
their state; everything else it needs comes from the configuration and the plugins: which
hosts, which clusters are known (to read keys), which service types keep data, which Dask
services run their workers as batch jobs. That *plan* is what :func:`seamless_config_services.api.ps`
computes from the configuration; this module keeps it (:mod:`.diskcache` says where and how
safely), so that a ``ps`` run again with the same configuration imports neither PyYAML nor
the configuration layer nor the plugins. The state itself is never cached: it is always
read live from the hosts.

An entry is keyed by the question (the view and the selection flags), the working
directory and the environment variables that change an answer; it is stamped with the
``stat`` (mtime, ctime, size, inode) of every path the answer depends on: the cluster files
and their directory, the command files the upward search could find (present or not) in the
working directory and each of its parents, and the directories where plugins are installed. Any change to
any of them (a ctime changes even when an editor restores the mtime) makes the entry unused.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .model import Request

#: Bumped when the plan's fields change (a new version of this package also invalidates).
PLAN_VERSION = 1
#: Environment variables that change a plan (part of the key).
ENV_KEYS = ("HOME", "SEAMLESS_CACHE", "SEAMLESS_CONFIG_SERVICES_PLUGINS", "XDG_CACHE_HOME")
COMMAND_FILES = ("seamless.yaml", "seamless.profile.yaml")


def _stamp(path: str) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def watched_paths(request: Request) -> list[str]:
    """Every file and directory whose change could change a plan for ``request``."""
    home = os.environ.get("HOME") or os.path.expanduser("~")
    seamless = os.path.join(home, ".seamless")
    clusters = os.path.join(seamless, "clusters")
    paths = [seamless, os.path.join(seamless, "clusters.yaml"), clusters]
    try:
        paths += sorted(os.path.join(clusters, name) for name in os.listdir(clusters))
    except OSError:
        pass
    directory = os.path.realpath(request.workdir or os.getcwd())
    while True:
        # The files, not the directory: a directory such as /tmp or a home changes all the
        # time; a command file appearing or going changes its own stamp (None <-> a stat).
        paths += [os.path.join(directory, name) for name in COMMAND_FILES]
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    # Installing or removing a plugin changes its site-packages directory.
    paths += [p for p in sys.path if p.endswith("-packages")]
    return paths


def _key(question: tuple[Any, ...], request: Request) -> tuple[Any, ...]:
    from ._version import __version__

    env = tuple(os.environ.get(name) for name in ENV_KEYS)
    from .model import astuple

    return (PLAN_VERSION, __version__, question, astuple(request), os.getcwd(), env)


def _path(key: tuple[Any, ...]) -> str:
    import marshal

    from . import diskcache

    return diskcache.entry_path("plan", marshal.dumps(key))


def stamps(request: Request) -> list[tuple[str, Any]]:
    """The stamps of every watched path, taken *before* a plan is computed (so a change
    made while it is computed leaves the entry stale, never wrong)."""
    return [(path, _stamp(path)) for path in watched_paths(request)]


def lookup(question: tuple[Any, ...], request: Request) -> dict[str, Any] | None:
    """The plan kept for ``question`` and ``request``, or None (none, or stale)."""
    from . import diskcache

    key = _key(question, request)
    found = diskcache.read(_path(key), key)
    if found is diskcache.MISSING:
        return None
    kept_stamps, plan = found
    for path, stamp in kept_stamps:
        if (tuple(stamp) if stamp is not None else None) != _stamp(path):
            return None
    return dict(plan)


def store(
    question: tuple[Any, ...], request: Request, taken: list[tuple[str, Any]], plan: dict[str, Any]
) -> None:
    """Keep ``plan`` with the stamps ``taken`` before it was computed (:func:`stamps`)."""
    from . import diskcache

    key = _key(question, request)
    diskcache.write(_path(key), key, (taken, plan))
