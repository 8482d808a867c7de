"""What every seamless-service-* command shares: the selection flags and error reporting."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import Field, fields
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..errors import ServiceError
from ..model import Request

if TYPE_CHECKING:
    from ..api import Outcome

F = TypeVar("F", bound=Callable[..., Any])
ENV_DEBUG = "SEAMLESS_SERVICES_DEBUG"
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100, "terminal_width": 100}


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
    :func:`..completion.values`, given the flags already on the command line. Imported only
    when the shell asks (``_SEAMLESS_SERVICE_PS_COMPLETE=bash_complete``)."""

    def complete(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        from ..completion import values

        return [CompletionItem(v, help=h) for v, h in values(completer, incomplete, ctx.params)]

    return complete


def _click_option(spec: Field[Any]) -> Callable[[F], F]:
    """The click option of one :class:`~..model.Request` field (its metadata: help, kind,
    complete)."""
    meta = spec.metadata
    name = "--" + spec.name.replace("_", "-")
    common: dict[str, Any] = {"help": meta["help"]}
    if meta.get("complete"):
        common["shell_complete"] = _shell_complete(meta["complete"])
    if meta["kind"] == "service":
        return click.option(name, type=ServiceName(), **common)
    if meta["kind"] == "choice":
        return click.option(name, type=click.Choice(list(meta["choices"])), **common)
    if meta["kind"] == "directory":
        return click.option(name, metavar=meta["metavar"], type=click.Path(file_okay=False), **common)
    return click.option(name, metavar=meta["metavar"], **common)


def selection_options(func: F) -> F:
    """--service, --cluster, --project, ...: one click option per field of
    :class:`~..model.Request`, in field order (the one declaration of these flags)."""
    for spec in reversed(fields(Request)):
        func = _click_option(spec)(func)
    return func


def request_from(values: dict[str, Any]) -> Request:
    """The :class:`~..model.Request` of a command's click values (taken out of ``values``)."""
    return Request(**{spec.name: values.pop(spec.name, None) for spec in fields(Request)})


def say(message: str) -> None:
    prog = click.get_current_context().info_name or "seamless-service"
    click.echo(f"{prog}: {message}", err=True)


def run_action(action: Callable[[], int | None]) -> None:
    """Run a command body: every error of ours is one line on stderr and its exit code."""
    try:
        code = action() or 0
    except ServiceError as exc:
        say(exc.message)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        sys.stderr.close()
        code = 141
    except Exception as exc:
        if os.environ.get(ENV_DEBUG):
            raise
        say(f"internal error: {type(exc).__name__}: {exc} (set {ENV_DEBUG}=1 for a traceback)")
        code = 70
    sys.exit(code)


def print_outcome(outcome: Outcome) -> int:
    for line in outcome.lines:
        click.echo(line)
    for problem in outcome.problems:
        say(problem)
    return outcome.exit_code


def report_outcome(outcome: Outcome, document: dict[str, Any]) -> int:
    """``--json`` of an action: its document on stdout (the lines are inside it), each problem
    still one line on stderr (for the person watching), and the same exit code as without."""
    echo_document(document)
    for problem in outcome.problems:
        say(problem)
    return outcome.exit_code


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, sort_keys=True))


def echo_document(document: dict[str, Any]) -> None:
    """One ``--json`` document (or one NDJSON row): a single line, keys sorted. Documents come
    stamped with their schema (:mod:`..schemas.documents`); this only prints."""
    echo_json(document)


#: The help of every ``--json`` flag that prints one document.
JSON_HELP = "Print one JSON document (schema {schema}) instead of the text."


def json_option(schema: str, help: str | None = None) -> Callable[[F], F]:
    """``--json`` (click name ``as_json``): the command prints its document of ``schema``."""
    from .. import schemas

    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help=(help or JSON_HELP).format(schema=schemas.schema_id(schema)),
    )


def json_schema_option(schema: str) -> Callable[[F], F]:
    """``--json-schema``: print the JSON Schema (draft 2020-12, versioned ``$id``) of what
    ``--json`` prints and exit 0. Eager, like ``--version``: nothing else is read (no
    configuration, no SSH), so an agent can ask for it anywhere. ``schema`` is a name of
    :data:`..schemas.FILES` (``seamless-service-ps-row`` for ps, whose ``--json`` prints rows)."""
    from .. import schemas

    def show(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if not value or ctx.resilient_parsing:
            return
        click.echo(json.dumps(schemas.load(schema), indent=2, sort_keys=True))
        ctx.exit(0)

    return click.option(
        "--json-schema",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=show,
        help=f"Print the JSON Schema of --json's output ({schemas.schema_id(schema)}) and exit.",
    )
