"""seamless-service-ps: list services, their processes and their persistent data."""

from __future__ import annotations

import os
import sys

from .. import api
from ..errors import UsageError
from ..rows import format_table, json_row
from ._common import echo, echo_document, program, say

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from ..rows import Report


def use_colour() -> bool:
    """ANSI colours only on a terminal, and never when ``NO_COLOR`` is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def run(
    request: api.Request,
    *,
    client: bool,
    server: bool,
    all_clusters: bool,
    status: str | None,
    persistent: bool,
    as_json: bool,
    wide: bool,
    long: bool,
    quiet: bool,
    watch: bool,
) -> int:
    """The rows of the view the flags choose, as a table, NDJSON, keys, or redrawn."""
    sides = [name for name, on in (("client", client), ("server", server), ("all", all_clusters)) if on]

    def listing(view: str) -> Report:
        return api.ps(request, view=view, status=status, persistent=persistent)

    if len(sides) > 1:
        raise UsageError("--client, --server and --all-clusters are mutually exclusive")
    if quiet and (as_json or watch):
        raise UsageError("--quiet excludes --json and --watch")
    view = sides[0] if sides else ("cluster" if request.cluster else "client")
    if watch and as_json:
        return watch_documents(request, view, listing)
    if watch:
        return watch_table(request, view, listing, wide=wide, long=long)
    report = listing(view)
    if as_json:
        for row in report.rows:
            echo_document(json_row(row))
    elif quiet:
        for row in report.rows:
            if row.get("key"):
                echo(row["key"])
    else:
        text = format_table(
            report.rows, wide=wide, with_cluster=view == "all", long=long, colour=use_colour()
        )
        echo(text, nl=False)
    for problem in report.problems:
        say(problem)
    return report.exit_code


def watch_table(
    request: api.Request, view: str, listing: Callable[[str], Report], *, wide: bool, long: bool
) -> int:
    """``--watch``: what to draw (the table with the same flags, problems under it) for the
    loop of :func:`seamless_config_services.watch.watch`, which decides when."""
    from .. import watch

    colour = use_colour()
    prog = program()

    def text() -> str:
        report = listing(view)
        table = format_table(report.rows, wide=wide, with_cluster=view == "all", long=long, colour=colour)
        return table + "".join(f"{prog}: {problem}\n" for problem in report.problems)

    return watch.watch(text, remote=api.watched_remote(request, view))


def watch_documents(request: api.Request, view: str, listing: Callable[[str], Report]) -> int:
    """``--watch --json``: one line per change, the whole listing as a ``seamless-service-ps/1``
    document (rows, problems, exit code: what ``--json`` prints as rows and stderr, in one
    object an agent can take whole), never redrawn in place."""
    from remote_http_launcher.jsontext import dumps

    from .. import watch
    from ..schemas import documents

    def text() -> str:
        return dumps(documents.ps(view, listing(view)), sort_keys=True) + "\n"

    return watch.watch(text, remote=api.watched_remote(request, view), redraw=False)
