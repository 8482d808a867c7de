"""rhl-handshake: one HTTP GET."""

from __future__ import annotations

import sys

import click

from .. import netcheck
from ..errors import EXIT_USAGE_DISTINCT, RhlError
from ._base import HelperCommand


@click.command(
    "rhl-handshake",
    cls=HelperCommand,
    usage_exit_code=EXIT_USAGE_DISTINCT,
    help="GET URL once: exit 0 for HTTP 2xx, 2 for another HTTP status, 1 for a network "
    "error (refused, timeout, DNS). Usage errors exit 64.",
)
@click.argument("url")
@click.option("--timeout", type=click.FloatRange(min=0.01, max=600), default=10.0, show_default=True,
              metavar="SECONDS", help="Timeout of the request.")
def command(url: str, timeout: float) -> int:
    try:
        code, message = netcheck.handshake(url, timeout=timeout)
    except RhlError as exc:
        raise RhlError(exc.message, EXIT_USAGE_DISTINCT) from None
    if message:
        sys.stderr.write(f"rhl-handshake: {message}\n")
    return code
