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

from __future__ import annotations

from ._run import UsageError, info_request, invoke, main, parse, render_info, run_parsed
from ._table import COMMANDS, HELPERS, Argument, Command, Option

__all__ = [
    "COMMANDS",
    "HELPERS",
    "Argument",
    "Command",
    "Option",
    "UsageError",
    "info_request",
    "invoke",
    "main",
    "parse",
    "render_info",
    "run_parsed",
]
