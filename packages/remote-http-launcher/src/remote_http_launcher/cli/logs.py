"""rhl-logs: print a service log."""

from __future__ import annotations

from typing import Any

import click

from ..helpers.logs import run
from ._base import HelperCommand, key_argument


@click.command(
    "rhl-logs",
    cls=HelperCommand,
    help="Print the log of the service with this KEY.\n\n"
    "The log path is derived from the key, so a log stays readable after rhl-rm. --tail N "
    "prints the last N lines; --follow keeps printing what is appended (Ctrl-C to stop); "
    "--previous prints the log of the launch before the current one.",
)
@click.argument("key", callback=key_argument)
@click.option("--tail", type=click.IntRange(min=0), metavar="N", help="Print only the last N lines.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing lines as they are appended.")
@click.option("--previous", is_flag=True, help="Read the previous launch's log (<key>.log.1).")
def command(**options: Any) -> int:
    """Parsed options go straight to the body (helpers/logs.py), which owns their types."""
    return run(**options)
