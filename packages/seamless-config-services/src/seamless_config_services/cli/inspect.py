"""seamless-service-inspect: print a service's server-side state JSON."""

from __future__ import annotations

from .. import api
from ._common import echo, echo_document


def run(request: api.Request, *, as_json: bool) -> int:
    if as_json:
        from ..schemas import documents

        resolution = api.resolve(request)
        echo_document(documents.inspect(resolution.key, resolution.ssh_target, api.inspect(request)))
    else:
        import json

        echo(json.dumps(api.inspect(request), indent=2, sort_keys=True))
    return 0
