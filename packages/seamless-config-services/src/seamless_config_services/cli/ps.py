"""seamless-service-ps: list services, their processes and their persistent data."""

from __future__ import annotations

from typing import Any

import click

from .. import api
from ..errors import UsageError
from ..rows import format_table, json_row
from ._common import CONTEXT, echo_json, request_from, run_action, say, selection_options

STATES = ["running", "starting", "failed", "stale", "client"]


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
@click.option("--json", "as_json", is_flag=True, help="One JSON object per row (NDJSON).")
@click.option("--wide", is_flag=True, help="Add CLUSTER, MODE, SUBSTAGE, HOST and KEY columns.")
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(
    client: bool,
    server: bool,
    all_clusters: bool,
    status: str | None,
    persistent: bool,
    as_json: bool,
    wide: bool,
    **values: Any,
) -> None:
    """List Seamless services.

    Without flags: this machine's connection files. With --cluster (or --server): the services
    on the cluster's hosts, one SSH connection per host, with persistent data unless --status
    is given. Rows of distinct services are never merged (ro/rw, subprojects, substages). A
    host that cannot be reached shows PROCESS 'unreachable'; the other rows are still shown
    and the exit code is 255. PROCESS: running | starting | failed | stale | client | absent |
    unreachable. PERSISTENT: populated | empty | absent | n/a. Dask services on a batch cluster
    (SLURM, OAR) add a JOBS column: their worker jobs on the scheduler, running and pending.
    """
    request = request_from(values)
    sides = [name for name, on in (("client", client), ("server", server), ("all", all_clusters)) if on]

    def action() -> int:
        if len(sides) > 1:
            raise UsageError("--client, --server and --all-clusters are mutually exclusive")
        view = sides[0] if sides else ("cluster" if request.cluster else "client")
        report = api.ps(request, view=view, status=status, persistent=persistent)
        if as_json:
            for row in report.rows:
                echo_json(json_row(row))
        else:
            click.echo(format_table(report.rows, wide=wide, with_cluster=view == "all"), nl=False)
        for problem in report.problems:
            say(problem)
        return report.exit_code

    run_action(action)


def main() -> None:
    command(prog_name="seamless-service-ps")
