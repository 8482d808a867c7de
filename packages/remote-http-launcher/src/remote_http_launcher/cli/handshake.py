"""rhl-handshake: one HTTP GET."""

from __future__ import annotations

from typing import Any

import click

from ..errors import EXIT_USAGE_DISTINCT
from ..helpers.handshake import run
from ._base import FiniteFloatRange, HelperCommand


@click.command(
    "rhl-handshake",
    cls=HelperCommand,
    usage_exit_code=EXIT_USAGE_DISTINCT,
    help="GET URL once: exit 0 for HTTP 2xx, 2 for another HTTP status, 1 for a network "
    "error (refused, timeout, DNS). Usage errors exit 64.",
)
@click.argument("url")
@click.option(
    "--timeout",
    type=FiniteFloatRange(min=0.01, max=600),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Timeout of the request.",
)
def command(**options: Any) -> int:
    """Parsed options go straight to the body (helpers/handshake.py), which owns their types."""
    return run(**options)
