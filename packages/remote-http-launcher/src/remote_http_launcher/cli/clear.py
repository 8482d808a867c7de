"""rhl-clear: empty a persistent data directory."""

from __future__ import annotations

import sys

import click

from .. import persistent
from ._base import HelperCommand, out


@click.command(
    "rhl-clear",
    cls=HelperCommand,
    help="Remove the contents of a persistent data directory (the directory itself stays).\n\n"
    "Every direct child is removed, at any depth, except those whose names start with '.' "
    "(markers such as .HASHSERVER_PREFIX). Symbolic links are removed, never followed. PATH "
    "must be absolute, without '..', and not a system directory, a shared tree such as /tmp "
    "or /home, $HOME or an ancestor of $HOME. A directory used by a running service is "
    "refused unless --force is given.",
)
@click.argument("path")
@click.option("--force", is_flag=True, help="Clear even if a running service uses the directory.")
def command(path: str, force: bool) -> int:
    result = persistent.clear(path, force=force)
    for error in result.errors:
        sys.stderr.write(f"rhl-clear: {error}\n")
    out(f"removed {result.removed} item(s) from {result.path}\n")
    return 1 if result.errors else 0
