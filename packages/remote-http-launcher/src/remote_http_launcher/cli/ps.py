"""rhl-ps: list server (or client) state rows."""

from __future__ import annotations

from typing import Any

import click

from ..helpers.ps import run
from ._base import HelperCommand


@click.command(
    "rhl-ps",
    cls=HelperCommand,
    help="List service state rows, one per state file.\n\n"
    "Reads the server state directory, or the client connection files with --client. The "
    "STATUS column is computed: a 'running' or 'starting' row whose process is gone, or whose "
    "PID now belongs to an unrelated process, is shown as 'stale'; an unreadable file as "
    "'corrupt'. --json prints one JSON object per line (NDJSON, keys sorted).",
)
@click.option("--client", is_flag=True, help="List client connection files instead of server state.")
@click.option("--host", "ssh_host", metavar="SSH_HOST", help="With --client: only rows for this SSH host.")
@click.option("--status", metavar="STATE", help="Only rows whose computed status is STATE.")
@click.option("--key", "keys_only", is_flag=True, help="Print only the keys, one per line.")
@click.option("--no-status", is_flag=True, help="Do not probe processes (stored status is shown).")
@click.option("--json", "as_json", is_flag=True, help="Print NDJSON rows.")
def command(**options: Any) -> int:
    """Parsed options go straight to the body (helpers/ps.py), which owns their types."""
    return run(**options)
