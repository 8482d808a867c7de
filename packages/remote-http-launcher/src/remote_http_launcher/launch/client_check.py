"""Is a service reachable from this machine? One liveness rule for reuse and for new launches.

With a handshake configured, its URL must answer 2xx. Without one, the service must answer
an HTTP request at all (any status line): remote-http-launcher 0.4.5 reused a client file
without any check in that case but then demanded ``GET /`` → 2xx after a launch, so a
service without a ``/`` route could neither be launched nor be told dead.

The request is :func:`..netcheck.http_status`, a minimal HTTP/1.1 GET over a socket: this
check sits on the launcher's fastest path (a reused connection file), where importing
``http.client`` would cost more than the whole check.
"""

from __future__ import annotations

import time

from ..netcheck import http_status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .config import Handshake


def target_of(handshake: Handshake | None) -> str:
    """Path and query of the handshake URL ("/" without a handshake)."""
    if handshake is None:
        return "/"
    url = handshake.url("h", 1)
    rest = url.split("/", 3)
    return "/" + (rest[3] if len(rest) > 3 else "")


def check(payload: dict[str, Any], handshake: Handshake | None, timeout: float = 10.0) -> str | None:
    """None if the service of a connection payload is alive by our rule; else why not."""
    host = payload.get("hostname")
    port_name = handshake.port_name if handshake is not None and handshake.port_name else "port"
    port = payload.get(port_name)
    if not isinstance(host, str) or isinstance(port, bool) or not isinstance(port, int):
        return f"connection file lacks hostname or integer {port_name}"
    target = target_of(handshake)
    try:
        status = http_status(host, port, target, timeout)
    except OSError as exc:
        return f"http://{host}:{port}{target}: {exc.strerror or exc}"
    if handshake is not None and not 200 <= status < 300:
        return f"http://{host}:{port}{target} answered HTTP {status}"
    return None


def check_with_retries(
    payload: dict[str, Any], handshake: Handshake | None, budget: float = 10.0
) -> str | None:
    """:func:`check` until it passes or ``budget`` seconds passed (short backoff)."""
    deadline = time.monotonic() + budget
    delay = 0.01
    while True:
        problem = check(payload, handshake, timeout=max(0.5, min(10.0, deadline - time.monotonic())))
        if problem is None or time.monotonic() >= deadline:
            return problem
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
