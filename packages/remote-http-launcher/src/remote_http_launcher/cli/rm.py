"""rhl-rm: remove state files (never logs)."""

from __future__ import annotations

import sys

import click

from .. import removing
from ._base import HelperCommand, key_argument, out


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
def command(keys: tuple[str, ...], client: bool, server: bool, force: bool) -> int:
    if not client and not server:
        client = server = True
    lines, errors = removing.remove_keys(list(keys), client=client, server=server, force=force)
    out("".join(line + "\n" for line in lines))
    for error in errors:
        sys.stderr.write(f"rhl-rm: {error}\n")
    return 1 if errors else 0
