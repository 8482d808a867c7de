"""seamless-service-clear: empty a persistent service's data directory."""

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
@click.option("--force", is_flag=True, help="Clear even if a running service uses the directory.")
@json_option("seamless-service-clear")
@json_schema_option("seamless-service-clear")
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(force: bool, as_json: bool, **values: Any) -> None:
    """Clear persistent Seamless service state.

    Empties the data directory of --service (hashserver: its buffers; database: seamless.db)
    for the project, subproject and stage, on the host where it lives. Only that instance's own
    data goes: the other stages' (STAGE-*) and subprojects' directories inside it, and marker
    files such as .HASHSERVER_PREFIX, are kept. A stage that never ran has nothing to clear
    (exit 0). Services without persistent data (jobserver, daskserver, pure-daskserver) are
    refused, and so is data a running service uses, unless --force. Prints 'removed N item(s)
    from <path>'. With --json: one document instead (the path, the count, the lines); problems
    still go to stderr.

    Exit codes: 0 cleared, or nothing to clear; 1 in use by a running service, path refused, or a
    configuration error; 2 usage error (also: a service without persistent data); 255 the host
    unreachable; 70 internal error.
    """
    request = request_from(values)

    def action() -> int:
        outcome = api.clear(request, force=force)
        if as_json:
            from ..schemas import documents

            return report_outcome(outcome, documents.clear(outcome, force=force))
        return print_outcome(outcome)

    run_action(action)


def main() -> None:
    command(prog_name="seamless-service-clear")
