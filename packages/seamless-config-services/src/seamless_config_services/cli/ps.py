"""seamless-service-ps: list services, their processes and their persistent data."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import click

from .. import api
from ..errors import UsageError
from ..rows import PROCESS_STATES, Report, format_table, json_row
from ._common import (
    CONTEXT,
    echo_document,
    json_schema_option,
    request_from,
    run_action,
    say,
    selection_options,
)

STATES = list(PROCESS_STATES)
#: ``--watch``: how often the state files are looked at (local hosts: a stat of each file,
#: no helper call unless something changed) and the longest a local table goes without a
#: fresh listing (a process can die without its file changing), in seconds.
LOCAL_POLL = 0.25
LOCAL_REFRESH = 2.0
#: ``--watch`` with a remote host: one listing (one round over the shared SSH master) per interval.
REMOTE_POLL = 2.0


def use_colour() -> bool:
    """ANSI colours only on a terminal, and never when ``NO_COLOR`` is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


@click.command(context_settings=CONTEXT)
@selection_options
@click.option(
    "--client", is_flag=True, help="This machine's connection files (default without --cluster; no SSH)."
)
@click.option(
    "--server", is_flag=True, help="The state on the cluster's hosts (default cluster: from the profile)."
)
@click.option("--all-clusters", is_flag=True, help="The state on the hosts of every known cluster.")
@click.option("--status", type=click.Choice(STATES), help="Only rows whose PROCESS is this state.")
@click.option("--persistent", is_flag=True, help="Add persistent data (buffer directories, seamless.db).")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per row (NDJSON, schema seamless-service-ps-row/1).",
)
@json_schema_option("seamless-service-ps-row")
@click.option("--wide", is_flag=True, help="Add CLUSTER, MODE, SUBSTAGE, HOST and KEY columns.")
@click.option("-l", "--long", "long", is_flag=True, help="Add PID, UPTIME and EXIT columns after PROCESS.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the keys, one per line.")
@click.option("--watch", is_flag=True, help="Redraw the table whenever it changes, until Ctrl-C.")
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(
    client: bool,
    server: bool,
    all_clusters: bool,
    status: str | None,
    persistent: bool,
    as_json: bool,
    wide: bool,
    long: bool,
    quiet: bool,
    watch: bool,
    **values: Any,
) -> None:
    """List Seamless services.

    Without flags: this machine's connection files. With --cluster (or --server): the services
    on the cluster's hosts, one SSH connection per host, with persistent data unless --status
    is given. Rows of distinct services are never merged (ro/rw, subprojects, substages). A
    host that cannot be reached shows PROCESS 'unreachable'; the other rows are still shown
    and the exit code is 255. PROCESS: running | starting | failed | stale | untracked |
    corrupt | client | absent | unreachable. PERSISTENT: populated | empty | absent | n/a.
    Dask services on a batch cluster (SLURM, OAR) add a JOBS column: their worker jobs on the
    scheduler, running and pending. -l adds PID (while the process lives), UPTIME and EXIT
    (why it is gone: stopped | exited N | killed SIGNAL | idle exit | unknown; '(inferred)'
    when no supervisor saw the exit). --watch redraws the table when it changes (Ctrl-C ends
    it). Colours only on a terminal, never with NO_COLOR set.

    Exit codes: 0 every host answered; 1 a configuration error, a broken cluster or a helper
    failure; 2 usage error; 255 a host unreachable (the other rows are printed); 70 internal
    error.
    """
    request = request_from(values)
    sides = [name for name, on in (("client", client), ("server", server), ("all", all_clusters)) if on]

    def listing(view: str) -> Report:
        return api.ps(request, view=view, status=status, persistent=persistent)

    def action() -> int:
        if len(sides) > 1:
            raise UsageError("--client, --server and --all-clusters are mutually exclusive")
        if sum((as_json, quiet, watch)) > 1:
            raise UsageError("--json, --quiet and --watch are mutually exclusive")
        view = sides[0] if sides else ("cluster" if request.cluster else "client")
        if watch:
            return watch_table(request, view, listing, wide=wide, long=long)
        report = listing(view)
        if as_json:
            for row in report.rows:
                echo_document(json_row(row))
        elif quiet:
            for row in report.rows:
                if row.get("key"):
                    click.echo(row["key"])
        else:
            text = format_table(
                report.rows, wide=wide, with_cluster=view == "all", long=long, colour=use_colour()
            )
            click.echo(text, nl=False)
        for problem in report.problems:
            say(problem)
        return report.exit_code

    run_action(action)


def watch_table(
    request: api.Request, view: str, listing: Callable[[str], Report], *, wide: bool, long: bool
) -> int:
    """``--watch``: the table, redrawn whenever it changes; Ctrl-C ends it with exit 0.

    Local hosts: the state directories' files are stat()ed every :data:`LOCAL_POLL` s and the
    table recomputed when one changed (and every :data:`LOCAL_REFRESH` s). Remote hosts: one
    listing every :data:`REMOTE_POLL` s over the shared SSH master (one round per host). On a
    terminal the screen is cleared and redrawn; off one each changed table is printed after a
    blank line. Problems (a host down) are shown under the table, not repeated."""
    import time

    remote = api.watched_remote(request, view)
    tty = sys.stdout.isatty()
    colour = use_colour()
    shown: str | None = None
    signature: object = None
    last = 0.0
    try:
        while True:
            now = time.monotonic()
            current = None if remote else _state_signature()
            refresh = REMOTE_POLL if remote else LOCAL_REFRESH
            if shown is None or current != signature or now - last >= refresh:
                signature, last = current, now
                report = listing(view)
                text = format_table(
                    report.rows, wide=wide, with_cluster=view == "all", long=long, colour=colour
                )
                text += "".join(f"{click.get_current_context().info_name}: {p}\n" for p in report.problems)
                if text != shown:
                    if tty:
                        stamp = time.strftime("%H:%M:%S")
                        click.echo(f"\x1b[H\x1b[2J{text}\n(updated {stamp}; Ctrl-C to quit)", nl=False)
                    else:
                        click.echo(("\n" if shown is not None else "") + text, nl=False)
                    sys.stdout.flush()
                    shown = text
            time.sleep(REMOTE_POLL if remote else LOCAL_POLL)
    except KeyboardInterrupt:
        if tty:
            click.echo("")
        return 0


def _state_signature() -> tuple[Any, ...]:
    """What changes when a local service's state changes: every file of this machine's state
    directories (server, client, service locks), by name, inode, size and mtime."""
    from remote_http_launcher import paths

    found: list[Any] = []
    for directory in (paths.server_dir(), paths.client_dir(), os.path.join(paths.server_dir(), ".locks")):
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    found.append((directory, entry.name, info.st_ino, info.st_size, info.st_mtime_ns))
        except OSError:
            found.append((directory, None))
    return tuple(sorted(found, key=repr))


def main() -> None:
    command(prog_name="seamless-service-ps")
