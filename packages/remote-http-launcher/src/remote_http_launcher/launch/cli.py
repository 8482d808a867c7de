"""``remote-http-launcher CONFIG``: the command line of the launcher (a thin shell over :mod:`.api`)."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..cli._base import CONTEXT_SETTINGS, FiniteFloatRange, HelperCommand
from .command import EXIT_USAGE, launch


@click.command(
    "remote-http-launcher",
    cls=HelperCommand,
    usage_exit_code=EXIT_USAGE,
    context_settings=CONTEXT_SETTINGS,
    help="Bring up the service that CONFIG (YAML) describes, exactly once, here or over SSH, and "
    "write its connection file.\n\n"
    "A connection file that still answers is reused at once. Otherwise the target reuses a "
    "running service, waits for a starting one or launches a new one, in one call of "
    "rhl-launch-service --await; then an SSH tunnel is opened if configured, the service is "
    "checked from this machine, and only then is the connection file written. Progress goes to "
    "stderr: a live line on a terminal, one line per phase otherwise. Exit 0 when the service "
    "answers, 1 when it could not be brought up (the end of its log is shown), 2 for usage and "
    "configuration errors.",
)
@click.argument("config", metavar="CONFIG")
@click.option(
    "--connection-dir", metavar="DIR", help="Where connection files live (default: the client dir)."
)
@click.option("--dry-run", is_flag=True, help="Print the command the target would run; change nothing.")
@click.option("--log-level", type=click.Choice(["minimal", "basic", "debug"]), help="Progress detail.")
@click.option("--log-file", metavar="PATH", help="Also write basic progress lines here (minimal level).")
@click.option("--debug-log-file", metavar="PATH", help="Also write debug progress lines here.")
@click.option(
    "--idle-timeout",
    type=FiniteFloatRange(min=0),  # nan/inf are usage errors (issue 13.4)
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Give up on a start that shows no progress (state file and log unchanged) this long.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the connection payload as JSON on stdout.")
def command(**options: Any) -> int:
    """Parsed options go straight to :func:`launch`."""
    return launch(**options)


def entry() -> None:
    """Console entry point (the generated script answers --help, --version and reusable
    connection files before this; see :mod:`.fastpath`)."""
    command.main(args=sys.argv[1:], prog_name="remote-http-launcher")


def main(argv: list[str] | None = None) -> int:
    """``remote-http-launcher`` as a function (0.4.5's ``main(argv=None)``); the exit code."""
    try:
        return int(
            command.main(
                args=list(sys.argv[1:] if argv is None else argv),
                prog_name="remote-http-launcher",
                standalone_mode=False,
            )
            or 0
        )
    except SystemExit as exc:
        return int(exc.code or 0)
