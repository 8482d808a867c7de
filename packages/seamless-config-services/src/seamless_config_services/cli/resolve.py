"""seamless-service-resolve: a service's key, host, workdir and log path, as one JSON line."""

from __future__ import annotations

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
    "seamless-service-resolve",
    help="The same JSON line with its schema named ({schema}).",
)
@json_schema_option("seamless-service-resolve")
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(as_json: bool, **values: Any) -> None:
    """Resolve Seamless service identity and launcher paths.

    Prints one JSON object (sorted keys): key, ssh_hostname (null when the service runs on this
    machine), workdir, log_path and the meta fields; with --json also its 'schema' field, which
    seamless-config 0.3.2's line did not have. It reads
    seamless.yaml and seamless.profile.yaml (of the current directory, or --workdir) and the
    cluster files, as every command does. No side effects: no SSH, no file written. The
    output reflects what this installation computes; keys, workdirs and host selection may
    change between versions, so call the tool each time (or pin a version) rather than caching
    its answer.

    Exit codes: 0 resolved; 1 a configuration or resolution error; 2 usage error; 70 internal
    error.
    """
    request = request_from(values)

    def action() -> int:
        data = api.resolve_json(request)
        if as_json:
            from ..schemas import documents

            data = documents.resolve(data)
        echo_document(data)
        return 0

    run_action(action)


def main() -> None:
    command(prog_name="seamless-service-resolve")
