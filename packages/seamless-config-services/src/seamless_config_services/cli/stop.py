"""seamless-service-stop: stop services, keep their state and logs."""

from __future__ import annotations

from .. import api
from ._common import print_outcome, report_outcome


def run(request: api.Request, *, as_json: bool) -> int:
    outcome = api.stop(request)
    if as_json:
        from ..schemas import documents

        return report_outcome(outcome, documents.stop(outcome))
    return print_outcome(outcome)
