"""seamless-service-inspect: print a service's server-side state JSON."""

from __future__ import annotations

import json
from typing import Any

import click

from .. import api
from ._common import CONTEXT, request_from, run_action, selection_options


@click.command(context_settings=CONTEXT)
@selection_options
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(**values: Any) -> None:
    """Inspect Seamless service launcher state.

    Prints the server-side state JSON of --service (2-space indent, sorted keys): PID, port,
    status, workdir, command, and the meta block (service, cluster, mode, project, subproject,
    stage, substage, queue).
    """
    request = request_from(values)

    def action() -> int:
        click.echo(json.dumps(api.inspect(request), indent=2, sort_keys=True))
        return 0

    run_action(action)


def main() -> None:
    command(prog_name="seamless-service-inspect")
