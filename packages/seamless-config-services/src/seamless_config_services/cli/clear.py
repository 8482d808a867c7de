"""seamless-service-clear: empty a persistent service's data directory."""

from __future__ import annotations

from .. import api
from ._common import print_outcome, report_outcome


def run(request: api.Request, *, force: bool, as_json: bool) -> int:
    outcome = api.clear(request, force=force)
    if as_json:
        from ..schemas import documents

        return report_outcome(outcome, documents.clear(outcome, force=force))
    return print_outcome(outcome)
