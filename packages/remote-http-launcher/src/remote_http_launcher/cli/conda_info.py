"""rhl-conda-info: print the conda cache."""

from __future__ import annotations

from typing import Any

import click

from ..helpers.conda_info import run
from ._base import HelperCommand


@click.command(
    "rhl-conda-info",
    cls=HelperCommand,
    help="Print ~/.remote-http-launcher/conda-setup.json as one compact JSON line (keys sorted).\n\n"
    "The cache is written by rhl-cache-conda. A missing, unreadable or malformed cache is an "
    "error (exit 1).",
)
def command(**options: Any) -> int:
    """No options: the body (helpers/conda_info.py) reads the cache."""
    return run(**options)
