"""seamless-service-rm: remove state files of stopped services."""

from __future__ import annotations

from .. import api
from ._common import print_outcome, report_outcome


def run(request: api.Request, *, client: bool, server: bool, force: bool, as_json: bool) -> int:
    outcome = api.rm(request, client=client, server=server, force=force)
    if as_json:
        from ..schemas import documents

        return report_outcome(outcome, documents.rm(outcome, client=client, server=server, force=force))
    return print_outcome(outcome)
