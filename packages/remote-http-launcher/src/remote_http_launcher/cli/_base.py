"""What every helper command shares: error handling, exit codes, output helpers."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click

from .._version import __version__
from ..errors import EXIT_ERROR, RhlError
from ..paths import validate_key

CONTEXT_SETTINGS: dict[str, Any] = {
    "help_option_names": ["-h", "--help"],
    "max_content_width": 100,
    "terminal_width": 100,
}


def _say(prog: str, message: str) -> None:
    sys.stderr.write(f"{prog}: {message}\n")
    sys.stderr.flush()


class HelperCommand(click.Command):
    """A click command that reports every error as one line and a documented exit code.

    Usage errors exit with ``usage_exit_code`` (1, as remote-http-launcher 0.4.5 does; 2 for
    rhl-launch-service, whose reference used argparse; 64 where 1 means an answer).
    """

    usage_exit_code = EXIT_ERROR

    def __init__(self, *args: Any, usage_exit_code: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("context_settings", dict(CONTEXT_SETTINGS))
        super().__init__(*args, **kwargs)
        if usage_exit_code is not None:
            self.usage_exit_code = usage_exit_code
        self.params.append(
            click.Option(["--version"], is_flag=True, expose_value=False, is_eager=True,
                         help="Show the version and exit.", callback=_print_version)
        )

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,  # type: ignore[override]
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        prog = prog_name or self.name or "rhl"
        try:
            code = super().main(args=args, prog_name=prog, complete_var=complete_var,
                                standalone_mode=False, **extra)
        except click.UsageError as exc:
            _say(prog, exc.format_message())
            code = self.usage_exit_code
        except RhlError as exc:
            _say(prog, exc.message)
            code = exc.exit_code
        except (click.Abort, KeyboardInterrupt):
            code = 130
        except BrokenPipeError:
            # The reader went away (``| head``): stay quiet, like other Unix tools.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            code = 141
        except click.ClickException as exc:
            _say(prog, exc.format_message())
            code = exc.exit_code
        except Exception as exc:  # noqa: BLE001 - no traceback reaches a user
            if os.environ.get("RHL_DEBUG"):
                raise
            _say(prog, f"internal error: {type(exc).__name__}: {exc} (set RHL_DEBUG=1 for a traceback)")
            code = EXIT_ERROR
        if not standalone_mode:
            return code
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            code = 141
        sys.exit(code or 0)


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


def simple_filename(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and ("/" in value or value in ("", ".", "..") or "\0" in value):
        raise click.BadParameter("requires a simple filename", ctx=ctx, param=param)
    return value


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Columns joined by one space, each cell left-justified; ``None``/empty shown as ``-``."""
    cells = [list(headers)] + [["-" if v is None or v == "" else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "".join(" ".join(c.ljust(w) for c, w in zip(row, widths)) + "\n" for row in cells)


def ndjson(rows: Iterable[dict[str, Any]]) -> str:
    """One JSON object per line, keys sorted (the format tools parse; see docs/reference/json.md)."""
    return "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)


def out(text: str) -> None:
    sys.stdout.write(text)
