"""rhl-handshake: one HTTP GET.

The command body: the runner (``commands``) calls run() with the parsed values.

``--key KEY [--path PATH] [--port-name NAME]`` builds the URL from KEY's server state file
(host and port as ``rhl-verify-port --key`` takes them, :func:`.verify_port.state_target`), so
that a client can ask it before it has read the state; the GET is then exactly the URL form's.
"""

from __future__ import annotations

import sys

from .. import netcheck
from ..errors import EXIT_USAGE_DISTINCT, RhlError, UsageProblem


def _keyed_url(key: str, path: str | None, port_name: str | None) -> str:
    """``http://HOST:PORT`` + PATH for KEY's service. PATH must start with ``/`` and hold only
    printable ASCII without spaces or ``#`` (what a client's encoded path and query are): then
    nothing in it can move the request to another host."""
    from ..launch.hosts import url_authority
    from .verify_port import state_target

    path = "/" if path is None else path
    if not path.startswith("/") or "#" in path or not all(33 <= ord(c) < 127 for c in path):
        raise UsageProblem("--path must start with '/' and hold only printable ASCII (no spaces, no '#')")
    if port_name is not None and not port_name:
        raise UsageProblem("--port-name must not be empty")
    host, port = state_target(key, port_name)
    return f"http://{url_authority(host, port)}{path}"


def run(
    url: tuple[str, ...], key: str | None, path: str | None, port_name: str | None, timeout: float
) -> int:
    from .verify_port import usage_problem

    problem = usage_problem({"url": url, "key": key, "path": path, "port_name": port_name})
    if problem is not None:
        raise UsageProblem(problem)
    target = _keyed_url(key, path, port_name) if key is not None else url[0]
    try:
        code, message = netcheck.handshake(target, timeout=timeout)
    except RhlError as exc:
        raise RhlError(exc.message, EXIT_USAGE_DISTINCT) from None
    if message:
        sys.stderr.write(f"rhl-handshake: {message}\n")
    return code
