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


#: Characters of a handshake path that URL building leaves as they are.
_PLAIN_PATH = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/-._~")


def target_of(handshake: Handshake | None) -> str:
    """Path and query of the handshake URL ("/" without a handshake)."""
    if handshake is None:
        return "/"
    path = handshake.path or "/"
    if not handshake.parameters and _PLAIN_PATH.issuperset(path) and not path.startswith("//"):
        # What Handshake.url would give, without importing urllib.parse (launch path).
        return path if path.startswith("/") else "/" + path
    url = handshake.url("h", 1)
    rest = url.split("/", 3)
    return "/" + (rest[3] if len(rest) > 3 else "")


def check(payload: dict[str, Any], handshake: Handshake | None, timeout: float = 10.0) -> str | None:
    """None if the service of a connection payload is alive by our rule; else why not."""
    port_name = handshake.port_name if handshake is not None and handshake.port_name else None
    return check_probe(payload, target_of(handshake), port_name, handshake is not None, timeout)


def check_probe(
    payload: dict[str, Any], target: str, port_name: str | None, strict: bool, timeout: float = 10.0
) -> str | None:
    """:func:`check` from the probe's parts (what :class:`.reuse.Plan` keeps without parsing the
    configuration): GET ``target`` on ``payload[port_name or "port"]``; ``strict``: 2xx only."""
    port_name = port_name or "port"
    host = payload.get("hostname")
    port = payload.get(port_name)
    if not isinstance(host, str) or isinstance(port, bool) or not isinstance(port, int):
        return f"connection file lacks hostname or integer {port_name}"
    try:
        status = http_status(host, port, target, timeout)
    except OSError as exc:
        return f"http://{host}:{port}{target}: {exc.strerror or exc}"
    if strict and not 200 <= status < 300:
        return f"http://{host}:{port}{target} answered HTTP {status}"
    return None


def check_with_retries(
    payload: dict[str, Any], handshake: Handshake | None, budget: float = 10.0
) -> str | None:
    """:func:`check` until it passes or ``budget`` seconds passed (short backoff)."""
    port_name = handshake.port_name if handshake is not None and handshake.port_name else None
    return probe_with_retries(payload, target_of(handshake), port_name, handshake is not None, budget)


def probe_with_retries(
    payload: dict[str, Any], target: str, port_name: str | None, strict: bool, budget: float = 10.0
) -> str | None:
    """:func:`check_probe` until it passes or ``budget`` seconds passed (short backoff)."""
    deadline = time.monotonic() + budget
    delay = 0.01
    while True:
        timeout = max(0.5, min(10.0, deadline - time.monotonic()))
        problem = check_probe(payload, target, port_name, strict, timeout)
        if problem is None or time.monotonic() >= deadline:
            return problem
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
