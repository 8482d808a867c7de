"""The public command API of remote-http-launcher: one table, one parser, one runner.

Every ``rhl-*`` helper (and the launcher) is one entry of :data:`COMMANDS` (:mod:`._table`):
name, help, options, arguments, exit codes and body. Every caller goes through here:

- the installed scripts: identical stubs calling :func:`main`;
- ``python -m remote_http_launcher.commands NAME [ARGS...]`` (and ``-m remote_http_launcher.cli``);
- ``rhl-guard``: :func:`parse` to decide, then :func:`run_parsed` with exactly what it checked;
- ``rhl-batch`` and the client's in-process local dispatch: :func:`invoke`.

Only argv and text cross this line. Nothing heavy is imported here: the helpers run on every
SSH call, and ``--help`` is plain string formatting of the table (:mod:`._help`). click is
built from the table only for shell completion and the wording of usage errors (:mod:`._click`).
"""

# Quoted annotations, no __future__ import: rhl-guard's decision loads this module (guard/__init__.py).

from ._run import (
    UsageError,
    end_process,
    info_request,
    invoke,
    main,
    parse,
    render_info,
    run_parsed,
    teardown_needed,
)
from ._table import COMMANDS, HELPERS, Argument, Command, Option

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


def parse_entry(entry: "Command", argv: "Sequence[str]") -> "dict[str, Any]":
    """The one strict parser (:mod:`._parse`) on any table entry, not only one of
    :data:`COMMANDS`: another package's commands declared with :class:`Command`,
    :class:`Option` and :class:`Argument` (the ``seamless-service-*`` commands) parse exactly
    as the helpers do. The keyword arguments of ``entry``'s body, or :class:`UsageError` with
    the parser's reason and ``entry.usage_exit_code``."""
    from ._parse import ParseError
    from ._parse import parse as parse_table

    try:
        return parse_table(entry, argv)
    except ParseError as exc:
        raise UsageError(exc.reason, entry.usage_exit_code) from None


def render_help(entry: "Command") -> str:
    """The ``--help`` text of any table entry (:mod:`._help`: click's layout at 100 columns,
    plain string formatting, no click and no ``re`` imported)."""
    from ._help import render

    return render(entry)


__all__ = [
    "COMMANDS",
    "HELPERS",
    "Argument",
    "Command",
    "Option",
    "UsageError",
    "end_process",
    "info_request",
    "invoke",
    "main",
    "parse",
    "parse_entry",
    "render_help",
    "render_info",
    "run_parsed",
    "teardown_needed",
]
