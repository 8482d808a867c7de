"""seamless-service-resolve: a service's key, host, workdir and log path, as one JSON line."""

from __future__ import annotations

from .. import api
from ._common import echo_document


def run(request: api.Request, *, as_json: bool) -> int:
    data = api.resolve_json(request)
    if as_json:
        from ..schemas import documents

        data = documents.resolve(data)
    echo_document(data)
    return 0
