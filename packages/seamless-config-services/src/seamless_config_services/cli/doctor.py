"""seamless-service-doctor: run the remote-debugging checklist and report."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..doctor.model import EXIT_USAGE
from ._common import CONTEXT, json_schema_option, request_from, run_action, selection_options


@click.command(context_settings=CONTEXT)
@selection_options
@click.option("--json", "as_json", is_flag=True, help="One JSON document (schema seamless-service-doctor/1).")
@json_schema_option("seamless-service-doctor")
@click.option(
    "--fix",
    is_flag=True,
    help="Then remove stale connection files and end stale tunnels the launcher started (announced "
    "first); never clears data, never stops a service.",
)
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(as_json: bool, fix: bool, **values: Any) -> None:
    """Diagnose a Seamless service deployment.

    Runs the remote-debugging checklist for the selection (default: seamless.yaml and
    seamless.profile.yaml of the current directory) and prints one verdict per check, ok, warning
    or problem, with the evidence and the next step:

    \b
      0  configuration
      1  hosts and helpers: SSH, the PATH prepend, rhl-guard
      2  service state: PID identity, port, handshake
      3  server-side logs: the error classified, the repository to fix named
      4  false-pass risk: cached data with no process, or older than the instance
      5  local leftovers: stale connection files, SSH tunnels

    Without --service: every service the selection can run.

    Exit codes: 0 all ok, 1 warnings, 2 problems, 64 usage error, 70 internal error.
    """
    from ..doctor.run import run

    request = request_from(values)
    run_action(lambda: run(request, as_json=as_json, fix=fix, write=_write))


def _write(text: str) -> None:
    click.echo(text, nl=False)
    sys.stdout.flush()


def main() -> None:
    """Usage errors exit 64 here (not click's 2, which means 'problems found')."""
    try:
        command.main(prog_name="seamless-service-doctor", standalone_mode=False)
    except click.ClickException as exc:  # usage errors, bad option values
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(130)
    sys.exit(0)
