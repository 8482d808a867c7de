"""seamless-service-start: launch (or reuse) a service through remote-http-launcher."""

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
    say,
    selection_options,
)


def print_started(payload: dict[str, Any], as_json: bool) -> None:
    """One service's line (``<key>: running at HOST:PORT (launched|reused)``) or its
    ``seamless-service-start/1`` document."""
    if as_json:
        from ..schemas import documents

        echo_document(documents.start(payload))
    else:
        outcome = payload.get("outcome")
        suffix = f" ({outcome})" if outcome else ""
        click.echo(f"{payload['key']}: running at {payload.get('hostname')}:{payload.get('port')}{suffix}")


def start_selection(request: api.Request, as_json: bool) -> int:
    """``--service``: that service. Without it (``--project``/``--cluster``): every data
    service the project uses on the cluster (:func:`..api.project_services`), each reported
    as it comes up; a failed one does not keep the others from starting."""
    if request.service:
        try:
            payload = api.start(request)
        except api.StartFailed as exc:
            if not exc.shown:
                raise
            return exc.exit_code  # the launcher printed the error (and the log's end) already
        print_started(payload, as_json)
        return 0
    _started, failed = api.start_many(request, on_started=lambda payload: print_started(payload, as_json))
    code = 0
    for failure in failed:
        if not (isinstance(failure, api.StartFailed) and failure.shown):
            say(failure.message)
        code = max(code, failure.exit_code)
    return code


@click.command(context_settings=CONTEXT)
@selection_options
@json_option(
    "seamless-service-start",
    help="Print the connection payload as JSON (schema {schema}; one line per service).",
)
@json_schema_option("seamless-service-start")
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(as_json: bool, **values: Any) -> None:
    """Start a Seamless service (or reuse it when it already runs).

    Launches --service for the project and stage through remote-http-launcher, exactly as a
    Seamless workflow would: over SSH on the cluster's frontend (with a tunnel when the cluster
    asks for one), or here for the local cluster. Prints '<key>: running at HOST:PORT
    (launched)', or '(reused)' when it already ran. Without --service, --project and/or
    --cluster start every data service the project uses on the cluster (those its frontends
    configure: hashserver, database), one line each.

    Exit codes: 0 running (launched or reused); 1 a launch failed (the end of the service's
    log is shown), or a configuration or resolution error; 2 usage error; 70 internal error.
    """
    request = request_from(values)
    run_action(lambda: start_selection(request, as_json))


def main() -> None:
    command(prog_name="seamless-service-start")
