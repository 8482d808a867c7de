"""seamless-service-stop: stop services, keep their state and logs."""

from __future__ import annotations

from typing import Any

import click

from .. import api
from ._common import (
    CONTEXT,
    json_option,
    json_schema_option,
    print_outcome,
    report_outcome,
    request_from,
    run_action,
    selection_options,
)


@click.command(context_settings=CONTEXT)
@selection_options
@json_option("seamless-service-stop")
@json_schema_option("seamless-service-stop")
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(as_json: bool, **values: Any) -> None:
    """Stop Seamless services.

    With --service: that service (cluster, project, stage from the flags or the command files).
    With --cluster alone: every service of the cluster on all its frontends (narrowed by explicit
    --project/--stage/--subproject/--substage/--mode). Each service gets SIGINT, then SIGTERM, then
    SIGKILL; its server state is kept and marked stale so the log stays readable. This machine's
    connection file is marked stale and its SSH tunnel closed. One line per service:
    '<key>: stopped | already gone | kill required | missing state | ...'. For a Dask service on a
    batch cluster, worker jobs still connected to its scheduler afterwards (left by a crash) are
    cancelled: '<key>: cancelled N worker jobs (ids)'. With --json: one document instead, holding
    those lines and each key's status; problems still go to stderr.

    Exit codes: 0 every service stopped, already gone or without state; 1 a key could not be
    stopped, or a configuration error; 2 usage error; 255 a host unreachable; 70 internal error.
    """
    request = request_from(values)

    def action() -> int:
        outcome = api.stop(request)
        if as_json:
            from ..schemas import documents

            return report_outcome(outcome, documents.stop(outcome))
        return print_outcome(outcome)

    run_action(action)


def main() -> None:
    command(prog_name="seamless-service-stop")
