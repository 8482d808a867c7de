"""click, built from the command table, only where it adds value: shell completion
(``_SEAMLESS_SERVICE_PS_COMPLETE=bash_complete``, with the values of :mod:`..completion`) and
whatever the strict parser does not take itself (:func:`._run.main`): a usage error, worded
and laid out exactly as click always did (``Usage: ... / Try ... / Error: ...``, exit 2, the
doctor's 64), and the spellings click accepts that the parser refuses (``-lq``, an option
given twice, ``--status -x``...), which then run the same body with click's values. Never
imported on the common path.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from remote_http_launcher.commands import Command, Option

from ..errors import ServiceError
from ._common import run_body

#: The commands' click settings (help wrapped at 100 columns, -h as --help).
CONTEXT: dict[str, Any] = {
    "help_option_names": ["-h", "--help"],
    "max_content_width": 100,
    "terminal_width": 100,
}


class ServiceName(click.ParamType):  # type: ignore[type-arg]
    """A registered service type (built-in or from a plugin); anything else is a usage error."""

    name = "SERVICE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from ..plugins import service_types

        try:
            names = service_types().names()
        except ServiceError as exc:
            self.fail(str(exc), param, ctx)
        if value not in names:
            self.fail(f"{value!r} is not one of {', '.join(names)}", param, ctx)
        return str(value)


def _shell_complete(completer: str) -> Callable[[click.Context, click.Parameter, str], list[Any]]:
    """click's completion callback for a ``complete`` metadata value: the values of
    :func:`..completion.values`, given the flags already on the command line."""

    def complete(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        from ..completion import values

        return [CompletionItem(v, help=h) for v, h in values(completer, incomplete, ctx.params)]

    return complete


def _selection_option(option: Option, meta: Any) -> click.Option:
    """The click option of one :class:`~..model.Request` field (its metadata: kind, complete)."""
    kwargs: dict[str, Any] = {"help": meta["help"]}
    if meta.get("complete"):
        kwargs["shell_complete"] = _shell_complete(meta["complete"])
    if meta["kind"] == "service":
        kwargs["type"] = ServiceName()
    elif meta["kind"] == "choice":
        kwargs["type"] = click.Choice(list(meta["choices"]))
    else:
        kwargs["metavar"] = meta["metavar"]
        if meta["kind"] == "directory":
            kwargs["type"] = click.Path(file_okay=False)
    return click.Option([*option.flags, option.dest], **kwargs)


def _json_schema_option(schema: str) -> click.Option:
    def show(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if not value or ctx.resilient_parsing:
            return
        from ._common import print_json_schema

        print_json_schema(schema)
        ctx.exit(0)

    return click.Option(
        ["--json-schema"],
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=show,
        help=f"Print the JSON Schema of --json's output ({schema_id(schema)}) and exit.",
    )


def schema_id(schema: str) -> str:
    from .. import schemas

    return schemas.schema_id(schema)


def _option(option: Option, schema: str) -> click.Option:
    if option.dest == "json_schema":
        return _json_schema_option(schema)
    if option.kind == "flag":
        return click.Option([*option.flags, option.dest], is_flag=True, help=option.help)
    kwargs: dict[str, Any] = {"help": option.help}
    check = option.check
    if isinstance(check, tuple) and check[0] == "choice":
        kwargs["type"] = click.Choice(list(check[1]))
    elif isinstance(check, tuple) and check[0] == "int":
        kwargs["type"] = click.IntRange(min=check[1], max=check[2])
    if option.metavar:
        kwargs["metavar"] = option.metavar
    return click.Option([*option.flags, option.dest], **kwargs)


def build(entry: Command) -> click.Command:
    """A click command with exactly the table entry's help and options, whose callback runs
    the entry's body (:func:`._common.run_body`) with the values click parsed."""
    from ..model import Request, fields
    from ._table import JSON_SCHEMAS

    selection = {spec.name: spec.metadata for spec in fields(Request)}
    schema = JSON_SCHEMAS[entry.name]
    params: list[click.Parameter] = [
        _selection_option(option, selection[option.dest])
        if option.dest in selection
        else _option(option, schema)
        for option in entry.options
    ]
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

    def callback(**values: Any) -> None:
        run_body(entry, values)

    return click.Command(
        entry.name, params=params, help=entry.help, callback=callback, context_settings=CONTEXT
    )


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """What ``click.version_option(package_name="seamless-config-services")`` printed (the
    installed scripts answer ``--version`` before this is reached: :mod:`._entry`)."""
    if not value or ctx.resilient_parsing:
        return
    from .._version import __version__

    click.echo(f"{ctx.info_name}, version {__version__}", color=ctx.color)
    ctx.exit()


def main(entry: Command, argv: list[str]) -> NoReturn:
    """Run ``entry`` as the click command it used to be: completion, usage errors, odd
    spellings. The doctor's usage errors exit 64 (its 2 means "problems found")."""
    command = build(entry)
    from ._table import USAGE_EXIT

    if entry.usage_exit_code == USAGE_EXIT:
        command.main(args=argv, prog_name=entry.name)
        sys.exit(0)  # pragma: no cover - click's standalone main always exits
    try:
        command.main(args=argv, prog_name=entry.name, standalone_mode=False)
    except click.ClickException as exc:  # usage errors, bad option values
        exc.show()
        sys.exit(entry.usage_exit_code)
    except click.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(130)
    sys.exit(0)
