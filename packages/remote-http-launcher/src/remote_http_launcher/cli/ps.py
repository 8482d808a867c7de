"""rhl-ps: list server (or client) state rows."""

from __future__ import annotations

import click

from .. import listing
from ._base import HelperCommand, format_table, ndjson, out


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
def command(client: bool, ssh_host: str | None, status: str | None, keys_only: bool,
            no_status: bool, as_json: bool) -> int:
    if ssh_host is not None and not client:
        raise click.UsageError("--host requires --client")
    if keys_only and as_json:
        raise click.UsageError("--key and --json are mutually exclusive")
    rows = listing.list_rows(client=client, probe=not no_status)
    if ssh_host is not None:
        rows = [r for r in rows if r.get("ssh_host") == ssh_host]
    if status is not None:
        rows = [r for r in rows if r.get("status") == status]
    if keys_only:
        out("".join(r["key"] + "\n" for r in rows))
    elif as_json:
        out(ndjson(rows))
    elif client:
        out(format_table(("KEY", "SSH-HOST", "HOST", "PORT"),
                         ((r["key"], r.get("ssh_host"), r.get("host"), r.get("port")) for r in rows)))
    else:
        out(format_table(("KEY", "STATUS", "PORT"), ((r["key"], r.get("status"), r.get("port")) for r in rows)))
    return 0
