"""rhl-verify-port: TCP connect test.

The command body: the runner (``commands``) calls run() with the parsed values."""

from __future__ import annotations

from .. import netcheck


def run(host: str, port: str, attempts: int, timeout: float) -> int:
    netcheck.verify_port(
        netcheck.validate_host(host), netcheck.parse_port(port), attempts=attempts, timeout=timeout
    )
    return 0
