"""The runner of the ``seamless-service-*`` commands: the table entry, the strict parser, the body.

What a command line does, in click's order (these were click commands, and their behaviour is
kept byte for byte):

1. ``--version`` (before any ``--help``/``--``) is answered by :mod:`._entry`, before any
   import.
2. With ``_<NAME>_COMPLETE`` in the environment, click built from the table answers the shell
   (:mod:`._click`).
3. The strict parser of remote-http-launcher's command table
   (``remote_http_launcher.commands.parse_entry``) reads ``argv``. Whatever it does not
   accept goes to click built from the same table, which words the usage error exactly as it
   always did, or accepts a spelling the strict parser refuses (``-lq``, a repeated option)
   and runs the same body.
4. The eager options, in the order given: ``-h``/``--help`` prints the table's help
   (``render_help``), ``--json-schema`` the schema of ``--json``; both exit 0 before any
   value is checked, as click's eager options did.
5. The values click's types checked after parsing: ``--service`` must name a registered
   service type, ``--workdir`` must not be a file (a failure goes to click for its wording).
6. The body (:func:`._common.run_body`): ``run(request, **values)`` of the command's module.

So click is imported only for completion and usage errors, and the common path costs the
table and the body's own imports.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

    from remote_http_launcher.commands import Command

#: The options click handled eagerly (before any value was checked), in argv order.
_EAGER = ("-h", "--help", "--json-schema", "--version")


def _parsing_entry(entry: Command) -> Command:
    """``entry`` with ``-h``/``--help`` and ``--version`` as flags, for the parser only (the
    help renders them as the standard last two lines)."""
    from remote_http_launcher.commands import Command, Option

    return Command(
        entry.name,
        help="",
        options=(
            *entry.options,
            Option(("-h", "--help"), "help", "flag"),
            Option(("--version",), "version", "flag"),
        ),
        usage_exit_code=entry.usage_exit_code,
    )


def selection_ok(values: dict[str, Any]) -> bool:
    """What click's types checked after parsing holds: ``--service`` is a registered service
    type (plugins included), ``--workdir`` is not a file and is readable if it exists."""
    service = values.get("service")
    if service is not None:
        from ..errors import ServiceError
        from ..plugins import service_types

        try:
            if service not in service_types().names():
                return False
        except ServiceError:
            return False
    workdir = values.get("workdir")
    if workdir is not None:
        import os
        import stat

        try:
            mode = os.stat(workdir).st_mode
        except OSError:
            return True
        if stat.S_ISREG(mode) or not os.access(workdir, os.R_OK):
            return False
    return True


def _answer(entry: Command, eager: str) -> NoReturn:
    """Print the help or the schema and exit 0; a reader that closed stdout gets exit 1 and
    nothing on stderr, as click's main gave."""
    import errno
    import os

    from ._common import echo, finish, print_json_schema

    try:
        if eager == "--json-schema":
            from ._table import JSON_SCHEMAS

            print_json_schema(JSON_SCHEMAS[entry.name])
        else:
            from remote_http_launcher.commands import render_help

            echo(render_help(entry), nl=False)
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        os._exit(1)  # click: the streams pacified (no "Exception ignored" at exit), exit 1
    finish(0)


def parsed(entry: Command, argv: list[str]) -> dict[str, Any] | None:
    """The body's values for ``argv``, or None when click must decide (:mod:`._click`). Answers
    ``--help`` and ``--json-schema`` itself (and exits)."""
    from remote_http_launcher.commands import UsageError, parse_entry

    try:
        values = parse_entry(_parsing_entry(entry), argv)
    except UsageError:
        return None
    # The parser took every token starting with "-" as an option (a value that looks like one
    # is refused), so the first eager flag in argv is the first one click would have run.
    for token in argv:
        if token in _EAGER:
            if token == "--version":  # only after --help or --, which :mod:`._entry` left to us
                return None
            _answer(entry, token)
    for name in ("help", "version", "json_schema"):
        values.pop(name, None)
    return values if selection_ok(values) else None


def main(name: str) -> NoReturn:
    """What every installed ``seamless-service-*`` script runs (after ``--version``)."""
    import os

    from ._common import run_body, set_program
    from ._table import entry as table_entry

    set_program(name)
    argv = sys.argv[1:]
    entry = table_entry(name)
    values: dict[str, Any] | None = None
    if "_" + name.upper().replace("-", "_") + "_COMPLETE" not in os.environ:
        try:
            values = parsed(entry, argv)
        except KeyboardInterrupt:  # as click's main: a newline, "Aborted!", exit 1 (doctor 130)
            sys.stderr.write("\nAborted!\n")
            from ._table import USAGE_EXIT

            sys.exit(1 if entry.usage_exit_code == USAGE_EXIT else 130)
    if values is None:
        from ._click import main as click_main

        click_main(entry, argv)
    run_body(entry, values)
