"""seamless-service-restart: stop, remove state, launch afresh."""

from __future__ import annotations

from .. import api
from ..model import replace
from ._common import echo_document, print_outcome, say
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


def run(request: api.Request, *, as_json: bool) -> int:
    code = 0
    for name in api.project_services(request):
        code = max(code, restart_one(replace(request, service=name), as_json))
    return code
