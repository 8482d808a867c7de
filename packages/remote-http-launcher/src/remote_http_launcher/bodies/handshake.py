"""rhl-handshake: one HTTP GET.

The command body: the runner (``commands``) calls run() with the parsed values."""

from __future__ import annotations

import sys

from .. import netcheck
from ..errors import EXIT_USAGE_DISTINCT, RhlError


def run(url: str, timeout: float) -> int:
    try:
        code, message = netcheck.handshake(url, timeout=timeout)
    except RhlError as exc:
        raise RhlError(exc.message, EXIT_USAGE_DISTINCT) from None
    if message:
        sys.stderr.write(f"rhl-handshake: {message}\n")
    return code
