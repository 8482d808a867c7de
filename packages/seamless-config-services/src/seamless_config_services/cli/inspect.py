"""seamless-service-inspect: print a service's server-side state JSON."""

from __future__ import annotations

import json
from typing import Any

import click

from .. import api
from ._common import (
    CONTEXT,
    echo_document,
    json_option,
    json_schema_option,
    request_from,
    run_action,
    selection_options,
)


@click.command(context_settings=CONTEXT)
@selection_options
@json_option(
    "seamless-service-inspect",
    help="Print one JSON line (schema {schema}): key, host and the state.",
)
@json_schema_option("seamless-service-inspect")
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(as_json: bool, **values: Any) -> None:
    """Inspect Seamless service launcher state.

    Prints the server-side state JSON of --service (2-space indent, sorted keys): PID, port,
    status, workdir, command, and the meta block (service, cluster, mode, project, subproject,
    stage, substage, queue). That is the state file itself, as rhl-inspect prints it (and
    seamless-config 0.3.2 did); --json wraps it in a versioned document with the key and host.

    Exit codes: 0 printed; 1 no or corrupt state file, or a configuration error; 2 usage error;
    255 the host unreachable; 70 internal error.
    """
    request = request_from(values)

    def action() -> int:
        if as_json:
            from ..schemas import documents

            resolution = api.resolve(request)
            echo_document(documents.inspect(resolution.key, resolution.ssh_target, api.inspect(request)))
        else:
            click.echo(json.dumps(api.inspect(request), indent=2, sort_keys=True))
        return 0

    run_action(action)


def main() -> None:
    command(prog_name="seamless-service-inspect")
