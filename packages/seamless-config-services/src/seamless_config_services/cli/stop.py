"""seamless-service-stop: stop services, keep their state and logs."""

from __future__ import annotations

from typing import Any

import click

from .. import api
from ._common import CONTEXT, print_outcome, request_from, run_action, selection_options


@click.command(context_settings=CONTEXT)
@selection_options
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(**values: Any) -> None:
    """Stop Seamless services.

    With --service: that service (cluster, project, stage from the flags or the command files).
    With --cluster alone: every service of the cluster on all its frontends (narrowed by explicit
    --project/--stage/--subproject/--substage/--mode). Each service gets SIGINT, then SIGTERM, then
    SIGKILL; its server state is kept and marked stale so the log stays readable. This machine's
    connection file is marked stale and its SSH tunnel closed. One line per service:
    '<key>: stopped | already gone | kill required | missing state | ...'. For a Dask service on a
    batch cluster, worker jobs still connected to its scheduler afterwards (left by a crash) are
    cancelled: '<key>: cancelled N worker jobs (ids)'.
    """
    request = request_from(values)
    run_action(lambda: print_outcome(api.stop(request)))


def main() -> None:
    command(prog_name="seamless-service-stop")
