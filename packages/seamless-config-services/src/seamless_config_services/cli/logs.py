"""seamless-service-logs: print a service's server-side log."""

from __future__ import annotations

from typing import Any

import click

from .. import api
from ..errors import UsageError
from ._common import (
    CONTEXT,
    echo_document,
    json_option,
    json_schema_option,
    request_from,
    run_action,
    selection_options,
)

#: ``--json`` is one bounded document: at most this many bytes of the log's end.
JSON_MAX_BYTES = 64 * 1024


@click.command(context_settings=CONTEXT)
@selection_options
@click.option("--tail", type=click.IntRange(min=0), metavar="N", help="Only the last N lines.")
@click.option(
    "-f", "--follow", is_flag=True, help="Keep printing lines as they are appended (Ctrl-C to stop)."
)
@click.option("--previous", is_flag=True, help="The log of the launch before the current one.")
@json_option(
    "seamless-service-logs",
    help="Print one bounded JSON document (schema {schema}): the last --tail lines (default 200), "
    "at most 64 KiB.",
)
@json_schema_option("seamless-service-logs")
@click.version_option(package_name="seamless-config-services", message="%(prog)s, version %(version)s")
def command(tail: int | None, follow: bool, previous: bool, as_json: bool, **values: Any) -> None:
    """Print Seamless service logs.

    The server-side log of --service, read on the host where it runs. The log path follows from
    the service's key, so it stays readable after seamless-service-rm. With --json: one document
    holding the log's end as text, bounded by --tail (default 200 lines) and 64 KiB (cut at a line
    start, 'truncated': true); --json with --follow is a usage error.

    Exit codes: 0 printed (also when Ctrl-C ends --follow of a local log); 1 no log file, or a
    configuration error; 2 usage error; 130 Ctrl-C ended --follow over SSH; 255 the host
    unreachable; 70 internal error.
    """
    request = request_from(values)

    def action() -> int:
        if not as_json:
            return api.logs(request, tail=tail, follow=follow, previous=previous)
        if follow:
            raise UsageError("--json and --follow cannot be combined (--json prints one bounded document)")
        from ..schemas import documents

        echo_document(
            documents.read_logs(
                request,
                tail=documents.LOG_TAIL_DEFAULT if tail is None else tail,
                previous=previous,
                max_bytes=JSON_MAX_BYTES,
            )
        )
        return 0

    run_action(action)


def main() -> None:
    command(prog_name="seamless-service-logs")
