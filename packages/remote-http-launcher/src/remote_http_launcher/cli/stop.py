"""rhl-stop: stop services by key, keeping their state for post-mortem."""

from __future__ import annotations

from typing import Any

import click

from .. import stopping
from ..helpers.stop import run
from ._base import FiniteFloatRange, HelperCommand, key_argument


@click.command(
    "rhl-stop",
    cls=HelperCommand,
    help="Stop the services with these KEYs: SIGINT, then SIGTERM, then SIGKILL.\n\n"
    "Signals go to the service's whole process group, and only after checking that the "
    "recorded PID still belongs to the process that was launched (a reused PID is never "
    "signalled). Each escalation step ends as soon as the group is gone. The state file is "
    "kept and marked 'stale', so the log stays reachable; remove it with rhl-rm. One line "
    "per key: '<key>: stopped | already gone | kill required | missing state | permission "
    "denied | corrupt state | invalid PID | still running after SIGKILL'. Exit 1 if any key "
    "could not be stopped.",
)
@click.argument("keys", metavar="KEY...", nargs=-1, required=True, callback=key_argument)
@click.option(
    "--sigint-grace",
    type=FiniteFloatRange(min=0),
    default=stopping.DEFAULT_SIGINT_GRACE,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait after SIGINT.",
)
@click.option(
    "--sigterm-grace",
    type=FiniteFloatRange(min=0),
    default=stopping.DEFAULT_SIGTERM_GRACE,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait after SIGTERM.",
)
def command(**options: Any) -> int:
    """Parsed options go straight to the body (helpers/stop.py), which owns their types."""
    return run(**options)
