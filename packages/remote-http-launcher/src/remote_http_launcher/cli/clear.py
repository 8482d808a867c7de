"""rhl-clear: empty a persistent data directory."""

from __future__ import annotations

from typing import Any

import click

from ..helpers.clear import run
from ._base import HelperCommand, simple_filenames


@click.command(
    "rhl-clear",
    cls=HelperCommand,
    help="Remove the contents of a persistent data directory (the directory itself stays).\n\n"
    "Every direct child is removed, at any depth, except those whose names start with '.' "
    "(markers such as .HASHSERVER_PREFIX, dot-directories). Symbolic links are removed, never "
    "followed. PATH must be absolute, without '..', and never a system directory, a shared tree "
    "such as /tmp or /home, $HOME or an ancestor of $HOME. A PATH with a segment starting with "
    "'.' (~/.cache/x) and a directory used by a running service are refused unless --force is "
    "given.",
)
@click.argument("path")
@click.option(
    "--force",
    is_flag=True,
    help="Clear even if a running service uses the directory or PATH has a dot-prefixed segment.",
)
@click.option(
    "--keep",
    multiple=True,
    metavar="GLOB",
    callback=simple_filenames,
    help="Keep the direct children whose names match GLOB (repeatable; wins over --only).",
)
@click.option(
    "--only",
    multiple=True,
    metavar="GLOB",
    callback=simple_filenames,
    help="Remove only the direct children whose names match one GLOB (repeatable).",
)
@click.option(
    "--nested",
    is_flag=True,
    help="PATH is a stage's or subproject's directory: a service on an enclosing directory does not block.",
)
def command(**options: Any) -> int:
    """Parsed options go straight to the body (helpers/clear.py), which owns their types."""
    return run(**options)
