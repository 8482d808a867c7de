"""seamless-service-rm: remove state files of stopped services."""

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
@click.option("--client", is_flag=True, help="Only this machine's connection files.")
@click.option("--server", is_flag=True, help="Only the server-side state files.")
@click.option("--force", is_flag=True, help="Remove server state even if its service still runs.")
@json_option("seamless-service-rm")
@json_schema_option("seamless-service-rm")
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(client: bool, server: bool, force: bool, as_json: bool, **values: Any) -> None:
    """Remove Seamless service launcher state.

    With --service: that service's state files; with --cluster alone: those of every service of
    the cluster. Without --client or --server both sides are removed. Logs are kept. State of a
    service that still runs is refused (stop it first, or --force). Prints 'removed <path>' per
    file and '<key>: not found' when there was nothing to remove. The worker jobs of a Dask
    service on a batch cluster are cancelled first: '<key>: cancelled N worker jobs (ids)'. With
    --json: one document instead, holding those lines and the paths removed; problems still go
    to stderr.

    Exit codes: 0 removed, or nothing to remove; 1 a running service's state refused, or a
    configuration error; 2 usage error; 255 a host unreachable; 70 internal error.
    """
    request = request_from(values)

    def action() -> int:
        outcome = api.rm(request, client=client, server=server, force=force)
        if as_json:
            from ..schemas import documents

            document = documents.rm(outcome, client=client, server=server, force=force)
            return report_outcome(outcome, document)
        return print_outcome(outcome)

    run_action(action)


def main() -> None:
    command(prog_name="seamless-service-rm")
