"""rhl-conda-info: print the conda cache as one compact JSON line.

The command body: the runner (``commands``) calls run() with the parsed values.
The line is byte-for-byte what remote-http-launcher 0.4.5 printed (keys sorted, no spaces),
so either launcher can parse either helper's answer.
"""

from __future__ import annotations

from .. import conda, paths
from ..output import out


def run() -> int:
    path = paths.conda_cache_path()
    data = conda.read_cache_object(path)
    conda.CondaSetup.from_json(data, path)  # a cache the launch helper would refuse is an error here too
    out(conda.compact(data) + "\n")
    return 0
