"""rhl-inspect: print one server state file."""

from __future__ import annotations

import json

import click

from .. import paths, state
from ..errors import RhlError
from ._base import HelperCommand, key_argument, out


@click.command(
    "rhl-inspect",
    cls=HelperCommand,
    help="Print the server state JSON of the service with this KEY (indented, keys sorted).\n\n"
    "--with-mtime prints one compact line {\"mtime\": <epoch seconds>, \"data\": <state>} "
    "for pollers.",
)
@click.argument("key", callback=key_argument)
@click.option("--with-mtime", is_flag=True, help="Print {mtime, data} on one line.")
def command(key: str, with_mtime: bool) -> int:
    read = state.read_state(paths.state_path(key))
    if read.missing:
        raise RhlError(f"no state file for {key!r}")
    data = read.require()
    if with_mtime:
        out(json.dumps({"mtime": read.mtime, "data": data}, separators=(",", ":")) + "\n")
    else:
        out(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return 0
