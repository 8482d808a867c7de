"""``remote-http-launcher CONFIG``: the command line of the launcher (a thin shell over :mod:`.api`)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..cli._base import CONTEXT_SETTINGS, HelperCommand
from .errors import ConfigError, LauncherError

#: Usage and configuration errors (the reference's argparse used 2 for usage errors).
EXIT_USAGE = 2


def launch(
    config: str,
    connection_dir: str | None,
    dry_run: bool,
    log_level: str | None,
    log_file: str | None,
    debug_log_file: str | None,
    as_json: bool,
    idle_timeout: float,
) -> int:
    from . import api, sequence
    from .config import Configuration

    try:
        configuration = Configuration.from_yaml(config)
    except ConfigError as exc:
        raise LauncherError(f"invalid configuration {config}: {exc.message}", EXIT_USAGE) from None
    if dry_run:
        sys.stdout.write(sequence.dry_run_command(configuration) + "\n")
        return 0
    try:
        payload = api.run(
            configuration,
            connection_dir=connection_dir,
            log_level=log_level,
            log_file=log_file,
            debug_log_file=debug_log_file,
            idle_timeout=idle_timeout,
        )
    except LauncherError as exc:
        raise SystemExit(exc.exit_code) from None  # the observer has said it already
    if as_json:
        sys.stdout.write(json.dumps(payload, sort_keys=True) + "\n")
    return 0


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
@click.option("--connection-dir", metavar="DIR", help="Where connection files live (default: the client dir).")
@click.option("--dry-run", is_flag=True, help="Print the command the target would run; change nothing.")
@click.option("--log-level", type=click.Choice(["minimal", "basic", "debug"]), help="Progress detail.")
@click.option("--log-file", metavar="PATH", help="Also write basic progress lines here (minimal level).")
@click.option("--debug-log-file", metavar="PATH", help="Also write debug progress lines here.")
@click.option(
    "--idle-timeout",
    type=click.FloatRange(min=0),
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
    """Console entry point."""
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
