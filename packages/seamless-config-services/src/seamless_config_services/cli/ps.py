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
    """``--watch``: what to draw (the table with the same flags, problems under it) for the
    loop of :func:`seamless_config_services.watch.watch`, which decides when."""
    from .. import watch

    colour = use_colour()
    prog = click.get_current_context().info_name

    def text() -> str:
        report = listing(view)
        table = format_table(report.rows, wide=wide, with_cluster=view == "all", long=long, colour=colour)
        return table + "".join(f"{prog}: {problem}\n" for problem in report.problems)

    return watch.watch(text, remote=api.watched_remote(request, view))


def main() -> None:
    command(prog_name="seamless-service-ps")
