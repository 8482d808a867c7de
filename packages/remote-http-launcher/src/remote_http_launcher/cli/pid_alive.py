"""rhl-pid-alive: is a PID alive."""

from __future__ import annotations

import click

from .. import process
from ..errors import EXIT_USAGE_DISTINCT, RhlError
from ._base import HelperCommand


def _parse(raw: str) -> int:
    text = raw.strip().replace("_", "")
    if text.startswith("+"):
        text = text[1:]
    if not text.isdigit() or len(text) > 10 or int(text) <= 0 or int(text) > 2**31 - 1:
        raise RhlError("PID must be a positive integer", EXIT_USAGE_DISTINCT)
    return int(text)


@click.command(
    "rhl-pid-alive",
    cls=HelperCommand,
    usage_exit_code=EXIT_USAGE_DISTINCT,
    help="Exit 0 if PID is alive, 1 if it is not (a zombie is not alive). Usage errors exit 64.",
)
@click.argument("pid", metavar="PID")
def command(pid: str) -> int:
    return 0 if process.pid_alive(_parse(pid)) else 1
