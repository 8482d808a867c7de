"""rhl-clear: empty a persistent data directory."""

from __future__ import annotations

from typing import Any

import click

from ..helpers.clear import run
from ._base import HelperCommand


@click.command(
    "rhl-clear",
    cls=HelperCommand,
    help="Remove the contents of a persistent data directory (the directory itself stays).\n\n"
    "Every direct child is removed, at any depth, except regular files whose names start "
    "with '.' (markers such as .HASHSERVER_PREFIX). Symbolic links are removed, never followed. PATH "
    "must be absolute, without '..', and not a system directory, a shared tree such as /tmp "
    "or /home, $HOME or an ancestor of $HOME. A directory used by a running service is "
    "refused unless --force is given.",
)
@click.argument("path")
@click.option("--force", is_flag=True, help="Clear even if a running service uses the directory.")
def command(**options: Any) -> int:
    """Parsed options go straight to the body (helpers/clear.py), which owns their types."""
    return run(**options)
