"""The one directory layout shared by the launcher and every helper.

``REMOTE_HTTP_LAUNCHER_DIR`` (default ``~/.remote-http-launcher``) holds ``server/``,
``client/`` and ``conda-setup.json``. remote-http-launcher 0.4.5 used this layout in its
helpers but a different one in its launcher; we use this one everywhere, and the launcher
asks the target for its own server directory instead of computing it on the client.
"""

# Quoted annotations, no __future__ import: rhl-guard's decision loads this module (guard/__init__.py).

import os

from .errors import InvalidKey, InvalidPath

ENV_BASE_DIR = "REMOTE_HTTP_LAUNCHER_DIR"
DEFAULT_BASE_DIR = "~/.remote-http-launcher"

#: Characters allowed in a key. Keys name files, so no "/" and nothing a shell would expand.
KEY_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
#: Keys become "<key>.json" / "<key>.log" / ".<key>.<random>.tmp": stay well below NAME_MAX (255).
KEY_MAX_LENGTH = 200
KEY_RULE = "letters, digits, '.', '_' and '-'; not starting with '-' or '.'; at most 200 characters"

#: Directories no helper may operate on (raw or resolved): the reference's list plus /dev.
SYSTEM_ROOTS = frozenset(
    [
        "/",
        "/etc",
        "/usr",
        "/bin",
        "/sbin",
        "/lib",
        "/lib32",
        "/lib64",
        "/libx32",
        "/boot",
        "/sys",
        "/proc",
        "/run",
        "/var",
        "/opt",
        "/dev",
    ]
)
#: Shared trees that may hold a workdir (jobserver uses /tmp) but must never be wiped whole.
NEVER_CLEAR = frozenset(
    ["/home", "/root", "/tmp", "/var/tmp", "/srv", "/mnt", "/media", "/usr/local", "/snap", "/dev/shm"]
)


def base_dir() -> str:
    """The state base directory, absolute and with ``~`` expanded."""
    raw = os.environ.get(ENV_BASE_DIR) or DEFAULT_BASE_DIR
    return os.path.abspath(os.path.expanduser(raw))


def server_dir() -> str:
    return os.path.join(base_dir(), "server")


def client_dir() -> str:
    return os.path.join(base_dir(), "client")


def side_dir(client: bool) -> str:
    return client_dir() if client else server_dir()


def conda_cache_path() -> str:
    return os.path.join(base_dir(), "conda-setup.json")


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it can safely name state files, else raise :class:`InvalidKey`."""
    if not key or len(key) > KEY_MAX_LENGTH or key[0] in "-." or not KEY_CHARACTERS.issuperset(key):
        raise InvalidKey(f"invalid key {key!r} (allowed: {KEY_RULE})")
    return key


def state_path(key: str, client: bool = False) -> str:
    return os.path.join(side_dir(client), validate_key(key) + ".json")


def log_path(key: str) -> str:
    return os.path.join(server_dir(), validate_key(key) + ".log")


def ensure_private_dir(path: str) -> None:
    """Create ``path`` (and parents) with mode 0700 for every new level; state is private."""
    if os.path.isdir(path):
        return
    parent = os.path.dirname(path)
    if parent and parent != path:
        ensure_private_dir(parent)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass


def _is_ancestor_or_same(candidate: str, path: str) -> bool:
    return path == candidate or path.startswith(candidate.rstrip("/") + "/")


def _checked_path(raw: str) -> tuple[str, str]:
    """Common checks; return (normalized, resolved)."""
    expanded = os.path.expanduser(raw)
    if not os.path.isabs(expanded):
        raise InvalidPath(f"path must be absolute: {raw!r}")
    if ".." in expanded.split("/"):
        raise InvalidPath(f"path must not contain '..': {raw!r}")
    normalized = os.path.normpath(expanded)
    return normalized, os.path.realpath(normalized)


def validate_workdir(raw: str) -> str:
    """Validate a service workdir; return it normalized (symlinks kept, ``~`` expanded)."""
    normalized, resolved = _checked_path(raw)
    if normalized in SYSTEM_ROOTS or resolved in SYSTEM_ROOTS:
        raise InvalidPath(f"refusing to use system directory as workdir: {raw!r}")
    return normalized


def validate_data_dir(raw: str, *, destructive: bool) -> str:
    """Validate a client-chosen data directory and return its resolved absolute path.

    Always: absolute after ``~`` expansion, no ``..`` segment, not a system root (raw or
    resolved). For destructive use (``rhl-clear``) also: not ``$HOME`` nor an ancestor of it,
    and not a shared tree such as ``/home`` or ``/tmp``.
    """
    normalized, resolved = _checked_path(raw)
    for candidate in (normalized, resolved):
        if candidate in SYSTEM_ROOTS:
            raise InvalidPath(f"refusing to operate on system directory: {raw!r}")
    if destructive:
        home = os.path.realpath(os.path.expanduser("~"))
        for candidate in (normalized, resolved):
            if _is_ancestor_or_same(candidate, home):
                raise InvalidPath(f"refusing to clear $HOME or an ancestor of it: {raw!r}")
            if candidate in NEVER_CLEAR:
                raise InvalidPath(f"refusing to clear shared directory: {raw!r}")
    return resolved
