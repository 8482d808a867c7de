"""rhl-pid-alive: is a PID alive; with --wait, block until it is not."""

from __future__ import annotations

from typing import Any

import click

from ..errors import EXIT_USAGE_DISTINCT
from ..helpers.pid_alive import run
from ._base import FiniteFloatRange, HelperCommand


@click.command(
    "rhl-pid-alive",
    cls=HelperCommand,
    usage_exit_code=EXIT_USAGE_DISTINCT,
    help=(
        "Exit 0 if PID is alive, 1 if it is not (a zombie is not alive). Usage errors exit 64.\n\n"
        "With --wait, block until PID is gone and then exit 1; exit 0 if it is still alive when "
        "--timeout runs out, or when the reader of standard output goes away (an SSH connection "
        "that closed)."
    ),
)
@click.argument("pid", metavar="PID")
@click.option("--wait", is_flag=True, help="Block until PID is gone (exit 1).")
@click.option(
    "--timeout",
    type=FiniteFloatRange(min=0),
    metavar="SECONDS",
    help="With --wait: stop waiting after SECONDS and exit 0 (default: wait indefinitely).",
)
def command(**options: Any) -> int:
    """Parsed options go straight to the body (helpers/pid_alive.py), which owns their types."""
    return run(**options)
