"""rhl-inspect: print one server state file."""

from __future__ import annotations

from typing import Any

import click

from ..helpers.inspect import run
from ._base import HelperCommand, key_argument


@click.command(
    "rhl-inspect",
    cls=HelperCommand,
    help="Print the server state JSON of the service with this KEY (indented, keys sorted).\n\n"
    '--with-mtime prints one compact line {"mtime": <epoch seconds>, "data": <state>} '
    "for pollers.",
)
@click.argument("key", callback=key_argument)
@click.option("--with-mtime", is_flag=True, help="Print {mtime, data} on one line.")
def command(**options: Any) -> int:
    """Parsed options go straight to the body (helpers/inspect.py), which owns their types."""
    return run(**options)
