"""rhl-ps-persistent: report absent / empty / populated data directories."""

from __future__ import annotations

from typing import Any

import click

from ..helpers.ps_persistent import run
from ._base import HelperCommand, simple_filename


@click.command(
    "rhl-ps-persistent",
    cls=HelperCommand,
    help="Report whether data directories are absent, empty or populated.\n\n"
    "Each PATH must be absolute (after ~ expansion), without '..', and not a system "
    "directory. With --level N, sub-directories down to N levels are reported too; a symbolic "
    "link among them is reported as 'symlink', never walked. Marker files and STAGE-* "
    "directories are not content. With "
    "--marker NAME only directories holding NAME are reported, and NAME itself does not make "
    "a directory populated. With --file NAME a directory is populated when NAME exists, and "
    "SIZE is that file's size. --size computes the size of populated directories.",
)
@click.argument("roots", metavar="PATH...", nargs=-1, required=True)
@click.option(
    "--level",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="N",
    help="How many levels of sub-directories to report.",
)
@click.option(
    "--file",
    "filename",
    metavar="FILENAME",
    callback=simple_filename,
    help="A directory is populated when it holds this file.",
)
@click.option(
    "--marker",
    metavar="FILENAME",
    callback=simple_filename,
    help="Only report directories holding this marker file.",
)
@click.option("--size", "with_size", is_flag=True, help="Compute the size of populated directories (bytes).")
@click.option("--json", "as_json", is_flag=True, help="Print NDJSON rows.")
def command(**options: Any) -> int:
    """Parsed options go straight to the body (helpers/ps_persistent.py), which owns their types."""
    return run(**options)
