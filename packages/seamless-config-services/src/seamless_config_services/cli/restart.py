"""seamless-service-restart: stop, remove state, launch afresh."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click

from .. import api
from ._common import (
    CONTEXT,
    echo_document,
    json_option,
    json_schema_option,
    print_outcome,
    request_from,
    run_action,
    say,
    selection_options,
)
from .start import print_started


def restart_one(request: api.Request, as_json: bool) -> int:
    """Restart ``request.service``: the stop/rm lines, then the new service's line (text), or
    one ``seamless-service-restart/1`` document (``--json``)."""
    from ..schemas import documents

    codes: list[int] = []
    stopped: list[api.Outcome] = []

    def on_stopped(done: api.Outcome) -> None:
        stopped.append(done)
        if not as_json:
            codes.append(print_outcome(done))

    try:
        outcome, payload = api.restart(request, on_stopped=on_stopped)
    except api.StartFailed as exc:
        if not exc.shown:
            raise
        if as_json and stopped:
            echo_document(documents.restart(stopped[0], None))
        return exc.exit_code  # the launcher printed the error (and the log's end) already
    if as_json:
        echo_document(documents.restart(outcome, payload or None))
        for problem in outcome.problems:
            say(problem)
        return outcome.exit_code
    if codes and codes[0]:
        return codes[0]
    print_started(payload, False)
    return 0


@click.command(context_settings=CONTEXT)
@selection_options
@json_option("seamless-service-restart")
@json_schema_option("seamless-service-restart")
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(as_json: bool, **values: Any) -> None:
    """Restart a Seamless service: stop, remove its state on both sides, start it again.

    The log of the previous run is kept as <key>.log.1 (seamless-service-logs --previous).
    Persistent data is not touched: use seamless-service-clear between stop and start for a
    cold cache. Without --service, --project and/or --cluster restart every data service the
    project uses on the cluster (as seamless-service-start does), one after the other. With
    --json: one document per service (the stop and removal lines, and the new payload).

    Exit codes: 0 running again; 1 the stop, the removal or the launch failed, or a
    configuration error; 2 usage error; 255 a host unreachable while stopping; 70 internal
    error.
    """
    request = request_from(values)

    def action() -> int:
        code = 0
        for name in api.project_services(request):
            code = max(code, restart_one(replace(request, service=name), as_json))
        return code

    run_action(action)


def main() -> None:
    command(prog_name="seamless-service-restart")
