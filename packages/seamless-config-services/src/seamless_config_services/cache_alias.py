"""``--project SEAMLESS_CACHE``: act on the services of a SEAMLESS_CACHE directory (spec §4.2 step 1).

A workflow run with ``SEAMLESS_CACHE=<dir>`` launches its hashserver and database on this
machine, in the synthetic cluster ``__SEAMLESS_CACHE__``, project ``__TOPLEVEL__``. The
``seamless-service-*`` commands find that directory again, in this order:

1. the ``workdir`` in the local state file of the requested service (when it keeps data) or
   of the hashserver, for the requested mode/stage, minus the project/stage part;
2. the ``SEAMLESS_CACHE`` environment variable;
3. else a one-line error.

Differences from seamless-config 0.3.2: state files are looked up in the launcher's own
directory (``REMOTE_HTTP_LAUNCHER_DIR`` as the helpers use it); only services that keep data
are tried (0.3.2 also tried e.g. the jobserver's state file, whose workdir ``/tmp`` it then
took for the cache directory); a subproject is stripped from the workdir too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from remote_http_launcher import paths

from .config import Overrides, cache_configuration, cache_root
from .config.loader import apply_overrides, home_directory
from .errors import ConfigError
from .model import CACHE_ALIAS, CACHE_CLUSTER, CACHE_PROJECT, Configuration, Selection
from .plugins import service_types

#: A stand-in root: keys do not depend on it, and workdirs are built below it.
_PLACEHOLDER_ROOT = "/SEAMLESS_CACHE_ROOT"


def is_cache_request(project: str | None, cluster: str | None) -> bool:
    """``--project SEAMLESS_CACHE`` (or ``__TOPLEVEL__``) without another cluster."""
    return project in (CACHE_ALIAS, CACHE_PROJECT) and cluster in (None, CACHE_CLUSTER)


def configuration_for(
    overrides: Overrides, *, service: str | None, environ: Mapping[str, str] | None = None
) -> Configuration:
    """The SEAMLESS_CACHE configuration for the flags in ``overrides``."""
    env = os.environ if environ is None else environ
    selection = Selection()
    apply_overrides(selection, overrides)
    if selection.project in (None, CACHE_ALIAS):
        selection.project = CACHE_PROJECT
    return cache_configuration(find_root(selection, service, env), selection)


def find_root(selection: Selection, service: str | None, environ: Mapping[str, str]) -> str:
    """The SEAMLESS_CACHE directory, from a state file or the environment (see above)."""
    home = home_directory(environ)
    server = _server_dir(environ, home)
    tried: list[str] = []
    for key, suffix in _candidates(selection, service):
        path = os.path.join(server, key + ".json")
        tried.append(path)
        workdir = _workdir_in(path)
        if workdir:
            return _strip(_expand(workdir, home), suffix, selection.stage)
    root = cache_root(environ, home)
    if root is not None:
        return root
    looked = ", ".join(tried) or "no state file applies"
    raise ConfigError(
        f"--project {CACHE_ALIAS} requires an existing launcher state file with a workdir ({looked}), "
        "or SEAMLESS_CACHE to be set"
    )


def _server_dir(environ: Mapping[str, str], home: str) -> str:
    raw = environ.get(paths.ENV_BASE_DIR) or paths.DEFAULT_BASE_DIR
    return os.path.join(os.path.abspath(_expand(raw, home)), "server")


def _expand(path: str, home: str) -> str:
    if path == "~" or path.startswith("~/"):
        return home + path[1:]
    return os.path.expanduser(path)


def _candidates(selection: Selection, service: str | None) -> list[tuple[str, str]]:
    """``(key, workdir below the root)`` of the requested service (if it keeps data) and of
    the hashserver, for this selection in the synthetic cluster."""
    from .resolve import service_context

    placeholder = cache_configuration(_PLACEHOLDER_ROOT, selection)
    registry = service_types()
    found: list[tuple[str, str]] = []
    for name in dict.fromkeys(n for n in (service, "hashserver") if n):
        service_type = registry.by_name.get(name)
        if service_type is None or not service_type.persistent:
            continue
        try:
            ctx = service_context(placeholder, service_type)
            key, workdir = service_type.key(ctx), service_type.workdir(ctx)
        except ConfigError:
            continue
        below = workdir[len(_PLACEHOLDER_ROOT) :] if workdir.startswith(_PLACEHOLDER_ROOT + "/") else ""
        found.append((key, below))
    return found


def _workdir_in(path: str) -> str | None:
    """The ``workdir`` of the state file at ``path`` (None: no file, or none in it), read
    with the launcher's own state reader: a FIFO or another non-regular file there is an
    error at once, never a wait."""
    from remote_http_launcher import state

    read = state.read_state(path)
    if read.missing:
        return None
    if read.data is None:
        error = str(read.error)
        if error.startswith(("state file must contain a JSON object", "could not read")):
            raise ConfigError(error)
        raise ConfigError(f"could not read {path} ({error})")
    workdir = read.data.get("workdir")
    return workdir if isinstance(workdir, str) and workdir else None


def _strip(workdir: str, below: str, stage: str | None) -> str:
    """The root of ``workdir``: without ``below`` when it ends so, else (as 0.3.2) without a
    trailing ``STAGE-<stage>`` and then a trailing ``__TOPLEVEL__`` component."""
    workdir = workdir.rstrip("/") or "/"
    if below and workdir.endswith(below) and len(workdir) > len(below):
        return workdir[: -len(below)]
    head, last = os.path.split(workdir)
    if stage and last == f"STAGE-{stage}":
        workdir = head
        head, last = os.path.split(workdir)
    if last == CACHE_PROJECT:
        workdir = head
    return workdir
