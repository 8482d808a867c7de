"""seamless-service-logs: print a service's server-side log."""

from __future__ import annotations

from typing import Any

import click

from .. import api
from ._common import CONTEXT, request_from, run_action, selection_options


@click.command(context_settings=CONTEXT)
@selection_options
@click.option("--tail", type=click.IntRange(min=0), metavar="N", help="Only the last N lines.")
@click.option(
    "-f", "--follow", is_flag=True, help="Keep printing lines as they are appended (Ctrl-C to stop)."
)
@click.option("--previous", is_flag=True, help="The log of the launch before the current one.")
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(tail: int | None, follow: bool, previous: bool, **values: Any) -> None:
    """Print Seamless service logs.

    The server-side log of --service, read on the host where it runs. The log path follows from
    the service's key, so it stays readable after seamless-service-rm.
    """
    request = request_from(values)
    run_action(lambda: api.logs(request, tail=tail, follow=follow, previous=previous))


def main() -> None:
    command(prog_name="seamless-service-logs")
