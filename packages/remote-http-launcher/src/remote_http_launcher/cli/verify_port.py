"""rhl-verify-port: TCP connect test."""

from __future__ import annotations

from typing import Any

import click

from ..helpers.verify_port import run
from ._base import FiniteFloatRange, HelperCommand


@click.command(
    "rhl-verify-port",
    cls=HelperCommand,
    help="Exit 0 once a TCP connection to HOST PORT succeeds, 1 after the last failed attempt.",
)
@click.argument("host")
@click.argument("port")
@click.option(
    "--attempts",
    type=click.IntRange(min=1, max=100),
    default=3,
    show_default=True,
    help="Connection attempts (a short growing pause between them).",
)
@click.option(
    "--timeout",
    type=FiniteFloatRange(min=0.01, max=600),
    default=2.0,
    show_default=True,
    metavar="SECONDS",
    help="Timeout of each attempt.",
)
def command(**options: Any) -> int:
    """Parsed options go straight to the body (helpers/verify_port.py), which owns their types."""
    return run(**options)
