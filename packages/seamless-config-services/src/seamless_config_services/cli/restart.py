"""seamless-service-restart: stop, remove state, launch afresh."""

from __future__ import annotations

from typing import Any

import click

from .. import api
from ._common import CONTEXT, print_outcome, request_from, run_action, selection_options
from .start import print_started


@click.command(context_settings=CONTEXT)
@selection_options
@click.option("--json", "as_json", is_flag=True, help="Print the new connection payload as JSON.")
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(as_json: bool, **values: Any) -> None:
    """Restart a Seamless service: stop, remove its state on both sides, start it again.

    The log of the previous run is kept as <key>.log.1 (seamless-service-logs --previous).
    Persistent data is not touched: use seamless-service-clear between stop and start for a
    cold cache.
    """
    request = request_from(values)

    def action() -> int:
        codes: list[int] = []
        try:
            _outcome, payload = api.restart(
                request, on_stopped=lambda done: codes.append(print_outcome(done))
            )
        except api.StartFailed as exc:
            if not exc.shown:
                raise
            return exc.exit_code  # the launcher printed the error (and the log's end) already
        if codes and codes[0]:
            return codes[0]
        print_started(payload, as_json)
        return 0

    run_action(action)


def main() -> None:
    command(prog_name="seamless-service-restart")
