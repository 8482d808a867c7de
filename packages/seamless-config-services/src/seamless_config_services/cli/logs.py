"""seamless-service-logs: print a service's server-side log."""

from __future__ import annotations

from .. import api
from ..errors import UsageError
from ._common import echo_document

#: ``--json`` is one bounded document: at most this many bytes of the log's end.
JSON_MAX_BYTES = 64 * 1024


def run(request: api.Request, *, tail: int | None, follow: bool, previous: bool, as_json: bool) -> int:
    if not as_json:
        return api.logs(request, tail=tail, follow=follow, previous=previous)
    if follow:
        raise UsageError("--json and --follow cannot be combined (--json prints one bounded document)")
    from ..schemas import documents

    echo_document(
        documents.read_logs(
            request,
            tail=documents.LOG_TAIL_DEFAULT if tail is None else tail,
            previous=previous,
            max_bytes=JSON_MAX_BYTES,
        )
    )
    return 0
