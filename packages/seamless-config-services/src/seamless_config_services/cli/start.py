"""seamless-service-start: launch (or reuse) a service through remote-http-launcher."""

from __future__ import annotations

from typing import Any

import click

from .. import api
from ._common import CONTEXT, echo_json, request_from, run_action, selection_options


def print_started(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        echo_json(payload)
    else:
        click.echo(f"{payload['key']}: running at {payload.get('hostname')}:{payload.get('port')}")


@click.command(context_settings=CONTEXT)
@selection_options
@click.option("--json", "as_json", is_flag=True, help="Print the connection payload as JSON.")
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(as_json: bool, **values: Any) -> None:
    """Start a Seamless service (or reuse it when it already runs).

    Launches --service for the project and stage through remote-http-launcher, exactly as a
    Seamless workflow would: over SSH on the cluster's frontend (with a tunnel when the cluster
    asks for one), or here for the local cluster. Prints '<key>: running at HOST:PORT'.
    """
    request = request_from(values)

    def action() -> int:
        try:
            payload = api.start(request)
        except api.StartFailed as exc:
            if not exc.shown:
                raise
            return exc.exit_code  # the launcher printed the error (and the log's end) already
        print_started(payload, as_json)
        return 0

    run_action(action)


def main() -> None:
    command(prog_name="seamless-service-start")
