"""seamless-service-start: launch (or reuse) a service through remote-http-launcher."""

from __future__ import annotations

from .. import api
from ._common import echo, echo_document, say

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def print_started(payload: dict[str, Any], as_json: bool) -> None:
    """One service's line (``<key>: running at HOST:PORT (launched|reused)``) or its
    ``seamless-service-start/1`` document."""
    if as_json:
        from ..schemas import documents

        echo_document(documents.start(payload))
    else:
        outcome = payload.get("outcome")
        suffix = f" ({outcome})" if outcome else ""
        echo(f"{payload['key']}: running at {payload.get('hostname')}:{payload.get('port')}{suffix}")


def run(request: api.Request, *, as_json: bool) -> int:
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
