"""rhl-launch-service: start one whitelisted service, detached, once per key."""

from __future__ import annotations

from typing import Any

import click

from ..helpers.launch_service import run
from ._base import CONTEXT_SETTINGS, FiniteFloatRange, HelperCommand, key_argument


@click.command(
    "rhl-launch-service",
    cls=HelperCommand,
    usage_exit_code=2,
    context_settings={**CONTEXT_SETTINGS, "allow_interspersed_args": False},
    help="Start the service BINARY [ARG...] for KEY, detached, and record it in the server state.\n\n"
    "BINARY must be whitelisted (hashserver, seamless-database, seamless-jobserver, "
    "seamless-dask-wrapper, or the tools file named by RHL_TOOLS_YAML). The state file is "
    "written, with the process identity, before the service starts. If a live service "
    "already holds KEY nothing is started. Prints one JSON line: key, launched, pid, status, "
    "state_file.\n\n"
    "With --await, the whole launch happens here, under a per-key lock: a running service that "
    "still answers is reused, a starting one is waited for, anything else is replaced by a "
    "fresh launch, which is waited for until its state says running and it accepts "
    "connections and answers its handshake. The JSON line then also has outcome "
    "(launched | reused) and state. A service that fails, exits, or makes no progress for "
    "--idle-timeout seconds is stopped (its whole process group), marked failed, and reported "
    "with the tail of its log (exit 3).",
)
@click.option("--key", required=True, callback=key_argument, help="The service key.")
@click.option("--workdir", required=True, metavar="DIR", help="Working directory (absolute, created).")
@click.option("--conda-env", metavar="ENV", help="Conda environment to activate (see rhl-cache-conda).")
@click.option(
    "--network-interface", metavar="HOST", help="Interface the service binds, recorded in the state."
)
@click.option("--parameters", metavar="JSON", help="JSON object stored as 'parameters'.")
@click.option("--meta", metavar="JSON", help="JSON object stored as 'meta'.")
@click.option("--await", "await_ready", is_flag=True, help="Reuse, wait for, or launch, until ready.")
@click.option("--handshake", metavar="PATH", help="With --await: HTTP path that must answer 2xx.")
@click.option(
    "--handshake-port-name", metavar="FIELD", help="With --await: state field holding the handshake port."
)
@click.option(
    "--idle-timeout",
    type=FiniteFloatRange(min=0),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="With --await: give up when state file and log stay unchanged this long.",
)
@click.option(
    "--timeout",
    type=FiniteFloatRange(min=0),
    metavar="SECONDS",
    help="With --await: give up when not ready after this long.",
)
@click.option("--progress", is_flag=True, help="With --await: announce phases on stderr.")
@click.argument("service_argv", metavar="[--] BINARY [ARG...]", nargs=-1, type=click.UNPROCESSED)
def command(**options: Any) -> int:
    """Parsed options go straight to the body (helpers/launch_service.py), which owns their types."""
    return run(**options)
