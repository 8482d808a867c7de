"""seamless-service-rm: remove state files of stopped services."""

from __future__ import annotations

from typing import Any

import click

from .. import api
from ._common import CONTEXT, print_outcome, request_from, run_action, selection_options


@click.command(context_settings=CONTEXT)
@selection_options
@click.option("--client", is_flag=True, help="Only this machine's connection files.")
@click.option("--server", is_flag=True, help="Only the server-side state files.")
@click.option("--force", is_flag=True, help="Remove server state even if its service still runs.")
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(client: bool, server: bool, force: bool, **values: Any) -> None:
    """Remove Seamless service launcher state.

    With --service: that service's state files; with --cluster alone: those of every service of
    the cluster. Without --client or --server both sides are removed. Logs are kept. State of a
    service that still runs is refused (stop it first, or --force). Prints 'removed <path>' per
    file and '<key>: not found' when there was nothing to remove. The worker jobs of a Dask
    service on a batch cluster are cancelled first: '<key>: cancelled N worker jobs (ids)'.
    """
    request = request_from(values)
    run_action(lambda: print_outcome(api.rm(request, client=client, server=server, force=force)))


def main() -> None:
    command(prog_name="seamless-service-rm")
