"""rhl-pid-alive: is a PID alive."""

from __future__ import annotations

from typing import Any

import click

from ..errors import EXIT_USAGE_DISTINCT
from ..helpers.pid_alive import run
from ._base import HelperCommand


@click.command(
    "rhl-pid-alive",
    cls=HelperCommand,
    usage_exit_code=EXIT_USAGE_DISTINCT,
    help="Exit 0 if PID is alive, 1 if it is not (a zombie is not alive). Usage errors exit 64.",
)
@click.argument("pid", metavar="PID")
def command(**options: Any) -> int:
    """Parsed options go straight to the body (helpers/pid_alive.py), which owns their types."""
    return run(**options)
