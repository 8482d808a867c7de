"""rhl-rm: remove state files (never logs)."""

from __future__ import annotations

from typing import Any

import click

from ..helpers.rm import run
from ._base import HelperCommand, key_argument


@click.command(
    "rhl-rm",
    cls=HelperCommand,
    help="Remove the client and/or server state JSON of these KEYs; logs are kept.\n\n"
    "Without --client or --server both are removed. A server state file whose process is "
    "still running is not removed (that would orphan the service): stop it first with "
    "rhl-stop, or pass --force.",
)
@click.argument("keys", metavar="KEY...", nargs=-1, required=True, callback=key_argument)
@click.option("--client", is_flag=True, help="Remove client connection files.")
@click.option("--server", is_flag=True, help="Remove server state files.")
@click.option("--force", is_flag=True, help="Remove server state even if its service still runs.")
def command(**options: Any) -> int:
    """Parsed options go straight to the body (helpers/rm.py), which owns their types."""
    return run(**options)
