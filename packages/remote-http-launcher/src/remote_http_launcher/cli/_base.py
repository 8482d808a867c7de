"""The click side of the launcher's command (launch/cli.py) until it is click-free; the helpers use
remote_http_launcher.commands (click for them is built from the table: commands/_click.py)."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any

import click

from .._version import __version__
from ..commands._parse import finite_float
from ..errors import EXIT_ERROR, RhlError
from ..output import finish, run_reporting, say
from ..paths import validate_key

CONTEXT_SETTINGS: dict[str, Any] = {
    "help_option_names": ["-h", "--help"],
    "max_content_width": 100,
    "terminal_width": 100,
}


class HelperCommand(click.Command):
    """A click command that reports every error as one line and a documented exit code.

    Usage errors exit with ``usage_exit_code`` (1, as remote-http-launcher 0.4.5 does; 2 for
    rhl-launch-service, whose reference used argparse, and for the new rhl-jobs; 64 where 1
    means an answer).
    """

    usage_exit_code = EXIT_ERROR

    def __init__(self, *args: Any, usage_exit_code: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("context_settings", dict(CONTEXT_SETTINGS))
        super().__init__(*args, **kwargs)
        if usage_exit_code is not None:
            self.usage_exit_code = usage_exit_code
        self.params.append(
            click.Option(
                ["--version"],
                is_flag=True,
                expose_value=False,
                is_eager=True,
                help="Show the version and exit.",
                callback=_print_version,
            )
        )

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,  # type: ignore[override]
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        prog = prog_name or self.name or "rhl"

        def parse_and_run() -> int:
            try:
                return int(
                    super(HelperCommand, self).main(
                        args=args, prog_name=prog, complete_var=complete_var, standalone_mode=False, **extra
                    )
                    or 0
                )
            except click.UsageError as exc:
                say(prog, exc.format_message())
                return self.usage_exit_code
            except click.Abort:
                return 130
            except click.ClickException as exc:
                say(prog, exc.format_message())
                return exc.exit_code

        code = run_reporting(prog, self.usage_exit_code, parse_and_run)
        if not standalone_mode:
            return code
        sys.exit(finish(code))


class FiniteFloatRange(click.FloatRange):
    """A FloatRange that refuses ``nan``, ``inf``, ``-inf`` and ``1e400``.

    click's FloatRange lets NaN through (every comparison with NaN is false) and accepts
    infinity where there is no upper bound; a NaN grace made rhl-stop never escalate. The
    check is the fast parser's :func:`finite_float`, so click, the fast path and the guard
    give one answer. ``_genhelp`` refuses plain FloatRange/FLOAT options, so a new option
    cannot forget it.
    """

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


def key_argument(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """click callback validating one key or a tuple of keys."""
    try:
        if isinstance(value, tuple):
            for key in value:
                validate_key(key)
        elif value is not None:
            validate_key(value)
    except RhlError as exc:
        raise click.BadParameter(exc.message, ctx=ctx, param=param) from None
    return value


def is_simple_filename(value: str) -> bool:
    return "/" not in value and value not in ("", ".", "..") and "\0" not in value


def simple_filename(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not is_simple_filename(value):
        raise click.BadParameter("requires a simple filename", ctx=ctx, param=param)
    return value


def simple_filenames(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """:func:`simple_filename` for a repeatable option (fast-path check ``filename`` too)."""
    for item in value:
        simple_filename(ctx, param, item)
    return value
