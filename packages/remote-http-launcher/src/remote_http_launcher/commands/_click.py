"""click, built from the command table, only where it adds value: shell completion
(``_RHL_PS_COMPLETE=bash_source rhl-ps``) and the wording of usage errors a user sees. Never
imported on the normal path; the help-parity test renders these commands and compares.

Completion offers the table's option names and, for every argument or option checked as a
key (``check="key"``), the keys of this machine's state files (:func:`_complete_keys`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import click

from .._version import __version__
from ..errors import RhlError
from ._parse import finite_float, is_simple_filename
from ._table import COMMANDS, Argument, Command, Option

#: The helpers' click settings (help wrapped at 100 columns, -h as --help).
CONTEXT_SETTINGS: dict[str, Any] = {
    "help_option_names": ["-h", "--help"],
    "max_content_width": 100,
    "terminal_width": 100,
}


class FiniteFloatRange(click.FloatRange):
    """A FloatRange that refuses ``nan``, ``inf``, ``-inf`` and ``1e400`` (the table's
    ``("float", low, high)`` check: :func:`._parse.finite_float`)."""

    name = "float"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not (isinstance(value, float) and math.isfinite(value)):
            try:
                value = finite_float(str(value))
            except ValueError as exc:
                self.fail(str(exc), param, ctx)
        return super().convert(value, param, ctx)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"{ctx.info_name}, version {__version__}")
        ctx.exit(0)


def _key_callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    from ..paths import validate_key

    try:
        for key in value if isinstance(value, tuple) else (() if value is None else (value,)):
            validate_key(key)
    except RhlError as exc:
        raise click.BadParameter(exc.message, ctx=ctx, param=param) from None
    return value


def _filename_callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    for item in value if isinstance(value, tuple) else (() if value is None else (value,)):
        if not is_simple_filename(item):
            raise click.BadParameter("requires a simple filename", ctx=ctx, param=param)
    return value


def _type_and_callback(check: Any) -> tuple[Any, Any]:
    if check == "key":
        return None, _key_callback
    if check == "filename":
        return None, _filename_callback
    if check == "str":
        return None, None
    kind = check[0]
    if kind == "choice":
        return click.Choice(list(check[1])), None
    if kind == "int":
        if check[1] is None and check[2] is None:
            return click.INT, None
        return click.IntRange(min=check[1], max=check[2]), None
    return FiniteFloatRange(min=check[1], max=check[2]), None


def _state_keys(directory: str, suffix: str) -> list[str]:
    """The valid keys named by the ``<key><suffix>`` files of ``directory`` (a listing only:
    no file is opened, so a FIFO or a hostile file cannot block or fool completion)."""
    from ..errors import RhlError
    from ..paths import validate_key

    try:
        with os.scandir(directory) as entries:
            names = [entry.name[: -len(suffix)] for entry in entries if entry.name.endswith(suffix)]
    except OSError:
        return []
    keys = []
    for name in names:
        try:
            keys.append(validate_key(name))
        except RhlError:
            continue
    return keys


def _complete_keys(command: Command, dest: str) -> Callable[[click.Context, click.Parameter, str], list[str]]:
    """Completion of a key: the server state files' keys; with both --client and --server
    flags (rhl-rm), the side(s) the flags select, both without either; rhl-logs adds the keys
    whose ``<key>.log`` outlived the state file. Keys already given are not offered again."""
    dests = {option.dest for option in command.options}
    sided = {"client", "server"} <= dests

    def complete(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
        from ..paths import client_dir, server_dir

        client, server = False, True
        if sided:
            wants_client, wants_server = bool(ctx.params.get("client")), bool(ctx.params.get("server"))
            client, server = wants_client or not wants_server, wants_server or not wants_client
        found: set[str] = set()
        if server:
            found.update(_state_keys(server_dir(), ".json"))
            if command.name == "rhl-logs":
                found.update(_state_keys(server_dir(), ".log"))
        if client:
            found.update(_state_keys(client_dir(), ".json"))
        given = ctx.params.get(dest)
        taken = set(given) if isinstance(given, tuple) else set()
        return sorted(key for key in found - taken if key.startswith(incomplete))

    return complete


def _option(option: Option, command: Command) -> click.Option:
    kwargs: dict[str, Any] = {"help": option.help}
    if option.check == "key":
        kwargs["shell_complete"] = _complete_keys(command, option.dest)
    if option.kind == "flag":
        kwargs["is_flag"] = True
    else:
        kind, callback = _type_and_callback(option.check)
        if kind is not None:
            kwargs["type"] = kind
        if callback is not None:
            kwargs["callback"] = callback
        if option.kind == "multi":
            kwargs["multiple"] = True
        elif option.default is not None:
            kwargs["default"] = option.default
        if option.show_default:
            kwargs["show_default"] = True
        if option.metavar:
            kwargs["metavar"] = option.metavar
        if option.required:
            kwargs["required"] = True
    return click.Option([*option.flags, option.dest], **kwargs)


def _argument(argument: Argument, command: Command) -> click.Argument:
    kind, callback = _type_and_callback(argument.check)
    kwargs: dict[str, Any] = {"nargs": argument.nargs, "required": argument.required}
    if argument.check == "key":
        kwargs["shell_complete"] = _complete_keys(command, argument.dest)
    if argument.metavar:
        kwargs["metavar"] = argument.metavar
    if kind is not None:
        kwargs["type"] = kind
    elif argument.nargs == -1 and argument.dest == "service_argv":
        kwargs["type"] = click.UNPROCESSED
    if callback is not None:
        kwargs["callback"] = callback
    return click.Argument([argument.dest], **kwargs)


def build(command: Command | str) -> click.Command:
    """A click command with exactly the table entry's help, options and arguments."""
    if isinstance(command, str):
        command = COMMANDS[command]
    # Arguments first, as the helpers always declared them, except where the options must
    # all come before the first positional word (rhl-launch-service): there they come last.
    arguments: list[click.Parameter] = [_argument(argument, command) for argument in command.arguments]
    options: list[click.Parameter] = [_option(option, command) for option in command.options]
    params = arguments + options if command.interspersed else options + arguments
    params.append(
        click.Option(
            ["--version"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            help="Show the version and exit.",
            callback=_print_version,
        )
    )
    settings = dict(CONTEXT_SETTINGS)
    if not command.interspersed:
        settings["allow_interspersed_args"] = False
    # No callback: this command is never run (completion and usage wording stop before).
    return click.Command(command.name, params=params, help=command.help, context_settings=settings)


def render(command: Command | str) -> str:
    """click's ``--help`` text for the table entry (the parity test's reference)."""
    built = build(command)
    ctx = built.make_context(built.name, ["--help"], resilient_parsing=True)
    return str(built.get_help(ctx)) + "\n"


def usage_message(name: str, argv: list[str]) -> str | None:
    """click's one-line wording of what is wrong with ``argv``, or None if click accepts it."""
    built = build(name)
    try:
        with built.make_context(name, list(argv)):
            return None
    except click.UsageError as exc:
        return str(exc.format_message())
    except click.exceptions.Exit:
        return None


def complete(name: str, argv: list[str]) -> None:
    """Shell completion (``_<NAME>_COMPLETE`` set): click answers and exits."""
    build(name).main(args=argv, prog_name=name)
