"""rhl-ps: list server (or client) state rows.

The command body: the runner (``commands``) calls run() with the parsed values."""

from __future__ import annotations

from .. import listing
from ..errors import UsageProblem
from ..output import format_table, ndjson, out


def run(
    client: bool, ssh_host: str | None, status: str | None, keys_only: bool, no_status: bool, as_json: bool
) -> int:
    if ssh_host is not None and not client:
        raise UsageProblem("--host requires --client")
    if keys_only and as_json:
        raise UsageProblem("--key and --json are mutually exclusive")
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
        out(
            format_table(
                ("KEY", "SSH-HOST", "HOST", "PORT"),
                ((r["key"], r.get("ssh_host"), r.get("host"), r.get("port")) for r in rows),
            )
        )
    else:
        out(
            format_table(
                ("KEY", "STATUS", "PORT"), ((r["key"], r.get("status"), r.get("port")) for r in rows)
            )
        )
    return 0
