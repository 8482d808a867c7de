"""rhl-cache-conda: find conda on this host and write the cache conda-setup.json.

The command body: the runner (``commands``) calls run() with the parsed values.
Discovery, the cache format and its atomic write live in ``conda.py``, which the launch
helper shares.
"""

from __future__ import annotations

from .. import conda, paths
from ..output import out


def run(as_json: bool = False) -> int:
    path = paths.conda_cache_path()
    setup = conda.discover()
    try:
        conda.write_cache(setup, path)
    except OSError as exc:
        raise conda.CondaError(f"could not write {path}: {exc.strerror or exc}") from None
    out(conda.compact(setup.to_json()) + "\n" if as_json else f"rhl-cache-conda: wrote {path}\n")
    return 0
