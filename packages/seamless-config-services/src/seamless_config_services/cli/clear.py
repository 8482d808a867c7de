"""seamless-service-clear: empty a persistent service's data directory."""

from __future__ import annotations

from typing import Any

import click

from .. import api
from ._common import CONTEXT, print_outcome, request_from, run_action, selection_options


@click.command(context_settings=CONTEXT)
@selection_options
@click.option("--force", is_flag=True, help="Clear even if a running service uses the directory.")
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(force: bool, **values: Any) -> None:
    """Clear persistent Seamless service state.

    Empties the data directory of --service (hashserver: its buffers; database: seamless.db)
    for the project, subproject and stage, on the host where it lives. Only that instance's own
    data goes: the other stages' (STAGE-*) and subprojects' directories inside it, and marker
    files such as .HASHSERVER_PREFIX, are kept. A stage that never ran has nothing to clear
    (exit 0). Services without persistent data (jobserver, daskserver, pure-daskserver) are
    refused, and so is data a running service uses, unless --force. Prints 'removed N item(s)
    from <path>'.
    """
    request = request_from(values)
    run_action(lambda: print_outcome(api.clear(request, force=force)))


def main() -> None:
    command(prog_name="seamless-service-clear")
